#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "admin.h"
#include "app.h"
#include "audit.h"
#include "clientip.h"
#include "ipmap.h"
#include "ipnet.h"
#include "knock.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "redisconn.h"
#include "reply.h"
#include "shmstate.h"
#include "statefile.h"
#include "store.h"
#include "urlpath.h"
#include "verify.h"

#define KNOCK_METHODS	"GET, POST, OPTIONS"
#define ENTRIES_METHODS	"GET, DELETE, OPTIONS"

static int64_t
clock_now(void)
{
	return (int64_t)time(NULL);
}

static void
rl_params_of(const struct conf *conf, struct rl_params *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->window = conf->rl_window;
	rp->max_success = conf->rl_success;
	rp->max_failure = conf->rl_failure;
	rp->ipv4_prefix = (unsigned)conf->rl_ipv4_prefix;
	rp->ipv6_prefix = (unsigned)conf->rl_ipv6_prefix;
}

static bool
same_rl_params(const struct conf *a, const struct conf *b)
{
	return a->rl_window == b->rl_window && a->rl_success == b->rl_success &&
	    a->rl_failure == b->rl_failure && a->rl_ipv4_prefix == b->rl_ipv4_prefix &&
	    a->rl_ipv6_prefix == b->rl_ipv6_prefix;
}

static bool
is_redis(const struct conf *conf)
{
	return conf->store.backend == CONF_STORE_REDIS;
}

/* Bytes of rate-limit region conf needs in the shared mapping (none with
   Redis: the mapping then only holds the metrics). */
static size_t
shm_rl_size(const struct conf *conf)
{
	struct rl_params rp;

	rl_params_of(conf, &rp);
	return is_redis(conf) ? 0 : ratelimit_region_size(&rp);
}

/* Opens the shared mapping for conf; NULL (logged) when it cannot be:
   without it knocks fail (500), verify still answers. */
static struct shmstate *
open_shm(const struct conf *conf)
{
	char shmpath[PATH_MAX], dir[PATH_MAX];
	struct shmstate *shm = NULL;
	struct sf_err e;
	uid_t owner;

	if ((size_t)snprintf(shmpath, sizeof(shmpath), "%s.shm", conf->storage_path) >= sizeof(shmpath) ||
	    sf_dirname(conf->storage_path, dir, sizeof(dir)) == -1) {
		log_error("app", "%s: path too long", conf->storage_path);
		return NULL;
	}
	if (sf_dir_check(dir, &owner, &e) == -1 ||
	    (shm = shmstate_open(shmpath, owner, shm_rl_size(conf), &e)) == NULL)
		log_error("app", "%s: %s", e.msg, is_redis(conf) ? "no metrics until this is fixed" :
		    "knocks are refused until this is fixed");
	return shm;
}

/* The Redis backend: whitelist and rate limits in Redis, through a new
   connection for next->conf. */
static int
build_redis(struct app *next, const struct rl_params *rp)
{
	const struct conf *conf = next->conf;
	char err[256];

	if ((next->redis = redisconn_new(&conf->store)) == NULL ||
	    (next->store = store_new_redis(next->redis, conf->store.prefix, conf->max_entries)) == NULL ||
	    (next->ratelimit = ratelimit_new_redis(next->redis, conf->store.prefix, rp)) == NULL)
		return -1;
	/* Logs "connected" or why not (once); a worker serves either way. */
	(void)store_check_ready(next->store, err, sizeof(err));
	return 0;
}

/*
 * Fills next (zeroed by the caller but for next->conf) with the mapping,
 * store and rate limiter for next->conf, taking from cur (NULL: nothing to
 * reuse) what the change leaves valid: the mapping when storage_path and
 * its rate-limit region's size are unchanged (and it was open); with the
 * file backend on both sides also the rate limiter when its settings are
 * unchanged and the store when max_entries is. The Redis connection, store
 * and limiter are always built anew (they hold the config's store
 * settings). What is taken is set to NULL in cur. Returns 0 or -1 (OOM;
 * next then holds what it built and took).
 */
