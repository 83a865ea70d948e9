#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "tap.h"
#include "wlfile.h"

/* A row with len 0 uses strlen(in); rows with embedded NULs give len. */
struct valid_row {
	const char	*name;
	const char	*in;
	size_t		 len;
	size_t		 count;		/* entries stored */
	size_t		 skipped;
	const char	*key;		/* NULL: no value check */
	int64_t		 value;
};

static const struct valid_row valid_rows[] = {
	{ "empty object", "{}", 0, 0, 0, NULL, 0 },
	{ "empty object with whitespace", " \t\r\n{ \n\t}\r\n ", 0, 0, 0, NULL, 0 },
	{ "FarisZR example", "{\"203.0.113.7\": 1767225600, \"2001:db8::/64\": 1767229200}",
	    0, 2, 0, "2001:db8::/64", 1767229200 },
	{ "compact", "{\"203.0.113.7\":1767225600,\"2001:db8::/64\":1767229200}",
	    0, 2, 0, "203.0.113.7", 1767225600 },
	{ "whitespace everywhere", "\n{\n\t\"1.2.3.4\"\r\n:\t5 ,\n \"::1\" :6\n}\n",
	    0, 2, 0, "::1", 6 },
	{ "fraction truncated", "{\"1.2.3.4\":1767225600.99}", 0, 1, 0, "1.2.3.4", 1767225600 },
	{ "negative fraction truncated toward zero", "{\"1.2.3.4\":-1.9}", 0, 1, 0, "1.2.3.4", -1 },
	{ "exponent with fraction", "{\"1.2.3.4\":1.7672256E9}", 0, 1, 0, "1.2.3.4", 1767225600 },
	{ "exponent on integer", "{\"1.2.3.4\":17672256e2}", 0, 1, 0, "1.2.3.4", 1767225600 },
	{ "exponent plus sign", "{\"1.2.3.4\":1E+2}", 0, 1, 0, "1.2.3.4", 100 },
	{ "negative exponent below one", "{\"1.2.3.4\":1e-3}", 0, 1, 0, "1.2.3.4", 0 },
	{ "zero with huge exponent", "{\"1.2.3.4\":0e999999999999}", 0, 1, 0, "1.2.3.4", 0 },
	{ "zero fraction huge exponent", "{\"1.2.3.4\":0.000e999}", 0, 1, 0, "1.2.3.4", 0 },
	{ "tiny with leading zeros", "{\"1.2.3.4\":0.00015e4}", 0, 1, 0, "1.2.3.4", 1 },
	{ "negative zero", "{\"1.2.3.4\":-0}", 0, 1, 0, "1.2.3.4", 0 },
	{ "long fraction shifted", "{\"1.2.3.4\":123456789012345678.9e-16}", 0, 1, 0, "1.2.3.4", 12 },
	{ "int64 max", "{\"1.2.3.4\":9223372036854775807}", 0, 1, 0, "1.2.3.4", INT64_MAX },
	{ "int64 min", "{\"1.2.3.4\":-9223372036854775808}", 0, 1, 0, "1.2.3.4", INT64_MIN },
	{ "int64 max via exponent", "{\"1.2.3.4\":922337203685477580.7e1}", 0, 1, 0,
	    "1.2.3.4", INT64_MAX },
	{ "20 digits divided", "{\"1.2.3.4\":12345678901234567890e-1}", 0, 1, 0,
	    "1.2.3.4", 1234567890123456789 },
	{ "huge negative exponent", "{\"1.2.3.4\":5e-999999999999999}", 0, 1, 0, "1.2.3.4", 0 },
	{ "escaped digit in key", "{\"\\u0031.2.3.4\":5}", 0, 1, 0, "1.2.3.4", 5 },
	{ "escaped solidus in key", "{\"10.0.0.0\\/8\":5}", 0, 1, 0, "10.0.0.0/8", 5 },
	{ "mixed case hex escapes", "{\"\\u003A\\u003a1\":5}", 0, 1, 0, "::1", 5 },
	{ "escapes make a non-address", "{\"a\\\"b\\\\c\\n\\t\\b\\f\\r\":5}", 0, 0, 1, NULL, 0 },
	{ "surrogate pair key skipped", "{\"\\ud83d\\ude00\":1}", 0, 0, 1, NULL, 0 },
	{ "lone high surrogate skipped", "{\"\\ud800\":1}", 0, 0, 1, NULL, 0 },
	{ "lone low surrogate skipped", "{\"\\udc00x\":1}", 0, 0, 1, NULL, 0 },
	{ "escaped NUL skipped", "{\"1.2.3.4\\u0000\":1}", 0, 0, 1, NULL, 0 },
	{ "UTF-8 key skipped", "{\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\":1}", 0, 0, 1, NULL, 0 },
	{ "host bits cleared", "{\"10.1.2.3/8\":5}", 0, 1, 0, "10.0.0.0/8", 5 },
	{ "v6 host bits cleared", "{\"2001:db8::1/64\":5}", 0, 1, 0, "2001:db8::/64", 5 },
	{ "mapped v4 is v4", "{\"::ffff:1.2.3.4\":5}", 0, 1, 0, "1.2.3.4", 5 },
	{ "/32 is the address", "{\"1.2.3.4/32\":5}", 0, 1, 0, "1.2.3.4", 5 },
	{ "non-addresses skipped and counted",
	    "{\"not-an-ip\":1,\"1.2.3.4\":2,\"\":3,\"1.2.3.4/33\":4,\" 1.2.3.4\":5}",
	    0, 1, 4, "1.2.3.4", 2 },
	{ "long key skipped",
	    "{\"1111111111111111111111111111111111111111111111111111111111111111111111\":1}",
	    0, 0, 1, NULL, 0 },
	{ "duplicate keeps max", "{\"1.2.3.4\":5,\"1.2.3.4\":9,\"1.2.3.4\":7}", 0, 1, 0,
	    "1.2.3.4", 9 },
	{ "duplicate after canonicalization", "{\"10.1.2.3/8\":5,\"10.0.0.0/8\":3}", 0, 1, 0,
	    "10.0.0.0/8", 5 },
	{ "negative expiry kept", "{\"1.2.3.4\":-5}", 0, 1, 0, "1.2.3.4", -5 },
};

