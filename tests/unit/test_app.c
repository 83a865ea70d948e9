/*
 * app: every /knock status code in the order of docs/API.md, the status endpoint, the
 * verify decision in both roles, routing, CORS — through app_handle with a
 * real store and rate limiter in a temporary directory and a fake clock.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "conf.h"
#include "tap.h"
#include "testconf.h"

#define KEY_PHONE "k-phone-0123456789abcdef"
#define KEY_ADMIN "k-admin-0123456789abcdef"
#define NOW 1700000000

static int64_t fake_now = NOW;

static int64_t
fake_clock(void)
{
	return fake_now;
}

struct rq {
	enum app_role	 role;
	const char	*method, *script_name, *path_info, *document_uri, *request_uri;
	const char	*remote, *host, *xff, *xfh, *xou, *xfu, *key, *ctype, *clen, *body;
};

static void
run(struct app *app, const struct rq *rq, struct response *resp)
{
	struct mem_body mb = { rq->body, rq->body ? strlen(rq->body) : 0, 0 };
	struct request req = {
		.role = rq->role, .method = rq->method, .script_name = rq->script_name,
		.path_info = rq->path_info, .document_uri = rq->document_uri,
		.request_uri = rq->request_uri, .remote_addr = rq->remote, .host = rq->host,
		.x_forwarded_for = rq->xff, .x_forwarded_host = rq->xfh,
		.x_original_uri = rq->xou, .x_forwarded_uri = rq->xfu, .api_key = rq->key,
		.content_type = rq->ctype, .content_length = rq->clen,
		.read_body = rq->body ? mem_read : NULL, .body_ctx = &mb,
	};

	app_handle(app, &req, resp);
}

static const char *
header(const struct response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

static struct conf *
make_conf(const char *dir, const char *extra_security)
{
	char json[2048];

	snprintf(json, sizeof(json),
	    "{\"server\":{\"trusted_proxies\":[\"10.9.9.9\"]},"
	    "\"whitelist\":{\"storage_path\":\"%s/whitelist.json\"},"
	    "\"api_keys\":[{\"name\":\"phone\",\"key\":\"" KEY_PHONE "\",\"max_ttl\":3600},"
	    "{\"name\":\"admin\",\"key\":\"" KEY_ADMIN "\",\"max_ttl\":600,\"allow_remote_whitelist\":true,\"admin\":true}],"
	    "\"security\":{\"always_allowed_ips\":[\"192.0.2.0/24\"],\"excluded_paths\":[\"/health\"],"
	    "\"excluded_paths_by_host\":{\"media.example.org\":[\"/public\"],\"*\":[\"/.well-known/\"]}%s},"
	    "\"cors\":{\"allowed_origin\":\"https://app.example.org\"}}",
	    dir, extra_security);
	return testconf_parse(json);
}

#define IP10 "1111111111"
#define IP101 IP10 IP10 IP10 IP10 IP10 IP10 IP10 IP10 IP10 IP10 "1"

/* One row per /knock answer, in the order of docs/API.md. */
static void
test_knock_statuses(struct app *app)
{
	static const struct {
		const char	*name;
		struct rq	 rq;
		int		 status;
		const char	*body;	/* exact, or NULL: not checked */
	} rows[] = {
		{ "no client IP (no REMOTE_ADDR) is 400",
		  { .method = "POST", .request_uri = "/knock", .key = KEY_PHONE }, 400,
		  "{\"error\":\"Could not determine client IP.\"}" },
		{ "trusted proxy without X-Forwarded-For is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "10.9.9.9", .key = KEY_PHONE }, 400,
		  "{\"error\":\"Could not determine client IP.\"}" },
		{ "missing key is 401",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1" }, 401,
		  "{\"error\":\"Invalid or missing API key.\"}" },
		{ "wrong key of the same length is 401",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = "k-phone-0123456789abcdeX" }, 401,
		  "{\"error\":\"Invalid or missing API key.\"}" },
		{ "key prefix is 401",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = "k-phone" }, 401, NULL },
		{ "wrong key beats a too-large body (401 before 413)",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = "nope", .clen = "5000" }, 401, NULL },
		{ "declared body over 4096 bytes is 413",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE, .clen = "4097",
		    .ctype = "application/json" }, 413, "{\"error\":\"Request body too large.\"}" },
		{ "non-JSON content type with a body is 415",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "text/plain", .body = "{}" }, 415, "{\"error\":\"Request body must be JSON.\"}" },
		{ "malformed JSON is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ttl\":" }, 400, "{\"error\":\"Malformed JSON request body.\"}" },
		{ "array body is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "[1]" }, 400, "{\"error\":\"Request body must be a JSON object.\"}" },
		{ "unknown field is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"foo\":1}" }, 400, "{\"error\":\"Invalid request data.\"}" },
		{ "ttl 0 is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ttl\":0}" }, 400,
		  "{\"error\":\"Invalid TTL specified. Must be a positive integer.\"}" },
		{ "bad ip_address is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":\"1.2.3.999\"}" }, 400,
		  "{\"error\":\"Invalid IP address or CIDR notation in request body.\"}" },
		{ "ip_address over 100 characters is 400, too long",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":\"" IP101 "\"}" }, 400,
		  "{\"error\":\"IP address or CIDR notation too long.\"}" },
		{ "non-string ip_address is 400, invalid IP",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":3232235777}" }, 400,
		  "{\"error\":\"Invalid IP address or CIDR notation in request body.\"}" },
		{ "unknown field and a bad ttl: the ttl problem is reported",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"foo\":1,\"ttl\":-3}" }, 400,
		  "{\"error\":\"Invalid TTL specified. Must be a positive integer.\"}" },
		{ "bad ip and a bad ttl: the ttl problem is reported",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":\"nope\",\"ttl\":0}" }, 400,
		  "{\"error\":\"Invalid TTL specified. Must be a positive integer.\"}" },
		{ "ttl 60.0 is 400, as in the original (an integer literal only)",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ttl\":60.0}" }, 400,
		  "{\"error\":\"Invalid TTL specified. Must be a positive integer.\"}" },
		{ "ttl 1e300 is 400, not too large (the original: not an integer)",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ttl\":1e300}" }, 400,
		  "{\"error\":\"Invalid TTL specified. Must be a positive integer.\"}" },
		{ "null ip_address and ttl are not given (the caller, max_ttl)",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.5", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ip_address\":null,\"ttl\":null}" }, 200,
		  "{\"whitelisted_entry\":\"198.51.100.5\",\"expires_at\":1700003600,\"expires_in_seconds\":3600}" },
		{ "ip_address without remote permission is 403",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ip_address\":\"203.0.113.9\"}" }, 403,
		  "{\"error\":\"API key lacks remote whitelist permission.\"}" },
		{ "IPv4 range wider than /16 is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":\"10.0.0.0/15\"}" }, 400,
		  "{\"error\":\"CIDR range too broad. Maximum 65536 addresses allowed.\"}" },
		{ "IPv6 prefix shorter than /64 is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":\"2001:db8::/63\"}" }, 400,
		  "{\"error\":\"CIDR range too broad. Maximum 65536 addresses allowed.\"}" },
		{ "ttl over ten years is 400",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE,
		    .ctype = "application/json", .body = "{\"ttl\":315360001}" }, 400,
		  "{\"error\":\"TTL too large. Maximum allowed is 315360000 seconds (10 years).\"}" },
		{ "knock without body whitelists the caller for max_ttl",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE, .clen = "0" }, 200,
		  "{\"whitelisted_entry\":\"198.51.100.1\",\"expires_at\":1700003600,\"expires_in_seconds\":3600}" },
		{ "CONTENT_LENGTH -1 (Caddy, chunked): the body is read to its end",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.4", .key = KEY_PHONE,
		    .ctype = "application/json", .clen = "-1", .body = "{\"ttl\":61}" }, 200,
		  "{\"whitelisted_entry\":\"198.51.100.4\",\"expires_at\":1700000061,\"expires_in_seconds\":61}" },
		{ "requested ttl below max_ttl is used",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.2", .key = KEY_PHONE,
		    .ctype = "application/json; charset=utf-8", .body = "{\"ttl\":60}" }, 200,
		  "{\"whitelisted_entry\":\"198.51.100.2\",\"expires_at\":1700000060,\"expires_in_seconds\":60}" },
		{ "requested ttl above max_ttl is capped",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.3", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ttl\":99999}" }, 200,
		  "{\"whitelisted_entry\":\"198.51.100.3\",\"expires_at\":1700000600,\"expires_in_seconds\":600}" },
		{ "remote whitelist of a /16 is canonical",
		  { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_ADMIN,
		    .ctype = "application/json", .body = "{\"ip_address\":\"172.16.9.9/16\"}" }, 200,
		  "{\"whitelisted_entry\":\"172.16.0.0/16\",\"expires_at\":1700000600,\"expires_in_seconds\":600}" },
		{ "v4-mapped client is IPv4",
		  { .method = "POST", .request_uri = "/knock", .remote = "::ffff:198.51.100.4", .key = KEY_PHONE }, 200,
		  "{\"whitelisted_entry\":\"198.51.100.4\",\"expires_at\":1700003600,\"expires_in_seconds\":3600}" },
		{ "client behind a trusted proxy is the X-Forwarded-For hop",
		  { .method = "POST", .request_uri = "/knock", .remote = "10.9.9.9", .xff = "203.0.113.77", .key = KEY_PHONE }, 200,
		  "{\"whitelisted_entry\":\"203.0.113.77\",\"expires_at\":1700003600,\"expires_in_seconds\":3600}" },
		{ "IPv6 client",
		  { .method = "POST", .request_uri = "/knock", .remote = "2001:db8::5", .key = KEY_PHONE }, 200,
		  "{\"whitelisted_entry\":\"2001:db8::5\",\"expires_at\":1700003600,\"expires_in_seconds\":3600}" },
	};
	struct response resp;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(app, &rows[i].rq, &resp);
		tap_is_int(resp.status, rows[i].status, "knock: %s: status", rows[i].name);
		if (rows[i].body != NULL)
			tap_is_str(resp.body, rows[i].body, "knock: %s: body", rows[i].name);
		tap_is_str(header(&resp, "Access-Control-Allow-Origin"), "https://app.example.org",
		    "knock: %s: CORS header", rows[i].name);
	}
}

