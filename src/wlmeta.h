/*
 * wlmeta: the entry metadata file "<storage_path>.meta" (see store.h): one
 * JSON object keyed by canonical entry, each value
 * {"key":"<key name>","knocked_at":<unix seconds>,"client":"<address>"}.
 * whitelist.json stays the source of truth; this only says who made an
 * entry. The file is untrusted input (fuzz/fuzz_wlmeta.c): members that do
 * not fit are skipped or read as unknown, never fatal; only a text that is
 * not a JSON object is an error.
 *
 * A struct wlmeta is a set of records sorted by entry (one per entry),
 * owned by the caller (wlmeta_init / wlmeta_free).
 */
#ifndef KNOCKER_WLMETA_H
#define KNOCKER_WLMETA_H

#include <stdbool.h>
#include <stddef.h>
#include "compiler.h"
#include "ipnet.h"
#include "store.h"

struct wlmeta_rec {
	struct ipnet		net;	/* canonical */
	struct store_meta	meta;
};

struct wlmeta {
	struct wlmeta_rec	*v;	/* sorted by net (bytes) */
	size_t			 n;
	size_t			 cap;
};

KN_NONNULL(1) void wlmeta_init(struct wlmeta *m);
/* Frees the records; m is empty (and reusable) afterwards. NULL is fine. */
void wlmeta_free(struct wlmeta *m);

/* Parses buf[0..len) (need not be NUL-terminated) into m (emptied first).
   A member whose name is not an entry or whose value is not an object is
   skipped; a field of the wrong type or out of range reads as unknown
   ("" / 0); a repeated entry keeps the last. Returns 0, or -1 when the
   text is not one JSON object or on ENOMEM (m is then empty). */
KN_NODISCARD KN_NONNULL(1, 3)
int wlmeta_parse(const char *buf, size_t len, struct wlmeta *m);

/* The record for net (exact, canonical), or NULL. */
KN_NONNULL(1, 2)
const struct store_meta *wlmeta_get(const struct wlmeta *m, const struct ipnet *net);

/* Sets net's record to *meta (copied), or removes it when meta is NULL.
   Returns 0, or -1 on ENOMEM (m unchanged). */
KN_NODISCARD KN_NONNULL(1, 2)
int wlmeta_set(struct wlmeta *m, const struct ipnet *net, const struct store_meta *meta);

/* Keeps only the records for which keep() is true; returns how many went. */
KN_NONNULL(1, 2)
size_t wlmeta_retain(struct wlmeta *m, bool (*keep)(void *ctx, const struct ipnet *net),
    void *ctx);

/* The file's text (compact JSON, NUL-terminated) in a new buffer (*out,
   caller frees), length in *len. Returns 0 or -1 (ENOMEM). */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int wlmeta_format(const struct wlmeta *m, char **out, size_t *len);

#endif
