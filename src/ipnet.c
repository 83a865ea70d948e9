#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "ipnet.h"

/* Longest text we look at: an IPv6 address with an embedded IPv4 tail and
   "/128". Anything longer is not an address. */
#define IPNET_INPUT_MAX 64

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static unsigned
ipnet_maxlen(unsigned family)
{
	return family == 4 ? 32 : 128;
}

/* Clears every bit of addr past prefix (bytewise: never shifts by 8 or more). */
static void
ipnet_clear_host_bits(uint8_t addr[16], unsigned prefix)
{
	unsigned full = prefix / 8, rem = prefix % 8;

	if (full >= 16)
		return;
	if (rem != 0) {
		addr[full] &= (uint8_t)(0xffu << (8 - rem));
		full++;
	}
	if (full < 16)
		memset(addr + full, 0, 16 - full);
}

/* Parses a prefix length: plain decimal, no sign, no leading zero, <= max. */
static int
ipnet_parse_prefix(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (len == 0 || len > 3)
		return -1;
	if (len > 1 && s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * Parses s[0..len) as address[/prefix]. with_prefix false rejects any "/".
 */
static int
ipnet_parse_common(const char *s, size_t len, bool with_prefix, struct ipnet *out)
{
	char buf[IPNET_INPUT_MAX + 1];
	const char *slash;
	size_t alen;
	unsigned prefix, family;
	uint8_t addr[16];

	if (s == NULL || out == NULL || len == 0 || len > IPNET_INPUT_MAX)
		return -1;
	if (memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';

	/* inet_pton alone decides the address syntax; it rejects whitespace,
	   zone ids ("%eth0"), leading zeros and short IPv4 forms. */
	slash = strchr(buf, '/');
	if (slash != NULL && !with_prefix)
		return -1;
	alen = slash != NULL ? (size_t)(slash - buf) : len;
	if (alen == 0)
		return -1;
	buf[alen] = '\0';

	memset(addr, 0, sizeof(addr));
	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, addr) != 1)
			return -1;
		family = 6;
	} else {
		if (inet_pton(AF_INET, buf, addr) != 1)
			return -1;
		family = 4;
	}

	prefix = ipnet_maxlen(family);
	if (slash != NULL &&
	    ipnet_parse_prefix(slash + 1, len - alen - 1, prefix, &prefix) == -1)
		return -1;

	/* IPv4-mapped IPv6 is IPv4 when the prefix covers the ::ffff: part. */
	if (family == 6 && prefix >= 96 &&
	    memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		family = 4;
		prefix -= 96;
	}

	ipnet_clear_host_bits(addr, prefix);
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	out->prefix = (uint8_t)prefix;
	memcpy(out->addr, addr, sizeof(out->addr));
	return 0;
}

int
ipnet_parse_addr(const char *s, struct ipnet *out)
{
	if (s == NULL)
		return -1;
	return ipnet_parse_common(s, strnlen(s, IPNET_INPUT_MAX + 1), false, out);
}

int
ipnet_parse(const char *s, struct ipnet *out)
{
	if (s == NULL)
		return -1;
	return ipnet_parse_common(s, strnlen(s, IPNET_INPUT_MAX + 1), true, out);
}

int
ipnet_parse_len(const char *s, size_t len, struct ipnet *out)
{
	return ipnet_parse_common(s, len, true, out);
}

bool
ipnet_contains(const struct ipnet *net, const struct ipnet *addr)
{
	unsigned full, rem;
	uint8_t mask;

	if (net == NULL || addr == NULL || net->family != addr->family)
		return false;
	if (net->family != 4 && net->family != 6)
		return false;
	if (net->prefix > addr->prefix || net->prefix > ipnet_maxlen(net->family))
		return false;
	full = net->prefix / 8;
	rem = net->prefix % 8;
	if (memcmp(net->addr, addr->addr, full) != 0)
		return false;
	if (rem == 0)
		return true;
	mask = (uint8_t)(0xffu << (8 - rem));
	return ((net->addr[full] ^ addr->addr[full]) & mask) == 0;
}

bool
ipnet_is_host(const struct ipnet *n)
{
	return (n->family == 4 && n->prefix == 32) ||
	    (n->family == 6 && n->prefix == 128);
}

/* Writes v (0..255) in decimal at p; returns the end. */
static char *
put_decimal(char *p, unsigned v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *
put_v4(char *p, const uint8_t a[4])
{
	p = put_decimal(p, a[0]);
	*p++ = '.';
	p = put_decimal(p, a[1]);
	*p++ = '.';
	p = put_decimal(p, a[2]);
	*p++ = '.';
	return put_decimal(p, a[3]);
}

/* An IPv6 address exactly as glibc's inet_ntop writes it (RFC 5952 with
   glibc's choices): lower-case hex without leading zeros, the first longest
   run of two or more zero groups as "::", and a dotted IPv4 tail for
   ::a.b.c.d (six zero groups first) and ::ffff:a.b.c.d. */
static char *
put_v6(char *p, const uint8_t a[16])
{
	static const char hex[] = "0123456789abcdef";
	unsigned w[8], i, best = 8, bestlen = 0, cur = 8, curlen = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (w[i] != 0) {
			curlen = 0;
			continue;
		}
		if (curlen++ == 0)
			cur = i;
		if (curlen > bestlen) {
			best = cur;
			bestlen = curlen;
		}
	}
	if (bestlen < 2)
		best = 8;
	for (i = 0; i < 8; i++) {
		if (i == best) {
			*p++ = ':';
			i += bestlen - 1;
			if (i == 7)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best == 0 && (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff)))
			return put_v4(p, a + 12);
		if (w[i] >= 0x1000)
			*p++ = hex[w[i] >> 12];
		if (w[i] >= 0x100)
			*p++ = hex[w[i] >> 8 & 0xf];
		if (w[i] >= 0x10)
			*p++ = hex[w[i] >> 4 & 0xf];
		*p++ = hex[w[i] & 0xf];
	}
	return p;
}

size_t
ipnet_put(const struct ipnet *n, char *p)
{
	char *start = p;

	/* By hand: this runs for every entry each time the whitelist is
	   written, and inet_ntop + snprintf cost ten times more. */
	if (n->family == 4)
		p = put_v4(p, n->addr);
	else if (n->family == 6)
		p = put_v6(p, n->addr);
	else
		return 0;
	if (!ipnet_is_host(n)) {
		*p++ = '/';
		p = put_decimal(p, n->prefix);
	}
	return (size_t)(p - start);
}

char *
ipnet_format(const struct ipnet *n, char *buf, size_t size)
{
	char text[IPNET_STRLEN];
	size_t len;

	if (buf == NULL || size == 0)
		return buf;
	len = ipnet_put(n, text);
	if (len < size) {
		memcpy(buf, text, len);
		buf[len] = '\0';
	} else
		buf[0] = '\0';
	return buf;
}

void
ipnet_mask(const struct ipnet *n, unsigned prefix, struct ipnet *out)
{
	struct ipnet tmp = *n;

	if (prefix > tmp.prefix)
		prefix = tmp.prefix;
	tmp.prefix = (uint8_t)prefix;
	ipnet_clear_host_bits(tmp.addr, prefix);
	*out = tmp;
}
