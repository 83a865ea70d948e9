/*
 * ratelimit: the per-client-IP knock limit, shared by all worker processes
 * through "<storage_path>.ratelimit" (created 0600, guarded by flock on the
 * file itself). Over a sliding window, at most max_success knocks answered
 * 200 and max_failure knocks answered 400/401/403/413/415; 0 disables that
 * limit. A state file that does not parse is logged and started afresh
 * (it holds no data worth keeping). At most RATELIMIT_MAX_CLIENTS clients
 * are tracked; beyond that the ones with the oldest activity are dropped.
 *
 * Use: ratelimit_lock; any number of ratelimit_exceeded / ratelimit_record;
 * ratelimit_unlock (writes back if changed). The caller may do other work
 * (such as a store_add) while holding the lock: this makes check-and-record
 * atomic across workers. Lock order: ratelimit before store.
 */
#ifndef KNOCKER_RATELIMIT_H
#define KNOCKER_RATELIMIT_H

#include <stdint.h>
#include "ipnet.h"

#define RATELIMIT_MAX_CLIENTS 4096

struct ratelimit;

enum rl_outcome { RL_SUCCESS, RL_FAILURE };

/* path is copied. window >= 1. Does no I/O. NULL on OOM. */
struct ratelimit *ratelimit_new(const char *path, int64_t window,
    int64_t max_success, int64_t max_failure);
void ratelimit_free(struct ratelimit *rl);

/* Takes the lock and loads the state. Returns 0 or -1 (logged). When both
   limits are 0 this does no I/O and succeeds. */
int ratelimit_lock(struct ratelimit *rl, int64_t now);

/* While locked: 1 if recording outcome for ip now would exceed its limit,
   with *retry_after (>= 1) the seconds until it would not; else 0. */
int ratelimit_exceeded(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now, int64_t *retry_after);

/* While locked: records one event. Returns 0 or -1 on OOM. */
int ratelimit_record(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now);

/* Writes the state back if it changed, then releases the lock. Returns 0 or
   -1 (logged). Safe to call when not locked. */
int ratelimit_unlock(struct ratelimit *rl);

#endif
