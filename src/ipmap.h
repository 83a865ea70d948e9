/*
 * ipmap: a map from networks (struct ipnet) to int64 values, with
 * "which entries contain this address" lookups that never scan the list.
 *
 * Layout: one open-addressing hash table keyed by (family, prefix, masked
 * address), plus per family a bitmap of the prefix lengths in use. A lookup
 * masks the address to each prefix length in use and probes the table: cost
 * is O(distinct prefix lengths), independent of the number of entries.
 *
 * The table is position-independent (slots hold entry numbers, entries are
 * fixed-size records), so a map can be saved as an image (header, slots,
 * entries) and a read-only map can run directly on those bytes, e.g. a file
 * mapped by several processes: ipmap_image / ipmap_attach.
 *
 * The map owns its memory, except an attached map's bytes (borrowed). Keys
 * are copied in. Not thread-safe.
 */
#ifndef KNOCKER_IPMAP_H
#define KNOCKER_IPMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "compiler.h"
#include "ipnet.h"

struct ipmap;

/* New empty map, or NULL on allocation failure. */
struct ipmap *ipmap_new(void);
/* Frees the map; NULL is fine. An attached map's bytes are not touched. */
void ipmap_free(struct ipmap *m);
/* Removes all entries, keeps the allocation. Not for attached maps. */
void ipmap_clear(struct ipmap *m);

/* Inserts or replaces net -> value. Returns 0, or -1 on allocation failure
   or on an attached (read-only) map (the map is unchanged then). */
int ipmap_put(struct ipmap *m, const struct ipnet *net, int64_t value);
/* Exact-key lookup: 1 and *value set if net is a key, else 0. value may be NULL. */
int ipmap_get(const struct ipmap *m, const struct ipnet *net, int64_t *value);
/* Removes net. Returns 1 if it was there, else 0 (always 0 when attached). */
int ipmap_del(struct ipmap *m, const struct ipnet *net);
size_t ipmap_count(const struct ipmap *m);

/* Among all keys containing addr (a single address), the largest value:
   returns 1 and sets *max_value (may be NULL), or 0 if no key contains addr. */
int ipmap_lookup(const struct ipmap *m, const struct ipnet *addr, int64_t *max_value);

/* Iteration: *pos starts at 0; each call returns 1 and fills net/value with
   the next entry, or 0 at the end. The map must not change during a walk. */
int ipmap_next(const struct ipmap *m, size_t *pos, struct ipnet *net, int64_t *value);

/* --- images ------------------------------------------------------------- */

/* Size of an image header; images are this header, then nslots uint32_t
   slots, then count entries of IPMAP_ENTRY_SIZE bytes, native byte order. */
#define IPMAP_IMAGE_HDR		80
#define IPMAP_ENTRY_SIZE	26

/* The image of a map as three byte ranges to be stored one after the other:
   hdr (filled in), then the map's own slots and entries (borrowed: valid
   until the map changes or is freed). */
struct ipmap_image {
	unsigned char	 hdr[IPMAP_IMAGE_HDR];
	const void	*slots;		/* may be NULL when slots_len is 0 */
	size_t		 slots_len;
	const void	*entries;	/* may be NULL when entries_len is 0 */
	size_t		 entries_len;
};

KN_NONNULL(1, 2)
void ipmap_image(const struct ipmap *m, struct ipmap_image *img);

/* Total bytes of img. */
KN_NONNULL(1)
size_t ipmap_image_len(const struct ipmap_image *img);

/* A read-only map over an image at mem (len bytes, aligned to 8; borrowed:
   it must stay valid until ipmap_free). Only the header and the sizes are
   checked (O(1)); whatever the other bytes hold, lookups stay inside them
   and end. NULL if mem is not an image of this layout, or on ENOMEM. */
KN_NODISCARD
struct ipmap *ipmap_attach(const void *mem, size_t len);

/* True if m is an attached (read-only) map. */
bool ipmap_attached(const struct ipmap *m);

/* A new writable map holding the entries of m whose value is > now, with
   room for extra more entries without growing. Entries that are not valid
   keys (possible in an attached image) or repeat a key are left out too;
   *dropped (may be NULL) counts everything left out. NULL on ENOMEM. */
KN_NODISCARD
struct ipmap *ipmap_copy_live(const struct ipmap *m, int64_t now, size_t extra,
    size_t *dropped);

#endif
