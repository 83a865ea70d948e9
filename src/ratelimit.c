#include "config.h"

#include <sys/types.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "ipnet.h"
#include "log.h"
#include "ratelimit.h"
#include "ratelimit_redis.h"
#include "shmstate.h"
#include "statefile.h"

#define MOD "ratelimit"

#define RL_MAGIC	UINT64_C(0x31544c524b4e4b4b)	/* "KKNKRLT1" little-endian */
/* Table full is logged at most this often (seconds), across all workers. */
#define RL_FULL_LOG_EVERY 60

/*
 * The region: this header, then `nslots` slots of `slot_size` bytes. All of
 * it is read and written only under the shared mapping's flock.
 */
struct rl_region {
	uint64_t	magic;
	uint32_t	nslots;
	uint32_t	bucket;		/* slots per bucket */
	uint32_t	runs[2];	/* per outcome */
	uint32_t	slot_size;
	uint32_t	pad;
	int64_t		full_logged_at;
	uint8_t		hashkey[16];	/* SipHash key, random per table */
	uint8_t		reserved[8];
};

/* Events of one outcome in one second. */
struct rl_run {
	uint32_t	t;		/* unix seconds */
	uint32_t	n;
};

struct rl_slot {
	uint8_t		addr[16];	/* the network, bits past prefix zero */
	uint8_t		used;
	uint8_t		family;
	uint8_t		prefix;
	uint8_t		pad;
	uint32_t	last;		/* latest event of either outcome */
	uint16_t	nruns[2];
	uint32_t	pad2;
	/* runs[0 .. runs[0]) successes, then runs[1] failures; each
	   ascending by time. */
	struct rl_run	runs[];
};

struct ratelimit {
	struct shmstate		*shm;		/* borrowed; may be NULL */
	struct ratelimit_redis	*redis;		/* the Redis backend: nothing else used */
	struct rl_params	 p;
	int64_t			 max[2];	/* by enum rl_outcome; 0: unlimited */
	uint32_t		 runs[2];
	uint32_t		 slots;		/* a multiple of RATELIMIT_BUCKET */
	size_t			 slot_size;
	size_t			 size;		/* of the region; 0: nothing to track */
	struct rl_region	*reg;		/* while locked */
	bool			 locked;
};

/* --- SipHash-2-4 (Aumasson, Bernstein): addresses are chosen by clients,
   so the slot an address lands in must not be predictable. ------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t
rl_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t
rl_siphash(const uint8_t key[16], const uint8_t *in, size_t len)
{
	uint64_t k0 = rl_le64(key), k1 = rl_le64(key + 8);
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, end = len - len % 8;

	for (i = 0; i < end; i += 8) {
		m = rl_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < len % 8; i++)
		b |= (uint64_t)in[end + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* --- layout ------------------------------------------------------------ */

static uint32_t
rl_runs_for(int64_t max, int64_t window)
{
	int64_t r = max < window ? max : window;

	if (max <= 0)
		return 0;
	return r < RATELIMIT_MAX_RUNS ? (uint32_t)r : RATELIMIT_MAX_RUNS;
}

/* Fills the layout fields of rl from p; returns the region size. */
static size_t
rl_layout(struct ratelimit *rl, const struct rl_params *p)
{
	rl->max[RL_SUCCESS] = p->max_success > 0 ? p->max_success : 0;
	rl->max[RL_FAILURE] = p->max_failure > 0 ? p->max_failure : 0;
	rl->runs[RL_SUCCESS] = rl_runs_for(rl->max[RL_SUCCESS], p->window);
	rl->runs[RL_FAILURE] = rl_runs_for(rl->max[RL_FAILURE], p->window);
	rl->slots = p->slots > 0 ? p->slots : RATELIMIT_SLOTS;
	if (rl->slots > (1u << 24))
		rl->slots = 1u << 24;
	rl->slots = (rl->slots + RATELIMIT_BUCKET - 1) / RATELIMIT_BUCKET * RATELIMIT_BUCKET;
	if (rl->slots < 2 * RATELIMIT_BUCKET)
		rl->slots = 2 * RATELIMIT_BUCKET;
	rl->slot_size = sizeof(struct rl_slot) +
	    (rl->runs[0] + rl->runs[1]) * sizeof(struct rl_run);
	if (rl->max[0] == 0 && rl->max[1] == 0)
		return 0;
	return sizeof(struct rl_region) + (size_t)rl->slots * rl->slot_size;
}

