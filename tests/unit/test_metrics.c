/*
 * metrics: the shared counters (several processes add to the same numbers,
 * exactly), the Prometheus exposition, and GET /metrics through app_handle
 * (allowed_ips, 403, content type, a body larger than struct response's).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "metrics.h"
#include "tap.h"
#include "testconf.h"

#define KEY_PHONE "k-phone-0123456789abcdef"

static int64_t
fake_clock(void)
{
	return 1700000000;
}

static void
run(struct app *app, enum app_role role, const char *method, const char *uri,
    const char *remote, const char *key, struct response *resp)
{
	struct request req = { .role = role, .method = method, .request_uri = uri,
	    .remote_addr = remote, .api_key = key };

	reply_release(resp);	/* the last answer's long body (resp starts zeroed) */
	app_handle(app, &req, resp);
}

static struct conf *
make_conf(const char *dir, const char *extra)
{
	char json[1024];

	snprintf(json, sizeof(json),
	    "{\"whitelist\":{\"storage_path\":\"%s/whitelist.json\"},"
	    "\"api_keys\":[{\"name\":\"phone\",\"key\":\"" KEY_PHONE "\",\"max_ttl\":3600}],"
	    "\"security\":{\"always_allowed_ips\":[\"192.0.2.0/24\"],\"excluded_paths\":[\"/pub\"]}%s}",
	    dir, extra);
	return testconf_parse(json);
}

/* The value of the sample line starting with "name " in text, or -1. */
static long long
sample(const char *text, const char *name)
{
	char want[256];
	const char *p = text;
	size_t n;

	n = (size_t)snprintf(want, sizeof(want), "%s ", name);
	for (; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, want, n) == 0)
			return strtoll(p + n, NULL, 10);
	return -1;
}

static void
test_counts_and_endpoint(const char *dir)
{
	struct conf *conf = make_conf(dir, "");
	struct app app;
	struct response resp = { 0 };
	const char *text;
	pid_t pid;
	int i, st;

	if (!tap_ok(conf != NULL && app_init(&app, conf) == 0 && app.shm != NULL, "app with shared state"))
		return;
	app.now = fake_clock;
	run(&app, APP_ROLE_RESPONDER, "POST", "/knock", "198.51.100.1", KEY_PHONE, &resp);
	tap_is_int(resp.status, 200, "a knock");
	run(&app, APP_ROLE_RESPONDER, "POST", "/knock", "198.51.100.2", "bad-bad-bad-bad-bad", &resp);
	run(&app, APP_ROLE_RESPONDER, "GET", "/knock", "198.51.100.2", KEY_PHONE, &resp);
	run(&app, APP_ROLE_RESPONDER, "GET", "/knock", "198.51.100.2", NULL, &resp);
	/* verifies from this process and from 3 children (their own app on the
	   same files, as spawn-fcgi workers): 10 each of allow/deny */
	for (i = 0; i < 3; i++) {
		if ((pid = fork()) == 0) {
			struct app child;
			int j;

			if (app_init(&child, conf) != 0)
				_exit(1);
			child.now = fake_clock;
			for (j = 0; j < 10; j++) {
				run(&child, APP_ROLE_AUTHORIZER, "GET", "/", "198.51.100.1", NULL, &resp);
				run(&child, APP_ROLE_AUTHORIZER, "GET", "/", "198.51.100.99", NULL, &resp);
			}
			app_fini(&child);
			_exit(0);
		}
		tap_ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "worker %d verified", i);
	}
	run(&app, APP_ROLE_AUTHORIZER, "GET", "/pub/x", "203.0.113.1", NULL, &resp);
	run(&app, APP_ROLE_AUTHORIZER, "GET", "/", "192.0.2.5", NULL, &resp);
	run(&app, APP_ROLE_AUTHORIZER, "GET", "/", NULL, NULL, &resp);
	run(&app, APP_ROLE_RESPONDER, "GET", "/verify", "198.51.100.99", NULL, &resp);

	run(&app, APP_ROLE_RESPONDER, "GET", "/prefix/metrics", "127.0.0.1", NULL, &resp);
	tap_is_int(resp.status, 200, "GET /metrics from 127.0.0.1 is 200");
	tap_is_str(resp.content_type, "text/plain; version=0.0.4; charset=utf-8",
	    "/metrics content type is the text format 0.0.4");
	text = resp.long_body;
	tap_ok(text != NULL && resp.body_len > sizeof(resp.body) && strlen(text) == resp.body_len,
	    "/metrics body (%zu bytes) is larger than struct response's own buffer", resp.body_len);
	tap_is_int(sample(text, "knocker_verify_total{result=\"allow\",reason=\"whitelisted\"}"), 30,
	    "verify allow whitelisted: 30, summed over 3 processes");
	tap_is_int(sample(text, "knocker_verify_total{result=\"deny\",reason=\"not_whitelisted\"}"), 31,
	    "verify deny not_whitelisted: 31 (authorizer and /verify)");
	tap_is_int(sample(text, "knocker_verify_total{result=\"allow\",reason=\"excluded_path\"}"), 1,
	    "verify allow excluded_path");
	tap_is_int(sample(text, "knocker_verify_total{result=\"allow\",reason=\"always_allowed\"}"), 1,
	    "verify allow always_allowed");
	tap_is_int(sample(text, "knocker_verify_total{result=\"deny\",reason=\"no_client_ip\"}"), 1,
	    "verify deny no_client_ip");
	tap_is_int(sample(text, "knocker_verify_total{result=\"deny\",reason=\"store_error\"}"), 0,
	    "verify deny store_error");
	tap_is_int(sample(text, "knocker_knock_total{code=\"200\"}"), 1, "knock 200");
	tap_is_int(sample(text, "knocker_knock_total{code=\"401\"}"), 1, "knock 401");
	tap_is_int(sample(text, "knocker_knock_total{code=\"429\"}"), 0, "knock 429");
	tap_is_int(sample(text, "knocker_status_total{code=\"200\"}"), 1, "status 200");
	tap_is_int(sample(text, "knocker_status_total{code=\"401\"}"), 1, "status 401");
	tap_is_int(sample(text, "knocker_whitelist_entries"), 1, "whitelist entries gauge");
	tap_is_int(sample(text, "knocker_config_reloads_total{result=\"ok\"}"), 0, "reloads ok");
	tap_is_int(sample(text, "knocker_store_errors_total"), 0, "store errors");
	tap_ok(strstr(text, "# TYPE knocker_verify_total counter\n") != NULL &&
	    strstr(text, "# TYPE knocker_whitelist_entries gauge\n") != NULL,
	    "TYPE lines");
	tap_ok(strstr(text, "knocker_build_info{version=\"" PACKAGE_VERSION "\"} 1\n") != NULL,
	    "build info");

	app_note_reload(&app, true, NULL, NULL);
	app_note_reload(&app, false, "invalid", "x");
	tap_is_int((int64_t)metrics_get(app.shm, METRIC_RELOAD_OK), 1, "reload ok counted");
	tap_is_int((int64_t)metrics_get(app.shm, METRIC_RELOAD_ERROR), 1, "reload error counted");

	run(&app, APP_ROLE_RESPONDER, "GET", "/metrics", "::1", NULL, &resp);
	tap_is_int(resp.status, 200, "GET /metrics from ::1 is 200 (default allowed_ips)");
	run(&app, APP_ROLE_RESPONDER, "GET", "/metrics", "198.51.100.1", NULL, &resp);
	tap_is_int(resp.status, 403, "GET /metrics from another address is 403");
	tap_is_str(resp.body, "{\"error\":\"Forbidden.\"}", "403 body");
	run(&app, APP_ROLE_RESPONDER, "POST", "/metrics", "127.0.0.1", NULL, &resp);
	tap_is_int(resp.status, 405, "POST /metrics is 405");
	run(&app, APP_ROLE_AUTHORIZER, "GET", "/metrics", "127.0.0.1", NULL, &resp);
	tap_is_int(resp.status, 401, "authorizer role never serves metrics (a verify: deny)");
	tap_ok(resp.long_body == NULL, "authorizer answer has no long body");
	reply_release(&resp);
	app_fini(&app);
	conf_free(conf);
}

