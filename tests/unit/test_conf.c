#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "errlist.h"
#include "ipmap.h"
#include "ipnet.h"
#include "tap.h"

#define F "t.json"
#define KEY1 "0123456789abcdef0123456789abcdef"
#define KEY2 "fedcba9876543210fedcba9876543210"
#define WL "\"whitelist\":{\"storage_path\":\"/var/lib/knocker/whitelist.json\"}"
#define KEYS "\"api_keys\":[{\"key\":\"" KEY1 "\",\"max_ttl\":3600}]"
/* A valid config plus more top-level members (each starting with ","). */
#define CFG(extra) "{" WL "," KEYS extra "}"
/* A valid config with the given security object. */
#define SEC(body) CFG(",\"security\":{" body "}")
#define RL(body) SEC("\"knock_rate_limit\":{" body "}")
#define KEY(body) "{" WL ",\"api_keys\":[" body "]}"
/* The hint every key error ends with: works on Debian without extra packages. */
#define KEYGEN "generate one with: od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' " \
    "(or: openssl rand -hex 32)"

static struct conf *
parse(const char *json, struct errlist *errs, struct errlist *warns)
{
	return conf_parse(json, strlen(json), F, errs, warns);
}

/* True if l holds exactly want; on failure lists what it holds. */
static int
has_msg(const struct errlist *l, const char *want, const char *name)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strcmp(l->msg[i], want) == 0)
			return tap_ok(1, "%s", name);
	tap_ok(0, "%s", name);
	tap_diag("expected: %s", want);
	for (i = 0; i < l->count; i++)
		tap_diag("got:      %s", l->msg[i]);
	if (l->count == 0)
		tap_diag("got no message");
	return 0;
}

static int
none_contains(const struct errlist *l, const char *needle)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strstr(l->msg[i], needle) != NULL)
			return 0;
	return 1;
}

static bool
map_has(const struct ipmap *m, const char *s)
{
	struct ipnet n;

	return ipnet_parse(s, &n) == 0 && ipmap_get(m, &n, NULL) == 1;
}

static void
test_minimal(void)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c = parse(CFG(""), &errs, &warns);

	if (!tap_ok(c != NULL, "minimal config loads")) {
		tap_diag("%s", errs.count ? errs.msg[0] : "?");
		goto out;
	}
	tap_is_int((int64_t)errs.count, 0, "minimal: no errors");
	tap_is_int((int64_t)warns.count, 0, "minimal: no warnings");
	tap_is_str(c->path, F, "minimal: path");
	tap_is_str(c->storage_path, "/var/lib/knocker/whitelist.json", "minimal: storage_path");
	tap_is_int(c->cleanup_interval, 60, "minimal: cleanup_interval default");
	tap_is_int((int64_t)c->nkeys, 1, "minimal: one key");
	tap_is_str(c->keys[0].name, "api_keys[0]", "minimal: default key name");
	tap_is_str(c->keys[0].key, KEY1, "minimal: key");
	tap_is_int((int64_t)c->keys[0].key_len, 32, "minimal: key_len");
	tap_is_int(c->keys[0].max_ttl, 3600, "minimal: max_ttl");
	tap_is_int(c->keys[0].allow_remote_whitelist, 0, "minimal: allow_remote_whitelist default");
	tap_is_int(c->keys[0].admin, 0, "minimal: admin default false");
	tap_ok(c->trusted_proxies != NULL && ipmap_count(c->trusted_proxies) == 0,
	    "minimal: trusted_proxies empty, not NULL");
	tap_ok(c->always_allowed != NULL && ipmap_count(c->always_allowed) == 0,
	    "minimal: always_allowed empty, not NULL");
	tap_is_int((int64_t)c->nexcluded, 0, "minimal: no excluded paths");
	tap_is_int((int64_t)c->nhost_paths, 0, "minimal: no excluded paths by host");
	tap_is_int(c->max_entries, 10000, "minimal: max_whitelist_entries default");
	tap_is_int(c->rl_window, 60, "minimal: window_seconds default");
	tap_is_int(c->rl_success, 20, "minimal: successful_requests default");
	tap_is_int(c->rl_failure, 30, "minimal: failed_requests default");
	tap_is_int(c->rl_ipv4_prefix, 32, "minimal: ipv4_prefix default");
	tap_is_int(c->rl_ipv6_prefix, 64, "minimal: ipv6_prefix default");
	tap_is_str(c->cors_origin, "*", "minimal: allowed_origin default");
	tap_is_str(c->log_target, "stderr", "minimal: log.target default");
	tap_is_int(c->log_level, LOG_LEVEL_INFO, "minimal: log.level default");
out:
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);
}

static const char spec_example[] =
	"{\n"
	"  \"server\":    { \"trusted_proxies\": [\"127.0.0.1\", \"::1\"] },\n"
	"  \"whitelist\": { \"storage_path\": \"/var/lib/knocker/whitelist.json\",\n"
	"                 \"cleanup_interval_seconds\": 60 },\n"
	"  \"api_keys\":  [ { \"name\": \"phone\", \"key\": \"" KEY1 KEY2 "\",\n"
	"                   \"max_ttl\": 3600, \"allow_remote_whitelist\": false } ],\n"
	"  \"security\":  { \"always_allowed_ips\": [], \"excluded_paths\": [],\n"
	"                 \"excluded_paths_by_host\": { \"media.example.org\": [\"/health\"] },\n"
	"                 \"max_whitelist_entries\": 10000,\n"
	"                 \"knock_rate_limit\": { \"window_seconds\": 60,\n"
	"                                       \"successful_requests\": 20,\n"
	"                                       \"failed_requests\": 30 } },\n"
	"  \"cors\":      { \"allowed_origin\": \"*\" },\n"
	"  \"log\":       { \"target\": \"stderr\", \"level\": \"info\" }\n"
	"}\n";

static void
test_spec_example(void)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c = parse(spec_example, &errs, &warns);

	if (!tap_ok(c != NULL, "documented example loads")) {
		tap_diag("%s", errs.count ? errs.msg[0] : "?");
		goto out;
	}
	tap_is_int((int64_t)warns.count, 0, "documented example: no warnings");
	tap_is_int((int64_t)ipmap_count(c->trusted_proxies), 2, "documented example: two proxies");
	tap_ok(map_has(c->trusted_proxies, "127.0.0.1"), "documented example: proxy 127.0.0.1");
	tap_ok(map_has(c->trusted_proxies, "::1"), "documented example: proxy ::1");
	tap_is_int(c->cleanup_interval, 60, "documented example: cleanup_interval");
	tap_is_str(c->keys[0].name, "phone", "documented example: key name");
	tap_is_int((int64_t)c->keys[0].key_len, 64, "documented example: key_len");
	tap_is_int(c->keys[0].max_ttl, 3600, "documented example: max_ttl");
	tap_is_int((int64_t)c->nhost_paths, 1, "documented example: one host");
	tap_is_str(c->host_paths[0].host, "media.example.org", "documented example: host");
	tap_is_int((int64_t)c->host_paths[0].npaths, 1, "documented example: one host path");
	tap_is_str(c->host_paths[0].paths[0], "/health", "documented example: host path");
	tap_is_int(c->max_entries, 10000, "documented example: max_entries");
	tap_is_str(c->log_target, "stderr", "documented example: log target");
out:
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);
}

