/*
 * urlpath: request path and Host normalization for excluded-path matching.
 * Pure functions on caller buffers; nothing allocated.
 */
#ifndef KNOCKER_URLPATH_H
#define KNOCKER_URLPATH_H

#include <stddef.h>
#include <stdbool.h>

/* Longest raw path or normalized path we handle; longer inputs are errors. */
#define URLPATH_MAX 4096
#define HOST_MAX 256

/* Normalize a raw request URI path: drop "?query" and "#fragment",
   percent-decode, collapse "//", resolve "." and ".." (never above "/").
   The result always starts with "/"; a trailing "/" is kept.
   Returns 0, or -1 for: empty or not starting with "/", bad %-escape,
   a decoded NUL, a result not fitting in out (out_size bytes incl. NUL). */
int urlpath_normalize(const char *raw, char *out, size_t out_size);

/* True if normalized path equals prefix, or starts with prefix followed by
   "/" ("/health" matches "/health" and "/health/x", not "/healthz").
   A prefix ending in "/" matches everything below it. */
bool urlpath_has_prefix(const char *path, const char *prefix);

/* Normalize a Host header value: lower-case, port removed, IPv6 brackets
   removed ("[::1]:80" -> "::1"), one trailing dot removed.
   Returns 0, or -1 for empty/over-long/malformed input. */
int host_normalize(const char *raw, char *out, size_t out_size);

#endif
