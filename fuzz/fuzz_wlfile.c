/*
 * Fuzz target: the whitelist file reader (wlfile_parse), the writer
 * (wlfile_format) and the round trip between them.
 *
 * Oracles (abort() when broken):
 * - round trip: whatever parses is written (wlfile_format) and read back to
 *   exactly the same map (same entries, same expiries);
 * - the written form is a fixed point: the re-read map is written with
 *   the same length and reads back to the same map again;
 * - differential: a text wlfile_parse accepts is, for cJSON too, one object
 *   whose members are all numbers (wlfile is the stricter reader), and the
 *   map holds exactly the keys that parse as IP/CIDR, with the largest
 *   value among duplicates, each value being the number truncated toward
 *   zero as computed by a reference conversion on the number's digits.
 *   (Skipped for texts with "\u" escapes or numbers longer than cJSON reads,
 *   where cJSON differs by design.)
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ipmap.h"
#include "ipnet.h"
#include "wlfile.h"

/* cJSON copies a number into a 64-byte buffer; longer ones it rejects. */
#define CJSON_NUMBER_MAX 60
#define MAX_MEMBERS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const uint8_t	*p;
	size_t		 len;
};

static bool
maps_equal(const struct ipmap *a, const struct ipmap *b)
{
	struct ipnet net;
	int64_t v, w;
	size_t pos = 0;

	if (ipmap_count(a) != ipmap_count(b))
		return false;
	while (ipmap_next(a, &pos, &net, &v))
		if (ipmap_get(b, &net, &w) != 1 || w != v)
			return false;
	return true;
}

static bool
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Finds the number token of each member of an object text that wlfile
 * already accepted (so the structure is known to be right; this scanner only
 * has to be bounded). Returns the member count, or -1 if the structure is not
 * what an accepted text must have, or -2 if there are too many members.
 */
static long
number_spans(const uint8_t *p, size_t len, struct span *out, size_t max)
{
	const uint8_t *end = p + len, *q;
	size_t n = 0;

	while (p < end && is_ws(*p))
		p++;
	if (p >= end || *p++ != '{')
		return -1;
	for (;;) {
		while (p < end && is_ws(*p))
			p++;
		if (p >= end)
			return -1;
		if (*p == '}')
			return (long)n;
		if (*p == ',')
			p++;
		while (p < end && is_ws(*p))
			p++;
		if (p >= end || *p++ != '"')
			return -1;
		while (p < end && *p != '"')
			p += *p == '\\' ? 2 : 1;
		if (p >= end)
			return -1;
		p++;
		while (p < end && is_ws(*p))
			p++;
		if (p >= end || *p++ != ':')
			return -1;
		while (p < end && is_ws(*p))
			p++;
		for (q = p; q < end && strchr("-+0123456789.eE", *q) != NULL && *q != '\0'; q++)
			continue;
		if (q == p)
			return -1;
		if (n == max)
			return -2;
		out[n].p = p;
		out[n].len = (size_t)(q - p);
		n++;
		p = q;
	}
}

/*
 * Reference conversion, by string manipulation only: the JSON number
 * tok[0..len) truncated toward zero. Returns 0, or -1 if outside int64.
 */
