/*
 * kreport: turning knock/status results into an exit status and into
 * words for people (one-shot commands and the watch log). Never prints
 * the API key: results do not hold it.
 */
#ifndef KNOCK_KREPORT_H
#define KNOCK_KREPORT_H

#include <stddef.h>
#include <stdint.h>

#include "khttp.h"

/*
 * The exit status of a run over n results (one per address family):
 * KEXIT_OK when every family succeeded, or when some succeeded and the
 * others failed only with network errors (a family without a route is
 * not an error; it is reported as a warning). Otherwise the status of the
 * first failure in report order. For status (is_status), an answered
 * request whose address is not whitelisted gives KEXIT_NOT_WHITELISTED
 * when nothing else failed.
 */
int kreport_overall(const struct kresult *r, size_t n, int is_status);

/* Whether result i is a network failure that kreport_overall ignores. */
int kreport_ignored(const struct kresult *r, size_t n, size_t i);

/* "1h 2m 3s", "45s", "2d 3h": at most three units. */
void kreport_duration(int64_t secs, char *out, size_t outsz);

/* Local time of a unix time: "2025-11-25 08:12:03 CET". */
void kreport_when(int64_t unixtime, char *out, size_t outsz);

/* What to do about a failed result: a sentence, possibly "". Static or
   written to buf. */
const char *kreport_hint(const struct kresult *r, char *buf, size_t bufsz);

/* Whether a knock got less time than it asked for (the key's max_ttl
   capped it); then a sentence without the family prefix in out. */
int kreport_capped(const struct kresult *r, char *out, size_t outsz);

/* One line describing a failure, without the family prefix:
   "HTTP 401: Invalid or missing API key. Check the API key (...)". */
void kreport_failure(const struct kresult *r, char *out, size_t outsz);

#endif
