/*
 * enforce: keeps knocker-firewall's nftables table in step with the
 * config and the whitelist, read from one of two sources:
 *  - the whitelist file (store.backend "file"): enforce_read_whitelist
 *    reads whitelist.json itself; main.c watches its directory and calls
 *    enforce_whitelist after a change;
 *  - the store (store.backend "redis"): a struct store made by the caller;
 *    enforce_poll, called every tick, asks it whether its view changed
 *    (store_refresh: one GET of the generation at most every
 *    STORE_REDIS_POLL_MS) and copies the view only when it did
 *    (store_view_serial).
 *
 *  - enforce_start refuses a table of the same name that is not ours (no
 *    NFTRULES_OWNER comment), then replaces ours by a fresh one built from
 *    the whitelist: a crash or a reboot converges at the next start.
 *  - enforce_whitelist refills the whitelist sets from the source (after a
 *    knock, a revoke or an outside edit).
 *  - enforce_tick checks that the table is there and, every
 *    ENFORCE_FULLCHECK_MS, compares it (without set elements) with what was
 *    loaded; it rebuilds a table someone deleted or changed. Every
 *    ENFORCE_RESYNC_MS it re-reads the whitelist and refills the sets anyway.
 * A whitelist that cannot be read (a file that does not parse, a Redis
 * that does not answer) keeps the sets of the last good one: their
 * elements still expire on their own, so nothing is admitted longer than a
 * good whitelist said. One error line when that starts (or, for a file,
 * when the problem changes), one line when a whitelist is applied again.
 * The struct keeps conf, nft and store (NULL: the file) borrowed: the
 * caller frees them after enforce_end.
 */
#ifndef KNOCKER_ENFORCE_H
#define KNOCKER_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "conf.h"
#include "ipmap.h"
#include "store.h"
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
	struct store		*store;		/* the source, or NULL: the file */
	uint64_t		 serial;	/* store_view_serial behind good */
	struct ipmap		*good;		/* last whitelist that could be read */
	bool			 failing;	/* the last read failed (logged) */
	char			 why[512];	/* and why (file: logged once per text) */
	char			*loaded;	/* summary listing after our last load */
	int64_t			 last_sync_ms;	/* monotonic */
	int64_t			 last_full_ms;	/* monotonic: last full comparison */
};

/* Reads the whitelist into map (not cleared first): from store when it is
   not NULL (store_refresh, then a copy of its view), else from conf's
   whitelist file (a missing file is an empty whitelist). Returns 0, or -1
   with a line in err; err may be NULL when no text is wanted, which spares
   a failing store the readiness check that finds its reason. */
KN_NODISCARD KN_NONNULL(1, 3)
int enforce_read_whitelist(const struct conf *conf, struct store *store, struct ipmap *map,
    char *err, size_t size);

/* The commands that build the table from conf and map, for -n and for
   enforce_start. Returns 0 or -1 (oom). */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int enforce_table_text(const struct conf *conf, const struct ipmap *map, struct nftbuf *b);

/* Checks the table name is free or ours, reads the whitelist from store
   (NULL: the file; an error here is logged and the sets start empty) and
   loads the table. Returns 0, or -1 with a line in err (e.g.
   "firewall.table: ..."). */
KN_NODISCARD KN_NONNULL(1, 2, 3, 5)
int enforce_start(struct enforce *e, const struct conf *conf, struct nftctl *nft,
    struct store *store, char *err, size_t size);

/* Re-reads the whitelist and refills the sets (rebuilding the table if
   that fails). Returns 0 or -1 (logged). */
KN_NONNULL(1)
int enforce_whitelist(struct enforce *e);

/* With a store: refills the sets when its view changed since the last
   read, or when a failing store answers again. Nothing without one.
   Returns 0 or -1 (logged once per change of state). */
KN_NONNULL(1)
int enforce_poll(struct enforce *e);

/* The periodic check (call at least once a second). Returns 0 or -1 (logged). */
KN_NONNULL(1)
int enforce_tick(struct enforce *e);

/* Frees what enforce_start allocated; leaves the table in place. */
void enforce_end(struct enforce *e);

#endif