static int
ref_number(const uint8_t *tok, size_t len, int64_t *out)
{
	char digits[64];
	size_t i = 0, nd = 0, nfrac = 0, ndig, keep, k;
	bool neg = false, eneg = false, all_zero = true, huge_exp = false, in_frac = false;
	uint64_t exp = 0, u = 0;
	int64_t e;
	size_t dlen = 0;
	char *buf;

	if (i < len && tok[i] == '-') {
		neg = true;
		i++;
	}
	/* mantissa digits, with the decimal point removed */
	if ((buf = malloc(len + 1)) == NULL)
		abort();
	for (; i < len && tok[i] != 'e' && tok[i] != 'E'; i++) {
		if (tok[i] == '.') {
			in_frac = true;
			continue;
		}
		buf[dlen++] = (char)tok[i];
		if (in_frac)
			nfrac++;
		if (tok[i] != '0')
			all_zero = false;
	}
	if (i < len) {
		i++;
		if (i < len && (tok[i] == '+' || tok[i] == '-'))
			eneg = tok[i++] == '-';
		for (; i < len; i++) {
			if (exp > 100000000)
				huge_exp = true;
			else
				exp = exp * 10 + (uint64_t)(tok[i] - '0');
		}
	}
	if (all_zero) {
		free(buf);
		*out = 0;
		return 0;
	}
	if (huge_exp) {
		free(buf);
		if (eneg) {
			*out = 0;
			return 0;
		}
		return -1;
	}
	e = (eneg ? -(int64_t)exp : (int64_t)exp) - (int64_t)nfrac;
	/* integer digit string: drop -e digits at the end, or append e zeros */
	ndig = dlen;
	if (e < 0) {
		if ((uint64_t)-e >= ndig) {
			free(buf);
			*out = 0;
			return 0;
		}
		keep = ndig - (size_t)-e;
	} else
		keep = ndig;
	for (k = 0; k < keep && buf[k] == '0'; k++)
		continue;
	for (; k < keep; k++) {
		if (nd >= 20)
			break;
		digits[nd++] = buf[k];
	}
	free(buf);
	if (k < keep)
		return -1;	/* more than 20 significant digits */
	for (; e > 0; e--) {
		if (nd >= 20)
			return -1;
		digits[nd++] = '0';
	}
	digits[nd] = '\0';
	if (nd == 0) {
		*out = 0;
		return 0;
	}
	if (nd > 19)
		return -1;
	if (nd == 19 && strcmp(digits, neg ? "9223372036854775808" : "9223372036854775807") > 0)
		return -1;
	for (k = 0; k < nd; k++)
		u = u * 10 + (uint64_t)(digits[k] - '0');
	if (neg)
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	else
		*out = (int64_t)u;
	return 0;
}

static void
differential(const uint8_t *data, size_t size, const struct ipmap *m)
{
	static struct span spans[MAX_MEMBERS];
	struct ipmap *want;
	const cJSON *it;
	cJSON *root;
	struct ipnet net;
	int64_t v, old;
	long n, i;
	char *copy;

	n = number_spans(data, size, spans, MAX_MEMBERS);
	if (n == -1)
		abort();	/* wlfile accepted something that is not {"k":num,...} */
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		/* The reference must agree that the number is in range. */
		if (ref_number(spans[i].p, spans[i].len, &v) != 0)
			abort();
		if (spans[i].len > CJSON_NUMBER_MAX)
			return;
	}
	for (i = 0; (size_t)i + 1 < size; i++)
		if (data[i] == '\\' && data[i + 1] == 'u')
			return;

	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	root = cJSON_ParseWithLengthOpts(copy, size + 1, NULL, 1);
	if (root == NULL || !cJSON_IsObject(root) || (want = ipmap_new()) == NULL)
		abort();
	i = 0;
	cJSON_ArrayForEach(it, root) {
		if (i >= n || !cJSON_IsNumber(it) || it->string == NULL)
			abort();
		if (ref_number(spans[i].p, spans[i].len, &v) != 0)
			abort();
		i++;
		if (ipnet_parse(it->string, &net) != 0)
			continue;
		if (ipmap_get(want, &net, &old) == 1 && old >= v)
			continue;
		if (ipmap_put(want, &net, v) != 0)
			abort();
	}
	if (i != n || !maps_equal(m, want) || !maps_equal(want, m))
		abort();
	ipmap_free(want);
	cJSON_Delete(root);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipmap *m = ipmap_new(), *again = ipmap_new(), *third = ipmap_new();
	struct ipnet net;
	int64_t v, w;
	size_t pos = 0, len = 0, len2 = 0, kept = 0;
	char *text = NULL, *text2 = NULL;

	if (m == NULL || again == NULL || third == NULL)
		abort();
	if (wlfile_parse((const char *)data, size, m, NULL) == 0) {
		/* Everything with a value > INT64_MIN is written (the writer keeps
		   values > now) and reads back the same; nothing else does. */
		if (wlfile_format(m, INT64_MIN, &text, &len) != 0)
			abort();
		if (strlen(text) != len || wlfile_parse(text, len, again, NULL) != 0)
			abort();
		while (ipmap_next(m, &pos, &net, &v)) {
			if (v == INT64_MIN)
				continue;
			kept++;
			if (ipmap_get(again, &net, &w) != 1 || w != v)
				abort();
		}
		if (ipmap_count(again) != kept)
			abort();
		/* The written form is a fixed point. */
		if (wlfile_format(again, INT64_MIN, &text2, &len2) != 0 || len2 != len ||
		    wlfile_parse(text2, len2, third, NULL) != 0 || !maps_equal(again, third))
			abort();
		free(text);
		free(text2);
		differential(data, size, m);
	}
	ipmap_free(m);
	ipmap_free(again);
	ipmap_free(third);
	return 0;
}
