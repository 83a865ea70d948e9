/*
 * admin: the <prefix>/entries policy (GET lists the whitelist, DELETE
 * revokes), for API keys with "admin": true. Pure like knock.h: app.c
 * reads the body (only for an admin key), applies the rate limit and does
 * the store call; reply.c formats the answer. Order: the key (401), its
 * admin permission (403), then the body (413, 400, 415, 400).
 */
#ifndef KNOCKER_ADMIN_H
#define KNOCKER_ADMIN_H

#include <stdbool.h>
#include "adminreq.h"
#include "compiler.h"
#include "conf.h"
#include "knock.h"

enum admin_verdict {
	ADMIN_LIST,		/* GET: list */
	ADMIN_REVOKE,		/* DELETE: revoke d.req.match */
	ADMIN_BAD_KEY,		/* 401 */
	ADMIN_FORBIDDEN,	/* 403: not an admin key */
	ADMIN_TOO_LARGE,	/* 413 */
	ADMIN_UNREADABLE,	/* 400: read error, deadline, bad length */
	ADMIN_NOT_JSON,		/* 415 */
	ADMIN_BAD_BODY		/* 400, message adminreq_error(body_status) */
};

struct admin_facts {
	const struct conf_api_key	*key;		/* knock_find_key; NULL: none */
	bool				 is_delete;	/* DELETE, else GET */
	const char			*content_type;	/* may be NULL */
	const struct knock_body		*body;		/* DELETE by an admin key only */
};

struct admin_decision {
	enum admin_verdict	 verdict;
	enum adminreq_status	 body_status;
	struct adminreq		 req;		/* ADMIN_REVOKE: what */
};

/* True if the caller may proceed to read the body (an admin key). */
KN_NODISCARD KN_NONNULL(1) bool admin_may_read_body(const struct admin_facts *f);

/* Decides from the facts. d->req.match.key points into d itself: copy the
   decision, do not move it, while using the match (or re-point it). */
KN_NONNULL(1, 2) void admin_decide(const struct admin_facts *f, struct admin_decision *d);

#endif
