#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdalign.h>

#include <bsd/stdlib.h>

#include "ipmap.h"

/*
 * Entries live densely in one array (26 bytes each, no padding, no per-entry
 * allocation), so iteration is a plain walk and a delete moves the last entry
 * into the hole. The hash table is an array of uint32_t slots holding
 * entry index + 1 (0 = empty), power-of-two sized, linear probing, grown at
 * 70% load; deletes use backward shift, so there are no tombstones.
 * 100,000 entries take about 2.6 MB of entries plus 1 MB of slots.
 *
 * An image is the same two arrays behind a small header, so an attached map
 * (a read-only view of an image) uses them in place. Its bytes are not
 * trusted to keep the invariants: probes are bounded by the table size and
 * a slot naming no entry ends the probe (a miss).
 */

#define IPMAP_MIN_SLOTS 16
#define IPMAP_MIN_ENTRIES 16
/* slots hold index + 1 in a uint32_t */
#define IPMAP_MAX_ENTRIES (UINT32_MAX / 2)

struct ipmap_entry {
	struct ipnet key;	/* normalized: bits past prefix zero */
	uint8_t value[8];	/* int64_t, memcpy'd: keeps the entry unpadded */
};

struct ipmap {
	struct ipmap_entry *ent;
	size_t count;
	size_t ent_cap;
	uint32_t *slot;
	size_t nslots;		/* 0 or a power of two */
	uint64_t seed;
	/* per family (0: IPv4, 1: IPv6): prefix lengths in use */
	uint64_t lenbits[2][3];
	uint32_t lencount[2][129];	/* not kept for attached maps */
	bool attached;		/* ent and slot point into a borrowed image */
};

#define IPMAP_IMAGE_MAGIC	UINT32_C(0x314d5049)	/* "IPM1" */

struct ipmap_image_hdr {
	uint32_t magic;
	uint32_t entry_size;
	uint64_t seed;
	uint64_t count;
	uint64_t nslots;
	uint64_t lenbits[2][3];
};

_Static_assert(sizeof(struct ipmap_entry) == IPMAP_ENTRY_SIZE, "entry layout");
_Static_assert(sizeof(struct ipmap_image_hdr) == IPMAP_IMAGE_HDR, "image header layout");
_Static_assert(IPMAP_IMAGE_HDR % alignof(uint32_t) == 0, "slots aligned after the header");

static uint64_t
ipmap_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static uint64_t
ipmap_hash(const struct ipmap *m, const struct ipnet *k)
{
	uint64_t a, b, h;

	memcpy(&a, k->addr, 8);
	memcpy(&b, k->addr + 8, 8);
	h = m->seed ^ ((((uint64_t)k->family << 8) | k->prefix) *
	    UINT64_C(0x9e3779b97f4a7c15));
	h = ipmap_mix(h ^ a);
	h = ipmap_mix(h ^ b);
	return h;
}

static int64_t
ipmap_value(const struct ipmap_entry *e)
{
	int64_t v;

	memcpy(&v, e->value, sizeof(v));
	return v;
}

static unsigned
ipmap_fam(const struct ipnet *k)
{
	return k->family == 4 ? 0 : 1;
}

/* Copies net into *k with host bits cleared; -1 if net is not a valid key. */
static int
ipmap_key(const struct ipnet *net, struct ipnet *k)
{
	if (net == NULL)
		return -1;
	if (!((net->family == 4 && net->prefix <= 32) ||
	    (net->family == 6 && net->prefix <= 128)))
		return -1;
	ipnet_mask(net, net->prefix, k);
	return 0;
}

/* Slot holding key k (found: returns 1), or the empty slot where it would
   go (returns 0). nslots must be > 0. -1 only for a damaged attached image:
   no empty slot, or a slot naming no entry. */
static int
ipmap_find(const struct ipmap *m, const struct ipnet *k, size_t *where)
{
	size_t mask = m->nslots - 1, s, n;
	uint32_t v;

	s = (size_t)ipmap_hash(m, k) & mask;
	for (n = 0; n < m->nslots; n++, s = (s + 1) & mask) {
		v = m->slot[s];
		if (v == 0) {
			*where = s;
			return 0;
		}
		if (v > m->count)
			return -1;
		if (memcmp(&m->ent[v - 1].key, k, sizeof(*k)) == 0) {
			*where = s;
			return 1;
		}
	}
	return -1;
}

