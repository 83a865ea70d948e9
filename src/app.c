#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "app.h"
#include "clientip.h"
#include "ctcmp.h"
#include "ipmap.h"
#include "ipnet.h"
#include "knockreq.h"
#include "log.h"
#include "ratelimit.h"
#include "shmstate.h"
#include "statefile.h"
#include "store.h"
#include "urlpath.h"

/* The original's messages, word for word (clients match on them). */
#define MSG_NO_CLIENT	"Could not determine client IP."
#define MSG_BAD_KEY	"Invalid or missing API key."
#define MSG_TOO_LARGE	"Request body too large."
#define MSG_NOT_JSON	"Request body must be JSON."
#define MSG_NO_REMOTE	"API key lacks remote whitelist permission."
#define MSG_TOO_BROAD	"CIDR range too broad. Maximum 65536 addresses allowed."
#define MSG_TTL_LARGE	"TTL too large. Maximum allowed is 315360000 seconds (10 years)."
#define MSG_RATE	"Too many knock attempts."
#define MSG_PERSIST	"Internal server error: whitelist persistence failed."

#define KNOCK_METHODS	"GET, POST, OPTIONS"

static int64_t
clock_now(void)
{
	return (int64_t)time(NULL);
}

int
app_init(struct app *app, const struct conf *conf)
{
	char shmpath[PATH_MAX], dir[PATH_MAX];
	struct rl_params rp;
	struct sf_err e;
	uid_t owner;

	memset(app, 0, sizeof(*app));
	app->conf = conf;
	app->now = clock_now;
	if (conf == NULL)
		return 0;
	memset(&rp, 0, sizeof(rp));
	rp.window = conf->rl_window;
	rp.max_success = conf->rl_success;
	rp.max_failure = conf->rl_failure;
	rp.ipv4_prefix = (unsigned)conf->rl_ipv4_prefix;
	rp.ipv6_prefix = (unsigned)conf->rl_ipv6_prefix;
	if ((size_t)snprintf(shmpath, sizeof(shmpath), "%s.shm", conf->storage_path) >= sizeof(shmpath) ||
	    sf_dirname(conf->storage_path, dir, sizeof(dir)) == -1)
		return -1;
	/* Without the shared state knocks fail (500); verify still answers. */
	if (sf_dir_check(dir, &owner, &e) == -1 ||
	    (app->shm = shmstate_open(shmpath, owner, ratelimit_region_size(&rp), &e)) == NULL)
		log_error("app", "%s: knocks are refused until this is fixed", e.msg);
	app->store = store_new(conf->storage_path, conf->max_entries);
	app->ratelimit = ratelimit_new(app->shm, &rp);
	if (app->store == NULL || app->ratelimit == NULL) {
		app_fini(app);
		return -1;
	}
	app->last_cleanup = app->now();
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
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

/* --- building answers --------------------------------------------------- */

static void
resp_header(struct response *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
resp_header(struct response *resp, const char *name, const char *fmt, ...)
{
	struct response_header *h;
	va_list ap;

	if (resp->nheaders >= APP_MAX_HEADERS)
		return;
	h = &resp->headers[resp->nheaders++];
	h->name = name;
	va_start(ap, fmt);
	vsnprintf(h->value, sizeof(h->value), fmt, ap);
	va_end(ap);
}

/* Appends s to the body as the inside of a JSON string. */
static void
body_put_json_string(struct response *resp, const char *s)
{
	char esc[8];
	size_t room;
	int n;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = '\0';
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		n = (int)strlen(esc);
		room = sizeof(resp->body) - resp->body_len;
		if ((size_t)n >= room)
			return;
		memcpy(resp->body + resp->body_len, esc, (size_t)n);
		resp->body_len += (size_t)n;
	}
	resp->body[resp->body_len] = '\0';
}

static void
body_printf(struct response *resp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
body_printf(struct response *resp, const char *fmt, ...)
{
	size_t room = sizeof(resp->body) - resp->body_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(resp->body + resp->body_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		resp->body_len += (size_t)n < room ? (size_t)n : room - 1;
}

static void
resp_error(struct response *resp, int status, const char *msg)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body_len = 0;
	body_printf(resp, "{\"error\":\"");
	body_put_json_string(resp, msg);
	body_printf(resp, "\"}");
}

static void
resp_cors(const struct app *app, struct response *resp)
{
	resp_header(resp, "Access-Control-Allow-Origin", "%s",
	    app->conf != NULL ? app->conf->cors_origin : "*");
}

/* --- the verify decision ------------------------------------------------ */

static bool
path_excluded(const struct conf *conf, const char *raw_uri, const char *raw_host)
{
	char path[URLPATH_MAX], host[HOST_MAX];
	bool have_host;
	size_t i, j;

	if (raw_uri == NULL || urlpath_normalize(raw_uri, path, sizeof(path)) != 0)
		return false;
	for (i = 0; i < conf->nexcluded; i++)
		if (urlpath_has_prefix(path, conf->excluded_paths[i]))
			return true;
	have_host = raw_host != NULL && host_normalize(raw_host, host, sizeof(host)) == 0;
	for (i = 0; i < conf->nhost_paths; i++) {
		const struct conf_host_paths *hp = &conf->host_paths[i];

		if (strcmp(hp->host, "*") != 0 && (!have_host || strcmp(hp->host, host) != 0))
			continue;
		for (j = 0; j < hp->npaths; j++)
			if (urlpath_has_prefix(path, hp->paths[j]))
				return true;
	}
	return false;
}

/* Is the peer itself (REMOTE_ADDR, not the resolved client) a trusted proxy? */
static bool
peer_is_trusted(const struct conf *conf, const char *remote_addr)
{
	struct ipnet peer;

	return remote_addr != NULL && ipnet_parse_addr(remote_addr, &peer) == 0 &&
	    ipmap_lookup(conf->trusted_proxies, &peer, NULL);
}

/*
 * The verify decision (SPEC "Verify decision"). forwarded: this is a
 * forward-auth call (responder /verify), where a trusted peer may name the
 * original URI and host in headers.
 */
static bool
verify_allows(struct app *app, const struct request *req, bool forwarded)
{
	const struct conf *conf = app->conf;
	const char *uri = req->request_uri, *host = req->host;
	struct ipnet client;

	if (conf == NULL)
		return false;
	if (forwarded && peer_is_trusted(conf, req->remote_addr)) {
		if (req->x_original_uri != NULL)
			uri = req->x_original_uri;
		else if (req->x_forwarded_uri != NULL)
			uri = req->x_forwarded_uri;
		if (req->x_forwarded_host != NULL)
			host = req->x_forwarded_host;
	}
	if ((conf->nexcluded > 0 || conf->nhost_paths > 0) && path_excluded(conf, uri, host))
		return true;
	if (clientip_resolve(req->remote_addr, req->x_forwarded_for, conf->trusted_proxies, &client) != 0)
		return false;
	if (ipmap_lookup(conf->always_allowed, &client, NULL))
		return true;
	if (store_refresh(app->store) != 0)
		return false;
	return store_lookup(app->store, &client, app->now(), NULL) == 1;
}

static void
handle_authorizer(struct app *app, const struct request *req, struct response *resp)
{
	if (verify_allows(app, req, false)) {
		/* Nothing but the status: Apache copies other headers to the client. */
		resp->status = 200;
		return;
	}
	resp->status = 401;
	resp->content_type = "text/plain; charset=utf-8";
	body_printf(resp, "401 Unauthorized: this address is not whitelisted. Knock first.\n");
}

static void
handle_verify(struct app *app, const struct request *req, struct response *resp)
{
	resp->status = verify_allows(app, req, true) ? 200 : 401;
}

/* --- /knock --------------------------------------------------------------- */

/* Every key is compared, in constant time, whatever matched before. */
static const struct conf_api_key *
find_key(const struct conf *conf, const char *given)
{
	const struct conf_api_key *found = NULL;
	size_t i, given_len;

	if (given == NULL || *given == '\0')
		return NULL;
	given_len = strlen(given);
	for (i = 0; i < conf->nkeys; i++) {
		bool eq = ct_equal(given, given_len, conf->keys[i].key, conf->keys[i].key_len);

		if (eq && found == NULL)
			found = &conf->keys[i];
	}
	return found;
}

struct knock_body {
	char	 buf[APP_MAX_BODY + 1];
	size_t	 len;
	bool	 too_large;
	bool	 read_error;
};

/* Reads at most APP_MAX_BODY + 1 bytes, so an over-long body is noticed
   without reading all of it. */
static void
read_body(const struct request *req, struct knock_body *b)
{
	const char *errstr = NULL;
	long long declared = -1;
	ssize_t n;

	b->len = 0;
	b->too_large = false;
	b->read_error = false;
	if (req->content_length != NULL && *req->content_length != '\0') {
		declared = strtonum(req->content_length, 0, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			b->read_error = true;
			return;
		}
		if (declared > APP_MAX_BODY) {
			b->too_large = true;
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
			b->read_error = true;
			return;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	if (b->len > APP_MAX_BODY)
		b->too_large = true;
}

static bool
ipnet_too_broad(const struct ipnet *n)
{
	return n->family == 4 ? n->prefix < 16 : n->prefix < 64;
}

struct knock_plan {
	const struct conf_api_key	*key;
	struct ipnet			 entry;
	int64_t				 ttl;
	int				 status;	/* 200 or the error status */
	const char			*error;		/* message when status != 200 */
};

/* Decides the answer to a POST /knock from the request alone, without side
   effects, in SPEC order (after the client IP is known). */
static void
knock_plan(const struct conf *conf, const struct request *req, const struct ipnet *client,
    const struct knock_body *body, struct knock_plan *plan)
{
	struct knockreq kr;
	enum knockreq_status st;

	memset(plan, 0, sizeof(*plan));
	plan->status = 400;
	plan->key = find_key(conf, req->api_key);
	if (plan->key == NULL) {
		plan->status = 401;
		plan->error = MSG_BAD_KEY;
		return;
	}
	if (body->too_large) {
		plan->status = 413;
		plan->error = MSG_TOO_LARGE;
		return;
	}
	if (body->read_error) {
		plan->error = knockreq_error(KNOCKREQ_INVALID);
		return;
	}
	memset(&kr, 0, sizeof(kr));
	if (body->len > 0) {
		if (!knockreq_is_json_type(req->content_type)) {
			plan->status = 415;
			plan->error = MSG_NOT_JSON;
			return;
		}
		st = knockreq_parse(body->buf, body->len, &kr);
		if (st != KNOCKREQ_OK) {
			plan->error = knockreq_error(st);
			return;
		}
	}
	if (kr.has_ip && !plan->key->allow_remote_whitelist) {
		plan->status = 403;
		plan->error = MSG_NO_REMOTE;
		return;
	}
	if (kr.has_ip && ipnet_too_broad(&kr.ip)) {
		plan->error = MSG_TOO_BROAD;
		return;
	}
	if (kr.has_ttl && kr.ttl > CONF_MAX_TTL) {
		plan->error = MSG_TTL_LARGE;
		return;
	}
	plan->entry = kr.has_ip ? kr.ip : *client;
	plan->ttl = plan->key->max_ttl;
	if (kr.has_ttl && kr.ttl < plan->ttl)
		plan->ttl = kr.ttl;
	plan->status = 200;
}

/* Answers 429 if recording this outcome would exceed the limit. */
static bool
rate_limited(struct app *app, const struct ipnet *client, enum rl_outcome outcome,
    int64_t now, struct response *resp)
{
	int64_t retry_after = 1;

	if (!ratelimit_exceeded(app->ratelimit, client, outcome, now, &retry_after))
		return false;
	resp_error(resp, 429, MSG_RATE);
	resp_header(resp, "Retry-After", "%" PRId64, retry_after);
	return true;
}

static void
handle_knock_post(struct app *app, const struct request *req, const struct ipnet *client,
    struct response *resp)
{
	const struct conf *conf = app->conf;
	char client_text[IPNET_STRLEN], entry_text[IPNET_STRLEN];
	struct knock_body body;
	struct knock_plan plan;
	int64_t now, expires_at;

	/* The body is read before any lock is taken: a slow client must not
	   hold up the other workers. */
	read_body(req, &body);
	knock_plan(conf, req, client, &body, &plan);
	ipnet_format(client, client_text, sizeof(client_text));
	now = app->now();
	if (ratelimit_lock(app->ratelimit, now) != 0) {
		resp_error(resp, 500, MSG_PERSIST);
		return;
	}
	if (plan.status != 200) {
		if (rate_limited(app, client, RL_FAILURE, now, resp)) {
			log_info("knock", "rate limited: client %s (failures)", client_text);
		} else {
			if (ratelimit_record(app->ratelimit, client, RL_FAILURE, now) != 0)
				log_warnx("knock", "cannot record a failure for %s", client_text);
			resp_error(resp, plan.status, plan.error);
			log_info("knock", "refused: client %s, %d %s", client_text, plan.status, plan.error);
		}
		goto done;
	}
	if (rate_limited(app, client, RL_SUCCESS, now, resp)) {
		log_info("knock", "rate limited: client %s (successes), key %s", client_text, plan.key->name);
		goto done;
	}
	expires_at = now + plan.ttl;
	if (store_add(app->store, &plan.entry, expires_at, now) != 0) {
		resp_error(resp, 500, MSG_PERSIST);
		goto done;
	}
	if (ratelimit_record(app->ratelimit, client, RL_SUCCESS, now) != 0)
		log_warnx("knock", "cannot record a success for %s", client_text);
	ipnet_format(&plan.entry, entry_text, sizeof(entry_text));
	resp->status = 200;
	resp->content_type = "application/json";
	body_printf(resp, "{\"whitelisted_entry\":\"%s\",\"expires_at\":%" PRId64
	    ",\"expires_in_seconds\":%" PRId64 "}", entry_text, expires_at, plan.ttl);
	log_info("knock", "whitelisted %s for %" PRId64 " s (key %s, client %s)",
	    entry_text, plan.ttl, plan.key->name, client_text);
done:
	if (ratelimit_unlock(app->ratelimit) != 0)
		log_warnx("knock", "rate limit state not saved");
}

static void
handle_knock_status(struct app *app, const struct request *req, const struct ipnet *client,
    struct response *resp)
{
	const struct conf *conf = app->conf;
	const struct conf_api_key *key = find_key(conf, req->api_key);
	enum rl_outcome outcome = key != NULL ? RL_SUCCESS : RL_FAILURE;
	char client_text[IPNET_STRLEN];
	int64_t now = app->now(), expires_at = 0;
	bool always, listed = false, limited;

	if (ratelimit_lock(app->ratelimit, now) != 0) {
		resp_error(resp, 500, MSG_PERSIST);
		return;
	}
	limited = rate_limited(app, client, outcome, now, resp);
	if (!limited && ratelimit_record(app->ratelimit, client, outcome, now) != 0)
		log_warnx("knock", "cannot record a status request");
	if (ratelimit_unlock(app->ratelimit) != 0)
		log_warnx("knock", "rate limit state not saved");
	if (limited)
		return;
	if (key == NULL) {
		resp_error(resp, 401, MSG_BAD_KEY);
		return;
	}
	always = ipmap_lookup(conf->always_allowed, client, NULL);
	if (!always) {
		if (store_refresh(app->store) != 0) {
			resp_error(resp, 500, MSG_PERSIST);
			return;
		}
		listed = store_lookup(app->store, client, now, &expires_at) == 1;
	}
	ipnet_format(client, client_text, sizeof(client_text));
	resp->status = 200;
	resp->content_type = "application/json";
	if (listed)
		body_printf(resp, "{\"client_ip\":\"%s\",\"whitelisted\":true,\"expires_at\":%" PRId64
		    ",\"expires_in_seconds\":%" PRId64 "}", client_text, expires_at, expires_at - now);
	else
		body_printf(resp, "{\"client_ip\":\"%s\",\"whitelisted\":%s,\"expires_at\":null,"
		    "\"expires_in_seconds\":null}", client_text, always ? "true" : "false");
}

static void
handle_knock(struct app *app, const struct request *req, struct response *resp)
{
	const char *method = req->method != NULL ? req->method : "";
	struct ipnet client;

	resp_cors(app, resp);
	if (strcmp(method, "OPTIONS") == 0) {
		resp->status = 204;
		resp_header(resp, "Access-Control-Allow-Methods", KNOCK_METHODS);
		resp_header(resp, "Access-Control-Allow-Headers", "X-Api-Key, Content-Type");
		resp_header(resp, "Access-Control-Max-Age", "600");
		return;
	}
	if (strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
		resp_error(resp, 405, "Method not allowed.");
		resp_header(resp, "Allow", KNOCK_METHODS);
		return;
	}
	if (app->conf == NULL) {
		resp_error(resp, 500, MSG_PERSIST);
		return;
	}
	if (clientip_resolve(req->remote_addr, req->x_forwarded_for, app->conf->trusted_proxies, &client) != 0) {
		resp_error(resp, 400, MSG_NO_CLIENT);
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
	resp_error(resp, 405, "Method not allowed.");
	resp_header(resp, "Allow", "GET, HEAD");
	return false;
}

static void
handle_health(struct app *app, const struct request *req, struct response *resp)
{
	if (!method_is_get(req, resp))
		return;
	if (app->conf == NULL) {
		resp_error(resp, 503, "Configuration not loaded.");
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	body_printf(resp, "{\"status\":\"ok\"}");
}

static void
handle_ready(struct app *app, const struct request *req, struct response *resp)
{
	char err[256];

	if (!method_is_get(req, resp))
		return;
	if (app->conf == NULL) {
		resp_error(resp, 503, "Configuration not loaded.");
		return;
	}
	if (store_check_ready(app->store, err, sizeof(err)) != 0) {
		log_warnx("ready", "not ready: %s", err);
		resp_error(resp, 503, err);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	body_printf(resp, "{\"status\":\"ok\"}");
}

/* --- routing --------------------------------------------------------------- */

enum endpoint { EP_NONE, EP_KNOCK, EP_VERIFY, EP_HEALTH, EP_READY };

static enum endpoint
endpoint_named(const char *seg, size_t len)
{
	static const struct { const char *name; enum endpoint ep; } names[] = {
		{ "knock", EP_KNOCK }, { "verify", EP_VERIFY },
		{ "health", EP_HEALTH }, { "ready", EP_READY },
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
	resp->status = 500;
	resp->content_type = NULL;
	resp->nheaders = 0;
	resp->body_len = 0;
	resp->body[0] = '\0';

	if (req->role == APP_ROLE_AUTHORIZER) {
		handle_authorizer(app, req, resp);
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
	case EP_NONE:
		resp_error(resp, 404, "Not found.");
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
	if (store_cleanup(app->store, now) != 0)
		log_warnx("store", "periodic cleanup failed");
}
