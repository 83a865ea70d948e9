/*
 * store: the whitelist shared by all worker processes through one file
 * (see ../shared/SPEC.md "Whitelist file").
 *
 * Readers never lock: writers replace the file atomically (temp file in the
 * same directory, fsync, rename, fsync of the directory), so a reader sees
 * the old or the new file, never a partial one. Each process keeps an
 * indexed in-memory copy and the open descriptor of the file it loaded;
 * store_refresh re-reads only when the path now names another file or the
 * file changed (size/mtime). Holding the old descriptor open keeps its inode
 * from being reused, so "another inode" is a reliable change signal.
 *
 * Writers take flock(LOCK_EX) on "<storage_path>.lock" (created 0600).
 * A whitelist file that does not parse is renamed to
 * "<storage_path>.corrupt-<unix time>" by the next writer, never overwritten;
 * until then every lookup denies.
 *
 * The store owns its memory. Functions log their failures (module "store").
 */
#ifndef KNOCKER_STORE_H
#define KNOCKER_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "ipnet.h"

struct store;

/* storage_path is copied. max_entries >= 1. Does no I/O. NULL on OOM. */
struct store *store_new(const char *storage_path, int64_t max_entries);
void store_free(struct store *s);

/* Brings the in-memory view up to date with the file (cheap when unchanged:
   one stat). A missing file is an empty whitelist. Returns 0 when the view
   is usable, -1 when the file is unreadable or corrupt: the view is then
   empty, so lookups deny (fail closed). */
int store_refresh(struct store *s);

/* Using the current view (call store_refresh first): 1 if addr (a single
   address) is inside an entry that expires after now, with the latest such
   expiry in *expires_at (may be NULL); else 0. */
int store_lookup(const struct store *s, const struct ipnet *addr, int64_t now,
    int64_t *expires_at);

/* Under the lock: reads the current file (a corrupt one is renamed aside
   and logged), sets entry -> expires_at (replacing an older expiry), drops
   expired entries, and if more than max_entries remain drops those that
   expire soonest; then writes the file atomically (0600) and updates the
   view. Returns 0, or -1 with the file untouched (logged). */
int store_add(struct store *s, const struct ipnet *entry, int64_t expires_at, int64_t now);

/* If the file holds expired entries, rewrites it without them (under the
   lock). Returns 0 (also when nothing was to do) or -1. */
int store_cleanup(struct store *s, int64_t now);

/* Readiness: 0 if the file can be read and parsed (or does not exist) and
   its directory is writable; else -1 with a human message in err. */
int store_check_ready(struct store *s, char *err, size_t err_size);

/* Number of entries in the current view (live or not). */
size_t store_count(const struct store *s);

#endif