static void
test_body_streamed_too_large(struct app *app)
{
	char *big = malloc(5001);
	struct response resp;
	struct rq rq = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1",
	    .key = KEY_PHONE, .ctype = "application/json" };

	memset(big, ' ', 5000);
	big[5000] = '\0';
	rq.body = big;	/* no CONTENT_LENGTH: read until EOF, but stop after 4097 */
	run(app, &rq, &resp);
	tap_is_int(resp.status, 413, "knock: body of unknown length over 4096 bytes is 413");
	free(big);
}

/* Counts read_body calls: a knock with a bad key must never read the body. */
struct spy_body {
	struct mem_body	 mem;
	int		 calls;
	bool		 fail;		/* answer -1 (a read error or deadline) */
};

static ssize_t
spy_read(void *ctx, char *buf, size_t size)
{
	struct spy_body *s = ctx;

	s->calls++;
	if (s->fail)
		return -1;
	return mem_read(&s->mem, buf, size);
}

static void
run_spy(struct app *app, const struct rq *rq, struct spy_body *spy, struct response *resp)
{
	struct request req = {
		.role = rq->role, .method = rq->method, .request_uri = rq->request_uri,
		.remote_addr = rq->remote, .api_key = rq->key, .content_type = rq->ctype,
		.content_length = rq->clen, .read_body = spy_read, .body_ctx = spy,
	};

	spy->mem.data = rq->body != NULL ? rq->body : "";
	spy->mem.len = strlen(spy->mem.data);
	spy->mem.pos = 0;
	spy->calls = 0;
	app_handle(app, &req, resp);
}