struct invalid_row {
	const char	*name;
	const char	*in;
	size_t		 len;	/* 0: strlen */
};

static const struct invalid_row invalid_rows[] = {
	{ "empty input", "", 0 },
	{ "whitespace only", " \n\t", 0 },
	{ "array", "[]", 0 },
	{ "string value", "{\"a\":\"b\"}", 0 },
	{ "string value for address", "{\"1.2.3.4\":\"5\"}", 0 },
	{ "trailing comma", "{\"1.2.3.4\":1,}", 0 },
	{ "leading comma", "{,\"1.2.3.4\":1}", 0 },
	{ "lone comma", "{,}", 0 },
	{ "trailing garbage", "{\"1.2.3.4\":1}x", 0 },
	{ "two objects", "{}{}", 0 },
	{ "extra brace", "{\"1.2.3.4\":1}}", 0 },
	{ "open brace only", "{", 0 },
	{ "key only", "{\"1.2.3.4\"}", 0 },
	{ "key and colon", "{\"1.2.3.4\":}", 0 },
	{ "missing colon", "{\"1.2.3.4\" 1}", 0 },
	{ "missing comma", "{\"a\":1 \"b\":2}", 0 },
	{ "nested object", "{\"1.2.3.4\":{\"a\":1}}", 0 },
	{ "nested array", "{\"1.2.3.4\":[1]}", 0 },
	{ "true", "{\"1.2.3.4\":true}", 0 },
	{ "null", "{\"1.2.3.4\":null}", 0 },
	{ "exponent overflow", "{\"1.2.3.4\":1e999}", 0 },
	{ "int64 max + 1", "{\"1.2.3.4\":9223372036854775808}", 0 },
	{ "int64 min - 1", "{\"1.2.3.4\":-9223372036854775809}", 0 },
	{ "overflow via shifted digits", "{\"1.2.3.4\":92233720368547758080e-1}", 0 },
	{ "20 significant integer digits", "{\"1.2.3.4\":10000000000000000000}", 0 },
	{ "leading zero", "{\"1.2.3.4\":01}", 0 },
	{ "plus sign", "{\"1.2.3.4\":+1}", 0 },
	{ "bare minus", "{\"1.2.3.4\":-}", 0 },
	{ "dot without digits", "{\"1.2.3.4\":1.}", 0 },
	{ "leading dot", "{\"1.2.3.4\":.5}", 0 },
	{ "exponent without digits", "{\"1.2.3.4\":1e}", 0 },
	{ "exponent sign without digits", "{\"1.2.3.4\":1e-}", 0 },
	{ "hex number", "{\"1.2.3.4\":0x10}", 0 },
	{ "NaN", "{\"1.2.3.4\":NaN}", 0 },
	{ "Infinity", "{\"1.2.3.4\":Infinity}", 0 },
	{ "single quotes", "{'1.2.3.4':1}", 0 },
	{ "unquoted key", "{a:1}", 0 },
	{ "unterminated string", "{\"1.2.3.4", 0 },
	{ "unterminated string with escape", "{\"1.2.3.4\\", 0 },
	{ "unterminated after value", "{\"1.2.3.4\":1", 0 },
	{ "unterminated after comma", "{\"1.2.3.4\":1,", 0 },
	{ "bad escape \\x", "{\"\\x41\":1}", 0 },
	{ "bad escape \\'", "{\"\\'\":1}", 0 },
	{ "short \\u", "{\"\\u12\":1}", 0 },
	{ "bad hex in \\u", "{\"\\u12G4\":1}", 0 },
	{ "\\u at end of input", "{\"\\u00", 0 },
	{ "raw tab in string", "{\"1.2.3.4\t\":1}", 0 },
	{ "raw newline in string", "{\"1.2.3.4\n\":1}", 0 },
	{ "NUL inside string", "{\"1.2\0.3.4\":1}", 14 },
	{ "NUL after object", "{\"1.2.3.4\":1}\0", 14 },
	{ "NUL before object", "\0{}", 3 },
	{ "NUL as whitespace", "{\0}", 3 },
	{ "invalid UTF-8 byte", "{\"\xff\":1}", 0 },
	{ "overlong UTF-8", "{\"\xc0\xaf\":1}", 0 },
	{ "UTF-8 surrogate", "{\"\xed\xa0\x80\":1}", 0 },
	{ "UTF-8 above U+10FFFF", "{\"\xf4\x90\x80\x80\":1}", 0 },
	{ "lone continuation byte", "{\"\x80\":1}", 0 },
	{ "truncated UTF-8", "{\"\xe2\x82", 0 },
	{ "UTF-8 BOM", "\xef\xbb\xbf{}", 0 },
	{ "vertical tab whitespace", "{\v}", 0 },
	{ "form feed whitespace", "\f{}", 0 },
	{ "value with no key", "{1:2}", 0 },
};

