/*
 * fcgireq: role detection and parameter mapping as each web server sends
 * them (docs/DEPLOY.md describes each server), and the exact bytes of an answer.
 */
#include "config.h"

#include <string.h>

#include "fcgireq.h"
#include "tap.h"


static void
test_roles(void)
{
	static const struct {
		const char	*name;
		const char	*env[6];
		enum app_role	 role;
	} rows[] = {
		{ "lighttpd authorizer (libfcgi adds FCGI_ROLE)", { "FCGI_ROLE=AUTHORIZER", "REMOTE_ADDR=::1", NULL },
		  APP_ROLE_AUTHORIZER },
		{ "Apache sends FCGI_ROLE twice", { "FCGI_ROLE=AUTHORIZER", "FCGI_ROLE=AUTHORIZER",
		  "FCGI_APACHE_ROLE=AUTHENTICATOR", NULL }, APP_ROLE_AUTHORIZER },
		{ "FCGI_APACHE_ROLE alone", { "FCGI_ROLE=RESPONDER", "FCGI_APACHE_ROLE=AUTHORIZER", NULL },
		  APP_ROLE_AUTHORIZER },
		{ "nginx/Caddy verify is a responder", { "FCGI_ROLE=RESPONDER", "SCRIPT_NAME=/_knocker/verify", NULL },
		  APP_ROLE_RESPONDER },
		{ "the first FCGI_ROLE wins", { "FCGI_ROLE=RESPONDER", "FCGI_ROLE=AUTHORIZER", NULL },
		  APP_ROLE_RESPONDER },
		{ "CGI (no FCGI_ROLE)", { "GATEWAY_INTERFACE=CGI/1.1", NULL }, APP_ROLE_RESPONDER },
	};
	struct request req;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		fcgireq_from_env(rows[i].env, &req);
		tap_is_int(req.role, rows[i].role, "role: %s", rows[i].name);
	}
}

static void
test_params(void)
{
	const char *env[] = {
		"SCRIPT_NAME=/knock", "SCRIPT_NAME=/verify", "REQUEST_METHOD=POST",
		"REQUEST_URI=/knock?x=1", "REMOTE_ADDR=203.0.113.7", "HTTP_HOST=[::1]:8080",
		"HTTP_X_FORWARDED_FOR=1.2.3.4, 5.6.7.8", "HTTP_X_API_KEY=secret=with=equals",
		"CONTENT_TYPE=application/json", "CONTENT_LENGTH=12", "PATH_INFO=", "NOEQUALS",
		"HTTP_X_FORWARDED_HOST=h.example", "HTTP_X_ORIGINAL_URI=/o", "HTTP_X_FORWARDED_URI=/f",
		"DOCUMENT_URI=/d", NULL
	};
	struct request req;

	fcgireq_from_env(env, &req);
	tap_is_str(req.script_name, "/knock", "params: the first SCRIPT_NAME wins (nginx duplicates)");
	tap_is_str(req.method, "POST", "params: method");
	tap_is_str(req.request_uri, "/knock?x=1", "params: request uri");
	tap_is_str(req.remote_addr, "203.0.113.7", "params: remote addr");
	tap_is_str(req.host, "[::1]:8080", "params: host");
	tap_is_str(req.x_forwarded_for, "1.2.3.4, 5.6.7.8", "params: xff");
	tap_is_str(req.api_key, "secret=with=equals", "params: api key keeps '=' in the value");
	tap_is_str(req.content_type, "application/json", "params: content type");
	tap_is_str(req.content_length, "12", "params: content length");
	tap_is_str(req.path_info, "", "params: empty value is empty, not absent");
	tap_is_str(req.x_forwarded_host, "h.example", "params: x-forwarded-host");
	tap_is_str(req.x_original_uri, "/o", "params: x-original-uri");
	tap_is_str(req.x_forwarded_uri, "/f", "params: x-forwarded-uri");
	tap_is_str(req.document_uri, "/d", "params: document uri");
	tap_ok(req.read_body == NULL, "params: no body reader set");

	fcgireq_from_env(NULL, &req);
	tap_ok(req.method == NULL && req.role == APP_ROLE_RESPONDER, "params: NULL envp is an empty request");
}

