/*
 * reply: the answers knocker sends, apart from any decision: status texts,
 * headers, CORS and the compact JSON bodies (no whitespace between tokens;
 * scripts written for the original pick fields out with sed).
 *
 * A struct response is a plain value owned by the caller; nothing here
 * allocates. Header names are static strings; values and the body are
 * copied into the struct (cut to fit, never overflowing).
 */
#ifndef KNOCKER_REPLY_H
#define KNOCKER_REPLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "compiler.h"
#include "ipnet.h"
#include "knock.h"

#define REPLY_MAX_HEADERS 8

struct response_header {
	const char	*name;		/* static string */
	char		 value[160];
};

struct response {
	int			 status;
	const char		*content_type;	/* static string; NULL: no body */
	struct response_header	 headers[REPLY_MAX_HEADERS];
	size_t			 nheaders;
	char			 body[512];	/* NUL-terminated */
	size_t			 body_len;	/* of body, or of long_body when set */
	char			*long_body;	/* heap (malloc), owned by resp: the body
						   when set (a list of entries); freed by
						   reply_release */
};

/* Empties resp: status 500, no header, no body. Does not free long_body
   (resp may be uninitialized): call reply_release after an answer is sent. */
void reply_reset(struct response *resp) KN_NONNULL(1);

/* Frees resp's long_body, if any. */
void reply_release(struct response *resp) KN_NONNULL(1);

/* Text for a status line ("Unauthorized" for 401); "" when unknown. */
const char *reply_status_text(int status);

/* Adds a header (dropped when REPLY_MAX_HEADERS are set already). */
void reply_header(struct response *resp, const char *name, const char *fmt, ...)
    KN_NONNULL(1, 2, 3) KN_PRINTF(3, 4);

/* status with {"error":"<msg>"}; msg is escaped as a JSON string. */
void reply_error(struct response *resp, int status, const char *msg) KN_NONNULL(1, 3);

/* 405 with an Allow header. */
void reply_method_not_allowed(struct response *resp, const char *allow) KN_NONNULL(1, 2);

/* 200 {"status":"ok"} (/health, /ready). */
void reply_status_ok(struct response *resp) KN_NONNULL(1);

/* Access-Control-Allow-Origin, on every /knock answer. */
void reply_cors(struct response *resp, const char *origin) KN_NONNULL(1, 2);

/* OPTIONS /knock: 204 with the CORS preflight headers. */
void reply_cors_preflight(struct response *resp, const char *methods) KN_NONNULL(1, 2);

/* The verify decision. In the authorizer role an allow is the bare status
   (Apache copies any other header to the client) and a deny has a short
   text body; a forward-auth /verify answer has no body either way. */
void reply_verify(struct response *resp, bool allow, bool authorizer) KN_NONNULL(1);

/* A refused knock: the status for d->verdict, with the original's message
   in *msg (static; from d->body_status for KNOCK_BAD_BODY). Our own texts:
   KNOCK_UNREADABLE "Malformed JSON request body." (400), KNOCK_STORE_BUSY
   "Whitelist store unavailable." (503). KNOCK_ACCEPT is a caller bug and
   gets 500, never 200. */
KN_NODISCARD int reply_knock_error(const struct knock_decision *d, const char **msg)
    KN_NONNULL(1, 2);

/* reply_knock_error as the answer: {"error":"<msg>"}. */
void reply_knock_refused(struct response *resp, const struct knock_decision *d)
    KN_NONNULL(1, 2);

/* 429 with Retry-After. */
void reply_rate_limited(struct response *resp, int64_t retry_after) KN_NONNULL(1);

/* 200 {"whitelisted_entry":…,"expires_at":…,"expires_in_seconds":…}. */
void reply_knock_ok(struct response *resp, const struct ipnet *entry, int64_t expires_at,
    int64_t ttl) KN_NONNULL(1, 2);

/* GET /knock: 200 {"client_ip":…,"whitelisted":…,"expires_at":…,
   "expires_in_seconds":…}. has_expiry false: both expiry fields are null
   (not whitelisted, or always allowed). */
void reply_knock_status(struct response *resp, const struct ipnet *client, bool whitelisted,
    bool has_expiry, int64_t expires_at, int64_t seconds_left) KN_NONNULL(1, 2);

struct admin_decision;
struct store_entry;

/* The entries as compact JSON {"entries":[{"entry","expires_at",
   "expires_in_seconds","key","knocked_at"[,"client"]}]} (client only when
   with_client: knockerctl list --json; the HTTP API leaves it out). key is
   null when unknown, knocked_at null when unknown. A new NUL-terminated
   string (caller frees), length in *len; NULL on ENOMEM. */
KN_NODISCARD char *reply_entries_json(const struct store_entry *v, size_t n, int64_t now,
    bool with_client, size_t *len) KN_NONNULL(5);

/* GET …/entries: 200 with reply_entries_json (no client). Returns 0, or -1
   on ENOMEM (resp then holds a 500). */
int reply_entries(struct response *resp, const struct store_entry *v, size_t n, int64_t now)
    KN_NONNULL(1);

/* DELETE …/entries: 200 {"revoked":N}. */
void reply_revoked(struct response *resp, size_t n) KN_NONNULL(1);

/* A refused /entries call: 401, 403, 413, 415 or 400 for d->verdict with
   its message ({"error":…}). A list/revoke verdict is a caller bug: 500. */
void reply_admin_refused(struct response *resp, const struct admin_decision *d)
    KN_NONNULL(1, 2);

/* The fixed texts of answers not tied to a knock verdict. */
#define REPLY_MSG_NO_CLIENT	"Could not determine client IP."
#define REPLY_MSG_BAD_KEY	"Invalid or missing API key."
#define REPLY_MSG_PERSIST	"Internal server error: whitelist persistence failed."
#define REPLY_MSG_NO_CONFIG	"Configuration not loaded."
/* /ready is public: the reason (a path, an errno text) goes to the log only. */
#define REPLY_MSG_NOT_READY	"Whitelist store not ready."
#define REPLY_MSG_NOT_FOUND	"Not found."
#define REPLY_MSG_NOT_ADMIN	"API key lacks admin permission."
/* 503: the store cannot be reached (Redis down or slow) or its lock is held. */
#define REPLY_MSG_UNAVAILABLE	"Whitelist store unavailable."
#define REPLY_MSG_FORBIDDEN	"Forbidden."

#endif
