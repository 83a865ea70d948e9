/*
 * redisconn: one process's connection to the Redis (or Valkey) server of
 * the "redis" store backend (docs/SCALING.md), shared by store_redis and
 * ratelimit_redis.
 *
 * Connects lazily (TCP or unix socket, then AUTH [username] password and
 * SELECT db), every command bounded by store.timeout_ms. Any failure (no
 * connection, timeout, protocol error, refused AUTH) drops the connection;
 * the next attempt comes no sooner than REDISCONN_RETRY_MS later, and until
 * then calls fail at once, so a down or stopped server costs a worker at
 * most one timeout per retry period, never one per request. One log line
 * per change of state (module "store"): "unavailable: why" once when it
 * goes down, "connected" once when it comes back. The password is never
 * logged nor put in an error text.
 *
 * The conf_store is borrowed (must outlive the connection). Replies are
 * hiredis's (caller frees with freeReplyObject). The process must ignore
 * SIGPIPE (knocker does): a server that died is then an error, not a
 * signal. Not thread-safe.
 */
#ifndef KNOCKER_REDISCONN_H
#define KNOCKER_REDISCONN_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>
#include "compiler.h"
#include "conf.h"

#define REDISCONN_RETRY_MS 250

struct redisconn;

/* Does no I/O. NULL on OOM. */
KN_NODISCARD KN_NONNULL(1)
struct redisconn *redisconn_new(const struct conf_store *cs);
void redisconn_free(struct redisconn *c);

/* 0 if connected (connecting now unless a retry is not yet due), else -1. */
KN_NODISCARD KN_NONNULL(1)
int redisconn_up(struct redisconn *c);

/* Counts successful connects: a change means the server may have lost or
   changed everything (a restart without persistence), so views reload. */
KN_NONNULL(1)
uint64_t redisconn_epoch(const struct redisconn *c);

/* One command (hiredis format: %s, %b, %lld). NULL when not connected or
   the connection failed (then dropped and logged). An error reply is
   returned as a reply (type REDIS_REPLY_ERROR): the connection stays. */
KN_NODISCARD KN_NONNULL(1, 2)
redisReply *redisconn_command(struct redisconn *c, const char *fmt, ...);

/* Pipelining: append commands, then read their replies in order, in one
   round trip. redisconn_append returns 0 or -1 (not connected, or OOM:
   then dropped); redisconn_reply as redisconn_command. */
KN_NODISCARD KN_NONNULL(1, 2)
int redisconn_append(struct redisconn *c, const char *fmt, ...);
KN_NODISCARD KN_NONNULL(1)
redisReply *redisconn_reply(struct redisconn *c);

/* Readiness (/ready, knocker -t): connects now whatever the retry period,
   then PING. 0, or -1 with one line in err (address and problem, e.g.
   "redis unix:/run/redis.sock: AUTH refused: WRONGPASS ..."). err may be NULL. */
KN_NONNULL(1)
int redisconn_check(struct redisconn *c, char *err, size_t err_size);

/* The failure as in-line text for the log, from a reply that is NULL or an
   error (static or the reply's own text: valid until it is freed). */
const char *redisconn_why(const struct redisconn *c, const redisReply *r);

#endif
