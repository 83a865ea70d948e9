#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ipnet.h"
#include "knockreq.h"
#include "tap.h"

#define LEN_AUTO ((size_t)-1)

struct row {
	const char		*name;
	const char		*body;
	size_t			 len;		/* LEN_AUTO: strlen(body) */
	enum knockreq_status	 status;
	const char		*ip;		/* canonical, or NULL: no ip */
	int64_t			 ttl;		/* 0: no ttl */
};

static const struct row rows[] = {
	/* accepted */
	{ "empty object", "{}", LEN_AUTO, KNOCKREQ_OK, NULL, 0 },
	{ "object with whitespace", " \n\t{ }\r\n", LEN_AUTO, KNOCKREQ_OK, NULL, 0 },
	{ "ip only", "{\"ip_address\":\"203.0.113.7\"}", LEN_AUTO, KNOCKREQ_OK, "203.0.113.7", 0 },
	{ "ttl only", "{\"ttl\":3600}", LEN_AUTO, KNOCKREQ_OK, NULL, 3600 },
	{ "both", "{\"ip_address\":\"2001:db8::1\",\"ttl\":60}", LEN_AUTO, KNOCKREQ_OK,
	  "2001:db8::1", 60 },
	{ "both, ttl first", "{\"ttl\":1,\"ip_address\":\"10.0.0.0/8\"}", LEN_AUTO, KNOCKREQ_OK,
	  "10.0.0.0/8", 1 },
	{ "CIDR host bits cleared", "{\"ip_address\":\"192.0.2.77/24\"}", LEN_AUTO, KNOCKREQ_OK,
	  "192.0.2.0/24", 0 },
	{ "v4-mapped is IPv4", "{\"ip_address\":\"::ffff:192.0.2.1\"}", LEN_AUTO, KNOCKREQ_OK,
	  "192.0.2.1", 0 },
	{ "ttl above the max is parsed (caller says too large)", "{\"ttl\":315360001}", LEN_AUTO,
	  KNOCKREQ_OK, NULL, 315360001 },
	{ "ttl after a nested member with } and \" in strings",
	  "{\"x\":{\"a\":[1.5,\"}\\\"]\"],\"b\":{}},\"ttl\":5}", LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "ttl after a key with an escaped quote", "{\"a\\\"b\":1.5,\"ttl\":2}", LEN_AUTO,
	  KNOCKREQ_INVALID, NULL, 0 },
	{ "ttl after ip_address, with whitespace", " { \"ip_address\" : \"192.0.2.1\" ,\n \"ttl\" : 7 } ",
	  LEN_AUTO, KNOCKREQ_OK, "192.0.2.1", 7 },
	{ "ttl 2^63 saturates", "{\"ttl\":9223372036854775808}", LEN_AUTO, KNOCKREQ_OK, NULL,
	  INT64_MAX },
	{ "length limits the body", "{}garbage", 2, KNOCKREQ_OK, NULL, 0 },
	{ "ip of exactly 100 chars is not too long", NULL, 0, KNOCKREQ_BAD_IP, NULL, 0 },
	/* The original takes null as "not given" for both fields. */
	{ "ip_address null is absent", "{\"ip_address\":null}", LEN_AUTO, KNOCKREQ_OK, NULL, 0 },
	{ "ttl null is absent", "{\"ttl\":null}", LEN_AUTO, KNOCKREQ_OK, NULL, 0 },
	{ "both null", "{\"ttl\":null,\"ip_address\":null}", LEN_AUTO, KNOCKREQ_OK, NULL, 0 },
	{ "null ip with a ttl", "{\"ip_address\":null,\"ttl\":30}", LEN_AUTO, KNOCKREQ_OK, NULL, 30 },

	/* malformed */
	{ "empty body", "", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "whitespace only", "  \n", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "not JSON", "ip_address=1.2.3.4", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "unterminated object", "{\"ttl\":60", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "trailing garbage", "{\"ttl\":60}x", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "two objects", "{}{}", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "trailing comma", "{\"ttl\":60,}", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "single quotes", "{'ttl':60}", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "embedded NUL after the object", "{}\0{}", 5, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "embedded NUL inside a string", "{\"ip_address\":\"1.2.3.4\0x\"}", 26,
	  KNOCKREQ_MALFORMED, NULL, 0 },
	{ "NaN is not JSON", "{\"ttl\":NaN}", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "hex is not JSON", "{\"ttl\":0x10}", LEN_AUTO, KNOCKREQ_MALFORMED, NULL, 0 },
	{ "cut by length", "{\"ttl\":60}", 5, KNOCKREQ_MALFORMED, NULL, 0 },

	/* not an object */
	{ "array", "[]", LEN_AUTO, KNOCKREQ_NOT_OBJECT, NULL, 0 },
	{ "array of object", "[{\"ttl\":1}]", LEN_AUTO, KNOCKREQ_NOT_OBJECT, NULL, 0 },
	{ "string", "\"1.2.3.4\"", LEN_AUTO, KNOCKREQ_NOT_OBJECT, NULL, 0 },
	{ "number", "42", LEN_AUTO, KNOCKREQ_NOT_OBJECT, NULL, 0 },
	{ "null", "null", LEN_AUTO, KNOCKREQ_NOT_OBJECT, NULL, 0 },
	{ "true", "true", LEN_AUTO, KNOCKREQ_NOT_OBJECT, NULL, 0 },

	/* invalid */
	{ "unknown field", "{\"foo\":1}", LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "field name case matters", "{\"TTL\":60}", LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "unknown field after good ones", "{\"ttl\":60,\"ip_address\":\"1.2.3.4\",\"x\":null}",
	  LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "duplicate ttl", "{\"ttl\":60,\"ttl\":61}", LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "duplicate ip_address", "{\"ip_address\":\"1.2.3.4\",\"ip_address\":\"5.6.7.8\"}",
	  LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "duplicate ttl with null", "{\"ttl\":null,\"ttl\":61}", LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "\\u0000 in ip_address", "{\"ip_address\":\"1.2.3.4\\u0000x\"}", LEN_AUTO,
	  KNOCKREQ_INVALID, NULL, 0 },
	{ "\\u0000 in a field name", "{\"ttl\\u0000\":60}", LEN_AUTO, KNOCKREQ_INVALID, NULL, 0 },
	{ "unknown field and a null ip", "{\"ip_address\":null,\"x\":1}", LEN_AUTO,
	  KNOCKREQ_INVALID, NULL, 0 },

	/* bad ttl */
	{ "ttl 0", "{\"ttl\":0}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl -0", "{\"ttl\":-0}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl -1", "{\"ttl\":-1}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl -1e300", "{\"ttl\":-1e300}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 3.5", "{\"ttl\":3.5}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	/* The original takes only an integer literal: 60.0 or 6e1 is not one. */
	{ "ttl 1.0", "{\"ttl\":1.0}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 60.000", "{\"ttl\":60.000}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 1e3", "{\"ttl\":1e3}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 6E1", "{\"ttl\":6E1}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 1e300", "{\"ttl\":1e300}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 1e999 (inf)", "{\"ttl\":1e999}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 5.0 after ip_address", "{\"ip_address\":\"192.0.2.1\",\"ttl\":5.0}", LEN_AUTO,
	  KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl 2.0 after a key with an escaped quote", "{\"a\\\"b\":1,\"ttl\":2.0}", LEN_AUTO,
	  KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "duplicate ttl, the second 5.0", "{\"ttl\":5,\"ttl\":5.0}", LEN_AUTO, KNOCKREQ_BAD_TTL,
	  NULL, 0 },
	{ "ttl 0.5", "{\"ttl\":0.5}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl string", "{\"ttl\":\"60\"}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl true", "{\"ttl\":true}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl false", "{\"ttl\":false}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl array", "{\"ttl\":[60]}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "ttl object", "{\"ttl\":{}}", LEN_AUTO, KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "bad ttl before an unknown field", "{\"ttl\":0,\"x\":1}", LEN_AUTO, KNOCKREQ_BAD_TTL,
	  NULL, 0 },
	{ "bad ttl before a bad ip", "{\"ttl\":-5,\"ip_address\":\"nope\"}", LEN_AUTO,
	  KNOCKREQ_BAD_TTL, NULL, 0 },
	/* Several problems: ttl first, then ip_address, then the rest,
	   whatever their order in the body (as the original reports them). */
	{ "unknown field before a bad ttl", "{\"x\":1,\"ttl\":0}", LEN_AUTO, KNOCKREQ_BAD_TTL,
	  NULL, 0 },
	{ "bad ip before a bad ttl", "{\"ip_address\":\"x\",\"ttl\":0}", LEN_AUTO, KNOCKREQ_BAD_TTL,
	  NULL, 0 },
	{ "unknown field, bad ip, bad ttl", "{\"a\":1,\"ip_address\":7,\"ttl\":\"9\"}", LEN_AUTO,
	  KNOCKREQ_BAD_TTL, NULL, 0 },
	{ "duplicate ttl, the second bad", "{\"ttl\":60,\"ttl\":0}", LEN_AUTO, KNOCKREQ_BAD_TTL,
	  NULL, 0 },
	{ "\\u0000 in a field name and a bad ttl", "{\"x\\u0000\":1,\"ttl\":-1}", LEN_AUTO,
	  KNOCKREQ_BAD_TTL, NULL, 0 },

	/* bad ip */
	{ "ip empty", "{\"ip_address\":\"\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip word", "{\"ip_address\":\"localhost\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip octet 300", "{\"ip_address\":\"10.0.0.300\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip prefix 33", "{\"ip_address\":\"10.0.0.0/33\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip prefix 129", "{\"ip_address\":\"::/129\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip with space", "{\"ip_address\":\" 1.2.3.4\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip with zone id", "{\"ip_address\":\"fe80::1%eth0\"}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip_address number", "{\"ip_address\":16909060}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip_address true", "{\"ip_address\":true}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip_address array", "{\"ip_address\":[\"1.2.3.4\"]}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "ip_address object", "{\"ip_address\":{}}", LEN_AUTO, KNOCKREQ_BAD_IP, NULL, 0 },
	{ "unknown field before a bad ip", "{\"x\":1,\"ip_address\":\"nope\"}", LEN_AUTO,
	  KNOCKREQ_BAD_IP, NULL, 0 },
	{ "non-string ip before an unknown field", "{\"ip_address\":1,\"x\":1}", LEN_AUTO,
	  KNOCKREQ_BAD_IP, NULL, 0 },

	/* ip too long */
	{ "ip_address 101 chars", NULL, 0, KNOCKREQ_IP_TOO_LONG, NULL, 0 },
	{ "too long ip before an unknown field", NULL, 1, KNOCKREQ_IP_TOO_LONG, NULL, 0 },
	{ "too long ip with a bad ttl", NULL, 2, KNOCKREQ_BAD_TTL, NULL, 0 },
};

static const char *
status_name(enum knockreq_status st)
{
	switch (st) {
	case KNOCKREQ_OK: return "OK";
	case KNOCKREQ_MALFORMED: return "MALFORMED";
	case KNOCKREQ_NOT_OBJECT: return "NOT_OBJECT";
	case KNOCKREQ_INVALID: return "INVALID";
	case KNOCKREQ_BAD_TTL: return "BAD_TTL";
	case KNOCKREQ_BAD_IP: return "BAD_IP";
	case KNOCKREQ_IP_TOO_LONG: return "IP_TOO_LONG";
	}
	return "?";
}

static void
check_row(const struct row *r, const char *body, size_t len)
{
	struct knockreq kr;
	enum knockreq_status st;
	char buf[IPNET_STRLEN];

	memset(&kr, 0xa5, sizeof(kr));
	st = knockreq_parse(body, len, &kr);
	if (!tap_is_str(status_name(st), status_name(r->status), "knockreq_parse: %s", r->name))
		return;
	if (st != KNOCKREQ_OK)
		return;
	tap_is_int(kr.has_ip, r->ip != NULL, "%s: has_ip", r->name);
	if (r->ip != NULL && kr.has_ip)
		tap_is_str(ipnet_format(&kr.ip, buf, sizeof(buf)), r->ip, "%s: ip", r->name);
	tap_is_int(kr.has_ttl, r->ttl != 0, "%s: has_ttl", r->name);
	if (r->ttl != 0 && kr.has_ttl)
		tap_is_int(kr.ttl, r->ttl, "%s: ttl", r->name);
}

static void
test_parse(void)
{
	char body[256], ip[128];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		if (r->body == NULL) {
			/* 100 or 101 characters that are not an address; len picks
			   what follows: nothing, an unknown field, a bad ttl. */
			static const char *const tails[] = { "", ",\"x\":1", ",\"ttl\":0" };
			size_t n = r->status == KNOCKREQ_BAD_IP ? 100 : 101;

			memset(ip, '1', n);
			ip[n] = '\0';
			snprintf(body, sizeof(body), "{\"ip_address\":\"%s\"%s}", ip, tails[r->len]);
			check_row(r, body, strlen(body));
		} else
			check_row(r, r->body, r->len == LEN_AUTO ? strlen(r->body) : r->len);
	}
}

static void
test_parse_edges(void)
{
	struct knockreq kr;
	char big[8192];
	size_t i, o;

	/* The 100-character limit counts characters, not UTF-8 bytes. */
	for (o = 0; o < 2; o++) {
		i = (size_t)snprintf(big, sizeof(big), "{\"ip_address\":\"");
		for (size_t k = 0; k < 100 + o; k++)
			i += (size_t)snprintf(big + i, sizeof(big) - i, "\xc3\xa9");	/* e-acute */
		i += (size_t)snprintf(big + i, sizeof(big) - i, "\"}");
		tap_is_int(knockreq_parse(big, i, &kr), o ? KNOCKREQ_IP_TOO_LONG : KNOCKREQ_BAD_IP,
		    "ip_address of %zu two-byte characters is %s", 100 + o,
		    o ? "IP_TOO_LONG" : "BAD_IP");
	}

	tap_is_int(knockreq_parse(NULL, 0, &kr), KNOCKREQ_MALFORMED, "NULL body is malformed");
	/* A body that is not NUL-terminated: the parser must stop at len. */
	memcpy(big, "{\"ttl\":5}", 9);
	memset(big + 9, '}', sizeof(big) - 9);
	tap_is_int(knockreq_parse(big, 9, &kr), KNOCKREQ_OK, "no NUL terminator needed");
	tap_is_int(kr.ttl, 5, "no NUL terminator: ttl");
	/* Deep nesting is rejected, not a crash. */
	memset(big, '[', sizeof(big));
	tap_is_int(knockreq_parse(big, sizeof(big), &kr), KNOCKREQ_MALFORMED,
	    "8192 nested arrays are malformed");
	/* *out is untouched on failure. */
	memset(&kr, 0, sizeof(kr));
	kr.ttl = 77;
	knockreq_parse("{\"ttl\":0}", 9, &kr);
	tap_is_int(kr.ttl, 77, "*out untouched on failure");
}

static void
test_errors(void)
{
	static const struct {
		enum knockreq_status	 st;
		const char		*msg;
	} msgs[] = {
		{ KNOCKREQ_OK, NULL },
		{ KNOCKREQ_MALFORMED, "Malformed JSON request body." },
		{ KNOCKREQ_NOT_OBJECT, "Request body must be a JSON object." },
		{ KNOCKREQ_INVALID, "Invalid request data." },
		{ KNOCKREQ_BAD_TTL, "Invalid TTL specified. Must be a positive integer." },
		{ KNOCKREQ_BAD_IP, "Invalid IP address or CIDR notation in request body." },
		{ KNOCKREQ_IP_TOO_LONG, "IP address or CIDR notation too long." },
	};
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		tap_is_str(knockreq_error(msgs[i].st), msgs[i].msg, "knockreq_error(%s)",
		    status_name(msgs[i].st));
}

static void
test_json_type(void)
{
	static const struct {
		const char	*ct;
		bool		 want;
	} types[] = {
		{ "application/json", true },
		{ "Application/JSON; charset=utf-8", true },
		{ "application/json;charset=UTF-8", true },
		{ "application/json ; charset=utf-8", true },
		{ "application/json\t;charset=utf-8", true },
		{ "APPLICATION/JSON", true },
		{ " application/json", true },
		{ "application/json ", true },
		{ "text/plain", false },
		{ "application/jsonx", false },
		{ "application/json-patch+json", false },
		{ "application/x-www-form-urlencoded", false },
		{ "application/", false },
		{ "application/jso", false },
		{ "json", false },
		{ "", false },
		{ "x application/json", false },
		{ NULL, false },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		tap_is_int(knockreq_is_json_type(types[i].ct), types[i].want,
		    "knockreq_is_json_type(%s%s%s)", types[i].ct ? "\"" : "",
		    types[i].ct ? types[i].ct : "NULL", types[i].ct ? "\"" : "");
}

int
main(void)
{
	test_parse();
	test_parse_edges();
	test_errors();
	test_json_type();
	return tap_done();
}
