/*
 * knock: the POST /knock policy as a pure function (knock.h), and the
 * answers reply.c makes of its verdicts. No store, no clock, no I/O.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "ipnet.h"
#include "knock.h"
#include "reply.h"
#include "tap.h"
#include "testconf.h"

#define KEY_PHONE "k-phone-0123456789abcdef"
#define KEY_ADMIN "k-admin-0123456789abcdef"

static struct conf *
make_conf(void)
{
	static const char json[] =
	    "{\"whitelist\":{\"storage_path\":\"/nonexistent/whitelist.json\"},"
	    "\"api_keys\":[{\"name\":\"phone\",\"key\":\"" KEY_PHONE "\",\"max_ttl\":3600},"
	    "{\"name\":\"admin\",\"key\":\"" KEY_ADMIN "\",\"max_ttl\":600,"
	    "\"allow_remote_whitelist\":true}]}";

	return testconf_parse(json);
}

static void
test_find_key(const struct conf *c)
{
	tap_ok(knock_find_key(c, KEY_PHONE) == &c->keys[0], "find_key: phone");
	tap_ok(knock_find_key(c, KEY_ADMIN) == &c->keys[1], "find_key: admin");
	tap_ok(knock_find_key(c, NULL) == NULL, "find_key: NULL matches nothing");
	tap_ok(knock_find_key(c, "") == NULL, "find_key: empty matches nothing");
	tap_ok(knock_find_key(c, "k-phone-0123456789abcdeX") == NULL, "find_key: one byte off");
	tap_ok(knock_find_key(c, KEY_PHONE "x") == NULL, "find_key: longer");
	tap_ok(knock_find_key(c, "k-phone") == NULL, "find_key: prefix");
}

/* Issue 10 item 15: the range limits, with ranges that embed IPv4. */
static void
test_range_too_broad(void)
{
	static const struct {
		const char	*net;
		bool		 broad;
	} rows[] = {
		{ "10.0.0.0/15", true }, { "10.0.0.0/16", false }, { "10.0.0.1", false },
		{ "0.0.0.0/0", true },
		{ "2001:db8::/63", true }, { "2001:db8::/64", false }, { "::/0", true },
		/* RFC 6052 well-known NAT64 prefix */
		{ "64:ff9b::/96", true }, { "64:ff9b::/111", true }, { "64:ff9b::/112", false },
		{ "64:ff9b::/64", true }, { "64:ff9b::cb00:7107", false },
		/* RFC 8215 local-use prefixes, any layout inside the /48 */
		{ "64:ff9b:1::/48", true }, { "64:ff9b:1:ab::/64", true },
		{ "64:ff9b:1:ab::/96", true }, { "64:ff9b:1:ab::/112", false },
		/* IPv4-compatible */
		{ "::/96", true }, { "::/64", true }, { "::/112", false }, { "::1", false },
		/* IPv4-mapped stays IPv6 below /96 and covers all of the mapped space */
		{ "::fffe:0:0/95", true },
		/* IPv4-translated (SIIT) */
		{ "::ffff:0:0:0/96", true }, { "::ffff:0:cb00:0/112", false },
		/* Teredo: a /64 is every client of one server */
		{ "2001:0:cb00:7107::/64", true }, { "2001:0:cb00:7107:0:ffff::/112", false },
		/* 6to4: a /64 is inside one IPv4 site's /48 already */
		{ "2002:cb00:7107::/64", false }, { "2002:cb00:7107::/63", true },
		/* neighbours of the special prefixes are ordinary */
		{ "64:ff9a::/64", false }, { "64:ff9b:2::/64", false }, { "2001:1::/64", false },
		{ "0:0:0:1::/64", false },
	};
	struct ipnet n;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!tap_ok(ipnet_parse(rows[i].net, &n) == 0, "range: %s parses", rows[i].net))
			continue;
		tap_is_int(knock_range_too_broad(&n), rows[i].broad, "range: %s is %s", rows[i].net,
		    rows[i].broad ? "too broad" : "allowed");
	}
}

