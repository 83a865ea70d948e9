#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "fwset.h"

static int
elem_cmp(const void *a, const void *b)
{
	const struct fwset_elem *x = a, *y = b;
	int c = memcmp(x->net.addr, y->net.addr, sizeof(x->net.addr));

	if (c != 0)
		return c;
	return (int)x->net.prefix - (int)y->net.prefix;
}

static int
push(struct fwset *s, const struct ipnet *net, int64_t expires)
{
	struct fwset_elem *v;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap == 0 ? 16 : s->cap * 2;
		if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].net = *net;
	s->v[s->n].expires = expires;
	s->n++;
	return 0;
}

static bool
bit_set(const struct ipnet *n, unsigned bit)
{
	return (n->addr[bit / 8] >> (7 - bit % 8)) & 1;
}

/* in[lo..hi) lie strictly inside net (sorted); v is the latest expiry of
   the entries that contain net. Emits net whole when nothing inside
   outlives v, else its two halves. */
static int
emit(const struct fwset_elem *in, size_t lo, size_t hi, const struct ipnet *net, int64_t v,
    int64_t now, struct fwset *out)
{
	struct ipnet half[2];
	size_t i, mid, a, b;
	int64_t hv;
	int k;
	bool outlives = false;

	for (i = lo; i < hi && !outlives; i++)
		outlives = in[i].expires > v;
	if (!outlives)
		return v > now ? push(out, net, v) : 0;
	/* Entries strictly inside net: net is not a single address. */
	for (mid = lo; mid < hi && !bit_set(&in[mid].net, net->prefix); mid++)
		continue;
	for (k = 0; k < 2; k++) {
		half[k] = *net;
		half[k].prefix = (uint8_t)(net->prefix + 1);
		if (k == 1)
			half[k].addr[net->prefix / 8] |= (uint8_t)(0x80 >> (net->prefix % 8));
		a = k == 0 ? lo : mid;
		b = k == 0 ? mid : hi;
		hv = v;
		if (a < b && in[a].net.prefix == half[k].prefix) {
			if (in[a].expires > hv)
				hv = in[a].expires;
			a++;
		}
		if (emit(in, a, b, &half[k], hv, now, out) != 0)
			return -1;
	}
	return 0;
}

/* Sorts in (one family) and flattens it into out. */
static int
flatten(struct fwset *in, uint8_t family, int64_t now, struct fwset *out)
{
	struct ipnet all;
	size_t lo = 0;
	int64_t v = now;	/* nothing admitted outside the entries */

	if (in->n == 0)
		return 0;
	qsort(in->v, in->n, sizeof(*in->v), elem_cmp);
	memset(&all, 0, sizeof(all));
	all.family = family;
	if (in->v[0].net.prefix == 0) {
		if (in->v[0].expires > v)
			v = in->v[0].expires;
		lo = 1;
	}
	return emit(in->v, lo, in->n, &all, v, now, out);
}

int
fwset_build(const struct ipmap *m, int64_t now, bool forever, struct fwset *out4,
    struct fwset *out6)
{
	struct fwset in4 = { NULL, 0, 0 }, in6 = { NULL, 0, 0 };
	struct ipnet net;
	int64_t value;
	size_t pos = 0;
	int rc = -1;

	fwset_clear(out4);
	fwset_clear(out6);
	while (ipmap_next(m, &pos, &net, &value)) {
		if (forever)
			value = FWSET_FOREVER;
		else if (value <= now)
			continue;
		if (push(net.family == 4 ? &in4 : &in6, &net, value) != 0)
			goto fail;
	}
	if (flatten(&in4, 4, now, out4) != 0 || flatten(&in6, 6, now, out6) != 0)
		goto fail;
	rc = 0;
fail:
	if (rc != 0) {
		fwset_clear(out4);
		fwset_clear(out6);
	}
	fwset_clear(&in4);
	fwset_clear(&in6);
	return rc;
}

void
fwset_clear(struct fwset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