/* Rebuilds the slot table with n slots. -1 (map unchanged) on ENOMEM. */
static int
ipmap_rehash(struct ipmap *m, size_t n)
{
	uint32_t *slot;
	size_t i, s, mask = n - 1;

	slot = calloc(n, sizeof(*slot));
	if (slot == NULL)
		return -1;
	for (i = 0; i < m->count; i++) {
		s = (size_t)ipmap_hash(m, &m->ent[i].key) & mask;
		while (slot[s] != 0)
			s = (s + 1) & mask;
		slot[s] = (uint32_t)(i + 1);
	}
	free(m->slot);
	m->slot = slot;
	m->nslots = n;
	return 0;
}

struct ipmap *
ipmap_new(void)
{
	struct ipmap *m;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	arc4random_buf(&m->seed, sizeof(m->seed));
	return m;
}

void
ipmap_free(struct ipmap *m)
{
	if (m == NULL)
		return;
	if (!m->attached) {
		free(m->ent);
		free(m->slot);
	}
	free(m);
}

void
ipmap_clear(struct ipmap *m)
{
	if (m == NULL || m->attached)
		return;
	m->count = 0;
	if (m->slot != NULL)
		memset(m->slot, 0, m->nslots * sizeof(*m->slot));
	memset(m->lenbits, 0, sizeof(m->lenbits));
	memset(m->lencount, 0, sizeof(m->lencount));
}

int
ipmap_put(struct ipmap *m, const struct ipnet *net, int64_t value)
{
	struct ipmap_entry *ent;
	struct ipnet k;
	size_t s, n;
	unsigned f;

	if (m == NULL || m->attached || ipmap_key(net, &k) == -1)
		return -1;
	if (m->nslots > 0 && ipmap_find(m, &k, &s) == 1) {
		memcpy(m->ent[m->slot[s] - 1].value, &value, sizeof(value));
		return 0;
	}
	if (m->count >= IPMAP_MAX_ENTRIES)
		return -1;

	/* Grow both arrays before touching anything: a failure leaves the
	   map as it was (a larger entry array is harmless). */
	if (m->count == m->ent_cap) {
		n = m->ent_cap ? m->ent_cap * 2 : IPMAP_MIN_ENTRIES;
		ent = reallocarray(m->ent, n, sizeof(*ent));
		if (ent == NULL)
			return -1;
		m->ent = ent;
		m->ent_cap = n;
	}
	if ((m->count + 1) * 10 > m->nslots * 7) {
		n = m->nslots ? m->nslots * 2 : IPMAP_MIN_SLOTS;
		if (ipmap_rehash(m, n) == -1)
			return -1;
	}
	if (ipmap_find(m, &k, &s) != 0)
		return -1;	/* cannot happen: a writable map keeps a free slot */

	m->ent[m->count].key = k;
	memcpy(m->ent[m->count].value, &value, sizeof(value));
	m->slot[s] = (uint32_t)(m->count + 1);
	m->count++;

	f = ipmap_fam(&k);
	if (m->lencount[f][k.prefix]++ == 0)
		m->lenbits[f][k.prefix / 64] |= UINT64_C(1) << (k.prefix % 64);
	return 0;
}

int
ipmap_get(const struct ipmap *m, const struct ipnet *net, int64_t *value)
{
	struct ipnet k;
	size_t s;

	if (m == NULL || m->nslots == 0 || ipmap_key(net, &k) == -1)
		return 0;
	if (ipmap_find(m, &k, &s) != 1)
		return 0;
	if (value != NULL)
		*value = ipmap_value(&m->ent[m->slot[s] - 1]);
	return 1;
}

