/*
 * wlfile: the whitelist file format, exactly as FarisZR/knocker writes it:
 * one JSON object mapping canonical entries to expiry times in unix seconds,
 * e.g. {"203.0.113.7":1767225600,"2001:db8::/64":1767229200}.
 *
 * This is a small strict JSON reader for that one shape (no tree is built,
 * so 100,000 entries cost no transient memory) and the matching writer.
 * It parses untrusted bytes and is fuzzed (fuzz/fuzz_wlfile.c).
 */
#ifndef KNOCKER_WLFILE_H
#define KNOCKER_WLFILE_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "ipmap.h"

/* Parses buf[0..len) into map (which is not cleared first). Whitespace per
   JSON is allowed anywhere between tokens. Values must be JSON numbers;
   a fraction is truncated, values outside int64 are an error.
   A key that is valid JSON but not an IP/CIDR is skipped and counted in
   *skipped (may be NULL); a key seen twice keeps the larger expiry.
   Returns 0, or -1 if buf is not exactly one such object (invalid JSON,
   another type of value, trailing garbage) or on allocation failure; on -1
   the map may hold a partial result and must be discarded. */
int wlfile_parse(const char *buf, size_t len, struct ipmap *map, size_t *skipped);

/* Serializes the entries of map whose value is > now into a new
   NUL-terminated compact JSON text in *out (caller frees), length in *out_len.
   Returns 0 or -1 on allocation failure. */
int wlfile_format(const struct ipmap *map, int64_t now, char **out, size_t *out_len);

/* The same text handed to emit in pieces of at most WLFILE_CHUNK bytes (no
   NUL), so writing a file of any size needs no buffer for all of it.
   emit returns 0, or -1 to stop. Returns 0, or -1 when emit did. */
#define WLFILE_CHUNK	16384
typedef int (*wlfile_emit_fn)(void *ctx, const char *buf, size_t len);
KN_NODISCARD KN_NONNULL(1, 3)
int wlfile_write(const struct ipmap *map, int64_t now, wlfile_emit_fn emit, void *ctx);

#endif