static struct knock_body *
body_of(struct knock_body *b, const char *text, enum knock_body_state state)
{
	b->state = state;
	b->len = strlen(text);
	memcpy(b->buf, text, b->len);
	return b;
}

/* Every verdict, with the status and message the reply gives it. */
static void
test_decide(const struct conf *c)
{
	static const struct {
		const char		*name;
		int			 key;	/* 0 none, 1 phone, 2 admin */
		bool			 read;	/* body read (only with a key) */
		const char		*ctype, *body;
		enum knock_body_state	 state;
		enum knock_verdict	 verdict;
		int			 status;
		const char		*msg;
	} rows[] = {
		{ "no key, body not read", 0, false, NULL, "", KNOCK_BODY_OK, KNOCK_BAD_KEY, 401,
		  "Invalid or missing API key." },
		{ "no key beats a body", 0, true, "application/json", "{\"ttl\":1}", KNOCK_BODY_TOO_LARGE,
		  KNOCK_BAD_KEY, 401, "Invalid or missing API key." },
		{ "too large", 1, true, "application/json", "", KNOCK_BODY_TOO_LARGE, KNOCK_TOO_LARGE, 413,
		  "Request body too large." },
		{ "read error or deadline", 1, true, "application/json", "{\"tt", KNOCK_BODY_UNREADABLE,
		  KNOCK_UNREADABLE, 400, "Malformed JSON request body." },
		{ "bad CONTENT_LENGTH", 1, true, NULL, "", KNOCK_BODY_BAD_LENGTH, KNOCK_BAD_BODY, 400,
		  "Invalid request data." },
		{ "not JSON", 1, true, "text/plain", "{}", KNOCK_BODY_OK, KNOCK_NOT_JSON, 415,
		  "Request body must be JSON." },
		{ "malformed", 1, true, "application/json", "{", KNOCK_BODY_OK, KNOCK_BAD_BODY, 400,
		  "Malformed JSON request body." },
		{ "remote without permission", 1, true, "application/json",
		  "{\"ip_address\":\"203.0.113.9\"}", KNOCK_BODY_OK, KNOCK_NO_REMOTE, 403,
		  "API key lacks remote whitelist permission." },
		{ "NAT64 /96", 2, true, "application/json", "{\"ip_address\":\"64:ff9b::/96\"}",
		  KNOCK_BODY_OK, KNOCK_TOO_BROAD, 400, "CIDR range too broad. Maximum 65536 addresses allowed." },
		{ "ttl too large", 1, true, "application/json", "{\"ttl\":315360001}", KNOCK_BODY_OK,
		  KNOCK_TTL_LARGE, 400, "TTL too large. Maximum allowed is 315360000 seconds (10 years)." },
		{ "empty body accepted", 1, true, NULL, "", KNOCK_BODY_OK, KNOCK_ACCEPT, 0, NULL },
		/* The documented order of checks when a body has problems of several steps. */
		{ "order: a bad ttl (3) before no remote permission (4)", 1, true, "application/json",
		  "{\"ip_address\":\"203.0.113.9\",\"ttl\":0}", KNOCK_BODY_OK, KNOCK_BAD_BODY, 400,
		  "Invalid TTL specified. Must be a positive integer." },
		{ "order: no remote permission (4) before a too broad range", 1, true, "application/json",
		  "{\"ip_address\":\"0.0.0.0/0\"}", KNOCK_BODY_OK, KNOCK_NO_REMOTE, 403,
		  "API key lacks remote whitelist permission." },
		{ "order: no remote permission (4) before ttl too large (5)", 1, true, "application/json",
		  "{\"ip_address\":\"203.0.113.9\",\"ttl\":315360001}", KNOCK_BODY_OK, KNOCK_NO_REMOTE, 403,
		  "API key lacks remote whitelist permission." },
		{ "order: a too broad range (4) before ttl too large (5)", 2, true, "application/json",
		  "{\"ip_address\":\"10.0.0.0/8\",\"ttl\":315360001}", KNOCK_BODY_OK, KNOCK_TOO_BROAD, 400,
		  "CIDR range too broad. Maximum 65536 addresses allowed." },
	};
	struct ipnet client;
	struct knock_body body;
	struct knock_facts f;
	struct knock_decision d;
	const char *msg;
	size_t i;
	int status;

	(void)ipnet_parse("198.51.100.1", &client);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&f, 0, sizeof(f));
		f.client = &client;
		f.content_type = rows[i].ctype;
		f.key = rows[i].key == 0 ? NULL : &c->keys[rows[i].key - 1];
		f.body = rows[i].read ? body_of(&body, rows[i].body, rows[i].state) : NULL;
		d = knock_decide(&f);
		tap_is_int(d.verdict, rows[i].verdict, "decide: %s: verdict", rows[i].name);
		if (rows[i].msg == NULL)
			continue;
		status = reply_knock_error(&d, &msg);
		tap_is_int(status, rows[i].status, "decide: %s: status", rows[i].name);
		tap_is_str(msg, rows[i].msg, "decide: %s: message", rows[i].name);
	}

	memset(&f, 0, sizeof(f));
	f.client = &client;
	f.key = &c->keys[0];
	f.content_type = "application/json";
	f.body = body_of(&body, "{\"ttl\":60}", KNOCK_BODY_OK);
	d = knock_decide(&f);
	tap_ok(d.verdict == KNOCK_ACCEPT && d.ttl == 60 && ipnet_contains(&client, &d.entry) &&
	    d.key == &c->keys[0], "decide: own address, requested ttl");
	f.body = body_of(&body, "{\"ttl\":99999}", KNOCK_BODY_OK);
	d = knock_decide(&f);
	tap_is_int(d.ttl, 3600, "decide: ttl capped at max_ttl");
	f.key = &c->keys[1];
	f.body = body_of(&body, "{\"ip_address\":\"64:ff9b::cb00:7100/120\"}", KNOCK_BODY_OK);
	d = knock_decide(&f);
	tap_ok(d.verdict == KNOCK_ACCEPT && d.entry.family == 6 && d.entry.prefix == 120 &&
	    d.ttl == 600, "decide: remote NAT64 /120 accepted with max_ttl");
}