int
ipmap_del(struct ipmap *m, const struct ipnet *net)
{
	struct ipnet k;
	size_t s, j, i, last, ideal, mask;
	unsigned f;

	if (m == NULL || m->attached || m->nslots == 0 || ipmap_key(net, &k) == -1)
		return 0;
	if (ipmap_find(m, &k, &s) != 1)
		return 0;
	i = m->slot[s] - 1;
	mask = m->nslots - 1;

	/* Backward shift: pull later entries of the probe run into the hole
	   when the hole lies between their home slot and where they sit. */
	j = s;
	for (s = (j + 1) & mask; m->slot[s] != 0; s = (s + 1) & mask) {
		ideal = (size_t)ipmap_hash(m, &m->ent[m->slot[s] - 1].key) & mask;
		if (((s - ideal) & mask) >= ((s - j) & mask)) {
			m->slot[j] = m->slot[s];
			j = s;
		}
	}
	m->slot[j] = 0;

	/* Keep the entries dense: the last one moves into the hole. */
	last = m->count - 1;
	if (i != last) {
		for (s = (size_t)ipmap_hash(m, &m->ent[last].key) & mask;
		    m->slot[s] != last + 1; s = (s + 1) & mask)
			;
		m->slot[s] = (uint32_t)(i + 1);
		m->ent[i] = m->ent[last];
	}
	m->count--;

	f = ipmap_fam(&k);
	if (--m->lencount[f][k.prefix] == 0)
		m->lenbits[f][k.prefix / 64] &= ~(UINT64_C(1) << (k.prefix % 64));
	return 1;
}

size_t
ipmap_count(const struct ipmap *m)
{
	return m != NULL ? m->count : 0;
}

int
ipmap_lookup(const struct ipmap *m, const struct ipnet *addr, int64_t *max_value)
{
	struct ipnet k;
	uint64_t bits;
	unsigned f, w, p;
	int64_t v, best = 0;
	int found = 0;
	size_t s;

	if (m == NULL || m->count == 0 || addr == NULL)
		return 0;
	if (!((addr->family == 4 && addr->prefix <= 32) ||
	    (addr->family == 6 && addr->prefix <= 128)))
		return 0;
	f = ipmap_fam(addr);
	for (w = 0; w < 3; w++) {
		for (bits = m->lenbits[f][w]; bits != 0; bits &= bits - 1) {
			p = w * 64 + (unsigned)__builtin_ctzll(bits);
			if (p > addr->prefix)
				break;
			ipnet_mask(addr, p, &k);
			if (ipmap_find(m, &k, &s) != 1)
				continue;
			v = ipmap_value(&m->ent[m->slot[s] - 1]);
			if (!found || v > best)
				best = v;
			found = 1;
		}
	}
	if (found && max_value != NULL)
		*max_value = best;
	return found;
}

int
ipmap_next(const struct ipmap *m, size_t *pos, struct ipnet *net, int64_t *value)
{
	if (m == NULL || pos == NULL || *pos >= m->count)
		return 0;
	if (net != NULL)
		*net = m->ent[*pos].key;
	if (value != NULL)
		*value = ipmap_value(&m->ent[*pos]);
	(*pos)++;
	return 1;
}

/* --- images --------------------------------------------------------------- */

void
ipmap_image(const struct ipmap *m, struct ipmap_image *img)
{
	struct ipmap_image_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = IPMAP_IMAGE_MAGIC;
	h.entry_size = IPMAP_ENTRY_SIZE;
	h.seed = m->seed;
	h.count = m->count;
	h.nslots = m->nslots;
	memcpy(h.lenbits, m->lenbits, sizeof(h.lenbits));
	memcpy(img->hdr, &h, sizeof(h));
	img->slots = m->slot;
	img->slots_len = m->nslots * sizeof(*m->slot);
	img->entries = m->ent;
	img->entries_len = m->count * sizeof(*m->ent);
}

size_t
ipmap_image_len(const struct ipmap_image *img)
{
	return sizeof(img->hdr) + img->slots_len + img->entries_len;
}