size_t
ratelimit_region_size(const struct rl_params *p)
{
	struct ratelimit tmp;

	return rl_layout(&tmp, p);
}

struct ratelimit *
ratelimit_new(struct shmstate *shm, const struct rl_params *p)
{
	struct ratelimit *rl;
	size_t have = 0;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->p = *p;
	if (rl->p.window < 1)
		rl->p.window = 1;
	if (rl->p.ipv4_prefix > 32)
		rl->p.ipv4_prefix = 32;
	if (rl->p.ipv6_prefix > 128)
		rl->p.ipv6_prefix = 128;
	rl->size = rl_layout(rl, &rl->p);
	rl->shm = shm;
	if (rl->size > 0 && shm != NULL &&
	    (shmstate_ratelimit(shm, &have) == NULL || have < rl->size)) {
		log_warnx(MOD, "shared rate-limit region of %zu bytes, %zu needed", have, rl->size);
		free(rl);
		return NULL;
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	(void)ratelimit_unlock(rl);
	ratelimit_redis_free(rl->redis);
	free(rl);
}

/* Sets up an empty table unless the region already holds one of our
   layout (a zeroed region, or one another config shaped, is reset). */
static void
rl_prepare(struct ratelimit *rl, struct rl_region *reg)
{
	if (reg->magic == RL_MAGIC && reg->nslots == rl->slots && reg->bucket == RATELIMIT_BUCKET &&
	    reg->runs[0] == rl->runs[0] && reg->runs[1] == rl->runs[1] &&
	    reg->slot_size == rl->slot_size)
		return;
	if (reg->magic != 0)
		log_info(MOD, "rate-limit table of another layout: starting afresh");
	memset(reg, 0, rl->size);
	reg->nslots = rl->slots;
	reg->bucket = RATELIMIT_BUCKET;
	reg->runs[0] = rl->runs[0];
	reg->runs[1] = rl->runs[1];
	reg->slot_size = (uint32_t)rl->slot_size;
	reg->full_logged_at = INT64_MIN;
	arc4random_buf(reg->hashkey, sizeof(reg->hashkey));
	reg->magic = RL_MAGIC;
}

static int
rl_file_lock(struct ratelimit *rl, int64_t now)
{
	struct sf_err e;

	(void)now;
	if (rl->locked) {
		log_warnx(MOD, "already locked");
		return -1;
	}
	if (rl->size == 0) {
		rl->locked = true;	/* nothing to track */
		return 0;
	}
	if (rl->shm == NULL) {
		log_warnx(MOD, "no shared state (see the error at start): cannot count this knock");
		return -1;
	}
	if (shmstate_lock(rl->shm, SF_LOCK_TIMEOUT_MS, &e) == -1) {
		log_warnx(MOD, "%s", e.msg);
		return -1;
	}
	rl->reg = shmstate_ratelimit(rl->shm, NULL);
	rl_prepare(rl, rl->reg);
	rl->locked = true;
	return 0;
}

static int
rl_file_unlock(struct ratelimit *rl)
{
	if (rl == NULL || !rl->locked)
		return 0;
	if (rl->reg != NULL)
		shmstate_unlock(rl->shm);
	rl->reg = NULL;
	rl->locked = false;
	return 0;
}

/* --- the table --------------------------------------------------------- */

static struct rl_slot *
rl_slot_at(const struct ratelimit *rl, uint32_t i)
{
	return (struct rl_slot *)((char *)(rl->reg + 1) + (size_t)i * rl->slot_size);
}

static struct rl_run *
rl_runs(const struct ratelimit *rl, struct rl_slot *s, int o)
{
	return s->runs + (o == RL_FAILURE ? rl->runs[RL_SUCCESS] : 0);
}

/* Event times are unix seconds in 32 bits (until 2106). */
static uint32_t
rl_time(int64_t now)
{
	if (now < 1)
		return 1;
	return now > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)now;
}

/* The client's network: the address cut to the configured prefix. */
static void
rl_network(const struct ratelimit *rl, const struct ipnet *ip, struct ipnet *net)
{
	unsigned want = ip->family == 4 ? rl->p.ipv4_prefix : rl->p.ipv6_prefix;

	ipnet_mask(ip, want < ip->prefix ? want : ip->prefix, net);
}