/* nginx passes each repeated header line as its own param, and lighttpd
   passes X-Forwarded-For and X_Forwarded_For under the same name: a
   repeated name is never trusted. */
static void
test_repeated(void)
{
	const char *xff[] = { "HTTP_X_FORWARDED_FOR=203.0.113.7", "HTTP_X_FORWARDED_FOR=198.51.100.1",
	    "HTTP_X_FORWARDED_FOR=10.0.0.1, 10.0.0.2", NULL };
	/* lighttpd: "X-Forwarded-For: <proxy's>" and an attacker's
	   "X_Forwarded_For: 203.0.113.66" arrive as two equal names. */
	const char *spoof[] = { "REMOTE_ADDR=127.0.0.1", "HTTP_X_FORWARDED_FOR=198.51.100.1",
	    "HTTP_X_FORWARDED_FOR=203.0.113.66", NULL };
	const char *same[] = { "HTTP_X_FORWARDED_FOR=203.0.113.7", "HTTP_X_FORWARDED_FOR=203.0.113.7", NULL };
	const char *keys[] = { "HTTP_X_API_KEY=good", "HTTP_X_API_KEY=wrong", "HTTP_X_API_KEY=good", NULL };
	const char *uris[] = { "HTTP_X_ORIGINAL_URI=/health", "HTTP_X_ORIGINAL_URI=/private",
	    "HTTP_X_FORWARDED_URI=/a", "HTTP_X_FORWARDED_URI=/a", "HTTP_X_FORWARDED_HOST=h",
	    "HTTP_X_FORWARDED_HOST=h", "HTTP_HOST=one", "HTTP_HOST=two", NULL };
	const char *one[] = { "HTTP_X_FORWARDED_FOR=203.0.113.7, 10.0.0.1", NULL };
	struct request req;

	fcgireq_from_env(one, &req);
	tap_is_str(req.x_forwarded_for, "203.0.113.7, 10.0.0.1", "one X-Forwarded-For param is taken as it is");
	fcgireq_from_env(xff, &req);
	tap_ok(req.x_forwarded_for == NULL, "repeated X-Forwarded-For params are ambiguous: no value");
	fcgireq_from_env(spoof, &req);
	tap_ok(req.x_forwarded_for == NULL,
	    "lighttpd's X-Forwarded-For plus an attacker's X_Forwarded_For: no value (was joined, spoof rightmost)");
	fcgireq_from_env(same, &req);
	tap_ok(req.x_forwarded_for == NULL, "even two equal X-Forwarded-For params: no value");
	fcgireq_from_env(keys, &req);
	tap_ok(req.api_key == NULL, "a repeated X-Api-Key is ambiguous: no key");
	fcgireq_from_env(uris, &req);
	tap_ok(req.x_original_uri == NULL && req.x_forwarded_uri == NULL && req.x_forwarded_host == NULL,
	    "repeated X-Original-URI / X-Forwarded-Uri / X-Forwarded-Host are ambiguous: ignored");
	tap_is_str(req.host, "one", "other repeated params: the first wins");
}

static void
test_format(void)
{
	struct response resp;
	char out[FCGIREQ_OUT_MAX];
	size_t len;

	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	len = fcgireq_format(&resp, out, sizeof(out));
	out[len] = '\0';
	tap_is_str(out, "Status: 200 OK\r\n\r\n", "format: an allow is the status line alone");

	resp.status = 401;
	resp.content_type = "application/json";
	resp.nheaders = 1;
	resp.headers[0].name = "Access-Control-Allow-Origin";
	strcpy(resp.headers[0].value, "*");
	strcpy(resp.body, "{\"error\":\"x\"}");
	resp.body_len = strlen(resp.body);
	len = fcgireq_format(&resp, out, sizeof(out));
	out[len] = '\0';
	tap_is_str(out, "Status: 401 Unauthorized\r\nAccess-Control-Allow-Origin: *\r\n"
	    "Content-Type: application/json\r\nContent-Length: 13\r\nCache-Control: no-store\r\n\r\n"
	    "{\"error\":\"x\"}", "format: headers, content type and body");

	tap_is_int((int64_t)fcgireq_format(&resp, out, 20), 0, "format: a too-small buffer is reported, not truncated");
}

int
main(void)
{
	test_roles();
	test_params();
	test_repeated();
	test_format();
	return tap_done();
}
