#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "app.h"
#include "audit.h"
#include "clientip.h"
#include "ipmap.h"
#include "ipnet.h"
#include "knock.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "reply.h"
#include "shmstate.h"
#include "statefile.h"
#include "store.h"
#include "urlpath.h"
#include "verify.h"

#define KNOCK_METHODS	"GET, POST, OPTIONS"

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

/* Opens the shared mapping for conf; NULL (logged) when it cannot be. */
static struct shmstate *
open_shm(const struct conf *conf, const struct rl_params *rp)
{
	char shmpath[PATH_MAX], dir[PATH_MAX];
	struct shmstate *shm = NULL;
	struct sf_err e;
	uid_t owner;

	if ((size_t)snprintf(shmpath, sizeof(shmpath), "%s.shm", conf->storage_path) >= sizeof(shmpath) ||
	    sf_dirname(conf->storage_path, dir, sizeof(dir)) == -1) {
		log_error("app", "%s: path too long: knocks are refused until this is fixed",
		    conf->storage_path);
		return NULL;
	}
	/* Without the shared state knocks fail (500); verify still answers. */
	if (sf_dir_check(dir, &owner, &e) == -1 ||
	    (shm = shmstate_open(shmpath, owner, ratelimit_region_size(rp), &e)) == NULL)
		log_error("app", "%s: knocks are refused until this is fixed", e.msg);
	return shm;
}

/*
 * Fills next (zeroed by the caller, next->conf set) with the store, mapping
 * and rate limiter for next->conf, taking from cur (NULL: nothing to reuse)
 * what the change leaves valid: the mapping when storage_path and the
 * rate-limit table's size are unchanged (and it was open), then the rate
 * limiter when its settings are unchanged, the store when max_entries is.
 * What is taken is set to NULL in cur. Returns 0 or -1 (OOM; next then
 * holds only what it built, for app_fini).
 */
static int
app_build(struct app *next, struct app *cur)
{
	const struct conf *conf = next->conf, *old = cur != NULL ? cur->conf : NULL;
	struct rl_params rp, oldrp;

	rl_params_of(conf, &rp);
	if (old != NULL && cur->shm != NULL && strcmp(old->storage_path, conf->storage_path) == 0) {
		rl_params_of(old, &oldrp);
		if (ratelimit_region_size(&oldrp) == ratelimit_region_size(&rp)) {
			next->shm = cur->shm;
			cur->shm = NULL;
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
		next->shm = open_shm(conf, &rp);
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
	if (app_build(&next, app->conf != NULL ? &cur : NULL) != 0) {
		/* Only what was built here goes; app keeps all it had. */
		if (next.store != app->store)
			store_free(next.store);
		if (next.ratelimit != app->ratelimit)
			ratelimit_free(next.ratelimit);
		if (next.shm != app->shm)
			shmstate_close(next.shm);
		return -1;
	}
	/* What was not taken over goes; borrowers before the mapping. */
	if (app->conf != NULL) {
		store_free(cur.store);
		ratelimit_free(cur.ratelimit);
		shmstate_close(cur.shm);
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

/* Counts and audits a store (or shared state) failure. */
static void
app_store_failed(struct app *app, const char *op, const char *client, const char *key)
{
	metrics_add(app->shm, METRIC_STORE_ERRORS);
	audit_store(op, "failed", client, key);
}

/* verify's view of the whitelist: refreshed only when verify gets that far. */
static int
app_store_lookup(void *ctx, const struct ipnet *client)
{
	struct app *app = ctx;
	int64_t now = app->now();

	if (store_refresh(app->store, now) != 0) {
		app_store_failed(app, "refresh", NULL, NULL);
		return -1;
	}
	return store_lookup(app->store, client, now, NULL) == 1;
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

/* Answers 429 if recording this outcome would exceed the limit. */
static bool
rate_limited(struct app *app, const struct ipnet *client, enum rl_outcome outcome,
    int64_t now, struct response *resp)
{
	int64_t retry_after = 1;

	if (!ratelimit_exceeded(app->ratelimit, client, outcome, now, &retry_after))
		return false;
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
	int64_t expires_at;

	if (rate_limited(app, client, RL_SUCCESS, now, resp))
		return;
	expires_at = now + d->ttl;
	d->verdict = knock_store_verdict(store_add(app->store, &d->entry, expires_at, now));
	if (d->verdict != KNOCK_ACCEPT) {
		if (d->verdict == KNOCK_STORE_BUSY)
			log_warnx("knock", "whitelist store busy (lock held past its deadline): "
			    "client %s answered 503", client_text);
		metrics_add(app->shm, METRIC_STORE_ERRORS);
		audit_store("add", d->verdict == KNOCK_STORE_BUSY ? "busy" : "failed", client_text,
		    d->key->name);
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
	if (ratelimit_lock(app->ratelimit, now) != 0) {
		app_store_failed(app, "ratelimit", client_text, d.key != NULL ? d.key->name : NULL);
		reply_error(resp, 500, REPLY_MSG_PERSIST);
		knock_outcome(app, client_text, &d, resp, "ratelimit_failed");
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

/* Answers a status call with an error (status not 200 or 429: the 429 is
   in resp already), counts and audits it. */
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
	if (ratelimit_lock(app->ratelimit, now) != 0) {
		app_store_failed(app, "ratelimit", client_text, key_name);
		status_outcome(app, client_text, key_name, resp, 500, "ratelimit_failed");
		return;
	}
	limited = rate_limited(app, client, outcome, now, resp);
	if (!limited && ratelimit_record(app->ratelimit, client, outcome, now) != 0)
		log_warnx("knock", "cannot record a status request");
	if (ratelimit_unlock(app->ratelimit) != 0)
		log_warnx("knock", "rate limit state not saved");
	if (limited) {
		status_outcome(app, client_text, key_name, resp, 429, "rate_limited");
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
			status_outcome(app, client_text, key_name, resp, 500, "store_failed");
			return;
		}
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

static void
handle_knock(struct app *app, const struct request *req, struct response *resp)
{
	const char *method = req->method != NULL ? req->method : "";
	struct ipnet client;

	reply_cors(resp, app->conf != NULL ? app->conf->cors_origin : "*");
	if (strcmp(method, "OPTIONS") == 0) {
		reply_cors_preflight(resp, KNOCK_METHODS);
		return;
	}
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
		reply_method_not_allowed(resp, KNOCK_METHODS);
		return;
	}
	if (app->conf == NULL) {
		reply_error(resp, 500, REPLY_MSG_PERSIST);
		audit_knock_unresolved(app, method, resp, "no_config");
		return;
	}
	if (clientip_resolve(req->remote_addr, req->x_forwarded_for, app->conf->trusted_proxies, &client) != 0) {
		reply_error(resp, 400, REPLY_MSG_NO_CLIENT);
		audit_knock_unresolved(app, method, resp, "no_client_ip");
		return;
	}
	if (strcmp(method, "POST") == 0)
		handle_knock_post(app, req, &client, resp);
	else
		handle_knock_status(app, req, &client, resp);
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

enum endpoint { EP_NONE, EP_KNOCK, EP_VERIFY, EP_HEALTH, EP_READY, EP_METRICS };

static enum endpoint
endpoint_named(const char *seg, size_t len)
{
	static const struct { const char *name; enum endpoint ep; } names[] = {
		{ "knock", EP_KNOCK }, { "verify", EP_VERIFY },
		{ "health", EP_HEALTH }, { "ready", EP_READY },
		{ "metrics", EP_METRICS },
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
