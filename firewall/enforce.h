/*
 * enforce: keeps knocker-firewall's nftables table in step with the
 * config and the whitelist file.
 *
 *  - enforce_start refuses a table of the same name that is not ours (no
 *    NFTRULES_OWNER comment), then replaces ours by a fresh one built from
 *    the whitelist file: a crash or a reboot converges at the next start.
 *  - enforce_whitelist refills the whitelist sets from the file (after a
 *    knock, a revoke or an outside edit).
 *  - enforce_tick checks that the table is there and, every
 *    ENFORCE_FULLCHECK_MS, compares it (without set elements) with what was
 *    loaded; it rebuilds a table someone deleted or changed. Every
 *    ENFORCE_RESYNC_MS it re-reads the file and refills the sets anyway.
 * A whitelist file that cannot be read or parsed keeps the sets of the last
 * good one (logged as an error every time): their elements still expire
 * on their own, so nothing is admitted longer than a good file said.
 * The struct keeps conf (not owned) and nft (not owned).
 */
#ifndef KNOCKER_ENFORCE_H
#define KNOCKER_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "conf.h"
#include "ipmap.h"
#include "nftctl.h"
#include "nftrules.h"

#define ENFORCE_RESYNC_MS 60000
/* Listing the whole table fetches every set element (45 ms for 20,000
   entries), so each tick only checks that the table is there (no
   elements: a few ms) and the full comparison runs this often. */
#define ENFORCE_FULLCHECK_MS 5000

struct enforce {
	const struct conf	*conf;
	struct nftctl		*nft;
	struct ipmap		*good;		/* last whitelist that parsed */
	char			*loaded;	/* summary listing after our last load */
	int64_t			 last_sync_ms;	/* monotonic */
	int64_t			 last_full_ms;	/* monotonic: last full comparison */
};

/* Reads the whitelist file of conf into map (cleared first): a missing
   file is an empty whitelist. Returns 0, or -1 with a line in err. */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int enforce_read_whitelist(const struct conf *conf, struct ipmap *map, char *err, size_t size);

/* The commands that build the table from conf and map, for -n and for
   enforce_start. Returns 0 or -1 (oom). */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int enforce_table_text(const struct conf *conf, const struct ipmap *map, struct nftbuf *b);

/* Checks the table name is free or ours, reads the whitelist (an error
   here is logged; the sets start empty) and loads the table. Returns 0, or
   -1 with a line in err (e.g. "firewall.table: ..."). */
KN_NODISCARD KN_NONNULL(1, 2, 3, 4)
int enforce_start(struct enforce *e, const struct conf *conf, struct nftctl *nft, char *err,
    size_t size);

/* Re-reads the whitelist and refills the sets (rebuilding the table if
   that fails). Returns 0 or -1 (logged). */
KN_NONNULL(1)
int enforce_whitelist(struct enforce *e);

/* The periodic check (call at least once a second). Returns 0 or -1 (logged). */
KN_NONNULL(1)
int enforce_tick(struct enforce *e);

/* Frees what enforce_start allocated; leaves the table in place. */
void enforce_end(struct enforce *e);

#endif
