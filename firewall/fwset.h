/*
 * fwset: the elements of one nftables set, made from a map of networks to
 * expiry times (the whitelist, or always_allowed_ips).
 *
 * An nftables interval set refuses overlapping elements, but the whitelist
 * may hold 192.0.2.0/24 until 10:00 and 192.0.2.7 until 11:00. fwset_build
 * flattens such entries into disjoint networks, each with the latest expiry
 * of the entries that contain it: here 192.0.2.0/30, .4/31, .6, .8/29,
 * .16/28, .32/27, .64/26, .128/25 until 10:00 and 192.0.2.7 until 11:00.
 * So every address is admitted exactly as long as the whitelist admits it.
 * Nested entries whose inner one expires no later are simply merged into
 * the outer one. At most (bits + 1) elements per entry; usually one.
 */
#ifndef KNOCKER_FWSET_H
#define KNOCKER_FWSET_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "ipmap.h"
#include "ipnet.h"

/* An expiry that never comes (always_allowed_ips). */
#define FWSET_FOREVER INT64_MAX

struct fwset_elem {
	struct ipnet	net;
	int64_t		expires;	/* unix seconds, or FWSET_FOREVER */
};

/* One family's elements, sorted by address; owned by the struct. */
struct fwset {
	struct fwset_elem	*v;
	size_t			 n, cap;
};

/* Fills out4 and out6 (emptied first) from m: entries whose value is > now
   (unix seconds), or every entry with expiry FWSET_FOREVER when forever is
   true (values ignored). Returns 0, or -1 on allocation failure (the sets
   are then empty). */
KN_NODISCARD KN_NONNULL(1, 4, 5)
int fwset_build(const struct ipmap *m, int64_t now, bool forever, struct fwset *out4,
    struct fwset *out6);

/* Frees the elements and empties s; the struct is the caller's. */
void fwset_clear(struct fwset *s);

#endif
