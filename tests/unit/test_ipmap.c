#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BIG 100000

static struct ipnet
net(const char *s)
{
	struct ipnet n;

	if (ipnet_parse(s, &n) == -1) {
		printf("Bail out! test table has a bad network \"%s\"\n", s);
		exit(1);
	}
	return n;
}

/* deterministic PRNG: runs are reproducible */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static void
test_basic(void)
{
	struct ipmap *m = ipmap_new();
	struct ipnet a = net("10.0.0.0/8"), b = net("2001:db8::/64"), c;
	int64_t v = 0;

	if (!tap_ok(m != NULL, "ipmap_new should return a map"))
		return;
	tap_is_int(ipmap_count(m), 0, "new map should be empty");
	tap_is_int(ipmap_get(m, &a, &v), 0, "get on empty map should miss");
	tap_is_int(ipmap_del(m, &a), 0, "del on empty map should return 0");
	tap_is_int(ipmap_lookup(m, &a, &v), 0, "lookup on empty map should miss");
	tap_is_int(ipmap_put(m, &a, 100), 0, "put 10.0.0.0/8 should succeed");
	tap_is_int(ipmap_put(m, &b, 200), 0, "put 2001:db8::/64 should succeed");
	tap_is_int(ipmap_count(m), 2, "count should be 2 after two puts");
	tap_ok(ipmap_get(m, &a, &v) == 1 && v == 100, "get 10.0.0.0/8 should be 100");
	tap_ok(ipmap_get(m, &b, &v) == 1 && v == 200, "get 2001:db8::/64 should be 200");
	tap_is_int(ipmap_get(m, &a, NULL), 1, "get with NULL value should work");
	tap_is_int(ipmap_put(m, &a, -5), 0, "replace 10.0.0.0/8 should succeed");
	tap_is_int(ipmap_count(m), 2, "replace should not change count");
	tap_ok(ipmap_get(m, &a, &v) == 1 && v == -5, "replaced value should be -5");
	c = net("10.0.0.0/9");
	tap_is_int(ipmap_get(m, &c, &v), 0, "get of another prefix length should miss");
	c = net("10.0.0.1");
	tap_is_int(ipmap_get(m, &c, &v), 0, "get is exact, not containment");
	tap_is_int(ipmap_del(m, &a), 1, "del 10.0.0.0/8 should return 1");
	tap_is_int(ipmap_del(m, &a), 0, "second del should return 0");
	tap_is_int(ipmap_count(m), 1, "count should be 1 after del");
	tap_is_int(ipmap_get(m, &a, &v), 0, "deleted key should miss");
	tap_ok(ipmap_get(m, &b, &v) == 1 && v == 200, "other key should survive del");
	ipmap_clear(m);
	tap_is_int(ipmap_count(m), 0, "clear should empty the map");
	tap_is_int(ipmap_get(m, &b, &v), 0, "cleared key should miss");
	c = net("2001:db8::1");
	tap_is_int(ipmap_lookup(m, &c, &v), 0, "lookup after clear should miss");
	tap_is_int(ipmap_put(m, &b, 7), 0, "put after clear should succeed");
	tap_ok(ipmap_lookup(m, &c, &v) == 1 && v == 7, "lookup after clear+put should hit");

	/* host bits in a hand-made key are cleared on the way in */
	c = net("192.168.0.0/16");
	c.addr[3] = 9;
	tap_is_int(ipmap_put(m, &c, 3), 0, "put with host bits set should succeed");
	c = net("192.168.0.0/16");
	tap_ok(ipmap_get(m, &c, &v) == 1 && v == 3, "key should be stored masked");
	c.prefix = 33;
	tap_is_int(ipmap_put(m, &c, 1), -1, "put of IPv4 /33 should fail");
	c.family = 5;
	c.prefix = 8;
	tap_is_int(ipmap_put(m, &c, 1), -1, "put of family 5 should fail");
	tap_is_int(ipmap_count(m), 2, "failed puts should not change count");
	ipmap_free(m);
	ipmap_free(NULL);
	tap_ok(1, "ipmap_free(NULL) should be harmless");
}