static void
test_full_values(void)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c;
	struct ipnet a;
	const char *json =
	    "{\"server\":{\"trusted_proxies\":[\"10.0.0.1\",\"::ffff:10.0.0.2\",\"10.0.0.3/32\"]},"
	    "\"whitelist\":{\"storage_path\":\"/srv/wl.json\",\"cleanup_interval_seconds\":86400},"
	    "\"api_keys\":[{\"name\":\"phone\",\"key\":\"" KEY1 "\",\"max_ttl\":315360000},"
	    "{\"key\":\"" KEY2 "\",\"max_ttl\":1,\"allow_remote_whitelist\":true,\"name\":\"admin\","
	    "\"admin\":true},"
	    "{\"key\":\"" KEY1 "x\",\"max_ttl\":60,\"allow_remote_whitelist\":false}],"
	    "\"security\":{\"always_allowed_ips\":[\"192.0.2.77/24\",\"2001:db8::1\"],"
	    "\"excluded_paths\":[\"/health\",\"/.well-known/\"],"
	    "\"excluded_paths_by_host\":{\"Media.Example.ORG:8080\":[\"/a\",\"/b/c\"],\"*\":[],"
	    "\"[2001:DB8::5]\":[\"/v6\"]},"
	    "\"max_whitelist_entries\":10000000,"
	    "\"knock_rate_limit\":{\"window_seconds\":1,\"successful_requests\":0,"
	    "\"failed_requests\":1000000,\"ipv4_prefix\":8,\"ipv6_prefix\":128}},"
	    "\"cors\":{\"allowed_origin\":\"https://app.example.org\"},"
	    "\"log\":{\"target\":\"/var/log/knocker.log\",\"level\":\"debug\"}}";

	c = parse(json, &errs, &warns);
	if (!tap_ok(c != NULL, "full config with boundary values loads")) {
		tap_diag("%s", errs.count ? errs.msg[0] : "?");
		goto out;
	}
	tap_is_int((int64_t)warns.count, 0, "full: no warnings");
	tap_is_int((int64_t)ipmap_count(c->trusted_proxies), 3, "full: three proxies");
	tap_ok(map_has(c->trusted_proxies, "10.0.0.2"), "full: v4-mapped proxy stored as IPv4");
	tap_is_int(c->cleanup_interval, 86400, "full: cleanup 86400");
	tap_is_int((int64_t)c->nkeys, 3, "full: three keys");
	tap_is_int(c->keys[0].max_ttl, CONF_MAX_TTL, "full: max_ttl at the limit");
	tap_is_str(c->keys[1].name, "admin", "full: name after key");
	tap_is_int(c->keys[1].allow_remote_whitelist, 1, "full: allow_remote_whitelist true");
	tap_is_int(c->keys[1].admin, 1, "full: admin true");
	tap_is_int(c->keys[0].admin, 0, "full: admin false when absent");
	tap_is_int(c->keys[1].max_ttl, 1, "full: max_ttl 1");
	tap_is_str(c->keys[2].name, "api_keys[2]", "full: default name uses the index");
	tap_is_int((int64_t)c->keys[2].key_len, 33, "full: key_len 33");
	ipnet_parse("192.0.2.200", &a);
	tap_ok(ipmap_lookup(c->always_allowed, &a, NULL) == 1, "full: always_allowed CIDR");
	tap_ok(map_has(c->always_allowed, "192.0.2.0/24"), "full: CIDR host bits cleared");
	tap_is_int((int64_t)c->nexcluded, 2, "full: two excluded paths");
	tap_is_str(c->excluded_paths[1], "/.well-known/", "full: excluded path kept as written");
	tap_is_int((int64_t)c->nhost_paths, 3, "full: three hosts");
	tap_is_str(c->host_paths[0].host, "media.example.org", "full: host normalized");
	tap_is_int((int64_t)c->host_paths[0].npaths, 2, "full: host paths");
	tap_is_str(c->host_paths[0].paths[1], "/b/c", "full: host path");
	tap_is_str(c->host_paths[1].host, "*", "full: any-host key");
	tap_is_int((int64_t)c->host_paths[1].npaths, 0, "full: empty path list allowed");
	tap_is_str(c->host_paths[2].host, "2001:db8::5", "full: IPv6 host without brackets");
	tap_is_int(c->max_entries, 10000000, "full: max entries at the limit");
	tap_is_int(c->rl_window, 1, "full: window 1");
	tap_is_int(c->rl_success, 0, "full: successful 0 (disabled)");
	tap_is_int(c->rl_failure, 1000000, "full: failed at the limit");
	tap_is_int(c->rl_ipv4_prefix, 8, "full: ipv4_prefix at its lower limit");
	tap_is_int(c->rl_ipv6_prefix, 128, "full: ipv6_prefix at its upper limit");
	tap_is_str(c->cors_origin, "https://app.example.org", "full: cors");
	tap_is_str(c->log_target, "/var/log/knocker.log", "full: log target");
	tap_is_int(c->log_level, LOG_LEVEL_DEBUG, "full: log level");
out:
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);
}