static void
test_allowed_ips(const char *dir)
{
	struct conf *conf = make_conf(dir, ",\"metrics\":{\"allowed_ips\":[\"10.1.0.0/16\"]}");
	struct app app;
	struct response resp = { 0 };

	if (!tap_ok(conf != NULL && app_init(&app, conf) == 0, "metrics.allowed_ips config"))
		return;
	run(&app, APP_ROLE_RESPONDER, "GET", "/metrics", "10.1.2.3", NULL, &resp);
	tap_is_int(resp.status, 200, "allowed_ips: an address inside the range gets metrics");
	run(&app, APP_ROLE_RESPONDER, "GET", "/metrics", "127.0.0.1", NULL, &resp);
	tap_is_int(resp.status, 403, "allowed_ips replaces the default: 127.0.0.1 is 403");
	reply_release(&resp);
	app_fini(&app);
	conf_free(conf);
	tap_ok(make_conf(dir, ",\"metrics\":{\"allowed_ips\":[\"nope\"]}") == NULL,
	    "metrics.allowed_ips: a bad address is refused");
	tap_ok(make_conf(dir, ",\"metrics\":{\"allowed\":[]}") == NULL,
	    "metrics: an unknown key is refused");
}

static void
test_render(void)
{
	struct metrics_gauges g = { -1, 10 };
	char buf[METRICS_TEXT_MAX];
	size_t n;

	n = metrics_render(NULL, &g, buf, sizeof(buf));
	tap_ok(n > 0 && strstr(buf, "knocker_shared_state_up 0\n") != NULL &&
	    strstr(buf, "knocker_whitelist_entries") == NULL,
	    "render without shared state: zeros, no entries gauge when unknown");
	tap_is_int((int64_t)metrics_render(NULL, &g, buf, 100), 0, "render: too small is 0, not cut");
}

int
main(void)
{
	char dir[512], sub[600];

	snprintf(dir, sizeof(dir), "%s", tap_tmpdir("metrics"));
	test_counts_and_endpoint(dir);
	snprintf(sub, sizeof(sub), "%s/b", dir);
	if (mkdir(sub, 0700) != 0)
		return 1;
	test_allowed_ips(sub);
	test_render();
	return tap_done();
}
