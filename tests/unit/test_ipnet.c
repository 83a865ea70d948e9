#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipnet.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ipnet_parse: input -> canonical text (NULL: must be rejected) */
static const struct {
	const char *in;
	const char *want;
	int family;
	int prefix;
} parse_cases[] = {
	{ "1.2.3.4", "1.2.3.4", 4, 32 },
	{ "0.0.0.0", "0.0.0.0", 4, 32 },
	{ "255.255.255.255", "255.255.255.255", 4, 32 },
	{ "1.2.3.4/32", "1.2.3.4", 4, 32 },
	{ "1.2.3.4/31", "1.2.3.4/31", 4, 31 },
	{ "1.2.3.5/31", "1.2.3.4/31", 4, 31 },
	{ "10.1.2.3/8", "10.0.0.0/8", 4, 8 },
	{ "200.1.2.3/1", "128.0.0.0/1", 4, 1 },
	{ "127.1.2.3/1", "0.0.0.0/1", 4, 1 },
	{ "1.2.3.4/0", "0.0.0.0/0", 4, 0 },
	{ "0.0.0.0/0", "0.0.0.0/0", 4, 0 },
	{ "192.168.1.77/25", "192.168.1.0/25", 4, 25 },
	{ "::1", "::1", 6, 128 },
	{ "::", "::", 6, 128 },
	{ "2001:DB8::1", "2001:db8::1", 6, 128 },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", 6, 128 },
	{ "2001:db8::1/128", "2001:db8::1", 6, 128 },
	{ "2001:db8::1/127", "2001:db8::/127", 6, 127 },
	{ "2001:db8::3/127", "2001:db8::2/127", 6, 127 },
	{ "2001:db8:0:0:1:2:3:4/64", "2001:db8::/64", 6, 64 },
	{ "2001:db8::/64", "2001:db8::/64", 6, 64 },
	{ "ffff::1/0", "::/0", 6, 0 },
	{ "::/0", "::/0", 6, 0 },
	{ "2001:db8:ffff::/33", "2001:db8:8000::/33", 6, 33 },
	{ "::ffff:1.2.3.4", "1.2.3.4", 4, 32 },
	{ "::FFFF:1.2.3.4", "1.2.3.4", 4, 32 },
	{ "::ffff:102:304", "1.2.3.4", 4, 32 },
	{ "::ffff:1.2.3.4/128", "1.2.3.4", 4, 32 },
	{ "::ffff:10.0.0.0/104", "10.0.0.0/8", 4, 8 },
	{ "::ffff:10.9.8.7/104", "10.0.0.0/8", 4, 8 },
	{ "::ffff:0:0/96", "0.0.0.0/0", 4, 0 },
	{ "::ffff:0:0/95", "::fffe:0:0/95", 6, 95 },
	{ "::ffff:1.2.3.4/64", "::/64", 6, 64 },
	{ "::1.2.3.4", "::1.2.3.4", 6, 128 },
	{ "64:ff9b::1.2.3.4", "64:ff9b::102:304", 6, 128 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, 128 },
	/* rejects */
	{ "", NULL, 0, 0 },
	{ " ", NULL, 0, 0 },
	{ " 1.2.3.4", NULL, 0, 0 },
	{ "1.2.3.4 ", NULL, 0, 0 },
	{ "1.2.3.4 /8", NULL, 0, 0 },
	{ "1.2.3.4/ 8", NULL, 0, 0 },
	{ "1.2.3.4\t", NULL, 0, 0 },
	{ "1.2.3.4\n", NULL, 0, 0 },
	{ "1.2.3.4/33", NULL, 0, 0 },
	{ "1.2.3.4/100", NULL, 0, 0 },
	{ "1.2.3.4/4294967328", NULL, 0, 0 },
	{ "::/129", NULL, 0, 0 },
	{ "::/1000", NULL, 0, 0 },
	{ "1.2.3.4/", NULL, 0, 0 },
	{ "/8", NULL, 0, 0 },
	{ "/", NULL, 0, 0 },
	{ "1.2.3.4/08", NULL, 0, 0 },
	{ "1.2.3.4/00", NULL, 0, 0 },
	{ "1.2.3.4/+8", NULL, 0, 0 },
	{ "1.2.3.4/-8", NULL, 0, 0 },
	{ "1.2.3.4/8/8", NULL, 0, 0 },
	{ "1.2.3.4/0x8", NULL, 0, 0 },
	{ "01.2.3.4", NULL, 0, 0 },
	{ "1.2.3.04", NULL, 0, 0 },
	{ "1.2.3", NULL, 0, 0 },
	{ "1.2.3.4.5", NULL, 0, 0 },
	{ "1.2.3.256", NULL, 0, 0 },
	{ "0x1.2.3.4", NULL, 0, 0 },
	{ "16909060", NULL, 0, 0 },
	{ "1.2.3.4x", NULL, 0, 0 },
	{ "1.2.3.4/8x", NULL, 0, 0 },
	{ "fe80::1%eth0", NULL, 0, 0 },
	{ "fe80::1%1", NULL, 0, 0 },
	{ "[::1]", NULL, 0, 0 },
	{ "::1:", NULL, 0, 0 },
	{ "1::2::3", NULL, 0, 0 },
	{ "2001:db8::g", NULL, 0, 0 },
	{ "1.2.3.4:80", NULL, 0, 0 },
	{ "example.org", NULL, 0, 0 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128 ", NULL, 0, 0 },
	{ "0000000000000000000000000000000000000000000000000000000000001.2.3.4",
	    NULL, 0, 0 },
};

/* ipnet_parse_addr: like ipnet_parse but never a "/len" */
static const struct {
	const char *in;
	const char *want;
} addr_cases[] = {
	{ "1.2.3.4", "1.2.3.4" },
	{ "::1", "::1" },
	{ "::ffff:127.0.0.1", "127.0.0.1" },
	{ "1.2.3.4/32", NULL },
	{ "10.0.0.0/8", NULL },
	{ "::/0", NULL },
	{ "", NULL },
	{ "fe80::1%eth0", NULL },
	{ "1.2.3", NULL },
};

/* ipnet_contains: net, addr, expected */
static const struct {
	const char *net;
	const char *addr;
	bool want;
} contains_cases[] = {
	{ "10.0.0.0/8", "10.1.2.3", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "10.0.0.0/8", "9.255.255.255", false },
	{ "10.0.0.0/8", "10.2.0.0/16", true },
	{ "10.2.0.0/16", "10.0.0.0/8", false },
	{ "0.0.0.0/0", "1.2.3.4", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::1", false },
	{ "::/0", "1.2.3.4", false },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "::", true },
	{ "1.2.3.4", "1.2.3.4", true },
	{ "1.2.3.4", "1.2.3.5", false },
	{ "1.2.3.4/31", "1.2.3.5", true },
	{ "1.2.3.4/31", "1.2.3.6", false },
	{ "128.0.0.0/1", "200.0.0.1", true },
	{ "128.0.0.0/1", "127.255.255.255", false },
	{ "2001:db8::/64", "2001:db8::ffff", true },
	{ "2001:db8::/64", "2001:db8:0:1::1", false },
	{ "2001:db8::/127", "2001:db8::1", true },
	{ "2001:db8::/127", "2001:db8::2", false },
	{ "::1", "::1", true },
	{ "::1", "::2", false },
	/* same bytes, other family */
	{ "::/96", "0.0.0.0", false },
	{ "0.0.0.0/0", "::", false },
	{ "::ffff:10.0.0.0/104", "10.9.9.9", true },
	{ "10.0.0.0/8", "::ffff:10.9.9.9", true },
};

/* ipnet_parse_len over part of a longer buffer */
static const struct {
	const char *buf;
	size_t len;
	const char *want;
} len_cases[] = {
	{ "1.2.3.4, 5.6.7.8", 7, "1.2.3.4" },
	{ "10.1.2.3/8XYZ", 10, "10.0.0.0/8" },
	{ "10.1.2.3/16", 10, "0.0.0.0/1" },
	{ "2001:db8::1]:80", 11, "2001:db8::1" },
	{ "1.2.3.4", 0, NULL },
	{ "1.2.3.4", 5, NULL },
	{ "1.2.3.4/", 8, NULL },
	{ "1.2.3.4\0garbage", 15, NULL },
};

/* Case names must stay on one TAP line: escape control characters. */
static const char *
show(const char *s)
{
	static char out[512];
	size_t o = 0;

	for (; *s != '\0' && o + 5 < sizeof(out); s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\x%02x",
			    (unsigned)(unsigned char)*s);
		else
			out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

static void
test_parse(void)
{
	char buf[IPNET_STRLEN];
	struct ipnet n;
	size_t i;
	int r;

	for (i = 0; i < NELEM(parse_cases); i++) {
		memset(&n, 0xa5, sizeof(n));
		r = ipnet_parse(parse_cases[i].in, &n);
		if (parse_cases[i].want == NULL) {
			tap_is_int(r, -1, "ipnet_parse should reject \"%s\"",
			    show(parse_cases[i].in));
			continue;
		}
		if (!tap_is_int(r, 0, "ipnet_parse should accept \"%s\"",
		    parse_cases[i].in))
			continue;
		tap_is_str(ipnet_format(&n, buf, sizeof(buf)), parse_cases[i].want,
		    "ipnet_parse(\"%s\") should format as \"%s\"",
		    parse_cases[i].in, parse_cases[i].want);
		tap_ok(n.family == parse_cases[i].family &&
		    n.prefix == parse_cases[i].prefix,
		    "ipnet_parse(\"%s\") should be family %d prefix %d",
		    parse_cases[i].in, parse_cases[i].family, parse_cases[i].prefix);
		if (n.family == 4) {
			static const uint8_t zero[12];

			tap_ok(memcmp(n.addr + 4, zero, sizeof(zero)) == 0,
			    "ipnet_parse(\"%s\") should zero addr[4..15]",
			    parse_cases[i].in);
		}
	}
}

static void
test_parse_overlong(void)
{
	char big[300];
	struct ipnet n;

	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_is_int(ipnet_parse(big, &n), -1, "ipnet_parse should reject 299 digits");
	tap_is_int(ipnet_parse_addr(big, &n), -1,
	    "ipnet_parse_addr should reject 299 digits");
	tap_is_int(ipnet_parse_len(big, sizeof(big) - 1, &n), -1,
	    "ipnet_parse_len should reject 299 digits");
	tap_is_int(ipnet_parse(NULL, &n), -1, "ipnet_parse should reject NULL");
	tap_is_int(ipnet_parse_addr(NULL, &n), -1,
	    "ipnet_parse_addr should reject NULL");
}

static void
test_parse_addr(void)
{
	char buf[IPNET_STRLEN];
	struct ipnet n;
	size_t i;
	int r;

	for (i = 0; i < NELEM(addr_cases); i++) {
		r = ipnet_parse_addr(addr_cases[i].in, &n);
		if (addr_cases[i].want == NULL) {
			tap_is_int(r, -1, "ipnet_parse_addr should reject \"%s\"",
			    addr_cases[i].in);
			continue;
		}
		if (tap_is_int(r, 0, "ipnet_parse_addr should accept \"%s\"",
		    addr_cases[i].in))
			tap_is_str(ipnet_format(&n, buf, sizeof(buf)),
			    addr_cases[i].want,
			    "ipnet_parse_addr(\"%s\") should format as \"%s\"",
			    addr_cases[i].in, addr_cases[i].want);
	}
}

static void
test_parse_len(void)
{
	char buf[IPNET_STRLEN], *copy;
	struct ipnet n;
	size_t i;
	int r;

	for (i = 0; i < NELEM(len_cases); i++) {
		/* an exact-size heap copy: ASan catches any read past len */
		copy = malloc(len_cases[i].len ? len_cases[i].len : 1);
		if (copy == NULL) {
			tap_ok(0, "malloc");
			continue;
		}
		memcpy(copy, len_cases[i].buf, len_cases[i].len);
		r = ipnet_parse_len(copy, len_cases[i].len, &n);
		free(copy);
		if (len_cases[i].want == NULL) {
			tap_is_int(r, -1, "ipnet_parse_len(\"%s\", %zu) should reject",
			    len_cases[i].buf, len_cases[i].len);
			continue;
		}
		if (tap_is_int(r, 0, "ipnet_parse_len(\"%s\", %zu) should accept",
		    len_cases[i].buf, len_cases[i].len))
			tap_is_str(ipnet_format(&n, buf, sizeof(buf)),
			    len_cases[i].want,
			    "ipnet_parse_len(\"%s\", %zu) should format as \"%s\"",
			    len_cases[i].buf, len_cases[i].len, len_cases[i].want);
	}
}

static void
test_contains(void)
{
	struct ipnet net, addr;
	size_t i;

	for (i = 0; i < NELEM(contains_cases); i++) {
		if (ipnet_parse(contains_cases[i].net, &net) == -1 ||
		    ipnet_parse(contains_cases[i].addr, &addr) == -1) {
			tap_ok(0, "contains case %zu parses", i);
			continue;
		}
		tap_ok(ipnet_contains(&net, &addr) == contains_cases[i].want,
		    "ipnet_contains(%s, %s) should be %s",
		    contains_cases[i].net, contains_cases[i].addr,
		    contains_cases[i].want ? "true" : "false");
	}
}

static void
test_mask_all_lengths(void)
{
	char buf[IPNET_STRLEN];
	struct ipnet v4, v6, m;
	unsigned p, bad4 = 0, bad6 = 0;

	/* every prefix length, including 0 and the full length (no shift by
	   32 or 128: UBSan would abort) */
	if (ipnet_parse("255.255.255.255", &v4) == -1 ||
	    ipnet_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &v6) == -1) {
		tap_ok(0, "mask setup parses");
		return;
	}
	for (p = 0; p <= 32; p++) {
		ipnet_mask(&v4, p, &m);
		if (m.prefix != p || !ipnet_contains(&m, &v4))
			bad4++;
	}
	for (p = 0; p <= 128; p++) {
		ipnet_mask(&v6, p, &m);
		if (m.prefix != p || !ipnet_contains(&m, &v6))
			bad6++;
	}
	tap_is_int(bad4, 0, "ipnet_mask should work for every IPv4 prefix 0..32");
	tap_is_int(bad6, 0, "ipnet_mask should work for every IPv6 prefix 0..128");
	ipnet_mask(&v4, 20, &m);
	tap_is_str(ipnet_format(&m, buf, sizeof(buf)), "255.255.240.0/20",
	    "ipnet_mask(255.255.255.255, 20) should be 255.255.240.0/20");
	ipnet_mask(&v6, 0, &m);
	tap_is_str(ipnet_format(&m, buf, sizeof(buf)), "::/0",
	    "ipnet_mask(ffff:...:ffff, 0) should be ::/0");
	ipnet_mask(&m, 64, &m);
	tap_is_int(m.prefix, 0, "ipnet_mask should never lengthen a prefix");
}

static void
test_is_host_and_format(void)
{
	char small[8];
	struct ipnet n;

	ipnet_parse("1.2.3.4", &n);
	tap_ok(ipnet_is_host(&n), "ipnet_is_host(1.2.3.4) should be true");
	ipnet_parse("1.2.3.4/31", &n);
	tap_ok(!ipnet_is_host(&n), "ipnet_is_host(1.2.3.4/31) should be false");
	ipnet_parse("::1", &n);
	tap_ok(ipnet_is_host(&n), "ipnet_is_host(::1) should be true");
	ipnet_parse("::/127", &n);
	tap_ok(!ipnet_is_host(&n), "ipnet_is_host(::/127) should be false");
	ipnet_parse("2001:db8::/64", &n);
	tap_is_str(ipnet_format(&n, small, sizeof(small)), "",
	    "ipnet_format should give \"\" when the buffer is too small");
}

/* Formats the 16 bytes a as an IPv6 host both ways; 1 if they agree. */
static int
format_agrees(const uint8_t a[16], char *got, char *want)
{
	struct ipnet n;

	memset(&n, 0, sizeof(n));
	n.family = 6;
	n.prefix = 128;
	memcpy(n.addr, a, 16);
	ipnet_format(&n, got, IPNET_STRLEN);
	if (inet_ntop(AF_INET6, a, want, IPNET_STRLEN) == NULL)
		return 0;
	return strcmp(got, want) == 0;
}

/* The hand-written IPv6 formatter against the C library's inet_ntop: every
   pattern of zero and non-zero groups (the "::" choice: longest run, first
   of equal runs, no "::" for a single zero group), with group values of
   every hex width, the embedded-IPv4 forms (::a.b.c.d, ::ffff:a.b.c.d and
   their near misses), and random addresses. */
static void
test_format_v6_like_inet_ntop(void)
{
	static const unsigned vals[] = { 0x1, 0xf, 0x10, 0xab, 0x100, 0xabc, 0x1000,
	    0xffff, 0xfffe, 0x8000 };
	static const char *const fixed[] = {
		"::", "::1", "::2", "::ffff", "::1:0", "::ffff:0:0", "::ffff:1.2.3.4",
		"::1.2.3.4", "::0.0.1.0", "::0.1.0.0", "::ffff:0.0.0.1", "::fffe:1.2.3.4",
		"0:0:0:0:1:ffff:1.2.3.4", "::ffff:0:1.2.3.4", "1::ffff:1.2.3.4",
		"64:ff9b::1.2.3.4", "::1:2:3:4:5:6", "1:0:0:1:0:0:0:1", "1:0:0:0:1:0:0:1",
		"0:0:1:0:0:1::", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8", "fe80::1", "2001:db8::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	char got[IPNET_STRLEN], want[IPNET_STRLEN], first_bad[2 * IPNET_STRLEN + 8] = "";
	uint64_t x = UINT64_C(0x243f6a8885a308d3);
	unsigned pat, v, g, bad = 0, total = 0;
	uint8_t a[16];
	size_t i;

	for (pat = 0; pat < 256; pat++) {
		for (v = 0; v < NELEM(vals); v++) {
			for (g = 0; g < 8; g++) {
				unsigned w = (pat >> g & 1) ? vals[(v + g) % NELEM(vals)] : 0;

				a[2 * g] = (uint8_t)(w >> 8);
				a[2 * g + 1] = (uint8_t)w;
			}
			total++;
			if (!format_agrees(a, got, want) && bad++ == 0)
				snprintf(first_bad, sizeof(first_bad), "%s vs %s", got, want);
		}
	}
	for (i = 0; i < NELEM(fixed); i++) {
		if (inet_pton(AF_INET6, fixed[i], a) != 1) {
			tap_ok(0, "test address %s parses", fixed[i]);
			continue;
		}
		total++;
		if (!format_agrees(a, got, want) && bad++ == 0)
			snprintf(first_bad, sizeof(first_bad), "%s vs %s", got, want);
	}
	for (i = 0; i < 200000; i++) {
		for (g = 0; g < 16; g += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(a + g, &x, 8);
		}
		/* Zero some groups so runs of every length occur. */
		for (g = 0; g < 8; g++)
			if ((x >> (g + 8)) & (x >> (g + 20)) & 1)
				a[2 * g] = a[2 * g + 1] = 0;
		if (x % 7 == 0)
			memset(a, 0, 10 + x % 3);
		total++;
		if (!format_agrees(a, got, want) && bad++ == 0)
			snprintf(first_bad, sizeof(first_bad), "%s vs %s", got, want);
	}
	tap_is_int(bad, 0, "ipnet_format should write IPv6 exactly as inet_ntop (%u addresses)%s%s",
	    total, bad ? ", first difference: " : "", first_bad);
}

int
main(void)
{
	test_parse();
	test_parse_overlong();
	test_parse_addr();
	test_parse_len();
	test_contains();
	test_mask_all_lengths();
	test_is_host_and_format();
	test_format_v6_like_inet_ntop();
	return tap_done();
}