/*
 * The slot of net, claiming one if claim and net has none: a free slot of
 * the emptier of its two buckets, else the least recently active slot of
 * the two with no event in the window. NULL when there is none; then
 * *retry (claim only) is the seconds until one of those slots frees up.
 */
static struct rl_slot *
rl_find(struct ratelimit *rl, const struct ipnet *net, bool claim, int64_t now, int64_t *retry)
{
	struct rl_slot *s, *empty[2] = { NULL, NULL }, *stale = NULL;
	int64_t cutoff = now - rl->p.window, soonest = INT64_MAX;
	uint32_t nbuckets = rl->slots / RATELIMIT_BUCKET, b[2], i, nempty[2] = { 0, 0 };
	uint8_t key[18];
	uint64_t h;
	int k;

	key[0] = net->family;
	key[1] = net->prefix;
	memcpy(key + 2, net->addr, 16);
	h = rl_siphash(rl->reg->hashkey, key, sizeof(key));
	b[0] = (uint32_t)h % nbuckets;
	b[1] = (uint32_t)(h >> 32) % nbuckets;
	if (b[1] == b[0])
		b[1] = (b[0] + 1) % nbuckets;
	for (k = 0; k < 2; k++) {
		for (i = 0; i < RATELIMIT_BUCKET; i++) {
			s = rl_slot_at(rl, b[k] * RATELIMIT_BUCKET + i);
			if (!s->used) {
				if (nempty[k]++ == 0)
					empty[k] = s;
				continue;
			}
			if (s->family == net->family && s->prefix == net->prefix &&
			    memcmp(s->addr, net->addr, 16) == 0) {
				/* Shared memory: never trust a count to stay in bounds. */
				if (s->nruns[0] > rl->runs[0])
					s->nruns[0] = (uint16_t)rl->runs[0];
				if (s->nruns[1] > rl->runs[1])
					s->nruns[1] = (uint16_t)rl->runs[1];
				return s;
			}
			if ((int64_t)s->last <= cutoff) {
				if (stale == NULL || s->last < stale->last)
					stale = s;
			} else if ((int64_t)s->last + rl->p.window - now < soonest) {
				soonest = (int64_t)s->last + rl->p.window - now;
			}
		}
	}
	if (!claim)
		return NULL;
	/* Two choices keep the buckets evenly filled. */
	s = nempty[1] > nempty[0] ? empty[1] : empty[0];
	if (s == NULL && (s = stale) == NULL) {
		*retry = soonest >= 1 && soonest != INT64_MAX ? soonest : 1;
		return NULL;
	}
	memset(s, 0, rl->slot_size);
	s->used = 1;
	s->family = net->family;
	s->prefix = net->prefix;
	memcpy(s->addr, net->addr, 16);
	return s;
}

static void
rl_table_full(struct ratelimit *rl, const struct ipnet *net, int64_t now)
{
	char text[IPNET_STRLEN];
	int64_t last = rl->reg->full_logged_at;

	if (last != INT64_MIN && now >= last && now - last < RL_FULL_LOG_EVERY)
		return;
	rl->reg->full_logged_at = now;
	log_warnx(MOD, "table full: no free slot for %s among %" PRIu32 " (all active in the "
	    "last %" PRId64 " s); new clients get 429 until slots free up (logged once a minute)",
	    ipnet_format(net, text, sizeof(text)), rl->slots, rl->p.window);
}

static int
rl_file_exceeded(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now, int64_t *retry_after)
{
	int o = outcome == RL_SUCCESS ? RL_SUCCESS : RL_FAILURE;
	int64_t cutoff = now - rl->p.window, retry = 1;
	const struct rl_run *r;
	struct rl_slot *s;
	struct ipnet net;
	uint64_t count = 0;
	int j;

	if (rl->max[o] == 0)
		return 0;
	if (!rl->locked || rl->reg == NULL) {
		log_warnx(MOD, "asked without the lock: refusing");
		if (retry_after != NULL)
			*retry_after = 1;
		return 1;
	}
	rl_network(rl, ip, &net);
	if ((s = rl_find(rl, &net, true, now, &retry)) == NULL) {
		rl_table_full(rl, &net, now);
		if (retry_after != NULL)
			*retry_after = retry;
		return 1;
	}
	/* Newest first: limited once max events are inside the window; free
	   again when the oldest of those max leaves it. */
	r = rl_runs(rl, s, o);
	for (j = (int)s->nruns[o] - 1; j >= 0 && (int64_t)r[j].t > cutoff; j--) {
		count += r[j].n;
		if (count >= (uint64_t)rl->max[o]) {
			retry = (int64_t)r[j].t + rl->p.window - now;
			if (retry_after != NULL)
				*retry_after = retry >= 1 ? retry : 1;
			return 1;
		}
	}
	return 0;
}