/* Issue 10 item 12: a busy store is 503, any other failure 500. */
static void
test_store_verdict(void)
{
	struct knock_decision d;
	struct response resp;

	tap_is_int(knock_store_verdict(STORE_OK), KNOCK_ACCEPT, "STORE_OK: accept");
	tap_is_int(knock_store_verdict(STORE_FAIL), KNOCK_STORE_FAILED, "STORE_FAIL: failed");
	tap_is_int(knock_store_verdict(STORE_BUSY), KNOCK_STORE_BUSY, "STORE_BUSY: busy");

	memset(&d, 0, sizeof(d));
	reply_reset(&resp);
	d.verdict = KNOCK_STORE_BUSY;
	reply_knock_refused(&resp, &d);
	tap_is_int(resp.status, 503, "busy store: 503");
	tap_is_str(resp.body, "{\"error\":\"Whitelist store unavailable.\"}", "busy store: message");
	reply_reset(&resp);
	d.verdict = KNOCK_STORE_FAILED;
	reply_knock_refused(&resp, &d);
	tap_is_int(resp.status, 500, "failed store: 500");
	tap_is_str(resp.body, "{\"error\":\"Internal server error: whitelist persistence failed.\"}",
	    "failed store: message");
	reply_reset(&resp);
	d.verdict = KNOCK_ACCEPT;
	reply_knock_refused(&resp, &d);
	tap_is_int(resp.status, 500, "an accept passed as a refusal is 500, never 200");
}

int
main(void)
{
	struct conf *c = make_conf();

	if (!tap_ok(c != NULL, "config parses"))
		return tap_done();
	test_find_key(c);
	test_range_too_broad();
	test_decide(c);
	test_store_verdict();
	conf_free(c);
	return tap_done();
}
