/*
 * audit: the exact audit line formats (field order, result words, quoting
 * and escaping), and the lines app_handle writes for knock outcomes and
 * status calls, read back from a real log file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "app.h"
#include "audit.h"
#include "log.h"
#include "tap.h"
#include "testconf.h"

#define KEY_PHONE "k-phone-0123456789abcdef"
#define KEY_ADMIN "k-admin-0123456789abcdef"

static int64_t clock_now = 1700000000;

static int64_t
fake_clock(void)
{
	return clock_now;
}

static void
test_formats(void)
{
	char buf[AUDIT_LINE_MAX];
	struct audit_record r = { .event = "knock", .client = "198.51.100.7", .key = "phone",
	    .status = 200, .extra = { { "entry", "198.51.100.7" }, { "ttl", "3600" } } };
	struct audit_record bad = { .event = "knock", .client = "2001:db8::1", .status = 401,
	    .reason = "bad_key" };
	struct audit_record odd = { .event = "admin", .client = "192.0.2.1",
	    .key = "my phone \"x\"\nevent=knock", .status = 200,
	    .extra = { { "action", "revoke" }, { "target", "" }, { "x", "caf\xc3\xa9\\" } } };
	struct audit_record reload = { .event = "reload", .result = "error", .reason = "invalid" };
	size_t n;

	audit_format(&r, buf, sizeof(buf));
	tap_is_str(buf, "event=knock result=ok client=198.51.100.7 key=phone status=200 "
	    "entry=198.51.100.7 ttl=3600", "format: accepted knock");
	audit_format(&bad, buf, sizeof(buf));
	tap_is_str(buf, "event=knock result=denied client=2001:db8::1 key=- status=401 reason=bad_key",
	    "format: wrong key: key=-, reason=bad_key");
	audit_format(&odd, buf, sizeof(buf));
	tap_is_str(buf, "event=admin result=ok client=192.0.2.1 key=\"my phone \\\"x\\\"\\x0aevent=knock\" "
	    "status=200 action=revoke target=\"\" x=\"caf\\xc3\\xa9\\\\\"",
	    "format: spaces, quotes, newline, non-ASCII and backslash are quoted and escaped");
	tap_ok(strchr(buf, '\n') == NULL, "format: no newline can get into a line");
	audit_format(&reload, buf, sizeof(buf));
	tap_is_str(buf, "event=reload result=error client=- key=- status=- reason=invalid",
	    "format: no client, key or status: -");
	n = audit_format(&r, buf, 20);
	tap_ok(n == 19 && strlen(buf) == 19, "format: cut to the buffer, NUL-terminated");

	tap_is_str(audit_result(200), "ok", "result: 200 ok");
	tap_is_str(audit_result(401), "denied", "result: 401 denied");
	tap_is_str(audit_result(403), "denied", "result: 403 denied");
	tap_is_str(audit_result(429), "limited", "result: 429 limited");
	tap_is_str(audit_result(413), "invalid", "result: 413 invalid");
	tap_is_str(audit_result(503), "error", "result: 503 error");
}

/* The audit lines of the log file from byte *pos on, without their
   prefix, joined by '\n'; *pos moves to the end. */
static const char *
new_audit_lines(const char *log_path, long *pos)
{
	static char out[8192];
	char line[2048];
	const char *a;
	FILE *f = fopen(log_path, "r");

	out[0] = '\0';
	if (f == NULL)
		return out;
	fseek(f, *pos, SEEK_SET);
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((a = strstr(line, ": audit: ")) == NULL)
			continue;
		/* the level too: "info: audit: ..." -> "info event=..." */
		if (a - line >= 4 && strncmp(a - 4, "info", 4) == 0)
			strlcat(out, "info ", sizeof(out));
		else if (a - line >= 4 && strncmp(a - 4, "warn", 4) == 0)
			strlcat(out, "warn ", sizeof(out));
		strlcat(out, a + 9, sizeof(out));
	}
	*pos = ftell(f);
	fclose(f);
	if (*out != '\0')
		out[strlen(out) - 1] = '\0';
	return out;
}

static void
verify(struct app *app, const char *remote, struct response *resp)
{
	struct request req = { .role = APP_ROLE_AUTHORIZER, .method = "GET",
	    .request_uri = "/private/", .remote_addr = remote };

	app_handle(app, &req, resp);
}

static void
request(struct app *app, const char *method, const char *remote, const char *key,
    const char *body, struct response *resp)
{
	struct request req = { .role = APP_ROLE_RESPONDER, .method = method,
	    .request_uri = "/knock", .remote_addr = remote, .api_key = key,
	    .content_type = body != NULL ? "application/json" : NULL };
	struct mem_body mb = { body, body != NULL ? strlen(body) : 0, 0 };
	char clen[24];

	if (body != NULL) {
		snprintf(clen, sizeof(clen), "%zu", strlen(body));
		req.content_length = clen;
		req.read_body = mem_read;
		req.body_ctx = &mb;
	}
	app_handle(app, &req, resp);
}

