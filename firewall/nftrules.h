/*
 * nftrules: the text knocker-firewall gives libnftables, built from the
 * "firewall" config and the set elements (fwset). Pure: no kernel, no
 * clock (the caller passes now), so `knocker-firewall -n` and the unit
 * tests see exactly what would be loaded.
 *
 * The table (family inet, named by firewall.table) holds
 *   allow4/allow6    the whitelist: flags interval,timeout; each element's
 *                    timeout is its remaining time, so the kernel expires it
 *   always4/always6  always_allowed_ips: flags interval, no timeout
 *   chain guard      the base chain: packets to a configured port jump to
 *                    check. Hook input, or with "docker": true hook
 *                    prerouting at priority mangle (-150), before Docker's
 *                    DNAT (dstnat, -100), for packets addressed to this host
 *                    (fib daddr type local, as Docker's own rule matches)
 *   chain check      accepts loopback and sources in a set; drops the
 *                    rest. Every packet is checked, not only new
 *                    connections: an expiry or revoke also ends established
 *                    flows. No exception for conntrack replies either: a
 *                    UDP service that sends first (a WireGuard server's
 *                    keepalive) would turn a stranger's packets to its port
 *                    into "replies".
 * and the comment NFTRULES_OWNER, by which a table is known to be ours.
 */
#ifndef KNOCKER_NFTRULES_H
#define KNOCKER_NFTRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "conf.h"
#include "fwset.h"

#define NFTRULES_OWNER "managed by knocker-firewall"
/* Longest element timeout written (the kernel's limit is far above);
   the periodic re-sync renews longer ones before they run out. */
#define NFTRULES_MAX_TIMEOUT_MS (3650LL * 86400 * 1000)

/* A growing NUL-terminated text. Start zeroed; nftbuf_free releases it.
   After an allocation failure oom is set and further appends do nothing. */
struct nftbuf {
	char	*s;
	size_t	 len, cap;
	bool	 oom;
};

void nftbuf_free(struct nftbuf *b);

struct nftrules_sets {
	struct fwset	allow4, allow6;		/* whitelist (expires: unix seconds) */
	struct fwset	always4, always6;	/* always_allowed_ips (FWSET_FOREVER) */
};

/* Appends the commands that replace the table by a fresh one with all
   four sets filled, in one transaction ("add table; delete table; table
   {...}; add element ..."). now_ms: unix time in ms. Returns 0 or -1 (oom). */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int nftrules_table(struct nftbuf *b, const struct conf_firewall *fw,
    const struct nftrules_sets *sets, int64_t now_ms);

/* Appends the commands that refill allow4 and allow6 (flush, then add),
   one transaction. Returns 0 or -1 (oom). */
KN_NODISCARD KN_NONNULL(1, 2, 3, 4)
int nftrules_sync(struct nftbuf *b, const struct conf_firewall *fw,
    const struct fwset *allow4, const struct fwset *allow6, int64_t now_ms);

/* Formats a timeout in ms as nft writes it ("1d2h3m4s5ms"; every part
   below 2^32, which nft requires). buf holds at least 48 bytes. */
KN_NONNULL(2)
void nftrules_timeout(int64_t ms, char *buf, size_t size);

#endif
