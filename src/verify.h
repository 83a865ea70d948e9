/*
 * verify: the verify decision (README "How it works"; both roles). Pure:
 * a function of the config, the request facts and a view of the whitelist,
 * which is the only thing it calls out to, and only after the excluded
 * paths and always-allowed networks had their say.
 * All pointers are borrowed for the call; nothing is allocated.
 */
#ifndef KNOCKER_VERIFY_H
#define KNOCKER_VERIFY_H

#include <stdbool.h>
#include "compiler.h"
#include "conf.h"
#include "ipnet.h"

/* The request as verify sees it. Every string may be NULL (absent). */
struct verify_facts {
	const char	*remote_addr;		/* REMOTE_ADDR */
	const char	*x_forwarded_for;
	const char	*request_uri;		/* raw, with query */
	const char	*host;			/* HTTP_HOST */
	/* Forward-auth callers (responder /verify) name the original request
	   in these; believed only when REMOTE_ADDR is a trusted proxy, and
	   never in the authorizer role (forward_auth false). */
	bool		 forward_auth;
	const char	*x_original_uri;
	const char	*x_forwarded_uri;
	const char	*x_forwarded_host;
};

/* The whitelist: lookup returns 1 if client is inside a live entry, 0 if
   not, -1 if the store cannot say (unreadable, corrupt: deny). */
struct verify_view {
	int	 (*lookup)(void *ctx, const struct ipnet *client);
	void	*ctx;
};

enum verify_reason {
	VERIFY_EXCLUDED_PATH,	/* allow */
	VERIFY_ALWAYS_ALLOWED,	/* allow */
	VERIFY_WHITELISTED,	/* allow */
	VERIFY_NO_CONFIG,	/* deny */
	VERIFY_NO_CLIENT,	/* deny: no client IP could be resolved */
	VERIFY_STORE_ERROR,	/* deny: fail closed */
	VERIFY_NOT_LISTED	/* deny */
};

struct verify_decision {
	bool			allow;
	enum verify_reason	reason;
};

/* conf NULL denies everything. */
KN_NODISCARD struct verify_decision verify_decide(const struct conf *conf,
    const struct verify_facts *f, const struct verify_view *view) KN_NONNULL(2, 3);

#endif
