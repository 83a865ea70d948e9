/*
 * ipmap: a map from networks (struct ipnet) to int64 values, with
 * "which entries contain this address" lookups that never scan the list.
 *
 * Layout: one open-addressing hash table keyed by (family, prefix, masked
 * address), plus per family a bitmap of the prefix lengths in use. A lookup
 * masks the address to each prefix length in use and probes the table: cost
 * is O(distinct prefix lengths), independent of the number of entries.
 *
 * The map owns its memory; keys are copied in. Not thread-safe.
 */
#ifndef KNOCKER_IPMAP_H
#define KNOCKER_IPMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "ipnet.h"

struct ipmap;

/* New empty map, or NULL on allocation failure. */
struct ipmap *ipmap_new(void);
/* Frees the map; NULL is fine. */
void ipmap_free(struct ipmap *m);
/* Removes all entries, keeps the allocation. */
void ipmap_clear(struct ipmap *m);

/* Inserts or replaces net -> value. Returns 0, or -1 on allocation failure
   (the map is unchanged then). */
int ipmap_put(struct ipmap *m, const struct ipnet *net, int64_t value);
/* Exact-key lookup: 1 and *value set if net is a key, else 0. value may be NULL. */
int ipmap_get(const struct ipmap *m, const struct ipnet *net, int64_t *value);
/* Removes net. Returns 1 if it was there, else 0. */
int ipmap_del(struct ipmap *m, const struct ipnet *net);
size_t ipmap_count(const struct ipmap *m);

/* Among all keys containing addr (a single address), the largest value:
   returns 1 and sets *max_value (may be NULL), or 0 if no key contains addr. */
int ipmap_lookup(const struct ipmap *m, const struct ipnet *addr, int64_t *max_value);

/* Iteration: *pos starts at 0; each call returns 1 and fills net/value with
   the next entry, or 0 at the end. The map must not change during a walk. */
int ipmap_next(const struct ipmap *m, size_t *pos, struct ipnet *net, int64_t *value);

#endif