/* Issue 10 item 2: the key is checked before any body byte is read, so an
   unauthenticated slow body cannot hold a worker. */
static void
test_key_before_body(struct app *app)
{
	static const struct {
		const char	*name;
		struct rq	 rq;
	} rows[] = {
		{ "missing key", { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.30",
		  .ctype = "application/json", .clen = "10", .body = "{\"ttl\":60}" } },
		{ "wrong key", { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.30",
		  .key = "k-phone-0123456789abcdeX", .ctype = "application/json", .body = "{\"ttl\":60}" } },
		{ "wrong key, over-long declared body", { .method = "POST", .request_uri = "/knock",
		  .remote = "198.51.100.30", .key = "nope", .clen = "999999", .body = "{}" } },
		{ "empty key", { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.30",
		  .key = "", .ctype = "application/json", .body = "{\"ttl\":60}" } },
	};
	struct spy_body spy = { .fail = false };
	struct response resp;
	struct rq good = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.31",
	    .key = KEY_PHONE, .ctype = "application/json", .body = "{\"ttl\":60}" };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run_spy(app, &rows[i].rq, &spy, &resp);
		tap_is_int(resp.status, 401, "key before body: %s is 401", rows[i].name);
		tap_is_int(spy.calls, 0, "key before body: %s: the body is never read", rows[i].name);
	}
	run_spy(app, &good, &spy, &resp);
	tap_is_int(resp.status, 200, "key before body: the right key reads the body and knocks");
	tap_ok(spy.calls > 0, "key before body: the right key reads the body");
	tap_is_str(resp.body, "{\"whitelisted_entry\":\"198.51.100.31\",\"expires_at\":1700000060,"
	    "\"expires_in_seconds\":60}", "key before body: the body's ttl is used");

	spy.fail = true;
	run_spy(app, &good, &spy, &resp);
	tap_is_int(resp.status, 400, "read_body error (or read deadline) is 400");
	tap_is_str(resp.body, "{\"error\":\"Malformed JSON request body.\"}",
	    "read_body error: the body counts as malformed");
	good.clen = "x1";
	spy.fail = false;
	run_spy(app, &good, &spy, &resp);
	tap_is_int(resp.status, 400, "unparsable CONTENT_LENGTH is 400");
	tap_is_int(spy.calls, 0, "unparsable CONTENT_LENGTH: the body is not read");
}

/* Issue 10 item 15: ranges that embed IPv4 addresses (NAT64, SIIT) are held
   to the IPv4 width limit, 65536 addresses. */
static void
test_knock_embedded_ipv4(struct app *app)
{
	static const struct {
		const char	*ip;
		int		 status;
	} rows[] = {
		{ "64:ff9b::/96", 400 },		/* RFC 6052: all of IPv4 behind NAT64 */
		{ "64:ff9b::/111", 400 },
		{ "64:ff9b::/112", 200 },
		{ "64:ff9b::c000:200/120", 200 },
		{ "64:ff9b::/64", 400 },		/* holds the /96 */
		{ "64:ff9b:1::/48", 400 },		/* RFC 8215 local use */
		{ "64:ff9b:1:2::/64", 400 },
		{ "64:ff9b:1:2::/112", 200 },
		{ "::/96", 400 },			/* IPv4-compatible */
		{ "::/64", 400 },
		{ "::cb00:7100/112", 200 },
		{ "2002:cb00:7107::/64", 200 },		/* 6to4: one IPv4 site at /48 already */
		{ "2001:db8::/64", 200 },
	};
	struct response resp;
	char body[128];
	struct rq rq = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.32",
	    .key = KEY_ADMIN, .ctype = "application/json", .body = body };
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(body, sizeof(body), "{\"ip_address\":\"%s\",\"ttl\":1}", rows[i].ip);
		run(app, &rq, &resp);
		tap_is_int(resp.status, rows[i].status, "embedded IPv4: %s", rows[i].ip);
		if (rows[i].status == 400)
			tap_is_str(resp.body, "{\"error\":\"CIDR range too broad. Maximum 65536 "
			    "addresses allowed.\"}", "embedded IPv4: %s: message", rows[i].ip);
	}
}