/* One row per error class: the config must fail with this exact message. */
static const struct {
	const char	*name;
	const char	*json;
	const char	*msg;		/* without the "t.json: " prefix */
} bad[] = {
	/* not a config at all */
	{ "empty text", "", "not valid JSON: the file is empty" },
	{ "whitespace only", " \n\t ", "not valid JSON: the file is empty" },
	{ "not JSON", "server = 1",
	  "not valid JSON: syntax error near line 1, column 1 (byte 0)" },
	{ "syntax error on line 3", "{\n  \"server\": {},\n  \"log\": {,}\n}",
	  "not valid JSON: syntax error near line 3, column 12 (byte 29)" },
	{ "truncated", "{\"server\":{",
	  "not valid JSON: syntax error near line 1, column 12 (byte 11)" },
	/* cJSON's error position is approximate: "near". Here it is the "x". */
	{ "trailing garbage", CFG("") " x",
	  "not valid JSON: syntax error near line 1, column 137 (byte 136)" },
	{ "\\u0000 in a string", "{\"log\":{\"target\":\"stderr\\u0000x\"}}",
	  "\\u0000 in a string at line 1, column 25 (byte 24): not allowed" },
	{ "top level array", "[" CFG("") "]", "top level: must be a JSON object" },
	{ "top level string", "\"x\"", "top level: must be a JSON object" },
	{ "top level null", "null", "top level: must be a JSON object" },

	/* unknown keys at every level */
	{ "unknown top-level key", CFG(",\"foo\":1"), "foo: unknown key" },
	{ "unknown odd top-level key", CFG(",\"we ird\\n\":1"), "[\"we ird\\x0a\"]: unknown key" },
	{ "top-level keys are case-sensitive", CFG(",\"Log\":{}"), "Log: unknown key" },
	{ "unknown server key", CFG(",\"server\":{\"trusted_prox\":[]}"),
	  "server.trusted_prox: unknown key" },
	{ "unknown whitelist key",
	  "{\"whitelist\":{\"storage_path\":\"/x\",\"storage\":\"/y\"}," KEYS "}",
	  "whitelist.storage: unknown key" },
	{ "unknown api key field", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1,\"secret\":1}"),
	  "api_keys[0].secret: unknown key" },
	{ "unknown security key", SEC("\"excluded_path\":[]"), "security.excluded_path: unknown key" },
	{ "unknown rate limit key", RL("\"window\":60"),
	  "security.knock_rate_limit.window: unknown key" },
	{ "unknown cors key", CFG(",\"cors\":{\"origin\":\"*\"}"), "cors.origin: unknown key" },
	{ "unknown log key", CFG(",\"log\":{\"file\":\"/x\"}"), "log.file: unknown key" },

	/* duplicate keys */
	{ "duplicate top-level key", CFG(",\"log\":{},\"log\":{}"), "log: duplicate key" },
	{ "duplicate whitelist", CFG("," WL), "whitelist: duplicate key" },
	{ "duplicate key field", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1,\"key\":\"" KEY2 "\"}"),
	  "api_keys[0].key: duplicate key" },
	{ "duplicate rate limit field", RL("\"window_seconds\":1,\"window_seconds\":2"),
	  "security.knock_rate_limit.window_seconds: duplicate key" },
	{ "duplicate host key",
	  SEC("\"excluded_paths_by_host\":{\"a.example\":[\"/x\"],\"a.example\":[\"/y\"]}"),
	  "security.excluded_paths_by_host[\"a.example\"]: duplicate key" },
	{ "duplicate host once normalized",
	  SEC("\"excluded_paths_by_host\":{\"A.example\":[\"/x\"],\"a.example.:443\":[\"/y\"]}"),
	  "security.excluded_paths_by_host[\"a.example.:443\"]: same host as another key once "
	  "normalized: \"a.example\"" },

	/* wrong types, one per key */
	{ "server not object", CFG(",\"server\":[]"), "server: must be an object" },
	{ "trusted_proxies not array", CFG(",\"server\":{\"trusted_proxies\":\"::1\"}"),
	  "server.trusted_proxies: must be an array" },
	{ "trusted_proxies element not string", CFG(",\"server\":{\"trusted_proxies\":[\"::1\",1]}"),
	  "server.trusted_proxies[1]: must be a string" },
	{ "whitelist not object", "{\"whitelist\":\"/x\"," KEYS "}", "whitelist: must be an object" },
	{ "storage_path not string", "{\"whitelist\":{\"storage_path\":1}," KEYS "}",
	  "whitelist.storage_path: must be a string" },
	{ "cleanup_interval string",
	  "{\"whitelist\":{\"storage_path\":\"/x\",\"cleanup_interval_seconds\":\"60\"}," KEYS "}",
	  "whitelist.cleanup_interval_seconds: must be a positive integer" },
	{ "api_keys not array", "{" WL ",\"api_keys\":{}}", "api_keys: must be an array" },
	{ "api key not object", KEY("\"" KEY1 "\""), "api_keys[0]: must be an object" },
	{ "name not string", KEY("{\"name\":1,\"key\":\"" KEY1 "\",\"max_ttl\":1}"),
	  "api_keys[0].name: must be a string" },
	{ "key not string", KEY("{\"key\":12345678901234567890,\"max_ttl\":1}"),
	  "api_keys[0].key: must be a string" },
	{ "max_ttl string", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":\"3600\"}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "max_ttl bool", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":true}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "max_ttl null", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":null}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "allow_remote_whitelist string",
	  KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1,\"allow_remote_whitelist\":\"yes\"}"),
	  "api_keys[0].allow_remote_whitelist: must be true or false" },
	{ "admin string",
	  KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1,\"admin\":\"yes\"}"),
	  "api_keys[0].admin: must be true or false" },
	{ "admin number",
	  KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1,\"admin\":1}"),
	  "api_keys[0].admin: must be true or false" },
	{ "allow_remote_whitelist number",
	  KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1,\"allow_remote_whitelist\":1}"),
	  "api_keys[0].allow_remote_whitelist: must be true or false" },
	{ "security not object", CFG(",\"security\":[]"), "security: must be an object" },
	{ "always_allowed_ips not array", SEC("\"always_allowed_ips\":\"1.2.3.4\""),
	  "security.always_allowed_ips: must be an array" },
	{ "always_allowed_ips element object", SEC("\"always_allowed_ips\":[{}]"),
	  "security.always_allowed_ips[0]: must be a string" },
	{ "excluded_paths not array", SEC("\"excluded_paths\":\"/x\""),
	  "security.excluded_paths: must be an array" },
	{ "excluded_paths element number", SEC("\"excluded_paths\":[\"/x\",2]"),
	  "security.excluded_paths[1]: must be a string" },
	{ "excluded_paths_by_host not object", SEC("\"excluded_paths_by_host\":[]"),
	  "security.excluded_paths_by_host: must be an object" },
	{ "excluded_paths_by_host value not array", SEC("\"excluded_paths_by_host\":{\"a\":\"/x\"}"),
	  "security.excluded_paths_by_host[\"a\"]: must be an array" },
	{ "excluded_paths_by_host element not string",
	  SEC("\"excluded_paths_by_host\":{\"a\":[null]}"),
	  "security.excluded_paths_by_host[\"a\"][0]: must be a string" },
	{ "max_whitelist_entries string", SEC("\"max_whitelist_entries\":\"10\""),
	  "security.max_whitelist_entries: must be a positive integer" },
	{ "knock_rate_limit not object", SEC("\"knock_rate_limit\":1"),
	  "security.knock_rate_limit: must be an object" },
	{ "window_seconds null", RL("\"window_seconds\":null"),
	  "security.knock_rate_limit.window_seconds: must be a positive integer" },
	{ "successful_requests string", RL("\"successful_requests\":\"1\""),
	  "security.knock_rate_limit.successful_requests: must be a non-negative integer" },
	{ "failed_requests bool", RL("\"failed_requests\":false"),
	  "security.knock_rate_limit.failed_requests: must be a non-negative integer" },
	{ "cors not object", CFG(",\"cors\":\"*\""), "cors: must be an object" },
	{ "allowed_origin not string", CFG(",\"cors\":{\"allowed_origin\":[\"*\"]}"),
	  "cors.allowed_origin: must be a string" },
	{ "log not object", CFG(",\"log\":\"stderr\""), "log: must be an object" },
	{ "log target not string", CFG(",\"log\":{\"target\":1}"), "log.target: must be a string" },
	{ "log level not string", CFG(",\"log\":{\"level\":3}"), "log.level: must be a string" },

	/* non-integral and out-of-range numbers */
	{ "max_ttl 3.5", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":3.5}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "max_ttl 0", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":0}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "max_ttl -1", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":-1}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "max_ttl 315360001", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":315360001}"),
	  "api_keys[0].max_ttl: must be at most 315360000" },
	{ "max_ttl 1e300", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1e300}"),
	  "api_keys[0].max_ttl: must be at most 315360000" },
	{ "max_ttl -1e300", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":-1e300}"),
	  "api_keys[0].max_ttl: must be a positive integer" },
	{ "max_ttl 1e999 (inf)", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1e999}"),
	  "api_keys[0].max_ttl: must be at most 315360000" },
	{ "second key's max_ttl (the documented example line)",
	  KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1},{\"key\":\"" KEY2 "\",\"max_ttl\":0}"),
	  "api_keys[1].max_ttl: must be a positive integer" },
	{ "cleanup_interval 3.5",
	  "{\"whitelist\":{\"storage_path\":\"/x\",\"cleanup_interval_seconds\":3.5}," KEYS "}",
	  "whitelist.cleanup_interval_seconds: must be a positive integer" },
	{ "cleanup_interval 0",
	  "{\"whitelist\":{\"storage_path\":\"/x\",\"cleanup_interval_seconds\":0}," KEYS "}",
	  "whitelist.cleanup_interval_seconds: must be a positive integer" },
	{ "cleanup_interval 86401",
	  "{\"whitelist\":{\"storage_path\":\"/x\",\"cleanup_interval_seconds\":86401}," KEYS "}",
	  "whitelist.cleanup_interval_seconds: must be at most 86400" },
	{ "max_whitelist_entries 0", SEC("\"max_whitelist_entries\":0"),
	  "security.max_whitelist_entries: must be a positive integer" },
	{ "max_whitelist_entries 10000001", SEC("\"max_whitelist_entries\":10000001"),
	  "security.max_whitelist_entries: must be at most 10000000" },
	{ "max_whitelist_entries 1e300", SEC("\"max_whitelist_entries\":1e300"),
	  "security.max_whitelist_entries: must be at most 10000000" },
	{ "window_seconds 0.5", RL("\"window_seconds\":0.5"),
	  "security.knock_rate_limit.window_seconds: must be a positive integer" },
	{ "window_seconds 0", RL("\"window_seconds\":0"),
	  "security.knock_rate_limit.window_seconds: must be a positive integer" },
	{ "window_seconds 86401", RL("\"window_seconds\":86401"),
	  "security.knock_rate_limit.window_seconds: must be at most 86400" },
	{ "successful_requests -1", RL("\"successful_requests\":-1"),
	  "security.knock_rate_limit.successful_requests: must be a non-negative integer" },
	{ "successful_requests 2.5", RL("\"successful_requests\":2.5"),
	  "security.knock_rate_limit.successful_requests: must be a non-negative integer" },
	{ "successful_requests 1000001", RL("\"successful_requests\":1000001"),
	  "security.knock_rate_limit.successful_requests: must be at most 1000000" },
	{ "failed_requests 1e300", RL("\"failed_requests\":1e300"),
	  "security.knock_rate_limit.failed_requests: must be at most 1000000" },
	{ "failed_requests -0.5", RL("\"failed_requests\":-0.5"),
	  "security.knock_rate_limit.failed_requests: must be a non-negative integer" },
	{ "ipv4_prefix 7", RL("\"ipv4_prefix\":7"),
	  "security.knock_rate_limit.ipv4_prefix: must be at least 8" },
	{ "ipv4_prefix 33", RL("\"ipv4_prefix\":33"),
	  "security.knock_rate_limit.ipv4_prefix: must be at most 32" },
	{ "ipv4_prefix 24.5", RL("\"ipv4_prefix\":24.5"),
	  "security.knock_rate_limit.ipv4_prefix: must be an integer" },
	{ "ipv4_prefix string", RL("\"ipv4_prefix\":\"24\""),
	  "security.knock_rate_limit.ipv4_prefix: must be an integer" },
	{ "ipv6_prefix 31", RL("\"ipv6_prefix\":31"),
	  "security.knock_rate_limit.ipv6_prefix: must be at least 32" },
	{ "ipv6_prefix 129", RL("\"ipv6_prefix\":129"),
	  "security.knock_rate_limit.ipv6_prefix: must be at most 128" },
	{ "ipv6_prefix -64", RL("\"ipv6_prefix\":-64"),
	  "security.knock_rate_limit.ipv6_prefix: must be at least 32" },

	/* empty strings */
	{ "empty storage_path", "{\"whitelist\":{\"storage_path\":\"\"}," KEYS "}",
	  "whitelist.storage_path: must not be empty" },
	{ "empty key", KEY("{\"key\":\"\",\"max_ttl\":1}"), "api_keys[0].key: must not be empty" },
	{ "empty name", KEY("{\"name\":\"\",\"key\":\"" KEY1 "\",\"max_ttl\":1}"),
	  "api_keys[0].name: must not be empty" },
	{ "empty trusted proxy", CFG(",\"server\":{\"trusted_proxies\":[\"\"]}"),
	  "server.trusted_proxies[0]: must not be empty" },
	{ "empty always_allowed", SEC("\"always_allowed_ips\":[\"\"]"),
	  "security.always_allowed_ips[0]: must not be empty" },
	{ "empty excluded path", SEC("\"excluded_paths\":[\"\"]"),
	  "security.excluded_paths[0]: must not be empty" },
	{ "empty host key", SEC("\"excluded_paths_by_host\":{\"\":[\"/x\"]}"),
	  "security.excluded_paths_by_host[\"\"]: host must not be empty (use \"*\" for any host)" },
	{ "empty allowed_origin", CFG(",\"cors\":{\"allowed_origin\":\"\"}"),
	  "cors.allowed_origin: must not be empty" },
	{ "empty log target", CFG(",\"log\":{\"target\":\"\"}"), "log.target: must not be empty" },
	{ "empty log level", CFG(",\"log\":{\"level\":\"\"}"), "log.level: must not be empty" },

	/* addresses */
	{ "trusted proxy octet 300", CFG(",\"server\":{\"trusted_proxies\":[\"10.0.0.300\"]}"),
	  "server.trusted_proxies[0]: not an IP address or CIDR: \"10.0.0.300\"" },
	{ "trusted proxy prefix 33", CFG(",\"server\":{\"trusted_proxies\":[\"10.0.0.0/33\"]}"),
	  "server.trusted_proxies[0]: not an IP address or CIDR: \"10.0.0.0/33\"" },
	{ "trusted proxy host name", CFG(",\"server\":{\"trusted_proxies\":[\"localhost\"]}"),
	  "server.trusted_proxies[0]: not an IP address or CIDR: \"localhost\"" },
	{ "always_allowed third element", SEC("\"always_allowed_ips\":[\"1.2.3.4\",\"::1\",\"10.0.0.300\"]"),
	  "security.always_allowed_ips[2]: not an IP address or CIDR: \"10.0.0.300\"" },
	{ "always_allowed v6 prefix 129", SEC("\"always_allowed_ips\":[\"2001:db8::/129\"]"),
	  "security.always_allowed_ips[0]: not an IP address or CIDR: \"2001:db8::/129\"" },
	{ "always_allowed with space", SEC("\"always_allowed_ips\":[\"1.2.3.4 \"]"),
	  "security.always_allowed_ips[0]: not an IP address or CIDR: \"1.2.3.4 \"" },
	{ "long bad address is cut",
	  SEC("\"always_allowed_ips\":[\"1111111111111111111111111111111111111111111111111111111111\"]"),
	  "security.always_allowed_ips[0]: not an IP address or CIDR: "
	  "\"111111111111111111111111111111111111111111111111...\"" },

	/* paths, keys, values */
	{ "relative storage_path", "{\"whitelist\":{\"storage_path\":\"var/wl.json\"}," KEYS "}",
	  "whitelist.storage_path: must be an absolute path" },
	{ "storage_path is a directory", "{\"whitelist\":{\"storage_path\":\"/var/lib/\"}," KEYS "}",
	  "whitelist.storage_path: must name a file, not a directory" },
	{ "missing whitelist", "{" KEYS "}", "whitelist.storage_path: missing (required)" },
	{ "missing storage_path",
	  "{\"whitelist\":{\"cleanup_interval_seconds\":5}," KEYS "}",
	  "whitelist.storage_path: missing (required)" },
	{ "missing api_keys", "{" WL "}", "api_keys: missing (required)" },
	{ "empty api_keys", "{" WL ",\"api_keys\":[]}", "api_keys: must hold at least one key" },
	{ "missing key", KEY("{\"name\":\"x\",\"max_ttl\":1}"), "api_keys[0].key: missing (required)" },
	{ "missing max_ttl", KEY("{\"key\":\"" KEY1 "\"}"), "api_keys[0].max_ttl: missing (required)" },
	{ "duplicate api key", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1},{\"key\":\"" KEY2 "\","
	  "\"max_ttl\":1},{\"key\":\"" KEY1 "\",\"max_ttl\":2}"),
	  "api_keys[2].key: duplicate of api_keys[0]" },
	{ "key with a control character", KEY("{\"key\":\"" KEY1 "\\t\",\"max_ttl\":1}"),
	  "api_keys[0].key: must not contain control characters" },
	{ "key with a trailing space", KEY("{\"key\":\"" KEY1 " \",\"max_ttl\":1}"),
	  "api_keys[0].key: must not start or end with a space (HTTP drops it from the "
	  "X-Api-Key header)" },
	/* Issue 10 item 7: a placeholder or short key is an error, not a warning. */
	{ "short key", KEY("{\"key\":\"abc123\",\"max_ttl\":1}"),
	  "api_keys[0].key: shorter than 16 characters; " KEYGEN },
	{ "15-character key", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1},"
	  "{\"key\":\"0123456789abcde\",\"max_ttl\":1}"),
	  "api_keys[1].key: shorter than 16 characters; " KEYGEN },
	{ "@API_KEY@ placeholder", KEY("{\"key\":\"@API_KEY@\",\"max_ttl\":1}"),
	  "api_keys[0].key: looks like a placeholder; " KEYGEN },
	{ "long @...@ placeholder", KEY("{\"key\":\"" KEY1 "\",\"max_ttl\":1},"
	  "{\"key\":\"@SOME_VERY_LONG_ADMIN_KEY_NAME@\",\"max_ttl\":1}"),
	  "api_keys[1].key: looks like a placeholder; " KEYGEN },
	{ "the docs' <...> placeholder", KEY("{\"key\":\"<32+ random bytes, hex>\",\"max_ttl\":1}"),
	  "api_keys[0].key: looks like a placeholder; " KEYGEN },
	{ "<...> inside a key", KEY("{\"key\":\"key-<paste-here>-0123456789\",\"max_ttl\":1}"),
	  "api_keys[0].key: looks like a placeholder; " KEYGEN },
	{ "the original's CHANGE_ME keys", KEY("{\"key\":\"CHANGE_ME_SUPER_SECRET_ADMIN_KEY\","
	  "\"max_ttl\":1}"), "api_keys[0].key: looks like a placeholder; " KEYGEN },
	{ "changeme in any case", KEY("{\"key\":\"my-changeme-0123456789abcdef\",\"max_ttl\":1}"),
	  "api_keys[0].key: looks like a placeholder; " KEYGEN },
	{ "name with a newline", KEY("{\"name\":\"a\\nb\",\"key\":\"" KEY1 "\",\"max_ttl\":1}"),
	  "api_keys[0].name: must not contain control characters" },
	{ "log level verbose", CFG(",\"log\":{\"level\":\"verbose\"}"),
	  "log.level: must be \"error\", \"warn\", \"info\" or \"debug\", not \"verbose\"" },
	{ "log level is case-sensitive", CFG(",\"log\":{\"level\":\"INFO\"}"),
	  "log.level: must be \"error\", \"warn\", \"info\" or \"debug\", not \"INFO\"" },
	{ "log target relative", CFG(",\"log\":{\"target\":\"knocker.log\"}"),
	  "log.target: must be \"stderr\", \"syslog\" or an absolute path, not \"knocker.log\"" },
	{ "log target directory", CFG(",\"log\":{\"target\":\"/var/log/\"}"),
	  "log.target: must name a file, not a directory" },
	{ "excluded path without /", SEC("\"excluded_paths\":[\"health\"]"),
	  "security.excluded_paths[0]: must start with \"/\": \"health\"" },
	{ "excluded path not normalized", SEC("\"excluded_paths\":[\"/a/../b\"]"),
	  "security.excluded_paths[0]: not in normalized form: \"/a/../b\" (write it as \"/b\")" },
	{ "excluded path with query", SEC("\"excluded_paths\":[\"/a?b\"]"),
	  "security.excluded_paths[0]: not in normalized form: \"/a?b\" (write it as \"/a\")" },
	{ "excluded path bad escape", SEC("\"excluded_paths\":[\"/a%zz\"]"),
	  "security.excluded_paths[0]: not a valid URL path: \"/a%zz\"" },
	{ "host path without /", SEC("\"excluded_paths_by_host\":{\"a.example\":[\"/x\",\"y\"]}"),
	  "security.excluded_paths_by_host[\"a.example\"][1]: must start with \"/\": \"y\"" },
	{ "bad host key", SEC("\"excluded_paths_by_host\":{\"a b\":[\"/x\"]}"),
	  "security.excluded_paths_by_host[\"a b\"]: not a valid host name" },
	{ "allowed_origin with CR LF", CFG(",\"cors\":{\"allowed_origin\":\"*\\r\\nX-Evil: 1\"}"),
	  "cors.allowed_origin: must not contain control characters (CR, LF, ...)" },
};

