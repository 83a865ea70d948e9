#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "wlfile.h"

/*
 * The reader walks the bytes once with a cursor that never passes end.
 * Grammar (RFC 8259, restricted to the one shape we accept):
 *   ws '{' ws ( '}' | member ( ws ',' ws member )* ws '}' ) ws EOF
 *   member = string ws ':' ws number
 * No recursion, no tree: each key is decoded into a small buffer (only a
 * key short and ASCII enough to be an address is kept) and stored directly.
 */

/* Longest decoded key we try as an address; anything longer is skipped. */
#define WL_KEY_MAX	IPNET_STRLEN

/* int64 has 19 decimal digits. */
#define WL_INT64_DIGITS	19
/* Exponents saturate here: far beyond any value we could represent. */
#define WL_EXP_CAP	1000000000
/* Fraction lengths are clamped so exponent arithmetic cannot overflow. */
#define WL_FRAC_CAP	((size_t)1000000000000000)

struct wl_cursor {
	const unsigned char	*p;
	const unsigned char	*end;
};

struct wl_key {
	char	 buf[WL_KEY_MAX + 1];
	size_t	 len;
	bool	 usable;	/* false: cannot be an address, skip it */
};

static void
wl_skip_ws(struct wl_cursor *c)
{
	while (c->p < c->end &&
	    (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static void
wl_key_append(struct wl_key *k, unsigned char ch)
{
	if (!k->usable)
		return;
	if (k->len >= WL_KEY_MAX) {
		k->usable = false;
		return;
	}
	k->buf[k->len++] = (char)ch;
}

static int
wl_hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Validates one UTF-8 sequence of 2..4 bytes starting at c->p (a byte >=
   0x80) per RFC 3629 (no overlongs, no surrogates, <= U+10FFFF) and steps
   over it. Returns 0 or -1. */
static int
wl_utf8(struct wl_cursor *c)
{
	unsigned char b0 = c->p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (b0 >= 0xC2 && b0 <= 0xDF)
		need = 1;
	else if (b0 >= 0xE0 && b0 <= 0xEF) {
		need = 2;
		if (b0 == 0xE0)
			lo = 0xA0;
		else if (b0 == 0xED)
			hi = 0x9F;
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		need = 3;
		if (b0 == 0xF0)
			lo = 0x90;
		else if (b0 == 0xF4)
			hi = 0x8F;
	} else
		return -1;
	if ((size_t)(c->end - c->p) <= need)
		return -1;
	for (i = 1; i <= need; i++) {
		unsigned char b = c->p[i];

		if (b < lo || b > hi)
			return -1;
		lo = 0x80;
		hi = 0xBF;
	}
	c->p += need + 1;
	return 0;
}

/* Parses a JSON string at c->p (which is '"') into k. Returns 0 or -1. */
static int
wl_string(struct wl_cursor *c, struct wl_key *k)
{
	k->len = 0;
	k->usable = true;
	c->p++;				/* opening quote */
	for (;;) {
		unsigned char ch;

		if (c->p >= c->end)
			return -1;	/* unterminated */
		ch = *c->p;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;	/* raw control character (also NUL) */
		if (ch >= 0x80) {
			if (wl_utf8(c) == -1)
				return -1;
			k->usable = false;	/* no address has non-ASCII */
			continue;
		}
		if (ch != '\\') {
			wl_key_append(k, ch);
			c->p++;
			continue;
		}
		c->p++;
		if (c->p >= c->end)
			return -1;
		ch = *c->p++;
		switch (ch) {
		case '"':
		case '\\':
		case '/':
			wl_key_append(k, ch);
			break;
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			k->usable = false;	/* control characters */
			break;
		case 'u': {
			unsigned v = 0;
			int i, h;

			if (c->end - c->p < 4)
				return -1;
			for (i = 0; i < 4; i++) {
				if ((h = wl_hexval(c->p[i])) == -1)
					return -1;
				v = v << 4 | (unsigned)h;
			}
			c->p += 4;
			/* Each \uXXXX stands alone: printable ASCII is kept, anything
			   else (surrogates, paired or not, included) cannot be part of
			   an address, so the key is just marked unusable. */
			if (v > 0x20 && v < 0x7F)
				wl_key_append(k, (unsigned char)v);
			else
				k->usable = false;
			break;
		}
		default:
			return -1;	/* invalid escape */
		}
	}
}

static bool
wl_isdigit(const struct wl_cursor *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* The i-th digit of the virtual digit string int[ib..ie) frac[fb..fe). */
static unsigned
wl_digit(const unsigned char *ib, size_t nint, const unsigned char *fb, size_t i)
{
	return (unsigned)((i < nint ? ib[i] : fb[i - nint]) - '0');
}

/* Parses a JSON number at c->p and converts it to int64, truncating any
   fraction toward zero. Returns 0, or -1 on bad syntax or out of range. */
static int
wl_number(struct wl_cursor *c, int64_t *out)
{
	const unsigned char *ib, *fb = NULL;
	size_t nint, nfrac = 0, ndig, first, sig, take, i;
	int64_t exp = 0, e;
	uint64_t u = 0;
	bool neg = false;

	if (c->p < c->end && *c->p == '-') {
		neg = true;
		c->p++;
	}
	if (!wl_isdigit(c))
		return -1;
	ib = c->p;
	if (*c->p == '0')
		c->p++;
	else
		while (wl_isdigit(c))
			c->p++;
	nint = (size_t)(c->p - ib);
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!wl_isdigit(c))
			return -1;
		fb = c->p;
		while (wl_isdigit(c))
			c->p++;
		nfrac = (size_t)(c->p - fb);
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		bool eneg = false;

		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
			eneg = *c->p == '-';
			c->p++;
		}
		if (!wl_isdigit(c))
			return -1;
		while (wl_isdigit(c)) {
			if (exp < WL_EXP_CAP)
				exp = exp * 10 + (*c->p - '0');
			c->p++;
		}
		if (eneg)
			exp = -exp;
	}

	/* value = trunc(D * 10^e), D the significant digits (no leading zeros). */
	ndig = nint + nfrac;
	for (first = 0; first < ndig && wl_digit(ib, nint, fb, first) == 0; first++)
		;
	if (first == ndig) {
		*out = 0;
		return 0;
	}
	sig = ndig - first;
	e = exp - (int64_t)(nfrac < WL_FRAC_CAP ? nfrac : WL_FRAC_CAP);
	if (e >= 0) {
		if (sig > WL_INT64_DIGITS || e > WL_INT64_DIGITS ||
		    sig + (size_t)e > WL_INT64_DIGITS)
			return -1;
		take = sig;
	} else {
		if ((uint64_t)-e >= sig) {
			*out = 0;	/* |value| < 1 */
			return 0;
		}
		take = sig - (size_t)-e;
		if (take > WL_INT64_DIGITS)
			return -1;
		e = 0;
	}
	/* At most 19 digits: < 10^19 < 2^64, no overflow in u. */
	for (i = 0; i < take; i++)
		u = u * 10 + wl_digit(ib, nint, fb, first + i);
	for (; e > 0; e--)
		u *= 10;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return -1;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > (uint64_t)INT64_MAX)
			return -1;
		*out = (int64_t)u;
	}
	return 0;
}