static int
map_value(const struct ipmap *m, const char *key, int64_t *value)
{
	struct ipnet net;

	if (ipnet_parse(key, &net) == -1)
		return -1;
	return ipmap_get(m, &net, value);
}

/* Parses an exact-size heap copy, so ASan catches any read past len. */
static int
parse_copy(const char *in, size_t len, struct ipmap *m, size_t *skipped)
{
	char *copy = malloc(len > 0 ? len : 1);
	int r;

	if (copy == NULL)
		return -2;
	memcpy(copy, in, len);
	r = wlfile_parse(copy, len, m, skipped);
	free(copy);
	return r;
}

static void
test_valid(void)
{
	size_t i;

	for (i = 0; i < sizeof(valid_rows) / sizeof(valid_rows[0]); i++) {
		const struct valid_row *row = &valid_rows[i];
		size_t len = row->len ? row->len : strlen(row->in);
		struct ipmap *m = ipmap_new();
		size_t skipped = 0;
		int64_t v = 0;

		tap_is_int(parse_copy(row->in, len, m, &skipped), 0,
		    "wlfile_parse_should_accept: %s", row->name);
		tap_is_int((int64_t)ipmap_count(m), (int64_t)row->count,
		    "wlfile_parse_should_store_entries: %s", row->name);
		tap_is_int((int64_t)skipped, (int64_t)row->skipped,
		    "wlfile_parse_should_count_skipped: %s", row->name);
		if (row->key != NULL) {
			tap_is_int(map_value(m, row->key, &v), 1,
			    "wlfile_parse_should_store_key: %s (%s)", row->name, row->key);
			tap_is_int(v, row->value, "wlfile_parse_should_store_value: %s",
			    row->name);
		}
		ipmap_free(m);
	}
}

static void
test_invalid(void)
{
	size_t i;

	for (i = 0; i < sizeof(invalid_rows) / sizeof(invalid_rows[0]); i++) {
		const struct invalid_row *row = &invalid_rows[i];
		size_t len = row->len ? row->len : strlen(row->in);
		struct ipmap *m = ipmap_new();

		tap_is_int(parse_copy(row->in, len, m, NULL), -1,
		    "wlfile_parse_should_reject: %s", row->name);
		ipmap_free(m);
	}
}

/* Every strict prefix of a valid object (up to its closing brace) is
   invalid, and parsing it never reads past its end. */