static void
test_bad(void)
{
	struct errlist errs, warns;
	struct conf *c;
	char want[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		memset(&warns, 0, sizeof(warns));
		c = parse(bad[i].json, &errs, &warns);
		tap_ok(c == NULL, "%s: refused", bad[i].name);
		snprintf(want, sizeof(want), F ": %s", bad[i].msg);
		has_msg(&errs, want, bad[i].name);
		tap_ok(none_contains(&errs, KEY1) && none_contains(&errs, KEY2),
		    "%s: no key material in messages", bad[i].name);
		conf_free(c);
		errlist_free(&errs);
		errlist_free(&warns);
	}
}

static void
test_many_errors(void)
{
	struct errlist errs = ERRLIST_INIT;
	struct conf *c;
	const char *json =
	    "{\"server\":{\"trusted_proxies\":[\"10.0.0.300\"],\"x\":1},"
	    "\"whitelist\":{\"storage_path\":\"rel\"},"
	    "\"api_keys\":[{\"key\":\"" KEY1 "\",\"max_ttl\":0},{\"max_ttl\":5}],"
	    "\"security\":{\"excluded_paths\":[\"nope\"]},"
	    "\"log\":{\"level\":\"loud\"},\"extra\":true}";
	static const char *const want[] = {
		F ": server.x: unknown key",
		F ": server.trusted_proxies[0]: not an IP address or CIDR: \"10.0.0.300\"",
		F ": whitelist.storage_path: must be an absolute path",
		F ": api_keys[0].max_ttl: must be a positive integer",
		F ": api_keys[1].key: missing (required)",
		F ": security.excluded_paths[0]: must start with \"/\": \"nope\"",
		F ": log.level: must be \"error\", \"warn\", \"info\" or \"debug\", not \"loud\"",
		F ": extra: unknown key",
	};
	size_t i;

	c = parse(json, &errs, NULL);
	tap_ok(c == NULL, "many errors: refused");
	tap_is_int((int64_t)errs.count, (int64_t)(sizeof(want) / sizeof(want[0])),
	    "many errors: every problem reported once");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		has_msg(&errs, want[i], want[i]);
	conf_free(c);
	errlist_free(&errs);

	/* errs == NULL and warns == NULL are allowed. */
	c = parse(json, NULL, NULL);
	tap_ok(c == NULL, "many errors with errs NULL: refused");
	conf_free(NULL);
	tap_ok(1, "conf_free(NULL)");
}