static void
test_app_lines(const char *dir)
{
	char json[1024], log_path[600];
	const char *lines;
	struct conf *conf;
	struct app app;
	struct response resp;
	FILE *f;
	int i;
	long pos = 0;

	snprintf(log_path, sizeof(log_path), "%s/knocker.log", dir);
	snprintf(json, sizeof(json),
	    "{\"whitelist\":{\"storage_path\":\"%s/whitelist.json\"},"
	    "\"api_keys\":[{\"name\":\"phone\",\"key\":\"" KEY_PHONE "\",\"max_ttl\":3600},"
	    "{\"name\":\"admin laptop\",\"key\":\"" KEY_ADMIN "\",\"max_ttl\":600}],"
	    "\"security\":{\"knock_rate_limit\":{\"failed_requests\":2}}}", dir);
	conf = testconf_parse(json);
	if (!tap_ok(conf != NULL && app_init(&app, conf) == 0, "app with a log file") ||
	    !tap_ok(log_open(log_path, LOG_LEVEL_INFO) == 0, "log file opened"))
		return;
	app.now = fake_clock;

	request(&app, "POST", "198.51.100.7", KEY_PHONE, NULL, &resp);
	tap_is_int(resp.status, 200, "knock accepted");
	tap_is_str(new_audit_lines(log_path, &pos),
	    "info event=knock result=ok client=198.51.100.7 key=phone status=200 "
	    "entry=198.51.100.7 ttl=3600", "audit: accepted knock at info, with entry and ttl");

	request(&app, "POST", "203.0.113.9", "wrong-key-0123456789", NULL, &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=knock result=denied client=203.0.113.9 key=- status=401 reason=bad_key",
	    "audit: wrong key at warn: key=-, reason=bad_key, never the key");
	request(&app, "POST", "203.0.113.9", NULL, NULL, &resp);
	request(&app, "POST", "203.0.113.9", NULL, NULL, &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=knock result=denied client=203.0.113.9 key=- status=401 reason=bad_key\n"
	    "warn event=knock result=limited client=203.0.113.9 key=- status=429 reason=rate_limited",
	    "audit: missing key, then rate limited");

	request(&app, "GET", "198.51.100.7", KEY_ADMIN, NULL, &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "info event=status result=ok client=198.51.100.7 key=\"admin laptop\" status=200",
	    "audit: status call, a key name with a space is quoted");
	request(&app, "GET", "2001:db8::5", "nope-nope-nope-nope", NULL, &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=status result=denied client=2001:db8::5 key=- status=401 reason=bad_key",
	    "audit: status call with a wrong key");

	request(&app, "POST", "not-an-ip", KEY_PHONE, NULL, &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=knock result=invalid client=- key=- status=400 reason=no_client_ip",
	    "audit: no client IP");

	request(&app, "POST", "198.51.100.8", KEY_PHONE, "{\"ip_address\":\"10.0.0.1\"}", &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=knock result=denied client=198.51.100.8 key=phone status=403 "
	    "reason=no_remote_permission", "audit: a refused knock names the key that was used");

	app_note_reload(&app, true, NULL, NULL);
	snprintf(json, sizeof(json), "info event=reload result=ok client=- key=- status=- file=%s",
	    conf->path);
	tap_is_str(new_audit_lines(log_path, &pos), json, "audit: reload ok");
	app_note_reload(&app, false, "invalid", "api_keys[0].key: too short");
	snprintf(json, sizeof(json), "warn event=reload result=error client=- key=- status=- "
	    "reason=invalid file=%s error=\"api_keys[0].key: too short\"", conf->path);
	tap_is_str(new_audit_lines(log_path, &pos), json, "audit: reload refused");

	audit_admin("192.0.2.4", "admin laptop", 200, NULL, "revoke", "198.51.100.7", 1);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "info event=admin result=ok client=192.0.2.4 key=\"admin laptop\" status=200 "
	    "action=revoke target=198.51.100.7 count=1", "audit: admin action");
	audit_admin("192.0.2.4", "phone", 403, "not_admin", "list", NULL, -1);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=admin result=denied client=192.0.2.4 key=phone status=403 "
	    "reason=not_admin action=list", "audit: admin action refused");
	audit_store("add", "busy", "198.51.100.7", "phone", 0);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=store result=error client=198.51.100.7 key=phone status=- reason=busy op=add",
	    "audit: store failure");

	snprintf(json, sizeof(json), "%s/whitelist.json", dir);
	if ((f = fopen(json, "w")) != NULL) {
		fputs("{\"198.51.100.7\": garbage", f);
		fclose(f);
	}
	clock_now += 1;		/* the store checks its file once a second */
	for (i = 0; i < 5; i++)
		verify(&app, "198.51.100.7", &resp);
	tap_is_int(resp.status, 401, "broken store: verify denies");
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=store result=error client=- key=- status=- reason=failed op=refresh",
	    "audit: a store that stays broken: one line for 5 verifies, not 5");
	clock_now += APP_STORE_AUDIT_EVERY - 1;
	verify(&app, "198.51.100.7", &resp);
	tap_is_str(new_audit_lines(log_path, &pos), "", "audit: none within the next 10 s");
	clock_now += 1;
	verify(&app, "198.51.100.7", &resp);
	tap_is_str(new_audit_lines(log_path, &pos),
	    "warn event=store result=error client=- key=- status=- reason=failed op=refresh "
	    "suppressed=5", "audit: then the next, saying how many were left out");
	request(&app, "POST", "198.51.100.9", KEY_PHONE, NULL, &resp);
	request(&app, "POST", "198.51.100.9", KEY_PHONE, NULL, &resp);
	lines = new_audit_lines(log_path, &pos);
	tap_ok(strncmp(lines, "info event=knock result=ok ", 27) == 0 &&
	    strstr(lines, "\ninfo event=knock result=ok ") != NULL,
	    "audit: knocks still get a line each (the first moves the broken file aside): %s", lines);
	clock_now = 1700000000;

	log_close();
	app_fini(&app);
	conf_free(conf);
}

int
main(void)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s", tap_tmpdir("audit"));
	test_formats();
	test_app_lines(dir);
	return tap_done();
}