static int
app_build(struct app *next, struct app *cur)
{
	const struct conf *conf = next->conf, *old = cur != NULL ? cur->conf : NULL;
	struct rl_params rp;

	rl_params_of(conf, &rp);
	if (old != NULL && cur->shm != NULL && strcmp(old->storage_path, conf->storage_path) == 0 &&
	    shm_rl_size(old) == shm_rl_size(conf)) {
		next->shm = cur->shm;
		cur->shm = NULL;
		if (!is_redis(old) && !is_redis(conf)) {
			if (same_rl_params(old, conf)) {
				next->ratelimit = cur->ratelimit;
				cur->ratelimit = NULL;
			}
			if (old->max_entries == conf->max_entries) {
				next->store = cur->store;
				cur->store = NULL;
			}
		}
	}
	if (next->shm == NULL)
		next->shm = open_shm(conf);
	if (is_redis(conf))
		return build_redis(next, &rp);
	if (next->store == NULL)
		next->store = store_new(conf->storage_path, conf->max_entries, next->shm);
	if (next->ratelimit == NULL)
		next->ratelimit = ratelimit_new(next->shm, &rp);
	return next->store != NULL && next->ratelimit != NULL ? 0 : -1;
}

int
app_init(struct app *app, const struct conf *conf)
{
	memset(app, 0, sizeof(*app));
	app->conf = conf;
	app->now = clock_now;
	if (conf == NULL)
		return 0;
	if (app_build(app, NULL) != 0) {
		app_fini(app);
		return -1;
	}
	app->last_cleanup = app->now();
	return 0;
}

int
app_reconfigure(struct app *app, const struct conf *conf)
{
	struct app next = *app, cur = *app;

	next.conf = conf;
	next.store = NULL;
	next.ratelimit = NULL;
	next.shm = NULL;
	next.redis = NULL;
	if (app_build(&next, app->conf != NULL ? &cur : NULL) != 0) {
		/* Only what was built here goes; app keeps all it had. */
		if (next.store != app->store)
			store_free(next.store);
		if (next.ratelimit != app->ratelimit)
			ratelimit_free(next.ratelimit);
		if (next.shm != app->shm)
			shmstate_close(next.shm);
		redisconn_free(next.redis);
		return -1;
	}
	/* What was not taken over goes; borrowers before what they borrow. */
	if (app->conf != NULL) {
		store_free(cur.store);
		ratelimit_free(cur.ratelimit);
		shmstate_close(cur.shm);
		redisconn_free(cur.redis);
	}
	*app = next;
	return 0;
}

void
app_fini(struct app *app)
{
	store_free(app->store);
	ratelimit_free(app->ratelimit);
	shmstate_close(app->shm);
	redisconn_free(app->redis);
	app->redis = NULL;
	app->store = NULL;
	app->ratelimit = NULL;
	app->shm = NULL;
}

const char *
app_status_text(int status)
{
	return reply_status_text(status);
}

/* --- verify ----------------------------------------------------------------- */

/* Counts and audits a store (or shared state) failure. One that no client
   caused (a verify's or /metrics' refresh) repeats on every request while
   the store stays broken: those get one audit line per
   APP_STORE_AUDIT_EVERY seconds per worker, which says how many it left out. */
static void
app_store_failed(struct app *app, const char *op, const char *client, const char *key)
{
	int64_t now;

	metrics_add(app->shm, METRIC_STORE_ERRORS);
	if (client != NULL) {
		audit_store(op, "failed", client, key, 0);
		return;
	}
	now = app->now();
	if (app->store_audit_at != 0 && now >= app->store_audit_at &&
	    now - app->store_audit_at < APP_STORE_AUDIT_EVERY) {
		app->store_audit_quiet++;
		return;
	}
	audit_store(op, "failed", NULL, key, app->store_audit_quiet);
	app->store_audit_at = now;
	app->store_audit_quiet = 0;
}

/* verify's view of the whitelist: refreshed only when verify gets that far. */
static int
app_store_lookup(void *ctx, const struct ipnet *client)
{
	struct app *app = ctx;
	int64_t now = app->now();

	int listed;

	if (store_refresh(app->store, now) != 0) {
		app_store_failed(app, "refresh", NULL, NULL);
		return -1;
	}
	listed = store_lookup(app->store, client, now, NULL) == 1;
	/* Redis: a knock on another node since the last poll must count. */
	if (!listed && store_recheck(app->store, now) == 1)
		listed = store_lookup(app->store, client, now, NULL) == 1;
	return listed;
}