#define LISTEN_IGNORED "ignored: spawn-fcgi (-a, -p) or the web server chooses where knocker listens"

static void
test_warnings(void)
{
	static const struct {
		const char	*name;
		const char	*json;
		const char	*msg;	/* NULL: no warning at all */
	} rows[] = {
		{ "broad IPv4 trusted proxy", CFG(",\"server\":{\"trusted_proxies\":[\"::1\",\"10.0.0.0/8\"]}"),
		  "server.trusted_proxies[1]: 10.0.0.0/8 is a range of addresses, not one proxy: any "
		  "host in it can send a forged X-Forwarded-For and choose its client IP" },
		{ "broad IPv6 trusted proxy", CFG(",\"server\":{\"trusted_proxies\":[\"fd00::1/64\"]}"),
		  "server.trusted_proxies[0]: fd00::/64 is a range of addresses, not one proxy: any "
		  "host in it can send a forged X-Forwarded-For and choose its client IP" },
		{ "/32 trusted proxy is one address",
		  CFG(",\"server\":{\"trusted_proxies\":[\"10.0.0.1/32\",\"::1/128\"]}"), NULL },
		{ "always_allowed ranges are fine", SEC("\"always_allowed_ips\":[\"10.0.0.0/8\"]"), NULL },
		{ "16-character key is fine", KEY("{\"key\":\"0123456789abcdef\",\"max_ttl\":1}"), NULL },
		{ "the original's server.host is ignored", CFG(",\"server\":{\"host\":\"0.0.0.0\"}"),
		  "server.host: " LISTEN_IGNORED },
		{ "the original's server.port is ignored", CFG(",\"server\":{\"port\":8000}"),
		  "server.port: " LISTEN_IGNORED },
		{ "excluded \"/\"", SEC("\"excluded_paths\":[\"/\"]"),
		  "security.excluded_paths[0]: \"/\" matches every path: knocker protects nothing" },
		{ "excluded \"/\" for any host", SEC("\"excluded_paths_by_host\":{\"*\":[\"/\"]}"),
		  "security.excluded_paths_by_host[\"*\"][0]: \"/\" matches every path: knocker "
		  "protects nothing" },
		{ "excluded \"/\" for one host is a choice",
		  SEC("\"excluded_paths_by_host\":{\"public.example\":[\"/\"]}"), NULL },
	};
	struct errlist errs, warns;
	struct conf *c;
	char want[1024];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		memset(&warns, 0, sizeof(warns));
		c = parse(rows[i].json, &errs, &warns);
		if (!tap_ok(c != NULL, "%s: loads", rows[i].name))
			tap_diag("%s", errs.count ? errs.msg[0] : "?");
		if (rows[i].msg == NULL)
			tap_is_int((int64_t)warns.count, 0, "%s: no warning", rows[i].name);
		else {
			snprintf(want, sizeof(want), F ": %s", rows[i].msg);
			has_msg(&warns, want, rows[i].name);
			tap_ok(none_contains(&warns, "abc123") && none_contains(&warns, KEY1),
			    "%s: no key material in warnings", rows[i].name);
		}
		conf_free(c);
		errlist_free(&errs);
		errlist_free(&warns);
	}
}

/* Issue 15: the original project's YAML config gets a hint how to convert
   it; its "firewalld" (disabled) and "documentation" sections load. */
#define YAML_HINT "this looks like YAML (FarisZR/knocker's format); knocker reads JSON. " \
    "Convert it with: python3 -c 'import sys,yaml,json; json.dump(yaml.safe_load(sys.stdin), " \
    "sys.stdout, indent=2)' < knocker.yaml > knocker.json (Debian: apt-get install python3-yaml)"

/* What -t says about the original's sections that load but do nothing. */
#define FW_IGNORED "firewalld: ignored: knocker does not drive firewalld (this section is " \
    "disabled; network-level rules are knocker-firewall's job, docs/FIREWALL.md)"
#define DOC_IGNORED "documentation: ignored: knocker serves no documentation or OpenAPI " \
    "endpoints (docs/API.md describes the API)"