static void
test_prefixes(void)
{
	size_t i, cut;

	for (i = 0; i < sizeof(valid_rows) / sizeof(valid_rows[0]); i++) {
		const struct valid_row *row = &valid_rows[i];
		size_t len = row->len ? row->len : strlen(row->in);
		const char *close = strrchr(row->in, '}');
		size_t need = (size_t)(close - row->in) + 1;
		int bad = 0;

		for (cut = 0; cut < need && cut < len; cut++) {
			struct ipmap *m = ipmap_new();

			if (parse_copy(row->in, cut, m, NULL) != -1)
				bad++;
			ipmap_free(m);
		}
		tap_is_int(bad, 0, "wlfile_parse_should_reject_every_prefix: %s", row->name);
	}
}

static void
test_no_clear(void)
{
	static const char doc[] = "{\"9.9.9.9\":50,\"1.1.1.1\":7}";
	struct ipmap *m = ipmap_new();
	struct ipnet net;
	int64_t v = 0;

	ipnet_parse("9.9.9.9", &net);
	ipmap_put(m, &net, 100);
	tap_is_int(wlfile_parse(doc, strlen(doc), m, NULL), 0,
	    "wlfile_parse_should_add_to_existing_map");
	tap_is_int((int64_t)ipmap_count(m), 2, "wlfile_parse_should_not_clear_map");
	map_value(m, "9.9.9.9", &v);
	tap_is_int(v, 100, "wlfile_parse_should_keep_larger_existing_value");
	ipmap_free(m);
}

static void
put(struct ipmap *m, const char *key, int64_t value)
{
	struct ipnet net;

	if (ipnet_parse(key, &net) == -1 || ipmap_put(m, &net, value) == -1)
		tap_diag("cannot put %s", key);
}

static void
test_format(void)
{
	struct ipmap *m = ipmap_new(), *back = ipmap_new();
	static const struct { const char *key; int64_t value; } entries[] = {
		{ "203.0.113.7", 1767225600 },
		{ "2001:db8::/64", 1767229200 },
		{ "10.0.0.0/8", 2000000000 },
		{ "::1", 1000001 },
		{ "0.0.0.0/0", 1500000000 },
		{ "192.0.2.1", 1000000 },	/* == now: not written */
		{ "192.0.2.2", 999999 },	/* past: not written */
		{ "2001:db8::2", -5 },		/* past: not written */
	};
	size_t i, len = 0, skipped = 0;
	const int64_t now = 1000000;
	char *out = NULL;
	int64_t v;

	tap_is_int(wlfile_format(m, now, &out, &len), 0, "wlfile_format_should_succeed_empty");
	tap_is_str(out, "{}", "wlfile_format_should_write_empty_object");
	tap_is_int((int64_t)len, 2, "wlfile_format_should_report_length_empty");
	free(out);

	put(m, "203.0.113.7", 1767225600);
	tap_is_int(wlfile_format(m, now, &out, &len), 0, "wlfile_format_should_succeed_one");
	tap_is_str(out, "{\"203.0.113.7\":1767225600}", "wlfile_format_should_write_compact");
	tap_is_int((int64_t)len, (int64_t)strlen(out), "wlfile_format_should_report_length");
	free(out);

	ipmap_clear(m);
	put(m, "2001:db8::/64", 1767229200);
	wlfile_format(m, now, &out, &len);
	tap_is_str(out, "{\"2001:db8::/64\":1767229200}", "wlfile_format_should_write_cidr");
	free(out);

	put(m, "192.0.2.9", now);
	wlfile_format(m, now, &out, &len);
	tap_is_str(out, "{\"2001:db8::/64\":1767229200}",
	    "wlfile_format_should_skip_entry_expiring_now");
	free(out);

	ipmap_clear(m);
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		put(m, entries[i].key, entries[i].value);
	tap_is_int(wlfile_format(m, now, &out, &len), 0, "wlfile_format_should_succeed_many");
	tap_ok(strchr(out, ' ') == NULL && strchr(out, '\n') == NULL,
	    "wlfile_format_should_not_write_whitespace");
	tap_is_int(wlfile_parse(out, len, back, &skipped), 0, "wlfile_round_trip_should_parse");
	tap_is_int((int64_t)skipped, 0, "wlfile_round_trip_should_skip_nothing");
	tap_is_int((int64_t)ipmap_count(back), 5, "wlfile_round_trip_should_keep_live_entries");
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		int found = map_value(back, entries[i].key, &v);

		if (entries[i].value > now)
			tap_ok(found == 1 && v == entries[i].value,
			    "wlfile_round_trip_should_keep: %s", entries[i].key);
		else
			tap_is_int(found, 0, "wlfile_format_should_drop_expired: %s",
			    entries[i].key);
	}
	free(out);
	ipmap_free(m);
	ipmap_free(back);
}

