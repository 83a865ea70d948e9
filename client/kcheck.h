/*
 * kcheck: "knock check URL", a self-check of a deployment from outside.
 * It requests a protected URL without knocking, first plainly (that must
 * be denied, or nothing can be learnt), then once per probe with forged
 * headers a careless proxy or authorizer might believe: a client address
 * (X-Forwarded-For, X-Real-IP, Forwarded, ... with loopback and private
 * addresses, also spelt with underscores), an original URI naming an
 * excluded path (X-Original-URI, X-Forwarded-Uri, ...) and another host
 * (Host, X-Forwarded-Host). Prints one line per probe and a summary on
 * stdout (or one JSON object), problems on stderr.
 */
#ifndef KNOCK_KCHECK_H
#define KNOCK_KCHECK_H

#include <stddef.h>

#include "khttp.h"

#define KCHECK_MAX_LIST	32	/* entries of each list below */

struct kcheck_cfg {
	struct khttp_opts	 http;		/* http.url: the protected URL; no key */
	enum kfam		 fam;		/* -4/-6, or KFAM_ANY */
	const char		*excluded[KCHECK_MAX_LIST];	/* paths; borrowed */
	size_t			 nexcluded;	/* 0: a default list */
	const char		*hosts[KCHECK_MAX_LIST];	/* host names; borrowed */
	size_t			 nhosts;
	const char		*spoof[KCHECK_MAX_LIST];	/* more addresses to forge */
	size_t			 nspoof;
	int			 json;
};

/* Checks an --excluded path (starts with '/', printable ASCII, short), a
   --host name or a --spoof-ip address. 0, or -1 with a message in err. */
int kcheck_valid_path(const char *s, char *err, size_t errsz);
int kcheck_valid_host(const char *s, char *err, size_t errsz);
int kcheck_valid_ip(const char *s, char *err, size_t errsz);

/*
 * Runs the check. Returns KEXIT_OK when the plain request and every probe
 * were denied; KEXIT_LEAK when a probe was let through; KEXIT_ALLOWED when
 * the plain request already was (this machine is whitelisted or always
 * allowed, or the deployment fails open: nothing to conclude);
 * KEXIT_SERVER when no probe got through but some answered otherwise than
 * with a denial (or not at all); KEXIT_NETWORK when the plain request got
 * no answer.
 */
int kcheck_run(const struct kcheck_cfg *c);

#endif