static int
wl_store(struct ipmap *map, const struct wl_key *k, int64_t value, size_t *skipped)
{
	struct ipnet parsed, net;
	int64_t old;

	if (!k->usable || k->len == 0 || ipnet_parse_len(k->buf, k->len, &parsed) == -1) {
		if (skipped != NULL)
			(*skipped)++;
		return 0;
	}
	ipnet_mask(&parsed, parsed.prefix, &net);	/* canonical: host bits clear */
	if (ipmap_get(map, &net, &old) == 1 && old >= value)
		return 0;
	return ipmap_put(map, &net, value);
}

int
wlfile_parse(const char *buf, size_t len, struct ipmap *map, size_t *skipped)
{
	struct wl_cursor c;
	struct wl_key key;
	int64_t value;

	if (buf == NULL)
		return -1;
	c.p = (const unsigned char *)buf;
	c.end = c.p + len;

	wl_skip_ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -1;
	c.p++;
	wl_skip_ws(&c);
	if (c.p < c.end && *c.p == '}')
		c.p++;
	else {
		for (;;) {
			if (c.p >= c.end || *c.p != '"')
				return -1;
			if (wl_string(&c, &key) == -1)
				return -1;
			wl_skip_ws(&c);
			if (c.p >= c.end || *c.p != ':')
				return -1;
			c.p++;
			wl_skip_ws(&c);
			if (wl_number(&c, &value) == -1)
				return -1;
			if (wl_store(map, &key, value, skipped) == -1)
				return -1;
			wl_skip_ws(&c);
			if (c.p >= c.end)
				return -1;
			if (*c.p == '}') {
				c.p++;
				break;
			}
			if (*c.p != ',')
				return -1;
			c.p++;
			wl_skip_ws(&c);
		}
	}
	wl_skip_ws(&c);
	return c.p == c.end ? 0 : -1;
}

