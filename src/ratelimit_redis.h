/*
 * ratelimit_redis: the knock limit of ratelimit.h kept in Redis (store
 * "backend": "redis"), so it holds across every node. ratelimit.c forwards
 * to it when the limiter was made by ratelimit_new_redis.
 *
 * Same semantics as ratelimit.h, always exact: per client network (cut to
 * ipv4_prefix / ipv6_prefix) and outcome, a sorted set
 * "<prefix>rl:<s|f>:<network>" of events scored by their second, expiring
 * one window after the last event. One Lua script checks and, when not
 * over the limit, records at once (atomic on the server, so nodes racing
 * cannot exceed the limit): ratelimit_redis_exceeded reserves the event it
 * lets through; ratelimit_redis_record confirms it (or records an event no
 * check reserved); ratelimit_redis_unlock withdraws reservations nobody
 * confirmed (a knock that failed to be stored is not a success).
 *
 * Failure: lock returns -2 when the server cannot be reached, exceeded
 * returns -1 when it did not answer: the caller answers 503, never skips
 * the limit. The connection is borrowed. Not thread-safe.
 */
#ifndef KNOCKER_RATELIMIT_REDIS_H
#define KNOCKER_RATELIMIT_REDIS_H

#include <stdint.h>
#include "compiler.h"
#include "ipnet.h"
#include "ratelimit.h"
#include "redisconn.h"

struct ratelimit_redis;

/* prefix is copied, p too. Does no I/O. NULL on OOM. */
KN_NODISCARD KN_NONNULL(1, 2, 3)
struct ratelimit_redis *ratelimit_redis_new(struct redisconn *conn, const char *prefix,
    const struct rl_params *p);
void ratelimit_redis_free(struct ratelimit_redis *rl);

KN_NODISCARD KN_NONNULL(1)
int ratelimit_redis_lock(struct ratelimit_redis *rl, int64_t now);
KN_NONNULL(1, 2)
int ratelimit_redis_exceeded(struct ratelimit_redis *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now, int64_t *retry_after);
KN_NONNULL(1, 2)
int ratelimit_redis_record(struct ratelimit_redis *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now);
int ratelimit_redis_unlock(struct ratelimit_redis *rl);

#endif