struct ipmap *
ipmap_attach(const void *mem, size_t len)
{
	struct ipmap_image_hdr h;
	struct ipmap *m;
	uint64_t body;

	if (mem == NULL || len < sizeof(h) || ((uintptr_t)mem % alignof(uint64_t)) != 0)
		return NULL;
	memcpy(&h, mem, sizeof(h));
	if (h.magic != IPMAP_IMAGE_MAGIC || h.entry_size != IPMAP_ENTRY_SIZE)
		return NULL;
	/* nslots: 0 (empty map) or a power of two; count below the load limit,
	   so sizes cannot overflow and a whole table is never full. */
	if (h.nslots > IPMAP_MAX_ENTRIES * 2 || (h.nslots & (h.nslots - 1)) != 0 ||
	    h.count > IPMAP_MAX_ENTRIES || (h.count > 0 && h.count * 10 > h.nslots * 7))
		return NULL;
	body = h.nslots * sizeof(uint32_t) + h.count * IPMAP_ENTRY_SIZE;
	if ((uint64_t)(len - sizeof(h)) != body)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->attached = true;
	m->seed = h.seed;
	m->count = (size_t)h.count;
	m->ent_cap = m->count;
	m->nslots = (size_t)h.nslots;
	memcpy(m->lenbits, h.lenbits, sizeof(m->lenbits));
	/* The bytes are read-only for us: every writer checks m->attached. */
	m->slot = (uint32_t *)(uintptr_t)((const unsigned char *)mem + sizeof(h));
	m->ent = (struct ipmap_entry *)(uintptr_t)((const unsigned char *)mem + sizeof(h) +
	    m->nslots * sizeof(uint32_t));
	return m;
}

bool
ipmap_attached(const struct ipmap *m)
{
	return m != NULL && m->attached;
}

/* Smallest slot count (a power of two) that holds n entries under the load
   limit, or 0 if none fits. */
static size_t
ipmap_slots_for(size_t n)
{
	size_t s = IPMAP_MIN_SLOTS;

	while ((n + 1) * 10 > s * 7) {
		if (s > IPMAP_MAX_ENTRIES)
			return 0;
		s *= 2;
	}
	return s;
}

struct ipmap *
ipmap_copy_live(const struct ipmap *src, int64_t now, size_t extra, size_t *dropped)
{
	struct ipmap *m;
	size_t i, n, cap, mask, s, skipped = 0;
	struct ipnet k;
	unsigned f;
	int r;

	if (dropped != NULL)
		*dropped = 0;
	if ((m = ipmap_new()) == NULL)
		return NULL;
	n = ipmap_count(src);
	if (n > IPMAP_MAX_ENTRIES || extra > IPMAP_MAX_ENTRIES - n)
		goto fail;
	cap = n + extra;
	if (cap < IPMAP_MIN_ENTRIES)
		cap = IPMAP_MIN_ENTRIES;
	if ((m->nslots = ipmap_slots_for(cap)) == 0)
		goto fail;
	if ((m->ent = reallocarray(NULL, cap, sizeof(*m->ent))) == NULL ||
	    (m->slot = calloc(m->nslots, sizeof(*m->slot))) == NULL)
		goto fail;
	m->ent_cap = cap;
	mask = m->nslots - 1;
	for (i = 0; i < n; i++) {
		const struct ipmap_entry *e = &src->ent[i];

		/* A key that is not in its canonical form can only come from a
		   damaged image: it could never be found, so leave it out. */
		if (ipmap_value(e) <= now || ipmap_key(&e->key, &k) == -1 ||
		    memcmp(&k, &e->key, sizeof(k)) != 0) {
			skipped++;
			continue;
		}
		r = ipmap_find(m, &k, &s);
		if (r != 0) {
			skipped++;	/* a repeated key: damaged image */
			continue;
		}
		m->ent[m->count] = *e;
		m->slot[s & mask] = (uint32_t)(m->count + 1);
		m->count++;
		f = ipmap_fam(&k);
		if (m->lencount[f][k.prefix]++ == 0)
			m->lenbits[f][k.prefix / 64] |= UINT64_C(1) << (k.prefix % 64);
	}
	if (dropped != NULL)
		*dropped = skipped;
	return m;
fail:
	ipmap_free(m);
	return NULL;
}
