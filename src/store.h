/*
 * store: the whitelist shared by all worker processes (docs/SECURITY.md,
 * README "Whitelist file").
 *
 * Files, all in the storage directory and all opened through statefile
 * (regular file, owned by the directory's owner, which must be the
 * workers' user with a 0700 directory):
 *   <storage_path>          whitelist.json, the source of truth, exactly
 *                           FarisZR/knocker's format;
 *   <storage_path>.meta     who made each entry (wlmeta; see store_meta);
 *   <storage_path>.idx      its index (wlindex: a ready hash table, mapped
 *                           shared by every worker; derived, may be absent);
 *   <storage_path>.lock     the writers' lock (sf_lock, with a deadline);
 *   <storage_path>.shm      the shared mapping (shmstate), for its generation.
 *
 * Readers never lock: writers replace files atomically, so a reader sees
 * the old or the new file, never a partial one. Each process has a view:
 * the mapped index when it matches whitelist.json, else a map parsed from
 * whitelist.json. The view keeps whitelist.json's descriptor open, so the
 * inode is not reused while the view claims to be its copy.
 *
 * Staying current (store_refresh): one atomic load of the whitelist
 * generation in the shared mapping (shmstate "<storage_path>.shm"), which
 * every writer bumps; besides, at most once per second (by the caller's
 * clock) a check of the directory and of whitelist.json's identity (device,
 * inode, size, mtime and ctime to the nanosecond), which catches outside
 * edits (an editor, FarisZR/knocker itself). When the mapping cannot be
 * opened (read-only directory), every refresh checks the files.
 *
 * Writers (store_add, store_cleanup) take the lock, start from their view
 * when it is still current (else the index, else whitelist.json), write
 * whitelist.json (fsync, then a compare-and-swap rename against the file
 * they started from: a writer that finds another's file there starts over,
 * so no knock is overwritten even when a deleted lock file lets two writers
 * in; fsync of the directory), then the index, then bump the generation,
 * then unlock. Temp files of killed writers are removed after a minute. A whitelist.json that does not
 * parse is moved aside to "<storage_path>.corrupt-<unix time>" (".N"
 * added when taken) by the next writer, never overwritten; until then
 * every lookup denies.
 *
 * The store owns its memory and files; it borrows the shmstate. Functions
 * log their failures (module "store").
 *
 * Backends: everything above is the file backend (store_new). A store made
 * by store_new_redis keeps the whitelist in Redis instead (store_redis.h,
 * docs/SCALING.md); every public function below forwards to it, with the
 * same meaning, and STORE_BUSY then also means "Redis did not answer
 * within timeout_ms" (the knock answers 503).
 */
#ifndef KNOCKER_STORE_H
#define KNOCKER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "ipnet.h"

struct store;
struct shmstate;
struct redisconn;
struct conf;
struct ipmap;

/* What a write did. */
enum store_result {
	STORE_OK = 0,		/* done (also: nothing needed doing) */
	STORE_FAIL = -1,	/* not done, whitelist.json untouched (logged) */
	STORE_BUSY = -2		/* the lock stayed held by another process past
				   SF_LOCK_TIMEOUT_MS: not done, try again later */
};

/* storage_path is copied. shm is the process's open "<storage_path>.shm"
   (borrowed: must outlive the store), or NULL: the store then opens its own
   on first use (rate-limit region size 0: any). max_entries >= 1. Does no
   I/O. NULL on OOM or an empty path. */
KN_NODISCARD KN_NONNULL(1)
struct store *store_new(const char *storage_path, int64_t max_entries, struct shmstate *shm);
void store_free(struct store *s);

/* The Redis backend (store_redis.h, docs/SCALING.md): every function below
   then works on the shared whitelist in Redis; conn is borrowed (must
   outlive the store), prefix copied. Does no I/O. NULL on OOM. */
KN_NODISCARD KN_NONNULL(1, 2)
struct store *store_new_redis(struct redisconn *conn, const char *prefix, int64_t max_entries);

/* The store conf says (store.backend): for "redis" a new connection in
   *conn (the caller frees it, after the store) and store_new_redis; else
   store_new(whitelist.storage_path, max_entries, NULL) and *conn = NULL.
   conf is borrowed (must outlive both). Does no I/O. NULL on OOM (then
   *conn is NULL too). */
KN_NODISCARD KN_NONNULL(1, 2)
struct store *store_new_conf(const struct conf *conf, struct redisconn **conn);

/* Brings the view up to date (see above; now is the caller's clock in unix
   seconds). A missing whitelist.json is an empty whitelist. Returns 0 when
   the view is usable, -1 when it is not (storage directory or whitelist
   file untrusted, unreadable or corrupt): the view is then empty, so
   lookups deny (fail closed). */
KN_NONNULL(1)
int store_refresh(struct store *s, int64_t now);