static void
test_original_config(void)
{
	static const struct {
		const char	*name;
		const char	*text;
		bool		 hint;
	} yaml[] = {
		{ "YAML with a comment first", "# knocker.example.yaml\n\nserver:\n  host: \"0.0.0.0\"\n", true },
		{ "YAML key first", "server:\n  trusted_proxies:\n    - \"172.29.238.0/24\"\n", true },
		{ "YAML document marker", "---\napi_keys:\n  - name: x\n", true },
		{ "YAML after blank lines", "\n\n  whitelist:\n    storage_path: /data/w.json\n", true },
		{ "broken JSON gets no hint", "{\n  \"server\": {},\n  \"log\": {,}\n}", false },
		{ "JSON array garbage gets no hint", "[1,", false },
	};
	static const struct {
		const char	*name;
		const char	*json;
		const char	*err;	/* NULL: loads */
		const char	*warn;	/* when it loads: the one warning, or NULL: none */
	} sections[] = {
		{ "firewalld disabled, with the original's settings",
		  CFG(",\"firewalld\":{\"enabled\":false,\"zone_name\":\"knocker\",\"zone_priority\":-100,"
		  "\"default_action\":\"drop\",\"monitored_ports\":[{\"port\":22,\"protocol\":\"tcp\"}],"
		  "\"monitored_ips\":[\"203.0.113.0/24\"]}"), NULL, FW_IGNORED },
		{ "firewalld without enabled", CFG(",\"firewalld\":{}"), NULL, FW_IGNORED },
		{ "firewalld enabled", CFG(",\"firewalld\":{\"enabled\":true}"),
		  "firewalld.enabled: knocker does not drive firewalld; network-level rules are "
		  "knocker-firewall's job (nftables, a \"firewall\" section, docs/FIREWALL.md): set "
		  "this to false or remove the section", NULL },
		{ "firewalld enabled not a bool", CFG(",\"firewalld\":{\"enabled\":\"no\"}"),
		  "firewalld.enabled: must be true or false", NULL },
		{ "firewalld not an object", CFG(",\"firewalld\":false"), "firewalld: must be an object",
		  NULL },
		{ "documentation", CFG(",\"documentation\":{\"openapi_output_path\":\"docs/openapi.json\"}"),
		  NULL, DOC_IGNORED },
		{ "documentation enabled", CFG(",\"documentation\":{\"enabled\":true}"), NULL, DOC_IGNORED },
		{ "documentation not an object", CFG(",\"documentation\":\"x\""),
		  "documentation: must be an object", NULL },
		/* Keys of older versions of the original: refused, with what to write. */
		{ "the original's logging section", CFG(",\"logging\":{\"level\":\"DEBUG\"}"),
		  "logging: unknown key; the original's logging.level is log.level here "
		  "(\"error\", \"warn\", \"info\" or \"debug\")", NULL },
		{ "the original's old ttl of a key",
		  "{" WL ",\"api_keys\":[{\"key\":\"" KEY1 "\",\"max_ttl\":60},{\"key\":\"" KEY2 "\",\"ttl\":60}]}",
		  "api_keys[1].ttl: unknown key; the original's old name for max_ttl", NULL },
		{ "the original's hashed key",
		  "{" WL ",\"api_keys\":[{\"key\":\"" KEY1 "\",\"max_ttl\":60,\"key_hash\":\"x\"}]}",
		  "api_keys[0].key_hash: unknown key; hashed keys are not supported: the key goes in "
		  "key (the original dropped them too)", NULL },
		{ "ttl elsewhere gets no such hint", CFG(",\"cors\":{\"ttl\":1}"), "cors.ttl: unknown key",
		  NULL },
	};
	struct errlist errs, warns;
	struct conf *c;
	char want[1024];
	size_t i;

	snprintf(want, sizeof(want), F ": %s", YAML_HINT);
	for (i = 0; i < sizeof(yaml) / sizeof(yaml[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		c = parse(yaml[i].text, &errs, NULL);
		tap_ok(c == NULL, "%s: refused", yaml[i].name);
		if (yaml[i].hint)
			has_msg(&errs, want, yaml[i].name);
		else
			tap_ok(none_contains(&errs, "YAML"), "%s", yaml[i].name);
		tap_ok(errs.count >= 1 && strstr(errs.msg[0], "not valid JSON") != NULL,
		    "%s: the syntax error comes first", yaml[i].name);
		conf_free(c);
		errlist_free(&errs);
	}
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		memset(&warns, 0, sizeof(warns));
		c = parse(sections[i].json, &errs, &warns);
		if (sections[i].err == NULL) {
			if (!tap_ok(c != NULL, "%s: loads", sections[i].name))
				tap_diag("%s", errs.count ? errs.msg[0] : "?");
			tap_is_int((int64_t)warns.count, sections[i].warn != NULL, "%s: %s warning",
			    sections[i].name, sections[i].warn != NULL ? "one" : "no");
			if (sections[i].warn != NULL) {
				snprintf(want, sizeof(want), F ": %s", sections[i].warn);
				has_msg(&warns, want, sections[i].name);
			}
		} else {
			tap_ok(c == NULL, "%s: refused", sections[i].name);
			snprintf(want, sizeof(want), F ": %s", sections[i].err);
			has_msg(&errs, want, sections[i].name);
		}
		conf_free(c);
		errlist_free(&errs);
		errlist_free(&warns);
	}
}

/* Issue 13: the "firewall" section of knocker-firewall. */
#define FW(body) CFG(",\"firewall\":{" body "}")

static void
test_fw_port_parse(void)
{
	static const struct {
		const char	*in;
		int		 lo, hi;	/* lo 0: refused */
		enum conf_fw_proto proto;
	} t[] = {
		{ "22/tcp", 22, 22, CONF_FW_TCP },
		{ "51820/udp", 51820, 51820, CONF_FW_UDP },
		{ "1/tcp", 1, 1, CONF_FW_TCP },
		{ "65535/udp", 65535, 65535, CONF_FW_UDP },
		{ "6000-6010/tcp", 6000, 6010, CONF_FW_TCP },
		{ "1-65535/udp", 1, 65535, CONF_FW_UDP },
		{ "0/tcp", 0, 0, CONF_FW_TCP },
		{ "65536/tcp", 0, 0, CONF_FW_TCP },
		{ "100000/tcp", 0, 0, CONF_FW_TCP },
		{ "022/tcp", 0, 0, CONF_FW_TCP },
		{ "+22/tcp", 0, 0, CONF_FW_TCP },
		{ "-22/tcp", 0, 0, CONF_FW_TCP },
		{ "22", 0, 0, CONF_FW_TCP },
		{ "22/", 0, 0, CONF_FW_TCP },
		{ "22/TCP", 0, 0, CONF_FW_TCP },
		{ "22/sctp", 0, 0, CONF_FW_TCP },
		{ "22/tcp ", 0, 0, CONF_FW_TCP },
		{ " 22/tcp", 0, 0, CONF_FW_TCP },
		{ "ssh", 0, 0, CONF_FW_TCP },
		{ "ssh/tcp", 0, 0, CONF_FW_TCP },
		{ "22-22/tcp", 0, 0, CONF_FW_TCP },
		{ "30-20/tcp", 0, 0, CONF_FW_TCP },
		{ "20-/tcp", 0, 0, CONF_FW_TCP },
		{ "20--30/tcp", 0, 0, CONF_FW_TCP },
		{ "20-30-40/tcp", 0, 0, CONF_FW_TCP },
		{ "22/tcp/udp", 0, 0, CONF_FW_TCP },
		{ "", 0, 0, CONF_FW_TCP },
	};
	struct conf_fw_port p;
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		r = conf_fw_port_parse(t[i].in, &p, &why);
		if (t[i].lo == 0) {
			tap_ok(r == -1 && why != NULL, "conf_fw_port_parse(\"%s\") is refused with a reason",
			    t[i].in);
			continue;
		}
		if (!tap_ok(r == 0 && why == NULL, "conf_fw_port_parse(\"%s\") parses", t[i].in))
			continue;
		tap_ok(p.lo == t[i].lo && p.hi == t[i].hi && p.proto == t[i].proto,
		    "conf_fw_port_parse(\"%s\") gives %d-%d/%s", t[i].in, t[i].lo, t[i].hi,
		    t[i].proto == CONF_FW_TCP ? "tcp" : "udp");
	}
}

static void
test_firewall_section(void)
{
	static const struct {
		const char	*name;
		const char	*json;
		const char	*err;	/* NULL: loads */
	} t[] = {
		{ "the documented example",
		  FW("\"table\":\"knocker\",\"ports\":[\"22/tcp\",\"51820/udp\"],\"docker\":false"), NULL },
		{ "same port number in tcp and udp", FW("\"ports\":[\"53/tcp\",\"53/udp\"]"), NULL },
		{ "table with digits and _", FW("\"table\":\"kn_2\",\"ports\":[\"22/tcp\"]"), NULL },
		{ "ports missing", FW("\"table\":\"knocker\""),
		  "firewall.ports: missing (required): the ports to guard, e.g. [\"22/tcp\"]" },
		{ "ports empty", FW("\"ports\":[]"), "firewall.ports: must name at least one port" },
		{ "ports not an array", FW("\"ports\":\"22/tcp\""), "firewall.ports: must be an array" },
		{ "port without protocol", FW("\"ports\":[\"22/tcp\",\"22\"]"),
		  "firewall.ports[1]: unknown port syntax \"22\": must be PORT/tcp, PORT/udp or "
		  "FIRST-LAST/tcp (e.g. \"22/tcp\", \"51820/udp\")" },
		{ "port as a number", FW("\"ports\":[22]"), "firewall.ports[0]: must be a string" },
		{ "port 0", FW("\"ports\":[\"0/udp\"]"),
		  "firewall.ports[0]: unknown port syntax \"0/udp\": must be PORT/tcp, PORT/udp or "
		  "FIRST-LAST/tcp (e.g. \"22/tcp\", \"51820/udp\")" },
		{ "range going down", FW("\"ports\":[\"30-20/tcp\"]"),
		  "firewall.ports[0]: unknown port syntax \"30-20/tcp\": a range must go up "
		  "(FIRST-LAST with FIRST < LAST)" },
		{ "duplicate port", FW("\"ports\":[\"22/tcp\",\"22/tcp\"]"),
		  "firewall.ports[1]: \"22/tcp\" overlaps an earlier port of the list" },
		{ "overlapping range", FW("\"ports\":[\"6000-6010/udp\",\"6010/udp\"]"),
		  "firewall.ports[1]: \"6010/udp\" overlaps an earlier port of the list" },
		{ "table empty", FW("\"table\":\"\",\"ports\":[\"22/tcp\"]"), "firewall.table: must not be empty" },
		{ "table with a space", FW("\"table\":\"a b\",\"ports\":[\"22/tcp\"]"),
		  "firewall.table: must be a letter then up to 31 letters, digits or \"_\", not \"a b\"" },
		{ "table starting with a digit", FW("\"table\":\"1x\",\"ports\":[\"22/tcp\"]"),
		  "firewall.table: must be a letter then up to 31 letters, digits or \"_\", not \"1x\"" },
		{ "table with nft syntax in it", FW("\"table\":\"x{}\",\"ports\":[\"22/tcp\"]"),
		  "firewall.table: must be a letter then up to 31 letters, digits or \"_\", not \"x{}\"" },
		{ "table of 32 bytes", FW("\"table\":\"abcdefghijabcdefghijabcdefghijab\",\"ports\":[\"22/tcp\"]"),
		  NULL },
		{ "table of 33 bytes", FW("\"table\":\"abcdefghijabcdefghijabcdefghijabc\",\"ports\":[\"22/tcp\"]"),
		  "firewall.table: must be a letter then up to 31 letters, digits or \"_\", not "
		  "\"abcdefghijabcdefghijabcdefghijabc\"" },
		{ "table clashes with nftables.conf's", FW("\"table\":\"filter\",\"ports\":[\"22/tcp\"]"),
		  "firewall.table: \"filter\" clashes with a table other software owns (nftables.conf, "
		  "iptables-nft, firewalld); use a name of its own such as \"knocker\"" },
		{ "table clashes with firewalld's", FW("\"table\":\"FirewallD\",\"ports\":[\"22/tcp\"]"),
		  "firewall.table: \"FirewallD\" clashes with a table other software owns (nftables.conf, "
		  "iptables-nft, firewalld); use a name of its own such as \"knocker\"" },
		{ "docker not a bool", FW("\"ports\":[\"22/tcp\"],\"docker\":\"yes\""),
		  "firewall.docker: must be true or false" },
		{ "unknown key", FW("\"ports\":[\"22/tcp\"],\"zone\":\"x\""), "firewall.zone: unknown key" },
		{ "not an object", CFG(",\"firewall\":[]"), "firewall: must be an object" },
	};
	struct errlist errs, warns;
	struct conf *c;
	char want[1024];
	size_t i;

	c = parse(CFG(""), NULL, NULL);
	tap_ok(c != NULL && !c->firewall.present && c->firewall.nports == 0,
	    "firewall: absent section is not present");
	conf_free(c);
	c = parse(FW("\"ports\":[\"22/tcp\",\"51820/udp\",\"6000-6010/tcp\"]"), NULL, NULL);
	if (tap_ok(c != NULL, "firewall: ports only loads")) {
		tap_ok(c->firewall.present, "firewall: present");
		tap_is_str(c->firewall.table, "knocker", "firewall: table defaults to knocker");
		tap_ok(!c->firewall.docker, "firewall: docker defaults to false");
		tap_is_int((int64_t)c->firewall.nports, 3, "firewall: three ports");
		tap_ok(c->firewall.nports == 3 && c->firewall.ports[0].lo == 22 &&
		    c->firewall.ports[1].lo == 51820 && c->firewall.ports[1].proto == CONF_FW_UDP &&
		    c->firewall.ports[2].lo == 6000 && c->firewall.ports[2].hi == 6010,
		    "firewall: ports in order, with their protocol and range");
	}
	conf_free(c);
	c = parse(FW("\"table\":\"kfw\",\"ports\":[\"22/tcp\"],\"docker\":true"), NULL, NULL);
	tap_ok(c != NULL && strcmp(c->firewall.table, "kfw") == 0 && c->firewall.docker,
	    "firewall: table and docker are read");
	conf_free(c);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&errs, 0, sizeof(errs));
		memset(&warns, 0, sizeof(warns));
		c = parse(t[i].json, &errs, &warns);
		if (t[i].err == NULL) {
			if (!tap_ok(c != NULL, "firewall: %s: loads", t[i].name))
				tap_diag("%s", errs.count ? errs.msg[0] : "?");
		} else {
			tap_ok(c == NULL, "firewall: %s: refused", t[i].name);
			snprintf(want, sizeof(want), F ": %s", t[i].err);
			has_msg(&errs, want, t[i].name);
		}
		conf_free(c);
		errlist_free(&errs);
		errlist_free(&warns);
	}
}