/* lookup: entries (network, value) then queries (addr, hit, max) */
static const struct {
	const char *net;
	int64_t value;
} overlap_entries[] = {
	{ "0.0.0.0/0", 1 },
	{ "10.0.0.0/8", 50 },
	{ "10.1.0.0/16", 20 },
	{ "10.1.2.0/24", 70 },
	{ "10.1.2.3", 30 },
	{ "192.168.1.0/31", 5 },
	{ "2001:db8::/32", 10 },
	{ "2001:db8::/64", 40 },
	{ "2001:db8::1", 15 },
	{ "::/0", -100 },
};

static const struct {
	const char *addr;
	int hit;
	int64_t max;
	const char *after_del;	/* network deleted before this row, or NULL */
} overlap_queries[] = {
	{ "10.1.2.3", 1, 70, NULL },
	{ "10.1.2.4", 1, 70, NULL },
	{ "10.1.3.1", 1, 50, NULL },
	{ "10.2.0.1", 1, 50, NULL },
	{ "11.0.0.1", 1, 1, NULL },
	{ "192.168.1.1", 1, 5, NULL },
	{ "2001:db8::1", 1, 40, NULL },
	{ "2001:db8:1::1", 1, 10, NULL },
	{ "2001:db9::1", 1, -100, NULL },
	{ "::ffff:10.1.2.3", 1, 70, NULL },
	/* deletes: the prefix-length bitmap must stay exact */
	{ "10.1.2.3", 1, 50, "10.1.2.0/24" },
	{ "10.1.2.3", 1, 50, "10.1.0.0/16" },
	{ "10.1.2.3", 1, 30, "10.0.0.0/8" },
	{ "10.1.2.4", 1, 1, NULL },
	{ "10.1.2.3", 1, 30, "0.0.0.0/0" },
	{ "10.1.2.4", 0, 0, NULL },
	{ "10.1.2.3", 0, 0, "10.1.2.3" },
	{ "2001:db8::1", 1, 40, "192.168.1.0/31" },
	{ "2001:db8::1", 1, 15, "2001:db8::/64" },
	{ "2001:db8::2", 1, 10, NULL },
	{ "2001:db8::2", 1, -100, "2001:db8::/32" },
	{ "2001:db8::2", 0, 0, "::/0" },
	{ "2001:db8::1", 1, 15, NULL },
};

static void
test_overlap(void)
{
	struct ipmap *m = ipmap_new();
	struct ipnet n;
	int64_t v;
	size_t i;
	int hit;

	if (!tap_ok(m != NULL, "ipmap_new for overlap test"))
		return;
	for (i = 0; i < NELEM(overlap_entries); i++) {
		n = net(overlap_entries[i].net);
		tap_is_int(ipmap_put(m, &n, overlap_entries[i].value), 0,
		    "put %s", overlap_entries[i].net);
	}
	for (i = 0; i < NELEM(overlap_queries); i++) {
		if (overlap_queries[i].after_del != NULL) {
			n = net(overlap_queries[i].after_del);
			tap_is_int(ipmap_del(m, &n), 1, "del %s",
			    overlap_queries[i].after_del);
		}
		n = net(overlap_queries[i].addr);
		v = 12345;
		hit = ipmap_lookup(m, &n, &v);
		tap_is_int(hit, overlap_queries[i].hit,
		    "lookup %s (row %zu) should %s", overlap_queries[i].addr, i,
		    overlap_queries[i].hit ? "hit" : "miss");
		if (overlap_queries[i].hit)
			tap_is_int(v, overlap_queries[i].max,
			    "lookup %s (row %zu) should give max %lld",
			    overlap_queries[i].addr, i,
			    (long long)overlap_queries[i].max);
		else
			tap_is_int(v, 12345, "lookup miss %s (row %zu) should leave "
			    "*max_value alone", overlap_queries[i].addr, i);
	}
	n = net("2001:db8::1");
	tap_is_int(ipmap_lookup(m, &n, NULL), 1, "lookup with NULL max_value works");
	ipmap_free(m);
}