/* After store_lookup said 0: makes sure the view is not behind a write
   made elsewhere (Redis: asks the server now instead of at the next poll).
   1 if the view changed (look again), 0 if not, -1 if it cannot tell
   (deny). The file backend's refresh is already exact: always 0. */
KN_NONNULL(1)
int store_recheck(struct store *s, int64_t now);

/* Using the current view (call store_refresh first): 1 if addr (a single
   address) is inside an entry that expires after now, with the latest such
   expiry in *expires_at (may be NULL); else 0. s may be NULL (0). */
int store_lookup(const struct store *s, const struct ipnet *addr, int64_t now,
    int64_t *expires_at);

/* Who made an entry. Kept beside the whitelist in "<storage_path>.meta"
   (wlmeta: JSON keyed by canonical entry), written under the whitelist
   lock right after whitelist.json, pruned with its entries; whitelist.json
   itself stays exactly FarisZR/knocker's format and the source of truth
   (metadata of an entry it does not hold is ignored and pruned). A missing
   or unreadable .meta only makes the metadata unknown (logged; a corrupt
   one is moved aside like whitelist.json). Unknown fields are "" / 0 (an
   entry added by an outside edit or by the original). */
struct store_meta {
	char	 key[65];	/* the key's name (never the key); "" unknown */
	int64_t	 knocked_at;	/* unix seconds; 0 unknown */
	char	 client[46];	/* canonical address that knocked; "" unknown */
};

struct store_entry {
	struct ipnet		net;
	int64_t			expires_at;
	struct store_meta	meta;
};

/* Under the lock: sets entry -> expires_at (replacing an older expiry) and
   its metadata to *meta (NULL: unknown), drops expired entries, and if
   more than max_entries remain drops those that expire soonest (never
   entry); writes whitelist.json, the metadata and the index and updates
   the view. STORE_OK only when the new whitelist.json is in place, durable
   and owned by the storage directory's owner (a failure to write the
   metadata is logged, not an error). */
KN_NODISCARD KN_NONNULL(1, 2)
enum store_result store_add(struct store *s, const struct ipnet *entry, int64_t expires_at,
    int64_t now, const struct store_meta *meta);

/* Live entries (expires_at > now), sorted by expires_at then entry, in a new
   array (*out, caller frees; NULL when *n == 0). Returns 0 or -1 (store
   unusable: unreadable, untrusted, corrupt — logged). Refreshes first.
   Takes no lock (the files are replaced atomically). */
KN_NODISCARD KN_NONNULL(1, 3, 4)
int store_list(struct store *s, int64_t now, struct store_entry **out, size_t *n);

/* qsort order of store_list: expires_at, then entry. */
int store_entry_cmp(const void *a, const void *b);

enum store_match_by { STORE_MATCH_ENTRY, STORE_MATCH_KEY, STORE_MATCH_ALL };
struct store_match {
	enum store_match_by	 by;
	struct ipnet		 entry;	/* STORE_MATCH_ENTRY: exact entry (canonical) */
	const char		*key;	/* STORE_MATCH_KEY: key name */
};

/* Under the lock: removes the matching live entries (and their metadata),
   writes like store_add, bumps the generation. *revoked (may be NULL) gets
   the count; removing nothing is STORE_OK with 0. */
KN_NODISCARD KN_NONNULL(1, 2)
enum store_result store_revoke(struct store *s, const struct store_match *m, int64_t now,
    size_t *revoked);

/* If the whitelist holds expired entries, rewrites it without them (as
   store_add). STORE_OK also when nothing was to do, or when the whitelist
   is unusable (store_refresh logged that; the next knock deals with it). */
KN_NODISCARD KN_NONNULL(1)
enum store_result store_cleanup(struct store *s, int64_t now);

/* Readiness: 0 if the storage directory is trusted and writable with room
   for a new copy, and whitelist.json can be read and parsed (or does not
   exist); else -1 with one line in err naming the file and the problem (for
   the log and knocker -t). err may be NULL. */
KN_NONNULL(1)
int store_check_ready(struct store *s, char *err, size_t err_size);

/* A number that changes whenever the view's entries may have changed
   (file: each time the view is set anew from whitelist.json, but not
   while the file stays missing; Redis: the entries were loaded again, or the
   process's own write was applied to the view) and stays the same while
   they have not. Lets a reader that mirrors the whitelist (knocker-firewall)
   call store_refresh often and copy the view only when it changed. No I/O. */
KN_NONNULL(1)
uint64_t store_view_serial(const struct store *s);

/* Puts the entries of the current view that expire after now into out
   (not cleared first; borrowed), without I/O and without metadata: call
   store_refresh first, and trust the copy only when it returned 0.
   Returns 0 or -1 (out of memory). */
KN_NODISCARD KN_NONNULL(1, 3)
int store_view_copy(const struct store *s, int64_t now, struct ipmap *out);

/* Number of entries in the current view (live or not). */
KN_NONNULL(1)
size_t store_count(const struct store *s);

#endif
