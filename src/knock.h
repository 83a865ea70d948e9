/*
 * knock: the POST /knock policy. Pure: no I/O, no clock, no lock; the
 * caller (app.c) reads the body, applies the rate limit and writes the
 * store, and reply.c turns the decision into an answer.
 *
 * Order (the key before any body byte, so an unauthenticated slow body
 * cannot hold a worker):
 *   1. key = knock_find_key(conf, X-Api-Key)
 *   2. only if key != NULL: read the body into a struct knock_body
 *   3. d = knock_decide(&facts)  -> 401, 413, 400 (unreadable), 415, 400, 403,
 *                                   400 (range), 400 (ttl), or accept
 *   4. on accept, write the store; knock_store_verdict maps its result.
 * All pointers are borrowed; nothing is allocated.
 */
#ifndef KNOCKER_KNOCK_H
#define KNOCKER_KNOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "compiler.h"
#include "conf.h"
#include "ipnet.h"
#include "knockreq.h"

#define KNOCK_MAX_BODY 4096

/* What reading the body gave. */
enum knock_body_state {
	KNOCK_BODY_OK,		/* buf[0..len) is the whole body (len may be 0) */
	KNOCK_BODY_TOO_LARGE,	/* declared or read past KNOCK_MAX_BODY */
	KNOCK_BODY_BAD_LENGTH,	/* CONTENT_LENGTH is not a number */
	KNOCK_BODY_UNREADABLE	/* read error or read deadline: cut short */
};

struct knock_body {
	char			 buf[KNOCK_MAX_BODY + 1];
	size_t			 len;
	enum knock_body_state	 state;
};

/* The request as the policy sees it. */
struct knock_facts {
	const struct conf_api_key	*key;		/* knock_find_key; NULL: none matched */
	const struct ipnet		*client;	/* resolved client IP, never NULL */
	const char			*content_type;	/* may be NULL */
	const struct knock_body		*body;		/* NULL: not read (only when key is NULL) */
};

enum knock_verdict {
	KNOCK_ACCEPT,
	KNOCK_BAD_KEY,		/* 401 */
	KNOCK_TOO_LARGE,	/* 413 */
	KNOCK_UNREADABLE,	/* 400 Malformed JSON request body. (read error / deadline) */
	KNOCK_NOT_JSON,		/* 415 */
	KNOCK_BAD_BODY,		/* 400, message from knockreq_error(body_status) */
	KNOCK_NO_REMOTE,	/* 403 */
	KNOCK_TOO_BROAD,	/* 400 */
	KNOCK_TTL_LARGE,	/* 400 */
	KNOCK_STORE_FAILED,	/* 500, after accept: the store write failed */
	KNOCK_STORE_BUSY	/* 503, after accept: the store lock was held past its deadline */
};

struct knock_decision {
	enum knock_verdict		 verdict;
	enum knockreq_status		 body_status;	/* KNOCK_BAD_BODY: why */
	const struct conf_api_key	*key;		/* the matched key, or NULL */
	struct ipnet			 entry;		/* KNOCK_ACCEPT: what to whitelist */
	int64_t				 ttl;		/* KNOCK_ACCEPT: effective ttl */
};

/* The key matching given (the X-Api-Key value; NULL or "" match nothing).
   Every key is compared, in constant time, whatever matched before. */
KN_NODISCARD const struct conf_api_key *knock_find_key(const struct conf *conf,
    const char *given) KN_NONNULL(1);

/* Decides a POST /knock from the facts alone. */
KN_NODISCARD struct knock_decision knock_decide(const struct knock_facts *f) KN_NONNULL(1);

/* True if n may not be whitelisted remotely: more than 65536 IPv4
   addresses, an IPv6 prefix shorter than /64, or an IPv6 range that embeds
   IPv4 addresses (NAT64, SIIT) with a prefix shorter than /112. */
KN_NODISCARD bool knock_range_too_broad(const struct ipnet *n) KN_NONNULL(1);

/* The verdict for a store write's result: 0 -> KNOCK_ACCEPT; STORE_BUSY
   (-2, the store's "lock held past its deadline") -> KNOCK_STORE_BUSY;
   anything else -> KNOCK_STORE_FAILED. */
KN_NODISCARD enum knock_verdict knock_store_verdict(int store_result);

#endif