static void
test_family_collision(void)
{
	struct ipmap *m = ipmap_new();
	struct ipnet v4 = net("1.2.3.4"), v6;
	int64_t v;

	if (!tap_ok(m != NULL, "ipmap_new for family test"))
		return;
	/* same prefix length and same 16 bytes, other family */
	memset(&v6, 0, sizeof(v6));
	v6.family = 6;
	v6.prefix = 32;
	memcpy(v6.addr, v4.addr, 4);
	v4.prefix = 32;
	ipmap_put(m, &v4, 4);
	tap_is_int(ipmap_get(m, &v6, &v), 0,
	    "IPv6 key with the IPv4 key's bytes should not be found");
	ipmap_put(m, &v6, 6);
	tap_is_int(ipmap_count(m), 2, "both families should be separate keys");
	tap_ok(ipmap_get(m, &v4, &v) == 1 && v == 4, "IPv4 key keeps its value");
	tap_ok(ipmap_get(m, &v6, &v) == 1 && v == 6, "IPv6 key keeps its value");
	v6 = net("102:304::1");
	tap_ok(ipmap_lookup(m, &v6, &v) == 1 && v == 6,
	    "IPv6 lookup should only see the IPv6 entry");
	v4 = net("1.2.3.4");
	tap_ok(ipmap_lookup(m, &v4, &v) == 1 && v == 4,
	    "IPv4 lookup should only see the IPv4 entry");
	ipmap_del(m, &v4);
	tap_is_int(ipmap_lookup(m, &v4, &v), 0,
	    "IPv4 lookup should miss after deleting the IPv4 entry");
	ipmap_free(m);
}

/* Members have the top address bit clear, non-members set: disjoint. */
static struct ipnet
random_net(int member)
{
	struct ipnet n;
	uint64_t r = rng(), r2 = rng();

	memset(&n, 0, sizeof(n));
	if (r & 1) {
		n.family = 4;
		n.prefix = 32;
		memcpy(n.addr, &r2, 4);
	} else {
		n.family = 6;
		n.prefix = (r >> 1) & 1 ? 128 : 64;
		memcpy(n.addr, &r2, 8);
		r2 = rng();
		memcpy(n.addr + 8, &r2, 8);
	}
	if (member)
		n.addr[0] &= 0x7f;
	else
		n.addr[0] |= 0x80;
	ipnet_mask(&n, n.prefix, &n);
	return n;
}

