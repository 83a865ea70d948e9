/*
 * store_redis: the whitelist in Redis or Valkey (store "backend": "redis",
 * docs/SCALING.md), shared by every node. store.c forwards its public
 * functions here when the store was made by store_new_redis; the
 * semantics are store.h's unless said otherwise below.
 *
 * Keys (P is store.prefix, default "knocker:"):
 *   P entry:<canonical entry>  the entry's metadata, JSON {"key","knocked_at",
 *                              "client"}, expiring at the entry's expiry
 *                              (EXAT): what a human inspecting Redis sees;
 *   P index                    sorted set, member the canonical entry, score its
 *                              expiry: the source of truth for lookups and
 *                              listings (one ZRANGEBYSCORE loads everything);
 *   P gen                      the generation, INCR by every write (add, revoke).
 * Writes are Lua scripts (EVAL), atomic on the server: add (SET EXAT, ZADD,
 * expired entries dropped, the soonest-expiring dropped past max_entries,
 * never the entry itself, INCR gen) and revoke (by entry, key name or all).
 *
 * The view: each process keeps the live entries in an ipmap, so the
 * allowed path of verify costs no round trip. store_redis_refresh compares
 * the generation with the server's at most every STORE_REDIS_POLL_MS
 * (one GET) and reloads on a change (a revoke shows within that bound);
 * store_redis_recheck does it at once, for a lookup that missed (a knock
 * taken by another node is honoured by this node's next verify). After a
 * reconnect the view is reloaded whatever the generation (the server may
 * have restarted empty). When the server cannot be reached, the view stays
 * usable for STORE_REDIS_STALE_MS after its last confirmation, then
 * refresh fails (verify denies everyone not always allowed).
 *
 * Failures: a write that Redis did not acknowledge is STORE_BUSY (the
 * knock answers 503 "Whitelist store unavailable."); an error reply
 * (a script refused by an ACL, a wrong type) is STORE_FAIL (500), logged.
 * The connection is borrowed (must outlive the store).
 */
#ifndef KNOCKER_STORE_REDIS_H
#define KNOCKER_STORE_REDIS_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "ipnet.h"
#include "redisconn.h"
#include "store.h"

#define STORE_REDIS_POLL_MS	200
#define STORE_REDIS_STALE_MS	1000

struct store_redis;

/* prefix is copied. Does no I/O. NULL on OOM. */
KN_NODISCARD KN_NONNULL(1, 2)
struct store_redis *store_redis_new(struct redisconn *conn, const char *prefix,
    int64_t max_entries);
void store_redis_free(struct store_redis *r);

KN_NONNULL(1)
int store_redis_refresh(struct store_redis *r, int64_t now);
/* After a lookup that missed: asks the server now; 1 if the view changed
   (look again), 0 if not, -1 if the server could not tell. */
KN_NONNULL(1)
int store_redis_recheck(struct store_redis *r, int64_t now);
int store_redis_lookup(const struct store_redis *r, const struct ipnet *addr, int64_t now,
    int64_t *expires_at);
KN_NODISCARD KN_NONNULL(1, 2)
enum store_result store_redis_add(struct store_redis *r, const struct ipnet *entry,
    int64_t expires_at, int64_t now, const struct store_meta *meta);
KN_NODISCARD KN_NONNULL(1, 3, 4)
int store_redis_list(struct store_redis *r, int64_t now, struct store_entry **out, size_t *n);
KN_NODISCARD KN_NONNULL(1, 2)
enum store_result store_redis_revoke(struct store_redis *r, const struct store_match *m,
    int64_t now, size_t *revoked);
KN_NODISCARD KN_NONNULL(1)
enum store_result store_redis_cleanup(struct store_redis *r, int64_t now);
KN_NONNULL(1)
int store_redis_check_ready(struct store_redis *r, char *err, size_t err_size);
KN_NONNULL(1)
size_t store_redis_count(const struct store_redis *r);
KN_NONNULL(1)
uint64_t store_redis_serial(const struct store_redis *r);
/* The view itself (borrowed from r: valid until the next refresh). */
KN_NONNULL(1)
const struct ipmap *store_redis_view(const struct store_redis *r);

#endif