/* Bytes per entry at most: quotes, address, colon, int64 with sign, comma. */
#define WL_ENTRY_MAX	(2 + IPNET_STRLEN + 1 + 20 + 1)

static const char wl_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes v in decimal at p (no NUL); returns the number of bytes. Two
   digits per division: expiries are ten digits, and every entry has one. */
static size_t
put_int64(char *p, int64_t v)
{
	char digits[20], *q = digits + sizeof(digits);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t len = 0, n;

	while (u >= 100) {
		q -= 2;
		memcpy(q, wl_pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		q -= 2;
		memcpy(q, wl_pairs + 2 * u, 2);
	} else
		*--q = (char)('0' + u);
	if (v < 0)
		p[len++] = '-';
	n = (size_t)(digits + sizeof(digits) - q);
	memcpy(p + len, q, n);
	return len + n;
}

/* Writes one member ("net":value, after a comma unless first) at p, which
   has room for WL_ENTRY_MAX bytes; returns the number of bytes. */
static size_t
wl_put_member(char *p, const struct ipnet *net, int64_t value, bool first)
{
	size_t off = 0;

	/* By hand rather than snprintf: this is the cost of every knock. */
	if (!first)
		p[off++] = ',';
	p[off++] = '"';
	off += ipnet_put(net, p + off);
	p[off++] = '"';
	p[off++] = ':';
	off += put_int64(p + off, value);
	return off;
}

int
wlfile_format(const struct ipmap *map, int64_t now, char **out, size_t *out_len)
{
	struct ipnet net;
	size_t n, cap, off = 0, pos = 0;
	int64_t value;
	char *buf;

	*out = NULL;
	*out_len = 0;
	n = ipmap_count(map);
	if (n > (SIZE_MAX - 3) / WL_ENTRY_MAX)
		return -1;
	cap = n * WL_ENTRY_MAX + 3;		/* '{', '}', NUL */
	if ((buf = malloc(cap)) == NULL)
		return -1;
	buf[off++] = '{';
	while (ipmap_next(map, &pos, &net, &value) == 1) {
		if (value <= now)
			continue;
		off += wl_put_member(buf + off, &net, value, off == 1);
	}
	buf[off++] = '}';
	buf[off] = '\0';
	*out = buf;
	*out_len = off;
	return 0;
}

int
wlfile_write(const struct ipmap *map, int64_t now, wlfile_emit_fn emit, void *ctx)
{
	char buf[WLFILE_CHUNK];
	struct ipnet net;
	size_t off = 0, pos = 0;
	bool first = true;
	int64_t value;

	buf[off++] = '{';
	while (ipmap_next(map, &pos, &net, &value) == 1) {
		if (value <= now)
			continue;
		if (sizeof(buf) - off < WL_ENTRY_MAX + 1) {
			if (emit(ctx, buf, off) == -1)
				return -1;
			off = 0;
		}
		off += wl_put_member(buf + off, &net, value, first);
		first = false;
	}
	buf[off++] = '}';
	return emit(ctx, buf, off);
}
