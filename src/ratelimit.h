/*
 * ratelimit: the knock limit per client network, shared by all worker
 * processes through the rate-limit region of the shared mapping
 * (shmstate, "<storage_path>.shm"), guarded by that file's flock.
 *
 * Semantics: over a sliding window of `window` seconds, at most max_success
 * knocks answered 200 and max_failure knocks answered 400/401/403/413/415
 * per client network; 0 disables that limit. A knock that would be the
 * (max+1)-th of its kind within the window is refused; Retry-After is the
 * number of seconds until it would not be. A client network is the
 * address cut to ipv4_prefix bits (default 32) or ipv6_prefix bits
 * (default 64: one IPv6 subscriber gets a /64, so counting single IPv6
 * addresses would give each subscriber 2^64 budgets); IPv4-mapped IPv6
 * counts as IPv4.
 *
 * The table: a fixed number of slots (RATELIMIT_SLOTS unless set) in
 * buckets of RATELIMIT_BUCKET; a keyed hash (SipHash, random key per
 * table, so clients cannot aim at a bucket) names two buckets per network,
 * and the network lives in one of those 32 slots (a new one in the emptier
 * bucket: two choices keep buckets even, so the first refusal comes at
 * ~88% of the slots in use, where one run of 32 slots refuses at ~64%;
 * measured with 16384 slots). An attempt
 * costs one flock and at most 32 slot reads whatever the table holds: no
 * parse, no file rewrite, no allocation. Each slot keeps, per outcome, the times
 * of the latest events as runs (second, count), at most min(max, window,
 * RATELIMIT_MAX_RUNS) runs: that is exact whenever min(max, window) <=
 * RATELIMIT_MAX_RUNS (the defaults: 20 and 30); beyond it the two oldest
 * runs are merged into the later second, so a client is then held for at
 * most a little longer than exact, never shorter.
 *
 * Eviction: a new network may take only an empty slot or one whose events
 * are all outside the window (the least recently active of those in its
 * two buckets). A network with events in the window is never evicted, so
 * a flood of fresh addresses cannot wipe out a limit that is in force.
 * When no slot can be had the new network is treated as limited (429,
 * Retry-After until the first of its slots frees up): the other
 * choice, not counting it, would let whoever fills the table knock
 * without any limit. Logged at most once a minute (across all workers).
 *
 * Use: ratelimit_lock; any number of ratelimit_exceeded / ratelimit_record;
 * ratelimit_unlock. The caller may do other work (a store_add) while holding
 * the lock: check-and-record is then atomic across workers.
 * Lock order: ratelimit before store.
 *
 * Failure: when the shared mapping could not be opened (shm NULL: a FIFO,
 * a symlink, a file of another owner...) or its lock is held past
 * SF_LOCK_TIMEOUT_MS, ratelimit_lock returns -1 and the caller must answer
 * an error (500), never skip the limit. Not thread-safe.
 */
#ifndef KNOCKER_RATELIMIT_H
#define KNOCKER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "ipnet.h"
#include "shmstate.h"

/* 16384 slots: room for that many client networks active in one window,
   about 7 MB of (sparse) mapping at the default limits, 17 MB at most. */
#define RATELIMIT_SLOTS		16384
#define RATELIMIT_BUCKET	16
#define RATELIMIT_MAX_RUNS	64

struct ratelimit;

enum rl_outcome { RL_SUCCESS, RL_FAILURE };

struct rl_params {
	int64_t		window;		/* seconds, >= 1 */
	int64_t		max_success;	/* 0: unlimited */
	int64_t		max_failure;	/* 0: unlimited */
	unsigned	ipv4_prefix;	/* 8..32 */
	unsigned	ipv6_prefix;	/* 32..128 */
	unsigned	slots;		/* 0: RATELIMIT_SLOTS; rounded up to a
					   multiple of RATELIMIT_BUCKET, >= 32 */
};

/* Bytes of shared region the table for p needs: pass it to shmstate_open.
   0 when both limits are 0 (nothing to share). */
KN_NONNULL(1)
size_t ratelimit_region_size(const struct rl_params *p);

/* shm is borrowed (must outlive the limiter) and may be NULL: then every
   ratelimit_lock fails unless both limits are 0. p is copied. NULL on OOM
   or when shm's region is smaller than ratelimit_region_size(p). Does no
   I/O. */
KN_NODISCARD KN_NONNULL(2)
struct ratelimit *ratelimit_new(struct shmstate *shm, const struct rl_params *p);
void ratelimit_free(struct ratelimit *rl);

/* The Redis backend (ratelimit_redis.h): the same calls, counted in Redis
   across every node. conn is borrowed, prefix and p copied. Does no I/O.
   NULL on OOM. */
struct redisconn;
KN_NODISCARD KN_NONNULL(1, 2, 3)
struct ratelimit *ratelimit_new_redis(struct redisconn *conn, const char *prefix,
    const struct rl_params *p);

/* Takes the lock. Returns 0 or -1 (logged): see "Failure" above; the Redis
   backend returns -2 when the server cannot be reached (answer 503). When
   both limits are 0 this does nothing and succeeds. */
KN_NODISCARD KN_NONNULL(1)
int ratelimit_lock(struct ratelimit *rl, int64_t now);

/* While locked: 1 if recording outcome for ip's network now would exceed
   its limit, or the table has no slot for it, with *retry_after (>= 1,
   may be NULL) the seconds until it would not; else 0. May claim a free
   slot for the network. The Redis backend: -1 when the server did not
   answer (answer 503, never skip the limit). */
KN_NONNULL(1, 2)
int ratelimit_exceeded(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now, int64_t *retry_after);

/* While locked: records one event. Returns 0, or -1 when the table has no
   slot for the network (ratelimit_exceeded said so first). */
KN_NONNULL(1, 2)
int ratelimit_record(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now);

/* Releases the lock. Returns 0. Safe to call when not locked. */
int ratelimit_unlock(struct ratelimit *rl);

#endif
