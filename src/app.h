/*
 * app: knocker's request handling, free of FastCGI. The fcgi/ front end
 * (or a test) fills a struct request, calls app_handle, and writes the
 * struct response (reply.h) back as "Status:", headers and body.
 *
 * app.c only routes and glues: it turns the request into the facts that
 * verify.c and knock.c decide on, does the I/O those decisions need (body,
 * rate limit, store, clock, log), and has reply.c format the answer.
 *
 * In the authorizer role the answer is the verify decision (200 with no
 * other header, or 401). In the responder role the endpoint is the last
 * segment of SCRIPT_NAME+PATH_INFO (else DOCUMENT_URI, else REQUEST_URI's
 * path): knock, verify, health, ready, metrics, entries (admin.h).
 *
 * Every knock outcome, status call and store failure is counted in the
 * shared counters (metrics.h) and written to the audit trail (audit.h).
 */
#ifndef KNOCKER_APP_H
#define KNOCKER_APP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include "compiler.h"
#include "conf.h"
#include "knock.h"
#include "reply.h"

#define APP_MAX_BODY KNOCK_MAX_BODY
#define APP_MAX_HEADERS REPLY_MAX_HEADERS

enum app_role { APP_ROLE_RESPONDER, APP_ROLE_AUTHORIZER };

/* Every string is borrowed from the caller for the duration of app_handle
   and may be NULL (absent). */
struct request {
	enum app_role	 role;
	const char	*method;		/* REQUEST_METHOD */
	const char	*script_name;		/* SCRIPT_NAME */
	const char	*path_info;		/* PATH_INFO */
	const char	*document_uri;		/* DOCUMENT_URI */
	const char	*request_uri;		/* REQUEST_URI (raw, with query) */
	const char	*remote_addr;		/* REMOTE_ADDR */
	const char	*host;			/* HTTP_HOST */
	const char	*x_forwarded_for;	/* HTTP_X_FORWARDED_FOR */
	const char	*x_forwarded_host;	/* HTTP_X_FORWARDED_HOST */
	const char	*x_original_uri;	/* HTTP_X_ORIGINAL_URI */
	const char	*x_forwarded_uri;	/* HTTP_X_FORWARDED_URI */
	const char	*api_key;		/* HTTP_X_API_KEY (secret) */
	const char	*content_type;		/* CONTENT_TYPE */
	const char	*content_length;	/* CONTENT_LENGTH */
	/* Reads up to size body bytes; returns the count, 0 at the end, -1 on
	   error. Called only for POST /knock and DELETE /entries in the
	   responder role, and only after the API key matched (an admin key
	   for /entries) (never for a verify, never for a missing
	   or wrong key). At most APP_MAX_BODY + 1 bytes are asked for. A -1
	   (also: the front end's read deadline passed) answers
	   400 {"error":"Malformed JSON request body."}, counted as a failed
	   knock by the rate limit. May be NULL (no body). */
	ssize_t		(*read_body)(void *ctx, char *buf, size_t size);
	void		*body_ctx;
};

struct store;
struct ratelimit;
struct shmstate;
struct redisconn;

struct app {
	const struct conf	*conf;		/* borrowed; NULL = no config (deny all) */
	struct store		*store;		/* owned */
	struct ratelimit	*ratelimit;	/* owned */
	struct shmstate		*shm;		/* owned; NULL if it could not be opened
						   (and with the Redis backend) */
	struct redisconn	*redis;		/* owned; the Redis backend's connection,
						   NULL with the file backend */
	int64_t			(*now)(void);	/* clock, unix seconds; tests replace it */
	int64_t			 last_cleanup;
	int64_t			 store_audit_at;	/* last audit line of a store
							   failure no client caused */
	long long		 store_audit_quiet;	/* failures left out since */
};

#define APP_STORE_AUDIT_EVERY 10	/* seconds */

/* Builds the store, the shared mapping "<storage_path>.shm" and the rate
   limiter for conf (with store.backend "redis": the connection, the Redis
   store and limiter, and tries to connect once so a problem is logged at
   start) (borrowed, must outlive app). conf may be NULL: every
   answer then denies/fails. When the mapping cannot be opened that is
   logged and knocks answer 500 (verify is unaffected). Returns 0 or -1. */
int app_init(struct app *app, const struct conf *conf) KN_NONNULL(1);
void app_fini(struct app *app) KN_NONNULL(1);

/* Switches app to conf (borrowed, must outlive app; the previous config
   may be freed once this returned 0): a live reload. The store, mapping
   and rate limiter are kept when conf leaves them valid (same
   storage_path, max_entries, rate-limit settings) and built anew
   otherwise (with the Redis backend: the connection, store and limiter
   always); a mapping that could not be opened before is tried again.
   Returns 0, or -1 (OOM) with app unchanged and still on its old config. */
KN_NODISCARD
int app_reconfigure(struct app *app, const struct conf *conf) KN_NONNULL(1, 2);

/* Handles one request. Always fills resp with a status (never 0). */
void app_handle(struct app *app, const struct request *req, struct response *resp)
    KN_NONNULL(1, 2, 3);

/* For the config reload: counts it (knocker_config_reloads_total) and
   writes its audit line (audit_reload, with app->conf's file). Call it
   after app->conf points at the config in force; reason/detail as for
   audit_reload (NULL when ok). */
void app_note_reload(struct app *app, bool ok, const char *reason, const char *detail)
    KN_NONNULL(1);

/* Called between requests: runs the periodic whitelist cleanup when due. */
void app_idle(struct app *app) KN_NONNULL(1);

/* Text for a status line ("Unauthorized" for 401); "" when unknown. */
const char *app_status_text(int status);

#endif
