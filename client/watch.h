/*
 * watch: "knock watch" keeps the caller whitelisted. It knocks, knocks
 * again when 80% of the granted TTL has passed, polls GET /knock every
 * poll seconds and knocks at once when the reported client_ip changes (a
 * new public IP), the address is no longer whitelisted, or the host's
 * address families change. Errors back off exponentially (2 s, 4 s, ...
 * up to max_backoff, at least Retry-After). One log line per event on
 * stderr. Returns when *http.stop becomes non-zero.
 */
#ifndef KNOCK_WATCH_H
#define KNOCK_WATCH_H

#include "khttp.h"

struct watch_cfg {
	struct khttp_opts	 http;		/* http.stop must be set */
	enum kfam		 want;		/* -4/-6, or KFAM_ANY for every family */
	const char		*ip;		/* --ip; NULL: the caller's own IP */
	long			 ttl;		/* 0: the key's max_ttl */
	long			 poll;		/* seconds; 0: no status polling */
	long			 max_backoff;	/* seconds, >= 1 */
};

/* Runs until stopped. Returns an exit status: KEXIT_OK when stopped by a
   signal, KEXIT_USAGE when the URL's families cannot be determined, and
   the failure's status when retrying cannot help (401, 403, a key that
   cannot be sent). */
int watch_run(const struct watch_cfg *w);

#endif