/* Writes text to dir/name with mode; returns the path (static buffer). */
static const char *
write_file(const char *dir, const char *name, const char *text, size_t len, mode_t mode)
{
	static char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL || fwrite(text, 1, len, fp) != len || fclose(fp) != 0 ||
	    chmod(path, mode) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	return path;
}

static void
remove_dir(const char *dir)
{
	static const char *const names[] = { "ok.json", "grp.json", "world.json", "ww.json",
	    "badworld.json", "secret.json", "empty.json", "limit.json", "big.json" };
	char path[600];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	tap_ok(rmdir(dir) == 0, "temporary directory removed");
}

static void
test_load(void)
{
	const char *dir = tap_tmpdir("conf");
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c;
	const char *p;
	char want[1024], path[600], *big;
	size_t n;

	/* A good file, mode 0600: loads, no warning. */
	p = write_file(dir, "ok.json", spec_example, strlen(spec_example), 0600);
	c = conf_load(p, &errs, &warns);
	tap_ok(c != NULL, "conf_load: 0600 file loads");
	tap_is_int((int64_t)warns.count, 0, "conf_load: 0600 file: no warning");
	tap_is_str(c != NULL ? c->path : NULL, p, "conf_load: path recorded");
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);

	/* 0640: group may read, no warning. */
	p = write_file(dir, "grp.json", spec_example, strlen(spec_example), 0640);
	c = conf_load(p, &errs, &warns);
	tap_ok(c != NULL && warns.count == 0, "conf_load: 0640 file loads without warning");
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);

	/* 0644: warning, still loads. */
	p = write_file(dir, "world.json", spec_example, strlen(spec_example), 0644);
	c = conf_load(p, &errs, &warns);
	tap_ok(c != NULL, "conf_load: 0644 file still loads");
	snprintf(want, sizeof(want), "%s: readable by other users; it holds API keys: "
	    "chmod 600 or 640", p);
	has_msg(&warns, want, "conf_load: 0644 file: readable-by-others warning");
	tap_is_int((int64_t)warns.count, 1, "conf_load: 0644 file: one warning");
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);

	/* 0666: also writable by others. */
	p = write_file(dir, "ww.json", spec_example, strlen(spec_example), 0666);
	c = conf_load(p, &errs, &warns);
	tap_ok(c != NULL, "conf_load: 0666 file still loads");
	snprintf(want, sizeof(want), "%s: writable by other users: anyone can change the API "
	    "keys: chmod 600 or 640", p);
	has_msg(&warns, want, "conf_load: 0666 file: writable-by-others warning");
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);

	/* A bad file readable by others: both the warning and the error. */
	p = write_file(dir, "badworld.json", "{", 1, 0644);
	c = conf_load(p, &errs, &warns);
	tap_ok(c == NULL && warns.count == 1, "conf_load: bad 0644 file: refused, warned");
	snprintf(want, sizeof(want), "%s: not valid JSON: syntax error near line 1, column 2 "
	    "(byte 1)", p);
	has_msg(&errs, want, "conf_load: bad file: syntax error names the file");
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);

	/* Missing file. */
	snprintf(path, sizeof(path), "%s/nope.json", dir);
	c = conf_load(path, &errs, &warns);
	tap_ok(c == NULL, "conf_load: missing file refused");
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	has_msg(&errs, want, "conf_load: missing file message");
	errlist_free(&errs);

	/* Unreadable: root reads any file, so only test mode 000 as a user. */
	if (geteuid() != 0) {
		p = write_file(dir, "secret.json", spec_example, strlen(spec_example), 0000);
		c = conf_load(p, &errs, &warns);
		tap_ok(c == NULL, "conf_load: mode 000 file refused");
		snprintf(want, sizeof(want), "%s: cannot open: Permission denied", p);
		has_msg(&errs, want, "conf_load: unreadable file message");
		errlist_free(&errs);
	} else
		tap_diag("running as root: mode 000 is readable; the directory and FIFO cases "
		    "cover unreadable paths");

	/* A directory. */
	c = conf_load(dir, &errs, &warns);
	tap_ok(c == NULL, "conf_load: directory refused");
	snprintf(want, sizeof(want), "%s: not a regular file", dir);
	has_msg(&errs, want, "conf_load: directory message");
	errlist_free(&errs);

	/* A FIFO: refused at once, never blocks. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) == 0) {
		c = conf_load(path, &errs, &warns);
		tap_ok(c == NULL, "conf_load: FIFO refused without blocking");
		snprintf(want, sizeof(want), "%s: not a regular file", path);
		has_msg(&errs, want, "conf_load: FIFO message");
		errlist_free(&errs);
		unlink(path);
	} else
		tap_ok(0, "mkfifo: %s", strerror(errno));

	/* Empty file. */
	p = write_file(dir, "empty.json", "", 0, 0600);
	c = conf_load(p, &errs, &warns);
	snprintf(want, sizeof(want), "%s: not valid JSON: the file is empty", p);
	tap_ok(c == NULL, "conf_load: empty file refused");
	has_msg(&errs, want, "conf_load: empty file message");
	errlist_free(&errs);

	/* Exactly the size limit: loads (padded with spaces). */
	big = malloc(CONF_MAX_FILE_SIZE + 1);
	if (big == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	n = strlen(spec_example);
	memcpy(big, spec_example, n);
	memset(big + n, ' ', CONF_MAX_FILE_SIZE + 1 - n);
	p = write_file(dir, "limit.json", big, CONF_MAX_FILE_SIZE, 0600);
	c = conf_load(p, &errs, &warns);
	tap_ok(c != NULL, "conf_load: file of exactly CONF_MAX_FILE_SIZE bytes loads");
	conf_free(c);
	errlist_free(&errs);

	/* One byte more: too large. */
	p = write_file(dir, "big.json", big, CONF_MAX_FILE_SIZE + 1, 0600);
	c = conf_load(p, &errs, &warns);
	tap_ok(c == NULL, "conf_load: file over the limit refused");
	snprintf(want, sizeof(want), "%s: too large: %d bytes (at most %d)", p,
	    CONF_MAX_FILE_SIZE + 1, CONF_MAX_FILE_SIZE);
	has_msg(&errs, want, "conf_load: too large message");
	errlist_free(&errs);

	/* conf_parse checks the size too. */
	c = conf_parse(big, CONF_MAX_FILE_SIZE + 1, F, &errs, NULL);
	tap_ok(c == NULL, "conf_parse: text over the limit refused");
	has_msg(&errs, F ": too large: more than 1048576 bytes", "conf_parse: too large message");
	errlist_free(&errs);
	free(big);

	/* NUL byte inside the text. */
	{
		static const char nul[] = "{\n\"log\":{}\0}";

		c = conf_parse(nul, sizeof(nul) - 1, F, &errs, NULL);
		tap_ok(c == NULL, "conf_parse: NUL byte refused");
		has_msg(&errs, F ": not valid JSON: NUL byte at line 2, column 9 (byte 10)",
		    "conf_parse: NUL byte message");
		errlist_free(&errs);
	}
	/* Text need not be NUL-terminated: len is honoured. */
	{
		char buf[512];

		n = strlen(CFG(""));
		memcpy(buf, CFG(""), n);
		memset(buf + n, 'x', sizeof(buf) - n);
		c = conf_parse(buf, n, F, &errs, NULL);
		tap_ok(c != NULL, "conf_parse: unterminated text of the given length loads");
		conf_free(c);
		errlist_free(&errs);
	}
	errlist_free(&warns);
	remove_dir(dir);
}

