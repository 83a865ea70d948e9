/*
 * verify: the verify decision as a pure function (verify.h) over a fake
 * whitelist view, so that every reason and the fail-closed paths are
 * reachable without files.
 */
#include "config.h"

#include <string.h>

#include "conf.h"
#include "ipnet.h"
#include "tap.h"
#include "testconf.h"
#include "verify.h"

struct fake_view {
	int		 answer;	/* what lookup returns */
	int		 calls;
	char		 last[IPNET_STRLEN];
};

static int
fake_lookup(void *ctx, const struct ipnet *client)
{
	struct fake_view *v = ctx;

	v->calls++;
	ipnet_format(client, v->last, sizeof(v->last));
	return v->answer;
}

static struct conf *
make_conf(void)
{
	static const char json[] =
	    "{\"server\":{\"trusted_proxies\":[\"10.9.9.9\"]},"
	    "\"whitelist\":{\"storage_path\":\"/nonexistent/whitelist.json\"},"
	    "\"api_keys\":[{\"key\":\"k-phone-0123456789abcdef\",\"max_ttl\":3600}],"
	    "\"security\":{\"always_allowed_ips\":[\"192.0.2.0/24\"],\"excluded_paths\":[\"/health\"],"
	    "\"excluded_paths_by_host\":{\"media.example.org\":[\"/public\"]}}}";

	return testconf_parse(json);
}

static void
test_rows(const struct conf *c)
{
	static const struct {
		const char		*name;
		struct verify_facts	 f;
		int			 store;		/* the view's answer */
		bool			 allow;
		enum verify_reason	 reason;
		int			 calls;		/* lookups expected */
		const char		*client;	/* looked up, or NULL */
	} rows[] = {
		{ "listed", { .remote_addr = "198.51.100.1", .request_uri = "/" }, 1, true,
		  VERIFY_WHITELISTED, 1, "198.51.100.1" },
		{ "not listed", { .remote_addr = "198.51.100.1", .request_uri = "/" }, 0, false,
		  VERIFY_NOT_LISTED, 1, "198.51.100.1" },
		{ "store error fails closed", { .remote_addr = "198.51.100.1", .request_uri = "/" }, -1,
		  false, VERIFY_STORE_ERROR, 1, "198.51.100.1" },
		{ "excluded path: no lookup, no client needed", { .request_uri = "/health/x" }, -1, true,
		  VERIFY_EXCLUDED_PATH, 0, NULL },
		{ "always allowed: no lookup", { .remote_addr = "192.0.2.7", .request_uri = "/" }, -1,
		  true, VERIFY_ALWAYS_ALLOWED, 0, NULL },
		{ "no client", { .remote_addr = "10.9.9.9", .request_uri = "/" }, 1, false,
		  VERIFY_NO_CLIENT, 0, NULL },
		{ "client from X-Forwarded-For of a trusted peer", { .remote_addr = "10.9.9.9",
		  .x_forwarded_for = "203.0.113.5", .request_uri = "/" }, 1, true, VERIFY_WHITELISTED, 1,
		  "203.0.113.5" },
		{ "forward auth: X-Original-URI of a trusted peer", { .remote_addr = "10.9.9.9",
		  .x_forwarded_for = "203.0.113.5", .request_uri = "/private", .forward_auth = true,
		  .x_original_uri = "/health" }, 0, true, VERIFY_EXCLUDED_PATH, 0, NULL },
		{ "authorizer: X-Original-URI never believed", { .remote_addr = "10.9.9.9",
		  .x_forwarded_for = "203.0.113.5", .request_uri = "/private",
		  .x_original_uri = "/health" }, 0, false, VERIFY_NOT_LISTED, 1, "203.0.113.5" },
		{ "forward auth: X-Forwarded-Host of an untrusted peer ignored", {
		  .remote_addr = "203.0.113.5", .request_uri = "/public/a", .host = "other.example",
		  .forward_auth = true, .x_forwarded_host = "media.example.org" }, 0, false,
		  VERIFY_NOT_LISTED, 1, "203.0.113.5" },
		{ "per-host exclusion", { .remote_addr = "203.0.113.5", .request_uri = "/public/a",
		  .host = "MEDIA.example.org:443" }, 0, true, VERIFY_EXCLUDED_PATH, 0, NULL },
	};
	struct fake_view fv;
	struct verify_view view = { fake_lookup, &fv };
	struct verify_decision d;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&fv, 0, sizeof(fv));
		fv.answer = rows[i].store;
		d = verify_decide(c, &rows[i].f, &view);
		tap_is_int(d.allow, rows[i].allow, "verify: %s: %s", rows[i].name,
		    rows[i].allow ? "allow" : "deny");
		tap_is_int(d.reason, rows[i].reason, "verify: %s: reason", rows[i].name);
		tap_is_int(fv.calls, rows[i].calls, "verify: %s: store lookups", rows[i].name);
		if (rows[i].client != NULL)
			tap_is_str(fv.last, rows[i].client, "verify: %s: client looked up", rows[i].name);
	}
}

int
main(void)
{
	struct conf *c = make_conf();
	struct fake_view fv = { .answer = 1 };
	struct verify_view view = { fake_lookup, &fv };
	struct verify_facts f = { .remote_addr = "198.51.100.1", .request_uri = "/health" };
	struct verify_decision d;

	d = verify_decide(NULL, &f, &view);
	tap_ok(!d.allow && d.reason == VERIFY_NO_CONFIG && fv.calls == 0,
	    "verify: no config denies, even an excluded path");
	if (!tap_ok(c != NULL, "config parses"))
		return tap_done();
	test_rows(c);
	conf_free(c);
	return tap_done();
}