static void
test_big(void)
{
	struct ipmap *m;
	struct ipnet *keys, n;
	unsigned char *seen;
	size_t i, pos, found, bad, dup, missing;
	int64_t v;

	keys = calloc(BIG, sizeof(*keys));
	seen = calloc(BIG, 1);
	if (keys == NULL || seen == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	m = ipmap_new();
	if (!tap_ok(m != NULL, "ipmap_new for %d entries", BIG))
		goto out;
	/* random keys may repeat: keep the table of keys unique */
	bad = 0;
	for (i = 0; i < BIG; i++) {
		do {
			n = random_net(1);
		} while (ipmap_get(m, &n, NULL));
		keys[i] = n;
		if (ipmap_put(m, &n, (int64_t)i) != 0)
			bad++;
	}
	tap_is_int(bad, 0, "all %d puts should succeed", BIG);
	tap_is_int(ipmap_count(m), BIG, "count should be %d", BIG);

	bad = 0;
	for (i = 0; i < BIG; i++)
		if (ipmap_get(m, &keys[i], &v) != 1 || v != (int64_t)i)
			bad++;
	tap_is_int(bad, 0, "every inserted key should be found with its value");

	bad = 0;
	for (i = 0; i < BIG; i++) {
		n = keys[i];
		if (n.prefix == 64)
			n.addr[15] = 0x42;	/* an address inside the /64 */
		if (ipmap_lookup(m, &n, &v) != 1 || v < (int64_t)i)
			bad++;
	}
	tap_is_int(bad, 0, "every inserted key should be found by lookup");

	found = 0;
	for (i = 0; i < BIG; i++) {
		n = random_net(0);
		n.prefix = n.family == 4 ? 32 : 128;
		if (ipmap_get(m, &n, NULL) == 1 || ipmap_lookup(m, &n, NULL) == 1)
			found++;
	}
	tap_is_int(found, 0, "random non-members should not be found");

	/* iteration visits every entry exactly once */
	pos = 0;
	found = dup = missing = 0;
	while (ipmap_next(m, &pos, &n, &v)) {
		found++;
		if (v < 0 || v >= BIG || memcmp(&keys[v], &n, sizeof(n)) != 0) {
			missing++;
			continue;
		}
		if (seen[v]++)
			dup++;
	}
	tap_is_int(found, BIG, "iteration should yield %d entries", BIG);
	tap_is_int(dup, 0, "iteration should yield no entry twice");
	tap_is_int(missing, 0, "iteration should yield only inserted entries");

	/* delete every other key; the rest must still be found */
	bad = 0;
	for (i = 0; i < BIG; i += 2)
		if (ipmap_del(m, &keys[i]) != 1)
			bad++;
	tap_is_int(bad, 0, "deleting every other key should succeed");
	tap_is_int(ipmap_count(m), BIG / 2, "count should be %d after deletes",
	    BIG / 2);
	bad = 0;
	for (i = 0; i < BIG; i++)
		if (ipmap_get(m, &keys[i], &v) != (int)(i % 2) ||
		    (i % 2 && v != (int64_t)i))
			bad++;
	tap_is_int(bad, 0, "deleted keys should miss and kept keys should hit");

	memset(seen, 0, BIG);
	pos = 0;
	found = dup = 0;
	while (ipmap_next(m, &pos, &n, &v)) {
		found++;
		if (v >= 0 && v < BIG && seen[v]++)
			dup++;
	}
	tap_ok(found == BIG / 2 && dup == 0,
	    "iteration after deletes should yield each kept entry once");

	bad = 0;
	for (i = 1; i < BIG; i += 2)
		if (ipmap_del(m, &keys[i]) != 1)
			bad++;
	tap_ok(bad == 0 && ipmap_count(m) == 0, "deleting the rest should empty the map");
	pos = 0;
	tap_is_int(ipmap_next(m, &pos, &n, &v), 0, "empty map iteration should end at once");
out:
	ipmap_free(m);
	free(keys);
	free(seen);
}

/* The image of m in one new 8-aligned buffer (caller frees), length in *len. */
static unsigned char *
image_of(const struct ipmap *m, size_t *len)
{
	struct ipmap_image img;
	unsigned char *buf;

	ipmap_image(m, &img);
	*len = ipmap_image_len(&img);
	if ((buf = aligned_alloc(8, (*len + 7) / 8 * 8)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	memcpy(buf, img.hdr, sizeof(img.hdr));
	if (img.slots_len > 0)
		memcpy(buf + sizeof(img.hdr), img.slots, img.slots_len);
	if (img.entries_len > 0)
		memcpy(buf + sizeof(img.hdr) + img.slots_len, img.entries, img.entries_len);
	return buf;
}

static void
test_image(void)
{
	struct ipmap *m = ipmap_new(), *a, *c;
	struct ipnet n;
	unsigned char *img, *bad;
	size_t i, len, dropped = 99, pos;
	int64_t v;
	int same;

	for (i = 0; i < NELEM(overlap_entries); i++) {
		n = net(overlap_entries[i].net);
		ipmap_put(m, &n, overlap_entries[i].value);
	}
	img = image_of(m, &len);
	a = ipmap_attach(img, len);
	if (!tap_ok(a != NULL, "ipmap_attach should accept an image"))
		return;
	tap_ok(ipmap_attached(a) && !ipmap_attached(m), "ipmap_attached tells the two apart");
	tap_is_int(ipmap_count(a), NELEM(overlap_entries), "an attached map has every entry");
	same = 1;
	for (i = 0; i < 10; i++) {	/* the rows before any delete */
		int64_t want = 0, got = 0;

		n = net(overlap_queries[i].addr);
		if (ipmap_lookup(m, &n, &want) != ipmap_lookup(a, &n, &got) || want != got)
			same = 0;
	}
	tap_ok(same, "lookups on an attached map answer as on the map");
	n = net("10.1.2.0/24");
	tap_ok(ipmap_get(a, &n, &v) == 1 && v == 70, "ipmap_get works on an attached map");
	tap_is_int(ipmap_put(a, &n, 1), -1, "ipmap_put refuses an attached map");
	tap_is_int(ipmap_del(a, &n), 0, "ipmap_del refuses an attached map");
	ipmap_clear(a);
	tap_ok(ipmap_get(a, &n, &v) == 1 && v == 70, "ipmap_clear leaves an attached map alone");
	pos = 0;
	i = 0;
	while (ipmap_next(a, &pos, &n, &v))
		i++;
	tap_is_int(i, NELEM(overlap_entries), "iteration works on an attached map");

	/* copy_live: a writable copy without what expired at now. */
	c = ipmap_copy_live(a, 10, 1, &dropped);
	if (tap_ok(c != NULL, "ipmap_copy_live should succeed")) {
		tap_is_int(dropped, 4, "ipmap_copy_live drops entries with value <= now");
		tap_ok(!ipmap_attached(c), "a copy is writable");
		n = net("10.1.2.3");
		tap_ok(ipmap_lookup(c, &n, &v) == 1 && v == 70, "a copy answers lookups");
		n = net("192.168.1.0/31");
		tap_is_int(ipmap_get(c, &n, NULL), 0, "a copy lacks the expired entry");
		tap_is_int(ipmap_put(c, &n, 77), 0, "a copy takes new entries");
		tap_is_int(ipmap_del(c, &n), 1, "a copy deletes entries");
		n = net("0.0.0.0/0");
		tap_is_int(ipmap_del(c, &n), 0, "the expired /0 is not in the copy");
		n = net("11.0.0.1");
		tap_is_int(ipmap_lookup(c, &n, NULL), 0, "and its prefix length is not in use");
	}
	ipmap_free(c);

	/* Headers that do not describe the bytes are refused. */
	tap_ok(ipmap_attach(img, len - 1) == NULL, "ipmap_attach refuses a short image");
	tap_ok(ipmap_attach(img, 40) == NULL, "ipmap_attach refuses a partial header");
	tap_ok(ipmap_attach(NULL, len) == NULL, "ipmap_attach refuses NULL");
	bad = aligned_alloc(8, (len + 8 + 7) / 8 * 8);
	memcpy(bad + 1, img, len);
	tap_ok(ipmap_attach(bad + 1, len) == NULL, "ipmap_attach refuses misaligned bytes");
	memcpy(bad, img, len);
	bad[0] ^= 1;
	tap_ok(ipmap_attach(bad, len) == NULL, "ipmap_attach refuses another magic");
	memcpy(bad, img, len);
	bad[4] = 32;	/* entry size */
	tap_ok(ipmap_attach(bad, len) == NULL, "ipmap_attach refuses another entry size");
	memcpy(bad, img, len);
	bad[24] = 15;	/* nslots 15: not a power of two */
	tap_ok(ipmap_attach(bad, len) == NULL, "ipmap_attach refuses a table size not a power of two");
	memcpy(bad, img, len);
	bad[16] = 14;	/* count 14 in 16 slots: over the load limit */
	tap_ok(ipmap_attach(bad, len) == NULL, "ipmap_attach refuses an overfull table");
	free(bad);

	/* Damaged slots and entries: lookups end and stay inside the bytes. */
	{
		size_t nslots = (len - IPMAP_IMAGE_HDR - NELEM(overlap_entries) *
		    IPMAP_ENTRY_SIZE) / 4, k;
		uint32_t *slot = (uint32_t *)(void *)(img + IPMAP_IMAGE_HDR);
		struct ipmap *d;

		for (k = 0; k < nslots; k++)
			slot[k] = (uint32_t)(k % 3 == 0 ? 1000 + k : 1 + k % NELEM(overlap_entries));
		d = ipmap_attach(img, len);
		for (i = 0; d != NULL && i < NELEM(overlap_queries); i++) {
			n = net(overlap_queries[i].addr);
			(void)ipmap_lookup(d, &n, &v);
			(void)ipmap_get(d, &n, &v);
		}
		ipmap_free(d);
		for (k = 0; k < nslots; k++)
			slot[k] = 1 + (uint32_t)(k % NELEM(overlap_entries));	/* no empty slot */
		memset(img + IPMAP_IMAGE_HDR + nslots * 4, 0x5a, 2 * IPMAP_ENTRY_SIZE);
		d = ipmap_attach(img, len);
		for (i = 0; d != NULL && i < NELEM(overlap_queries); i++) {
			n = net(overlap_queries[i].addr);
			(void)ipmap_lookup(d, &n, &v);
		}
		/* Reaching this line is the test: a probe that never ends hangs. */
		tap_ok(d != NULL, "lookups end on damaged slots (full table, bad numbers)");
		c = ipmap_copy_live(d, 0, 0, &dropped);
		tap_ok(c != NULL && dropped >= 2, "ipmap_copy_live leaves out damaged entries (%zu)",
		    dropped);
		ipmap_free(c);
		ipmap_free(d);
	}
	ipmap_free(a);
	free(img);

	/* An empty map has an image too. */
	ipmap_clear(m);
	{
		struct ipmap *e = ipmap_new();

		img = image_of(e, &len);
		a = ipmap_attach(img, len);
		n = net("1.2.3.4");
		tap_ok(a != NULL && ipmap_count(a) == 0 && ipmap_lookup(a, &n, NULL) == 0 &&
		    ipmap_get(a, &n, NULL) == 0, "the image of an empty map attaches and is empty");
		c = ipmap_copy_live(a, 0, 1, NULL);
		tap_ok(c != NULL && ipmap_put(c, &n, 5) == 0 && ipmap_lookup(c, &n, NULL) == 1,
		    "a copy of an empty attached map takes entries");
		ipmap_free(c);
		ipmap_free(a);
		ipmap_free(e);
		free(img);
	}
	ipmap_free(m);
}

/* A big image: every key found through the attached map and its copy. */
static void
test_big_image(void)
{
	struct ipmap *m = ipmap_new(), *a, *c;
	struct ipnet n, *keys = calloc(BIG, sizeof(*keys));
	size_t i, len, bad = 0, badc = 0;
	unsigned char *img;
	int64_t v;

	for (i = 0; i < BIG; i++) {
		do {
			n = random_net(1);
		} while (ipmap_get(m, &n, NULL));
		keys[i] = n;
		ipmap_put(m, &n, (int64_t)i);
	}
	img = image_of(m, &len);
	a = ipmap_attach(img, len);
	c = ipmap_copy_live(a, BIG / 2 - 1, 1, NULL);
	for (i = 0; a != NULL && c != NULL && i < BIG; i++) {
		if (ipmap_get(a, &keys[i], &v) != 1 || v != (int64_t)i)
			bad++;
		if (ipmap_get(c, &keys[i], &v) != (i >= BIG / 2))
			badc++;
	}
	tap_ok(a != NULL && bad == 0, "every key is found in an attached image of %d", BIG);
	tap_ok(c != NULL && badc == 0 && ipmap_count(c) == BIG / 2,
	    "a live copy of it holds exactly the live half");
	ipmap_free(c);
	ipmap_free(a);
	ipmap_free(m);
	free(img);
	free(keys);
}

int
main(void)
{
	test_basic();
	test_overlap();
	test_family_collision();
	test_big();
	test_image();
	test_big_image();
	return tap_done();
}