static void
test_status_endpoint(struct app *app)
{
	struct response resp;
	struct rq rq = { .method = "GET", .request_uri = "/knock", .remote = "198.51.100.50", .key = KEY_PHONE };

	run(app, &rq, &resp);
	tap_is_int(resp.status, 200, "status: unknown client is 200");
	tap_is_str(resp.body, "{\"client_ip\":\"198.51.100.50\",\"whitelisted\":false,\"expires_at\":null,"
	    "\"expires_in_seconds\":null}", "status: unknown client is not whitelisted");

	rq.method = "POST";
	run(app, &rq, &resp);
	tap_is_int(resp.status, 200, "status: knock");
	fake_now += 100;
	rq.method = "GET";
	run(app, &rq, &resp);
	tap_is_str(resp.body, "{\"client_ip\":\"198.51.100.50\",\"whitelisted\":true,\"expires_at\":1700003600,"
	    "\"expires_in_seconds\":3500}", "status: after a knock, expiry and seconds left");
	fake_now -= 100;

	rq.remote = "192.0.2.44";
	run(app, &rq, &resp);
	tap_is_str(resp.body, "{\"client_ip\":\"192.0.2.44\",\"whitelisted\":true,\"expires_at\":null,"
	    "\"expires_in_seconds\":null}", "status: always-allowed IP is whitelisted without expiry");

	rq.key = "wrong";
	run(app, &rq, &resp);
	tap_is_int(resp.status, 401, "status: wrong key is 401");
	tap_is_str(resp.body, "{\"error\":\"Invalid or missing API key.\"}", "status: wrong key message");
}

static void
test_reknock_replaces_expiry(struct app *app)
{
	struct response resp;
	struct rq knock = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.60",
	    .key = KEY_PHONE, .ctype = "application/json", .body = "{\"ttl\":1000}" };
	struct rq again = knock;
	struct rq status = { .method = "GET", .request_uri = "/knock", .remote = "198.51.100.60", .key = KEY_PHONE };

	run(app, &knock, &resp);
	again.body = "{\"ttl\":10}";
	run(app, &again, &resp);
	run(app, &status, &resp);
	tap_is_str(resp.body, "{\"client_ip\":\"198.51.100.60\",\"whitelisted\":true,\"expires_at\":1700000010,"
	    "\"expires_in_seconds\":10}", "knock again replaces the expiry (also with a shorter one)");
}

static void
test_options_and_methods(struct app *app)
{
	struct response resp;
	struct rq rq = { .method = "OPTIONS", .request_uri = "/knock" };

	run(app, &rq, &resp);
	tap_is_int(resp.status, 204, "OPTIONS /knock is 204");
	tap_is_str(header(&resp, "Access-Control-Allow-Origin"), "https://app.example.org", "OPTIONS: origin");
	tap_is_str(header(&resp, "Access-Control-Allow-Methods"), "GET, POST, OPTIONS", "OPTIONS: methods");
	tap_is_str(header(&resp, "Access-Control-Allow-Headers"), "X-Api-Key, Content-Type", "OPTIONS: headers");
	tap_ok(resp.content_type == NULL, "OPTIONS: no body");

	rq.method = "PUT";
	run(app, &rq, &resp);
	tap_is_int(resp.status, 405, "PUT /knock is 405");
	tap_is_str(header(&resp, "Allow"), "GET, POST, OPTIONS", "405 names the allowed methods");

	rq = (struct rq){ .method = "POST", .request_uri = "/health" };
	run(app, &rq, &resp);
	tap_is_int(resp.status, 405, "POST /health is 405");
	tap_is_str(header(&resp, "Allow"), "GET, HEAD", "405 of /health names GET, HEAD");

	rq = (struct rq){ .method = "PUT", .request_uri = "/ready" };
	run(app, &rq, &resp);
	tap_is_int(resp.status, 405, "PUT /ready is 405");
	tap_is_str(header(&resp, "Allow"), "GET, HEAD", "405 of /ready names GET, HEAD");

	rq = (struct rq){ .method = "GET", .request_uri = "/health" };
	run(app, &rq, &resp);
	tap_is_int(resp.status, 200, "GET /health is 200");
	tap_is_str(resp.body, "{\"status\":\"ok\"}", "/health body");

	rq = (struct rq){ .method = "GET", .request_uri = "/ready" };
	run(app, &rq, &resp);
	tap_is_int(resp.status, 200, "GET /ready is 200");

	rq = (struct rq){ .method = "GET", .request_uri = "/nope" };
	run(app, &rq, &resp);
	tap_is_int(resp.status, 404, "unknown endpoint is 404");
	tap_is_str(resp.body, "{\"error\":\"Not found.\"}", "404 body");
}

static void
test_routing(struct app *app)
{
	static const struct {
		const char	*name;
		struct rq	 rq;
		int		 status;
	} rows[] = {
		{ "SCRIPT_NAME + PATH_INFO prefix mapping", { .method = "GET", .script_name = "/.knocker",
		  .path_info = "/health", .request_uri = "/whatever" }, 200 },
		{ "Caddy: PATH_INFO only", { .method = "GET", .script_name = "", .path_info = "/_knocker/verify",
		  .request_uri = "/private/x", .remote = "192.0.2.1" }, 200 },
		{ "DOCUMENT_URI when SCRIPT_NAME and PATH_INFO are empty", { .method = "GET",
		  .document_uri = "/x/health", .request_uri = "/other" }, 200 },
		{ "REQUEST_URI path, query ignored", { .method = "GET", .request_uri = "/a/health?x=/knock" }, 200 },
		{ "trailing slash", { .method = "GET", .request_uri = "/health/" }, 200 },
		{ "segment must match exactly", { .method = "GET", .request_uri = "/healthz" }, 404 },
		{ "nothing at all", { .method = "GET" }, 404 },
	};
	struct response resp;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(app, &rows[i].rq, &resp);
		tap_is_int(resp.status, rows[i].status, "route: %s", rows[i].name);
	}
}