/* --- store (the backends) ----------------------------------------------- */

#define ST(body) CFG(",\"store\":{" body "}")
#define RS(body) ST("\"backend\":\"redis\"," body)

static const struct {
	const char	*name;
	const char	*json;
	const char	*msg;
} bad_store[] = {
	{ "store not an object", CFG(",\"store\":[]"), "store: must be an object" },
	{ "unknown backend", ST("\"backend\":\"memcached\""),
	  "store.backend: must be \"file\" or \"redis\", not \"memcached\"" },
	{ "unknown store key", RS("\"host\":\"x\""), "store.host: unknown key" },
	{ "redis key with the file backend", ST("\"address\":\"127.0.0.1:6379\""),
	  "store.address: only used with \"backend\": \"redis\"" },
	{ "address without port", RS("\"address\":\"127.0.0.1\""),
	  "store.address: must be \"host:port\", \"[IPv6]:port\" or \"unix:/path/to/socket\": \"127.0.0.1\"" },
	{ "address port 0", RS("\"address\":\"127.0.0.1:0\""),
	  "store.address: port must be 1 to 65535: \"127.0.0.1:0\"" },
	{ "address port too big", RS("\"address\":\"[::1]:65536\""),
	  "store.address: port must be 1 to 65535: \"[::1]:65536\"" },
	{ "address bad host", RS("\"address\":\"a b:6379\""),
	  "store.address: must be \"host:port\", \"[IPv6]:port\" or \"unix:/path/to/socket\": \"a b:6379\"" },
	{ "relative unix socket", RS("\"address\":\"unix:redis.sock\""),
	  "store.address: unix: must be followed by an absolute path of at most 107 bytes: \"unix:redis.sock\"" },
	{ "db negative", RS("\"db\":-1"), "store.db: must be a non-negative integer" },
	{ "db not integral", RS("\"db\":1.5"), "store.db: must be a non-negative integer" },
	{ "timeout too small", RS("\"timeout_ms\":5"), "store.timeout_ms: must be at least 10" },
	{ "timeout too large", RS("\"timeout_ms\":60001"), "store.timeout_ms: must be at most 60000" },
	{ "empty prefix", RS("\"prefix\":\"\""), "store.prefix: must not be empty" },
	{ "prefix with a space", RS("\"prefix\":\"a b\""),
	  "store.prefix: must be at most 64 bytes without spaces or control characters" },
	{ "username without password", RS("\"username\":\"knocker\""),
	  "store.username: needs store.password_file (an ACL user authenticates with a password)" },
	{ "relative password file", RS("\"password_file\":\"redis.pass\""),
	  "store.password_file: must be an absolute path" },
	{ "missing password file", RS("\"password_file\":\"/nonexistent/redis.pass\""),
	  "store.password_file: cannot open /nonexistent/redis.pass: No such file or directory" },
};

static void
test_store(void)
{
	const char *dir = tap_tmpdir("conf-store");
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	char json[2048], want[1024], pass[600], world[600];
	struct conf *c;
	size_t i;

	c = parse(CFG(""), &errs, &warns);
	tap_ok(c != NULL && c->store.backend == CONF_STORE_FILE, "store: the file backend by default");
	conf_free(c);
	c = parse(ST("\"backend\":\"file\""), &errs, &warns);
	tap_ok(c != NULL && c->store.backend == CONF_STORE_FILE, "store: backend file accepted");
	conf_free(c);
	c = parse(RS("\"address\":\"unix:/run/redis/redis.sock\""), &errs, &warns);
	tap_ok(c != NULL && c->store.backend == CONF_STORE_REDIS, "store: backend redis accepted");
	tap_is_str(c != NULL ? c->store.address : NULL, "unix:/run/redis/redis.sock", "store: unix address");
	tap_is_str(c != NULL ? c->store.prefix : NULL, "knocker:", "store: prefix default");
	tap_is_int(c != NULL ? c->store.timeout_ms : 0, 200, "store: timeout_ms default 200");
	tap_ok(c != NULL && c->store.password == NULL && c->store.username == NULL,
	    "store: no password or user by default");
	conf_free(c);
	c = parse(RS("\"db\":3"), &errs, &warns);
	tap_is_str(c != NULL ? c->store.address : NULL, "127.0.0.1:6379", "store: address default");
	tap_is_int(c != NULL ? c->store.db : -1, 3, "store: db");
	conf_free(c);

	snprintf(pass, sizeof(pass), "%s", write_file(dir, "redis.pass", "pa ss\"w0rd\n", 11, 0640));
	snprintf(json, sizeof(json), RS("\"address\":\"[::1]:6380\",\"username\":\"knocker\","
	    "\"password_file\":\"%s\",\"prefix\":\"site1:\",\"timeout_ms\":50"), pass);
	c = parse(json, &errs, &warns);
	tap_ok(c != NULL, "store: a full redis section loads");
	tap_is_str(c != NULL ? c->store.password : NULL, "pa ss\"w0rd",
	    "store: the password is read from the file, final newline dropped");
	tap_is_str(c != NULL ? c->store.username : NULL, "knocker", "store: username");
	tap_is_str(c != NULL ? c->store.prefix : NULL, "site1:", "store: prefix");
	tap_is_int(c != NULL ? c->store.timeout_ms : 0, 50, "store: timeout_ms");
	conf_free(c);
	errlist_free(&errs);

	snprintf(world, sizeof(world), "%s", write_file(dir, "world.pass", "secret\n", 7, 0644));
	snprintf(json, sizeof(json), RS("\"password_file\":\"%s\""), world);
	c = parse(json, &errs, &warns);
	snprintf(want, sizeof(want), F ": store.password_file: %s: readable or writable by other "
	    "users: chmod 600 or 640", world);
	tap_ok(c == NULL, "store: a world-readable password file is refused");
	has_msg(&errs, want, "store: and the error says why");
	tap_ok(none_contains(&errs, "secret"), "store: the password is in no message");
	errlist_free(&errs);
	snprintf(json, sizeof(json), RS("\"password_file\":\"%s\""),
	    write_file(dir, "empty.pass", "\n", 1, 0600));
	c = parse(json, &errs, &warns);
	tap_ok(c == NULL && errs.count == 1 && strstr(errs.msg[0], ": empty") != NULL,
	    "store: an empty password file is refused");
	errlist_free(&errs);

	for (i = 0; i < sizeof(bad_store) / sizeof(bad_store[0]); i++) {
		c = parse(bad_store[i].json, &errs, &warns);
		tap_ok(c == NULL, "store: %s: refused", bad_store[i].name);
		snprintf(want, sizeof(want), F ": %s", bad_store[i].msg);
		has_msg(&errs, want, bad_store[i].name);
		conf_free(c);
		errlist_free(&errs);
	}
	errlist_free(&warns);
	unlink(pass);
	unlink(world);
	snprintf(json, sizeof(json), "%s/empty.pass", dir);
	unlink(json);
	tap_ok(rmdir(dir) == 0, "store: temporary directory removed");
}

int
main(void)
{
	test_minimal();
	test_spec_example();
	test_full_values();
	test_bad();
	test_many_errors();
	test_warnings();
	test_original_config();
	test_fw_port_parse();
	test_firewall_section();
	test_load();
	test_store();
	return tap_done();
}