/* Drops r[0] of the n runs. */
static void
rl_drop_oldest(struct rl_run *r, uint16_t *n)
{
	memmove(r, r + 1, (size_t)(*n - 1) * sizeof(*r));
	(*n)--;
}

static int
rl_file_record(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now)
{
	int o = outcome == RL_SUCCESS ? RL_SUCCESS : RL_FAILURE;
	int64_t cutoff = now - rl->p.window, retry;
	uint32_t t = rl_time(now);
	uint64_t total = 0;
	struct rl_slot *s;
	struct rl_run *r;
	struct ipnet net;
	uint16_t *n;
	uint32_t j;

	if (rl->max[o] == 0)
		return 0;	/* unlimited: nothing to remember */
	if (!rl->locked || rl->reg == NULL)
		return -1;
	rl_network(rl, ip, &net);
	if ((s = rl_find(rl, &net, true, now, &retry)) == NULL)
		return -1;
	r = rl_runs(rl, s, o);
	n = &s->nruns[o];
	while (*n > 0 && (int64_t)r[0].t <= cutoff)
		rl_drop_oldest(r, n);
	if (s->last < t)
		s->last = t;
	/* Same second (or a clock that went back): count it with the newest. */
	if (*n > 0 && r[*n - 1].t >= t) {
		if (r[*n - 1].n < UINT32_MAX)
			r[*n - 1].n++;
		return 0;
	}
	if (*n == rl->runs[o]) {
		/* Runs older than the latest max events cannot matter. */
		for (j = 0; j < *n; j++)
			total += r[j].n;
		total++;
		while (*n > 0 && total - r[0].n >= (uint64_t)rl->max[o]) {
			total -= r[0].n;
			rl_drop_oldest(r, n);
		}
	}
	if (*n == rl->runs[o]) {
		/* Only when min(max, window) > RATELIMIT_MAX_RUNS: the two oldest
		   become one at the later time (held a bit longer, never less). */
		if (*n >= 2) {
			r[1].n = r[1].n + r[0].n < r[1].n ? UINT32_MAX : r[1].n + r[0].n;
			rl_drop_oldest(r, n);
		} else {
			r[0].t = t;
			r[0].n = r[0].n < UINT32_MAX ? r[0].n + 1 : UINT32_MAX;
			return 0;
		}
	}
	r[*n].t = t;
	r[*n].n = 1;
	(*n)++;
	return 0;
}

/* --- the public API: the shared table above, or ratelimit_redis ------------ */

struct ratelimit *
ratelimit_new_redis(struct redisconn *conn, const char *prefix, const struct rl_params *p)
{
	struct ratelimit *rl;

	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->p = *p;
	if ((rl->redis = ratelimit_redis_new(conn, prefix, p)) == NULL) {
		free(rl);
		return NULL;
	}
	return rl;
}

int
ratelimit_lock(struct ratelimit *rl, int64_t now)
{
	return rl->redis != NULL ? ratelimit_redis_lock(rl->redis, now) : rl_file_lock(rl, now);
}

int
ratelimit_exceeded(struct ratelimit *rl, const struct ipnet *ip, enum rl_outcome outcome,
    int64_t now, int64_t *retry_after)
{
	if (rl->redis != NULL)
		return ratelimit_redis_exceeded(rl->redis, ip, outcome, now, retry_after);
	return rl_file_exceeded(rl, ip, outcome, now, retry_after);
}

int
ratelimit_record(struct ratelimit *rl, const struct ipnet *ip, enum rl_outcome outcome,
    int64_t now)
{
	if (rl->redis != NULL)
		return ratelimit_redis_record(rl->redis, ip, outcome, now);
	return rl_file_record(rl, ip, outcome, now);
}

int
ratelimit_unlock(struct ratelimit *rl)
{
	if (rl != NULL && rl->redis != NULL)
		return ratelimit_redis_unlock(rl->redis);
	return rl_file_unlock(rl);
}