static void
test_verify(struct app *app)
{
	static const struct {
		const char	*name;
		struct rq	 rq;
		int		 status;
	} rows[] = {
		{ "authorizer: unknown client denied", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/private/x", .remote = "203.0.113.200" }, 401 },
		{ "authorizer: knocked client allowed", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/private/x", .remote = "198.51.100.1" }, 200 },
		{ "authorizer: inside a whitelisted CIDR", { .role = APP_ROLE_AUTHORIZER, .method = "POST",
		  .request_uri = "/private/x", .remote = "172.16.200.1" }, 200 },
		{ "authorizer: v4-mapped peer of a knocked address", { .role = APP_ROLE_AUTHORIZER,
		  .method = "GET", .request_uri = "/", .remote = "::ffff:198.51.100.1" }, 200 },
		{ "authorizer: always-allowed network", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/", .remote = "192.0.2.200" }, 200 },
		{ "excluded path allowed for anyone", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/health/deep?x=1", .remote = "203.0.113.200" }, 200 },
		{ "excluded path is a segment prefix only", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/healthz", .remote = "203.0.113.200" }, 401 },
		{ "dot-dot cannot escape into an excluded path", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/health/../private", .remote = "203.0.113.200" }, 401 },
		{ "percent-encoded excluded path", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/%68ealth", .remote = "203.0.113.200" }, 200 },
		{ "per-host exclusion, host with port and case", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/public/a.jpg", .host = "Media.Example.org:8443", .remote = "203.0.113.200" }, 200 },
		{ "per-host exclusion does not apply to another host", { .role = APP_ROLE_AUTHORIZER,
		  .method = "GET", .request_uri = "/public/a.jpg", .host = "other.example.org", .remote = "203.0.113.200" }, 401 },
		{ "\"*\" host exclusion applies to any host", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/.well-known/acme", .host = "x.example", .remote = "203.0.113.200" }, 200 },
		{ "XFF from a trusted proxy names the client", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/", .remote = "10.9.9.9", .xff = "203.0.113.200, 198.51.100.1" }, 200 },
		{ "XFF from an untrusted peer is ignored", { .role = APP_ROLE_AUTHORIZER, .method = "GET",
		  .request_uri = "/", .remote = "203.0.113.200", .xff = "198.51.100.1" }, 401 },
		{ "no REMOTE_ADDR denies", { .role = APP_ROLE_AUTHORIZER, .method = "GET", .request_uri = "/" }, 401 },
		{ "verify endpoint: knocked client", { .method = "GET", .script_name = "/_knocker/verify",
		  .request_uri = "/private/x", .remote = "198.51.100.1" }, 200 },
		{ "verify endpoint: any method (nginx passes the original)", { .method = "DELETE",
		  .script_name = "/_knocker/verify", .request_uri = "/private/x", .remote = "203.0.113.200" }, 401 },
		{ "verify endpoint: X-Original-URI from a trusted peer", { .method = "GET",
		  .script_name = "/_knocker/verify", .request_uri = "/private", .remote = "10.9.9.9",
		  .xou = "/health", .xff = "203.0.113.200" }, 200 },
		{ "verify endpoint: X-Original-URI from an untrusted peer is ignored", { .method = "GET",
		  .script_name = "/_knocker/verify", .request_uri = "/private", .remote = "203.0.113.200",
		  .xou = "/health" }, 401 },
		{ "verify endpoint: X-Forwarded-Uri + X-Forwarded-Host from a trusted peer", { .method = "GET",
		  .script_name = "/_knocker/verify", .request_uri = "/x", .remote = "10.9.9.9",
		  .xfu = "/public/1", .xfh = "media.example.org", .xff = "203.0.113.200" }, 200 },
		{ "verify endpoint: X-Forwarded-Host from an untrusted peer is ignored", { .method = "GET",
		  .script_name = "/_knocker/verify", .request_uri = "/public/1", .remote = "203.0.113.200",
		  .host = "other.example", .xfh = "media.example.org" }, 401 },
	};
	struct response resp;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(app, &rows[i].rq, &resp);
		tap_is_int(resp.status, rows[i].status, "verify: %s", rows[i].name);
		if (rows[i].rq.role == APP_ROLE_AUTHORIZER && resp.status == 200)
			tap_ok(resp.nheaders == 0 && resp.content_type == NULL,
			    "verify: %s: allow carries no header and no body", rows[i].name);
		else if (rows[i].rq.role != APP_ROLE_AUTHORIZER)
			tap_ok(resp.content_type == NULL && resp.body_len == 0,
			    "verify: %s: the verify endpoint answers an empty body", rows[i].name);
	}
}

/* GET /knock: an address inside several live entries reports the latest
   expiry among them, whichever entry it is. */
static void
test_status_latest_expiry(struct app *app)
{
	struct response resp;
	struct rq exact = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.120",
	    .key = KEY_PHONE, .ctype = "application/json", .body = "{\"ttl\":300}" };
	struct rq range = { .method = "POST", .request_uri = "/knock", .remote = "203.0.113.90",
	    .key = KEY_ADMIN, .ctype = "application/json",
	    .body = "{\"ip_address\":\"198.51.100.0/25\",\"ttl\":500}" };
	struct rq status = { .method = "GET", .request_uri = "/knock", .remote = "198.51.100.120",
	    .key = KEY_PHONE };

	run(app, &exact, &resp);
	tap_is_int(resp.status, 200, "status, several entries: knock for the address, 300 s");
	run(app, &range, &resp);
	tap_is_int(resp.status, 200, "status, several entries: knock for its /25, 500 s");
	run(app, &status, &resp);
	tap_is_str(resp.body, "{\"client_ip\":\"198.51.100.120\",\"whitelisted\":true,\"expires_at\":1700000500,"
	    "\"expires_in_seconds\":500}", "status, several entries: the range's later expiry is reported");
	exact.body = "{\"ttl\":900}";
	run(app, &exact, &resp);
	run(app, &status, &resp);
	tap_is_str(resp.body, "{\"client_ip\":\"198.51.100.120\",\"whitelisted\":true,\"expires_at\":1700000900,"
	    "\"expires_in_seconds\":900}", "status, several entries: then the address's later one");
}

static void
test_expiry(struct app *app)
{
	struct response resp;
	struct rq knock = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.70",
	    .key = KEY_PHONE, .ctype = "application/json", .body = "{\"ttl\":5}" };
	struct rq check = { .role = APP_ROLE_AUTHORIZER, .method = "GET", .request_uri = "/",
	    .remote = "198.51.100.70" };

	run(app, &knock, &resp);
	run(app, &check, &resp);
	tap_is_int(resp.status, 200, "expiry: allowed within the TTL");
	fake_now += 4;
	run(app, &check, &resp);
	tap_is_int(resp.status, 200, "expiry: allowed one second before expiry");
	fake_now += 1;
	run(app, &check, &resp);
	tap_is_int(resp.status, 401, "expiry: denied at the expiry second");
	fake_now -= 5;
}

/* app_idle rewrites the file without expired entries once per interval. */
static void
test_periodic_cleanup(struct app *app, const char *dir)
{
	char path[600], buf[4096];
	struct response resp;
	struct rq knock = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.99",
	    .key = KEY_PHONE, .ctype = "application/json", .body = "{\"ttl\":5}" };
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/whitelist.json", dir);
	run(app, &knock, &resp);
	tap_is_int(resp.status, 200, "cleanup: a short knock");
	fake_now += 10;			/* the entry has expired */
	app->last_cleanup = fake_now - 1;
	app_idle(app);
	f = fopen(path, "r");
	n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
	tap_ok(strstr(buf, "198.51.100.99") != NULL, "cleanup: not before the interval has passed");
	app->last_cleanup = fake_now - 60;	/* cleanup_interval_seconds default */
	app_idle(app);
	f = fopen(path, "r");
	n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
	tap_ok(n > 0 && strstr(buf, "198.51.100.99") == NULL, "cleanup: the expired entry is dropped from the file");
	tap_ok(strstr(buf, "198.51.100.1\"") != NULL, "cleanup: live entries stay");
	fake_now -= 10;
}

static void
test_rate_limit(const char *dir)
{
	struct conf *conf = make_conf(dir, ",\"knock_rate_limit\":{\"window_seconds\":60,"
	    "\"successful_requests\":2,\"failed_requests\":3}");
	struct app app;
	struct response resp;
	struct rq ok = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.80", .key = KEY_PHONE };
	struct rq bad = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.81", .key = "bad" };
	int i;

	if (!tap_ok(conf != NULL && app_init(&app, conf) == 0, "rate limit: app with a small limit"))
		return;
	app.now = fake_clock;
	for (i = 0; i < 2; i++) {
		run(&app, &ok, &resp);
		tap_is_int(resp.status, 200, "rate limit: success %d allowed", i + 1);
	}
	run(&app, &ok, &resp);
	tap_is_int(resp.status, 429, "rate limit: third success in the window is 429");
	tap_is_str(resp.body, "{\"error\":\"Too many knock attempts.\"}", "rate limit: 429 message");
	tap_is_str(header(&resp, "Retry-After"), "60", "rate limit: Retry-After");
	for (i = 0; i < 3; i++) {
		run(&app, &bad, &resp);
		tap_is_int(resp.status, 401, "rate limit: failure %d answered 401", i + 1);
	}
	run(&app, &bad, &resp);
	tap_is_int(resp.status, 429, "rate limit: fourth failure is 429");
	bad.remote = "198.51.100.82";
	run(&app, &bad, &resp);
	tap_is_int(resp.status, 401, "rate limit: another client is not limited");
	fake_now += 61;
	run(&app, &ok, &resp);
	tap_is_int(resp.status, 200, "rate limit: after the window a knock succeeds again");
	fake_now -= 61;
	app_fini(&app);
	conf_free(conf);
}

static void
test_store_failure(const char *dir)
{
	char sub[600];
	struct conf *conf;
	struct app app;
	struct response resp;
	struct rq knock = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.90", .key = KEY_PHONE };
	struct rq ready = { .method = "GET", .request_uri = "/ready" };

	snprintf(sub, sizeof(sub), "%s/missing-dir", dir);
	conf = make_conf(sub, "");
	if (!tap_ok(conf != NULL && app_init(&app, conf) == 0, "store failure: app"))
		return;
	app.now = fake_clock;
	run(&app, &knock, &resp);
	tap_is_int(resp.status, 500, "store failure: knock is 500");
	tap_is_str(resp.body, "{\"error\":\"Internal server error: whitelist persistence failed.\"}",
	    "store failure: message");
	run(&app, &ready, &resp);
	tap_is_int(resp.status, 503, "store failure: /ready is 503");
	tap_is_str(resp.body, "{\"error\":\"Whitelist store not ready.\"}",
	    "store failure: /ready answers a fixed message");
	tap_ok(strstr(resp.body, "missing-dir") == NULL && strstr(resp.body, "/") == NULL,
	    "store failure: /ready shows no path (issue 10 item 5)");
	app_fini(&app);
	conf_free(conf);
}

static void
test_corrupt_store_denies(struct app *app, const char *dir)
{
	char path[600];
	struct response resp;
	struct rq check = { .role = APP_ROLE_AUTHORIZER, .method = "GET", .request_uri = "/",
	    .remote = "198.51.100.1" };
	struct rq always = check;
	struct rq excluded = check;
	struct rq knock = { .method = "POST", .request_uri = "/knock", .remote = "198.51.100.1", .key = KEY_PHONE };
	FILE *f;

	snprintf(path, sizeof(path), "%s/whitelist.json", dir);
	f = fopen(path, "w");
	fputs("{\"198.51.100.1\": 99999999999, garbage", f);
	fclose(f);
	run(app, &check, &resp);
	tap_is_int(resp.status, 401, "corrupt store: knocked client is denied (fail closed)");
	always.remote = "192.0.2.9";
	run(app, &always, &resp);
	tap_is_int(resp.status, 200, "corrupt store: always-allowed still allowed");
	excluded.remote = "203.0.113.1";
	excluded.request_uri = "/health";
	run(app, &excluded, &resp);
	tap_is_int(resp.status, 200, "corrupt store: excluded path still allowed");
	run(app, &knock, &resp);
	tap_is_int(resp.status, 200, "corrupt store: a new knock succeeds");
	run(app, &check, &resp);
	tap_is_int(resp.status, 200, "corrupt store: after the knock the client is allowed");
}

static void
test_no_config(void)
{
	struct app app;
	struct response resp;
	struct rq check = { .role = APP_ROLE_AUTHORIZER, .method = "GET", .request_uri = "/", .remote = "192.0.2.1" };
	struct rq health = { .method = "GET", .request_uri = "/health" };

	app_init(&app, NULL);
	run(&app, &check, &resp);
	tap_is_int(resp.status, 401, "no config: authorizer denies");
	run(&app, &health, &resp);
	tap_is_int(resp.status, 503, "no config: /health is 503");
	app_fini(&app);
}

/* The body an answer carries (long_body for a list). */
static const char *
body_of(const struct response *resp)
{
	return resp->long_body != NULL ? resp->long_body : resp->body;
}

/* GET/DELETE /entries: admin keys only; bad bodies are 400 with a message. */
static void
test_entries(struct app *app)
{
	static const struct {
		const char	*name;
		struct rq	 rq;
		int		 status;
		const char	*body;
	} rows[] = {
		{ "no key is 401", { .method = "GET", .request_uri = "/.knocker/entries",
		  .remote = "203.0.113.50" }, 401, "{\"error\":\"Invalid or missing API key.\"}" },
		{ "wrong key is 401", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = "nope-nope-nope-nope", .ctype = "application/json",
		  .body = "{\"all\":true}" }, 401, "{\"error\":\"Invalid or missing API key.\"}" },
		{ "non-admin GET is 403", { .method = "GET", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_PHONE }, 403,
		  "{\"error\":\"API key lacks admin permission.\"}" },
		{ "non-admin DELETE is 403", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_PHONE, .ctype = "application/json",
		  .body = "{\"all\":true}" }, 403, "{\"error\":\"API key lacks admin permission.\"}" },
		{ "PUT is 405", { .method = "PUT", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN }, 405, NULL },
		{ "DELETE without body is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN }, 400,
		  "{\"error\":\"Request body required: {\\\"entry\\\":\\\"...\\\"}, "
		  "{\\\"key\\\":\\\"...\\\"} or {\\\"all\\\":true}.\"}" },
		{ "DELETE text/plain is 415", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "text/plain",
		  .body = "{\"all\":true}" }, 415, "{\"error\":\"Request body must be JSON.\"}" },
		{ "DELETE malformed is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "{\"all\":" }, 400, "{\"error\":\"Malformed JSON request body.\"}" },
		{ "DELETE array is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "[]" }, 400, "{\"error\":\"Request body must be a JSON object.\"}" },
		{ "DELETE two fields is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "{\"all\":true,\"key\":\"phone\"}" }, 400,
		  "{\"error\":\"Give exactly one of entry, key or all.\"}" },
		{ "DELETE unknown field is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "{\"ip\":\"1.2.3.4\"}" }, 400,
		  "{\"error\":\"Unknown field in request body (expected entry, key or all).\"}" },
		{ "DELETE bad entry is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "{\"entry\":\"1.2.3\"}" }, 400,
		  "{\"error\":\"entry must be an IP address or CIDR.\"}" },
		{ "DELETE all false is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "{\"all\":false}" }, 400, "{\"error\":\"all must be true.\"}" },
		{ "DELETE empty key is 400", { .method = "DELETE", .request_uri = "/entries",
		  .remote = "203.0.113.50", .key = KEY_ADMIN, .ctype = "application/json",
		  .body = "{\"key\":\"\"}" }, 400,
		  "{\"error\":\"key must be a key name (1 to 64 bytes).\"}" },
	};
	const struct rq knock = { .method = "POST", .request_uri = "/knock",
	    .remote = "203.0.113.60", .key = KEY_PHONE };
	const struct rq list = { .method = "GET", .request_uri = "/.knocker/entries",
	    .remote = "203.0.113.61", .key = KEY_ADMIN };
	const struct rq options = { .method = "OPTIONS", .request_uri = "/entries",
	    .remote = "203.0.113.61" };
	struct rq del = { .method = "DELETE", .request_uri = "/entries", .remote = "203.0.113.61",
	    .key = KEY_ADMIN, .ctype = "application/json" };
	struct response resp;
	const char *methods;
	char want[512];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		run(app, &rows[i].rq, &resp);
		tap_is_int(resp.status, rows[i].status, "entries: %s: status", rows[i].name);
		if (rows[i].body != NULL)
			tap_is_str(resp.body, rows[i].body, "entries: %s: body", rows[i].name);
		tap_ok(header(&resp, "Access-Control-Allow-Origin") != NULL,
		    "entries: %s: CORS header", rows[i].name);
	}
	run(app, &options, &resp);
	methods = header(&resp, "Access-Control-Allow-Methods");
	tap_ok(resp.status == 204 && methods != NULL && strstr(methods, "DELETE") != NULL,
	    "entries: OPTIONS allows DELETE");

	run(app, &knock, &resp);
	tap_is_int(resp.status, 200, "entries: a knock to list");
	run(app, &list, &resp);
	tap_is_int(resp.status, 200, "entries: admin GET is 200");
	snprintf(want, sizeof(want), "{\"entry\":\"203.0.113.60\",\"expires_at\":%lld,"
	    "\"expires_in_seconds\":3600,\"key\":\"phone\",\"knocked_at\":%lld}",
	    (long long)(fake_now + 3600), (long long)fake_now);
	tap_ok(strncmp(body_of(&resp), "{\"entries\":[", 12) == 0 &&
	    strstr(body_of(&resp), want) != NULL && strstr(body_of(&resp), "client") == NULL,
	    "entries: the list names entry, expiry, key and time, not the client");
	reply_release(&resp);

	del.body = "{\"entry\":\"203.0.113.60\"}";
	run(app, &del, &resp);
	tap_is_int(resp.status, 200, "entries: DELETE entry is 200");
	tap_is_str(resp.body, "{\"revoked\":1}", "entries: DELETE entry revokes one");
	run(app, &list, &resp);
	tap_ok(strstr(body_of(&resp), "203.0.113.60") == NULL, "entries: revoked entry gone");
	reply_release(&resp);
	run(app, &knock, &resp);
	del.body = "{\"key\":\"phone\"}";
	run(app, &del, &resp);
	tap_ok(resp.status == 200 && strcmp(resp.body, "{\"revoked\":0}") != 0,
	    "entries: DELETE by key revokes the key's entries");
	run(app, &list, &resp);
	tap_ok(strstr(body_of(&resp), "\"key\":\"phone\"") == NULL,
	    "entries: no entry of the revoked key is left");
	reply_release(&resp);
	run(app, &knock, &resp);
	del.body = "{\"all\":true}";
	run(app, &del, &resp);
	tap_ok(resp.status == 200 && strncmp(resp.body, "{\"revoked\":", 11) == 0,
	    "entries: DELETE all is 200");
	run(app, &list, &resp);
	tap_is_str(body_of(&resp), "{\"entries\":[]}", "entries: empty after DELETE all");
	reply_release(&resp);
}

int
main(void)
{
	const char *dir = tap_tmpdir("app");
	char dir_copy[512], rl_dir[600];
	struct conf *conf;
	struct app app;

	snprintf(dir_copy, sizeof(dir_copy), "%s", dir);
	conf = make_conf(dir_copy, "");
	if (!tap_ok(conf != NULL, "config parses") || !tap_ok(app_init(&app, conf) == 0, "app_init")) {
		return tap_done();
	}
	app.now = fake_clock;

	test_knock_statuses(&app);
	test_body_streamed_too_large(&app);
	test_key_before_body(&app);
	test_knock_embedded_ipv4(&app);
	test_status_endpoint(&app);
	test_reknock_replaces_expiry(&app);
	test_options_and_methods(&app);
	test_routing(&app);
	test_verify(&app);
	test_expiry(&app);
	test_corrupt_store_denies(&app, dir_copy);
	test_periodic_cleanup(&app, dir_copy);
	test_entries(&app);
	test_status_latest_expiry(&app);
	app_fini(&app);
	conf_free(conf);

	snprintf(rl_dir, sizeof(rl_dir), "%s/rl", dir_copy);
	mkdir(rl_dir, 0700);
	test_rate_limit(rl_dir);
	test_store_failure(dir_copy);
	test_no_config();
	return tap_done();
}