struct sink {
	char	*buf;
	size_t	 len, cap, calls, largest;
	size_t	 fail_at;	/* call number that fails, 0: none */
};

static int
sink_emit(void *ctx, const char *buf, size_t len)
{
	struct sink *k = ctx;

	k->calls++;
	if (len > k->largest)
		k->largest = len;
	if (k->fail_at != 0 && k->calls == k->fail_at)
		return -1;
	if (k->len + len > k->cap)
		return -1;
	memcpy(k->buf + k->len, buf, len);
	k->len += len;
	return 0;
}

/* wlfile_write hands out the same text as wlfile_format, in bounded pieces. */
static void
test_write_chunks(void)
{
	struct ipmap *m = ipmap_new();
	struct sink k = { 0 };
	char *out = NULL, key[64];
	size_t len = 0, i;

	k.cap = 1 << 20;
	k.buf = malloc(k.cap);
	tap_is_int(wlfile_write(m, 0, sink_emit, &k), 0, "wlfile_write_should_succeed_empty");
	tap_ok(k.len == 2 && memcmp(k.buf, "{}", 2) == 0, "wlfile_write_should_write_empty_object");
	for (i = 0; i < 3000; i++) {
		if (i % 3 == 0)
			snprintf(key, sizeof(key), "10.%zu.%zu.1", i / 256, i % 256);
		else
			snprintf(key, sizeof(key), "2001:db8:%zx:0:ffff:%zx:0:%zx/%zu", i, i * 7,
			    i % 5 == 0 ? (size_t)0 : i, 96 + i % 33);
		put(m, key, i % 10 == 0 ? 5 : INT64_C(1767225600) + (int64_t)i);
	}
	put(m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", INT64_MIN + 1);
	put(m, "1111:2222:3333:4444:5555:6666:7777:8888", INT64_MAX);
	k.len = k.calls = 0;
	tap_is_int(wlfile_write(m, 10, sink_emit, &k), 0, "wlfile_write_should_succeed_many");
	tap_is_int(wlfile_format(m, 10, &out, &len), 0, "wlfile_format_should_succeed_many_too");
	tap_ok(out != NULL && k.len == len && memcmp(k.buf, out, len) == 0,
	    "wlfile_write_should_give_the_text_of_wlfile_format");
	tap_ok(k.calls > 2 && k.largest <= WLFILE_CHUNK,
	    "wlfile_write_should_use_bounded_pieces (%zu pieces, largest %zu)", k.calls, k.largest);
	k.len = k.calls = 0;
	k.fail_at = 2;
	tap_is_int(wlfile_write(m, 10, sink_emit, &k), -1, "wlfile_write_should_stop_when_emit_fails");
	tap_is_int((int64_t)k.calls, 2, "wlfile_write_should_not_emit_after_a_failure");
	free(out);
	free(k.buf);
	ipmap_free(m);
}

/* Every digit count and sign of an expiry is written exactly. */
static void
test_format_numbers(void)
{
	static const struct { int64_t v; const char *text; } rows[] = {
		{ 0, "0" }, { 1, "1" }, { 9, "9" }, { 10, "10" }, { 99, "99" }, { 100, "100" },
		{ 101, "101" }, { 999, "999" }, { 1000, "1000" }, { 10001, "10001" },
		{ 1767225600, "1767225600" }, { INT64_MAX, "9223372036854775807" },
		{ -1, "-1" }, { -10, "-10" }, { -101, "-101" },
		{ INT64_MIN + 1, "-9223372036854775807" },	/* INT64_MIN is never > now */
	};
	char want[64], *out;
	size_t i, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ipmap *m = ipmap_new();

		put(m, "192.0.2.1", rows[i].v);
		out = NULL;
		if (wlfile_format(m, rows[i].v - 1, &out, &len) == 0) {
			snprintf(want, sizeof(want), "{\"192.0.2.1\":%s}", rows[i].text);
			tap_is_str(out, want, "wlfile_format_should_write_%s", rows[i].text);
		} else
			tap_ok(0, "wlfile_format_should_succeed_for_%s", rows[i].text);
		free(out);
		ipmap_free(m);
	}
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_prefixes();
	test_no_clear();
	test_format();
	test_write_chunks();
	test_format_numbers();
	return tap_done();
}