static void
handle_verify(struct app *app, const struct request *req, struct response *resp)
{
	bool authorizer = req->role == APP_ROLE_AUTHORIZER;
	const struct verify_facts facts = {
		.remote_addr = req->remote_addr, .x_forwarded_for = req->x_forwarded_for,
		.request_uri = req->request_uri, .host = req->host,
		.forward_auth = !authorizer, .x_original_uri = req->x_original_uri,
		.x_forwarded_uri = req->x_forwarded_uri, .x_forwarded_host = req->x_forwarded_host,
	};
	const struct verify_view view = { app_store_lookup, app };
	struct verify_decision d = verify_decide(app->conf, &facts, &view);

	metrics_verify(app->shm, d.reason);
	reply_verify(resp, d.allow, authorizer);
}

/* --- /knock ------------------------------------------------------------------- */

/* Reads at most KNOCK_MAX_BODY + 1 bytes, so an over-long body is noticed
   without reading all of it. */
static void
read_body(const struct request *req, struct knock_body *b)
{
	const char *errstr = NULL;
	long long declared = -1;
	ssize_t n;

	b->len = 0;
	b->state = KNOCK_BODY_OK;
	/* Caddy sends CONTENT_LENGTH=-1 for a chunked body: unknown length,
	   read to the end (still bounded by the buffer). */
	if (req->content_length != NULL && *req->content_length != '\0' &&
	    strtonum(req->content_length, LLONG_MIN, -1, &errstr) < 0 && errstr == NULL) {
		declared = -1;
	} else if (req->content_length != NULL && *req->content_length != '\0') {
		declared = strtonum(req->content_length, 0, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			b->state = KNOCK_BODY_BAD_LENGTH;
			return;
		}
		if (declared > KNOCK_MAX_BODY) {
			b->state = KNOCK_BODY_TOO_LARGE;
			return;
		}
	}
	if (req->read_body == NULL || declared == 0)
		return;
	while (b->len < sizeof(b->buf) && (declared < 0 || (long long)b->len < declared)) {
		size_t want = sizeof(b->buf) - b->len;

		if (declared >= 0 && (size_t)declared - b->len < want)
			want = (size_t)declared - b->len;
		n = req->read_body(req->body_ctx, b->buf + b->len, want);
		if (n < 0) {
			b->state = KNOCK_BODY_UNREADABLE;
			return;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (b->len > KNOCK_MAX_BODY)
		b->state = KNOCK_BODY_TOO_LARGE;
}

/* Takes the rate-limit lock, or answers 503 (Redis unreachable) or 500. */
static bool
knock_lock(struct app *app, int64_t now, struct response *resp)
{
	int rc = ratelimit_lock(app->ratelimit, now);

	if (rc == -2)
		reply_error(resp, 503, REPLY_MSG_UNAVAILABLE);
	else if (rc != 0)
		reply_error(resp, 500, REPLY_MSG_PERSIST);
	return rc == 0;
}

/* Answers 429 if recording this outcome would exceed the limit. */
static bool
rate_limited(struct app *app, const struct ipnet *client, enum rl_outcome outcome,
    int64_t now, struct response *resp)
{
	int64_t retry_after = 1;
	int rc = ratelimit_exceeded(app->ratelimit, client, outcome, now, &retry_after);

	if (rc == 0)
		return false;
	if (rc < 0)	/* the Redis backend did not answer: never skip the limit */
		reply_error(resp, 503, REPLY_MSG_UNAVAILABLE);
	else
		reply_rate_limited(resp, retry_after);
	return true;
}

/* Records a refusal (or answers 429 instead) while the rate limit is locked. */
static void
knock_refuse(struct app *app, const struct ipnet *client, const char *client_text,
    const struct knock_decision *d, int64_t now, struct response *resp)
{
	const char *msg;
	int status = reply_knock_error(d, &msg);

	if (rate_limited(app, client, RL_FAILURE, now, resp))
		return;
	if (ratelimit_record(app->ratelimit, client, RL_FAILURE, now) != 0)
		log_warnx("knock", "cannot record a failure for %s", client_text);
	reply_error(resp, status, msg);
}

/* Writes an accepted knock to the store (rate limit locked). */
static void
knock_accept(struct app *app, const struct ipnet *client, const char *client_text,
    struct knock_decision *d, int64_t now, struct response *resp)
{
	char entry_text[IPNET_STRLEN];
	struct store_meta meta;
	int64_t expires_at;

	if (rate_limited(app, client, RL_SUCCESS, now, resp))
		return;
	expires_at = now + d->ttl;
	memset(&meta, 0, sizeof(meta));
	(void)strlcpy(meta.key, d->key->name, sizeof(meta.key));
	meta.knocked_at = now;
	(void)strlcpy(meta.client, client_text, sizeof(meta.client));
	d->verdict = knock_store_verdict(store_add(app->store, &d->entry, expires_at, now,
	    &meta));
	if (d->verdict != KNOCK_ACCEPT) {
		if (d->verdict == KNOCK_STORE_BUSY)
			log_warnx("knock", "whitelist store unavailable (lock held past its "
			    "deadline, or Redis down or slow): client %s answered 503", client_text);
		metrics_add(app->shm, METRIC_STORE_ERRORS);
		audit_store("add", d->verdict == KNOCK_STORE_BUSY ? "busy" : "failed", client_text,
		    d->key->name, 0);
		reply_knock_refused(resp, d);
		return;
	}
	if (ratelimit_record(app->ratelimit, client, RL_SUCCESS, now) != 0)
		log_warnx("knock", "cannot record a success for %s", client_text);
	reply_knock_ok(resp, &d->entry, expires_at, d->ttl);
	audit_knock(client_text, d->key->name, resp->status, NULL,
	    ipnet_format(&d->entry, entry_text, sizeof(entry_text)), d->ttl);
}

/* The audit reason word for a refused knock's verdict. */
static const char *
knock_reason(enum knock_verdict v)
{
	switch (v) {
	case KNOCK_ACCEPT:	return NULL;
	case KNOCK_BAD_KEY:	return "bad_key";
	case KNOCK_TOO_LARGE:	return "too_large";
	case KNOCK_UNREADABLE:	return "unreadable_body";
	case KNOCK_NOT_JSON:	return "not_json";
	case KNOCK_BAD_BODY:	return "bad_body";
	case KNOCK_NO_REMOTE:	return "no_remote_permission";
	case KNOCK_TOO_BROAD:	return "range_too_broad";
	case KNOCK_TTL_LARGE:	return "ttl_too_large";
	case KNOCK_STORE_FAILED: return "store_failed";
	case KNOCK_STORE_BUSY:	return "store_busy";
	}
	return "unknown";
}

/* Counts every POST /knock answer; audits all but an accepted one (which
   knock_accept logs with its entry). reason NULL: from the verdict, or
   rate_limited for a 429. */
static void
knock_outcome(struct app *app, const char *client_text, const struct knock_decision *d,
    const struct response *resp, const char *reason)
{
	metrics_knock(app->shm, resp->status);
	if (resp->status == 200)
		return;
	if (reason == NULL && resp->status == 503 && d->verdict != KNOCK_STORE_BUSY)
		reason = "store_unavailable";	/* the Redis rate limit did not answer */
	if (reason == NULL)
		reason = resp->status == 429 ? "rate_limited" : knock_reason(d->verdict);
	audit_knock(client_text, d->key != NULL ? d->key->name : NULL, resp->status, reason,
	    NULL, -1);
}

static void
handle_knock_post(struct app *app, const struct request *req, const struct ipnet *client,
    struct response *resp)
{
	char client_text[IPNET_STRLEN];
	struct knock_body body;
	struct knock_facts facts = { .client = client, .content_type = req->content_type };
	struct knock_decision d;
	int64_t now;

	/* The key first: only an authenticated caller gets its body read.
	   The body is read before any lock is taken: a slow client must not
	   hold up the other workers. */
	facts.key = knock_find_key(app->conf, req->api_key);
	if (facts.key != NULL) {
		read_body(req, &body);
		facts.body = &body;
	}
	d = knock_decide(&facts);
	ipnet_format(client, client_text, sizeof(client_text));
	now = app->now();
	if (!knock_lock(app, now, resp)) {
		app_store_failed(app, "ratelimit", client_text, d.key != NULL ? d.key->name : NULL);
		knock_outcome(app, client_text, &d, resp,
		    resp->status == 503 ? "store_unavailable" : "ratelimit_failed");
		return;
	}
	if (d.verdict == KNOCK_ACCEPT)
		knock_accept(app, client, client_text, &d, now, resp);
	else
		knock_refuse(app, client, client_text, &d, now, resp);
	if (ratelimit_unlock(app->ratelimit) != 0)
		log_warnx("knock", "rate limit state not saved");
	knock_outcome(app, client_text, &d, resp, NULL);
}

/* Answers a status call with an error (status 401 or 500; a 429 or 503
   is in resp already), counts and audits it. */
static void
status_outcome(struct app *app, const char *client_text, const char *key_name,
    struct response *resp, int status, const char *reason)
{
	if (status == 401)
		reply_error(resp, 401, REPLY_MSG_BAD_KEY);
	else if (status == 500)
		reply_error(resp, 500, REPLY_MSG_PERSIST);
	metrics_status(app->shm, status);
	audit_status(client_text, key_name, status, reason);
}

static void
handle_knock_status(struct app *app, const struct request *req, const struct ipnet *client,
    struct response *resp)
{
	const struct conf *conf = app->conf;
	const struct conf_api_key *key = knock_find_key(conf, req->api_key);
	enum rl_outcome outcome = key != NULL ? RL_SUCCESS : RL_FAILURE;
	const char *key_name = key != NULL ? key->name : NULL;
	int64_t now = app->now(), expires_at = 0;
	bool always, listed = false, limited;
	char client_text[IPNET_STRLEN];

	ipnet_format(client, client_text, sizeof(client_text));
	if (!knock_lock(app, now, resp)) {
		app_store_failed(app, "ratelimit", client_text, key_name);
		status_outcome(app, client_text, key_name, resp, resp->status,
		    resp->status == 503 ? "store_unavailable" : "ratelimit_failed");
		return;
	}
	limited = rate_limited(app, client, outcome, now, resp);
	if (!limited && ratelimit_record(app->ratelimit, client, outcome, now) != 0)
		log_warnx("knock", "cannot record a status request");
	if (ratelimit_unlock(app->ratelimit) != 0)
		log_warnx("knock", "rate limit state not saved");
	if (limited) {
		status_outcome(app, client_text, key_name, resp, resp->status,
		    resp->status == 429 ? "rate_limited" : "store_unavailable");
		return;
	}
	if (key == NULL) {
		status_outcome(app, client_text, NULL, resp, 401, "bad_key");
		return;
	}
	always = ipmap_lookup(conf->always_allowed, client, NULL);
	if (!always) {
		if (store_refresh(app->store, now) != 0) {
			app_store_failed(app, "refresh", client_text, key_name);
			if (app->redis != NULL)
				reply_error(resp, 503, REPLY_MSG_UNAVAILABLE);
			status_outcome(app, client_text, key_name, resp, app->redis != NULL ? 503 : 500,
			    app->redis != NULL ? "store_unavailable" : "store_failed");
			return;
		}
		listed = store_lookup(app->store, client, now, &expires_at) == 1;
		if (!listed && store_recheck(app->store, now) == 1)
			listed = store_lookup(app->store, client, now, &expires_at) == 1;
	}
	reply_knock_status(resp, client, always || listed, listed, expires_at, expires_at - now);
	status_outcome(app, client_text, key_name, resp, 200, NULL);
}

/* A knock or status call refused before its client was known. */
static void
audit_knock_unresolved(struct app *app, const char *method, const struct response *resp,
    const char *reason)
{
	if (strcmp(method, "POST") == 0) {
		metrics_knock(app->shm, resp->status);
		audit_knock(NULL, NULL, resp->status, reason, NULL, -1);
	} else {
		metrics_status(app->shm, resp->status);
		audit_status(NULL, NULL, resp->status, reason);
	}
}

/* What /knock and /entries check first: CORS on every answer, the
   preflight, the method (GET or other, the second one allowed), a loaded
   config, the client address. False when resp already holds the answer;
   *reason then says why for the audit trail ("no_config", "no_client_ip";
   NULL for a preflight or a wrong method). */
static bool
api_preamble(struct app *app, const struct request *req, const char *allow, const char *other,
    struct ipnet *client, const char **reason, struct response *resp)
{
	const char *method = req->method != NULL ? req->method : "";

	*reason = NULL;

	reply_cors(resp, app->conf != NULL ? app->conf->cors_origin : "*");
	if (strcmp(method, "OPTIONS") == 0) {
		reply_cors_preflight(resp, allow);
		return false;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, other) != 0) {
		reply_method_not_allowed(resp, allow);
		return false;
	}
	if (app->conf == NULL) {
		reply_error(resp, 500, REPLY_MSG_PERSIST);
		*reason = "no_config";
		return false;
	}
	if (clientip_resolve(req->remote_addr, req->x_forwarded_for, app->conf->trusted_proxies, client) != 0) {
		reply_error(resp, 400, REPLY_MSG_NO_CLIENT);
		*reason = "no_client_ip";
		return false;
	}
	return true;
}

static void
handle_knock(struct app *app, const struct request *req, struct response *resp)
{
	const char *method = req->method != NULL ? req->method : "";
	struct ipnet client;

	const char *reason;

	if (!api_preamble(app, req, KNOCK_METHODS, "POST", &client, &reason, resp)) {
		if (reason != NULL)
			audit_knock_unresolved(app, method, resp, reason);
		return;
	}
	if (strcmp(method, "POST") == 0)
		handle_knock_post(app, req, &client, resp);
	else
		handle_knock_status(app, req, &client, resp);
}

/* --- /entries (admin keys) ------------------------------------------------ */

/* Records the outcome of an /entries call in the knock rate limit (as a
   status call is); true when it answered 429 (or 500) instead. */
static bool
entries_rate_limited(struct app *app, const struct ipnet *client, enum rl_outcome outcome,
    int64_t now, struct response *resp)
{
	bool limited;

	if (ratelimit_lock(app->ratelimit, now) != 0) {
		reply_error(resp, 500, REPLY_MSG_PERSIST);
		return true;
	}
	limited = rate_limited(app, client, outcome, now, resp);
	if (!limited && ratelimit_record(app->ratelimit, client, outcome, now) != 0)
		log_warnx("admin", "cannot record an /entries call");
	if (ratelimit_unlock(app->ratelimit) != 0)
		log_warnx("admin", "rate limit state not saved");
	return limited;
}

/* The audit trail's word for a refused /entries call. */
static const char *
entries_reason(enum admin_verdict v)
{
	switch (v) {
	case ADMIN_BAD_KEY:
		return "bad_key";
	case ADMIN_FORBIDDEN:
		return "not_admin";
	case ADMIN_TOO_LARGE:
		return "too_large";
	case ADMIN_UNREADABLE:
		return "unreadable_body";
	case ADMIN_NOT_JSON:
		return "not_json";
	case ADMIN_BAD_BODY:
		return "bad_body";
	case ADMIN_LIST:
	case ADMIN_REVOKE:
		break;
	}
	return NULL;
}

static void
entries_list(struct app *app, const char *who, const char *client_text, int64_t now,
    struct response *resp)
{
	struct store_entry *v;
	size_t n;

	if (store_list(app->store, now, &v, &n) == -1) {
		app_store_failed(app, "list", client_text, who);
		reply_error(resp, 500, REPLY_MSG_PERSIST);
		audit_admin(client_text, who, resp->status, "store_failed", "list", NULL, -1);
		return;
	}
	if (reply_entries(resp, v, n, now) == 0)
		audit_admin(client_text, who, resp->status, NULL, "list", NULL, (long long)n);
	free(v);
}

static void
entries_revoke(struct app *app, const struct admin_decision *d, const char *who,
    const char *client_text, int64_t now, struct response *resp)
{
	struct store_match m = d->req.match;
	char target[IPNET_STRLEN + sizeof(d->req.name) + 8];
	enum store_result r;
	size_t n = 0;

	if (m.by == STORE_MATCH_KEY) {
		m.key = d->req.name;
		(void)snprintf(target, sizeof(target), "key:%s", m.key);
	} else if (m.by == STORE_MATCH_ENTRY)
		ipnet_format(&m.entry, target, sizeof(target));
	else
		(void)strlcpy(target, "all", sizeof(target));
	r = store_revoke(app->store, &m, now, &n);
	if (r != STORE_OK) {
		app_store_failed(app, "revoke", client_text, who);
		reply_error(resp, r == STORE_BUSY ? 503 : 500,
		    r == STORE_BUSY ? "Whitelist store unavailable." : REPLY_MSG_PERSIST);
		audit_admin(client_text, who, resp->status, r == STORE_BUSY ? "store_busy" : "store_failed",
		    "revoke", target, -1);
		return;
	}
	reply_revoked(resp, n);
	audit_admin(client_text, who, resp->status, NULL, "revoke", target, (long long)n);
}

static void
handle_entries(struct app *app, const struct request *req, struct response *resp)
{
	const char *method = req->method != NULL ? req->method : "";
	char client_text[IPNET_STRLEN];
	struct admin_facts facts;
	struct admin_decision d;
	struct knock_body body;
	struct ipnet client;
	const char *reason, *action;
	int64_t now;
	bool ok;

	facts.is_delete = strcmp(method, "DELETE") == 0;
	action = facts.is_delete ? "revoke" : "list";
	if (!api_preamble(app, req, ENTRIES_METHODS, "DELETE", &client, &reason, resp)) {
		if (reason != NULL)
			audit_admin(NULL, NULL, resp->status, reason, action, NULL, -1);
		return;
	}
	ipnet_format(&client, client_text, sizeof(client_text));
	facts.key = knock_find_key(app->conf, req->api_key);
	facts.content_type = req->content_type;
	facts.body = NULL;
	if (admin_may_read_body(&facts)) {
		read_body(req, &body);
		facts.body = &body;
	}
	admin_decide(&facts, &d);
	ok = d.verdict == ADMIN_LIST || d.verdict == ADMIN_REVOKE;
	now = app->now();
	if (entries_rate_limited(app, &client, ok ? RL_SUCCESS : RL_FAILURE, now, resp)) {
		audit_admin(client_text, facts.key != NULL ? facts.key->name : NULL, resp->status,
		    resp->status == 429 ? "rate_limited" : "ratelimit_failed", action, NULL, -1);
		return;
	}
	if (d.verdict == ADMIN_LIST)
		entries_list(app, facts.key->name, client_text, now, resp);
	else if (d.verdict == ADMIN_REVOKE)
		entries_revoke(app, &d, facts.key->name, client_text, now, resp);
	else {
		reply_admin_refused(resp, &d);
		audit_admin(client_text, facts.key != NULL ? facts.key->name : NULL, resp->status,
		    entries_reason(d.verdict), action, NULL, -1);
	}
}

/* --- /health, /ready ----------------------------------------------------- */

static bool
method_is_get(const struct request *req, struct response *resp)
{
	if (req->method != NULL && (strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0))
		return true;
	reply_method_not_allowed(resp, "GET, HEAD");
	return false;
}

static void
handle_health(struct app *app, const struct request *req, struct response *resp)
{
	if (!method_is_get(req, resp))
		return;
	if (app->conf == NULL)
		reply_error(resp, 503, REPLY_MSG_NO_CONFIG);
	else
		reply_status_ok(resp);
}

/* /ready is public: the reason (a path, an errno text) goes to the log only. */
static void
handle_ready(struct app *app, const struct request *req, struct response *resp)
{
	char err[256];

	if (!method_is_get(req, resp))
		return;
	if (app->conf == NULL) {
		reply_error(resp, 503, REPLY_MSG_NO_CONFIG);
		return;
	}
	if (store_check_ready(app->store, err, sizeof(err)) != 0) {
		log_warnx("ready", "not ready: %s", err);
		reply_error(resp, 503, REPLY_MSG_NOT_READY);
		return;
	}
	reply_status_ok(resp);
}

/* --- /metrics -------------------------------------------------------------- */

/* The client as for a knock; but a trusted proxy that names no client (no
   X-Forwarded-For: a scraper on the proxy's own host) is the client. */
static bool
metrics_client_allowed(const struct conf *conf, const struct request *req)
{
	const char *xff = req->x_forwarded_for;
	struct ipnet client;

	if (xff == NULL && req->remote_addr != NULL)
		return ipnet_parse_addr(req->remote_addr, &client) == 0 &&
		    ipmap_lookup(conf->metrics_allowed, &client, NULL);
	return clientip_resolve(req->remote_addr, xff, conf->trusted_proxies, &client) == 0 &&
	    ipmap_lookup(conf->metrics_allowed, &client, NULL);
}

static void
handle_metrics(struct app *app, const struct request *req, struct response *resp)
{
	struct metrics_gauges g = { -1, 0 };
	char *text;
	size_t len;

	if (!method_is_get(req, resp))
		return;
	if (app->conf == NULL) {
		reply_error(resp, 503, REPLY_MSG_NO_CONFIG);
		return;
	}
	if (!metrics_client_allowed(app->conf, req)) {
		reply_error(resp, 403, REPLY_MSG_FORBIDDEN);
		return;
	}
	g.max_entries = app->conf->max_entries;
	if (store_refresh(app->store, app->now()) == 0)
		g.whitelist_entries = (int64_t)store_count(app->store);
	else
		app_store_failed(app, "refresh", NULL, NULL);
	if ((text = malloc(METRICS_TEXT_MAX)) == NULL ||
	    (len = metrics_render(app->shm, &g, text, METRICS_TEXT_MAX)) == 0) {
		free(text);
		reply_error(resp, 500, "Internal server error.");
		return;
	}
	resp->status = 200;
	resp->content_type = METRICS_CONTENT_TYPE;
	resp->long_body = text;
	resp->body_len = len;
}

void
app_note_reload(struct app *app, bool ok, const char *reason, const char *detail)
{
	metrics_add(app->shm, ok ? METRIC_RELOAD_OK : METRIC_RELOAD_ERROR);
	audit_reload(ok, app->conf != NULL ? app->conf->path : NULL, reason, detail);
}

/* --- routing --------------------------------------------------------------- */

enum endpoint { EP_NONE, EP_KNOCK, EP_VERIFY, EP_HEALTH, EP_READY, EP_METRICS, EP_ENTRIES };

static enum endpoint
endpoint_named(const char *seg, size_t len)
{
	static const struct { const char *name; enum endpoint ep; } names[] = {
		{ "knock", EP_KNOCK }, { "verify", EP_VERIFY },
		{ "health", EP_HEALTH }, { "ready", EP_READY },
		{ "metrics", EP_METRICS }, { "entries", EP_ENTRIES },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len && memcmp(names[i].name, seg, len) == 0)
			return names[i].ep;
	return EP_NONE;
}

/* Last non-empty "/"-separated segment of the concatenation a + b, ending
   at the first '?' (for REQUEST_URI). */
static enum endpoint
endpoint_of(const char *a, const char *b)
{
	char path[URLPATH_MAX];
	size_t len, end, start;

	if (strlcpy(path, a, sizeof(path)) >= sizeof(path) ||
	    strlcat(path, b, sizeof(path)) >= sizeof(path))
		return EP_NONE;
	len = strcspn(path, "?#");
	end = len;
	while (end > 0 && path[end - 1] == '/')
		end--;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	return endpoint_named(path + start, end - start);
}

static enum endpoint
route(const struct request *req)
{
	const char *sn = req->script_name != NULL ? req->script_name : "";
	const char *pi = req->path_info != NULL ? req->path_info : "";

	if (*sn != '\0' || *pi != '\0')
		return endpoint_of(sn, pi);
	if (req->document_uri != NULL && *req->document_uri != '\0')
		return endpoint_of(req->document_uri, "");
	if (req->request_uri != NULL)
		return endpoint_of(req->request_uri, "");
	return EP_NONE;
}

void
app_handle(struct app *app, const struct request *req, struct response *resp)
{
	reply_reset(resp);
	if (req->role == APP_ROLE_AUTHORIZER) {
		handle_verify(app, req, resp);
		return;
	}
	switch (route(req)) {
	case EP_KNOCK:
		handle_knock(app, req, resp);
		break;
	case EP_VERIFY:
		/* Any method: nginx auth_request passes the original one. */
		handle_verify(app, req, resp);
		break;
	case EP_HEALTH:
		handle_health(app, req, resp);
		break;
	case EP_READY:
		handle_ready(app, req, resp);
		break;
	case EP_METRICS:
		handle_metrics(app, req, resp);
		break;
	case EP_ENTRIES:
		handle_entries(app, req, resp);
		break;
	case EP_NONE:
		reply_error(resp, 404, REPLY_MSG_NOT_FOUND);
		break;
	}
}

void
app_idle(struct app *app)
{
	int64_t now;

	if (app->conf == NULL)
		return;
	now = app->now();
	if (now - app->last_cleanup < app->conf->cleanup_interval)
		return;
	app->last_cleanup = now;
	if (store_cleanup(app->store, now) != STORE_OK) {
		log_warnx("store", "periodic cleanup failed");
		app_store_failed(app, "cleanup", NULL, NULL);
	}
}
