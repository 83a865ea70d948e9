/*
 * wlindex: "<storage_path>.idx", the whitelist as a ready-made hash table
 * (an ipmap image) that every worker maps shared and looks up in place:
 * loading the whitelist another worker just wrote costs O(1) work, and one
 * copy in memory serves all workers.
 *
 * The index is derived: whitelist.json stays the source of truth (and the
 * only file other tools read or write). The index records the identity of
 * the whitelist.json it was built from (device, inode, size, mtime and
 * ctime to the nanosecond) and is used only for exactly that file; any
 * other whitelist.json (an outside edit, a crash between the two renames)
 * is parsed instead. It is written through statefile without fsync
 * (SF_DERIVED): what a crash loses is rebuilt by the next knock.
 *
 * Layout: a fixed header (magic, version, sizes, the JSON identity, a
 * checksum of the header and of the image header), then the ipmap image,
 * native byte order: an index is only read by the build on the machine
 * that wrote it (another build: another magic or layout, so it is ignored).
 * Opening checks the header, sizes and checksum only (O(1)); ipmap keeps
 * lookups inside the bytes whatever they hold.
 *
 * Nothing here logs; errors come back in struct sf_err.
 */
#ifndef KNOCKER_WLINDEX_H
#define KNOCKER_WLINDEX_H

#include <sys/stat.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"
#include "ipmap.h"
#include "statefile.h"

/* Which whitelist.json a view or an index was built from. */
struct wl_ident {
	uint64_t	dev;
	uint64_t	ino;
	int64_t		size;
	int64_t		mtime_sec;
	int64_t		mtime_nsec;
	int64_t		ctime_sec;
	int64_t		ctime_nsec;
};

KN_NONNULL(1, 2)
void wl_ident_of(const struct stat *st, struct wl_ident *id);
KN_NONNULL(1, 2)
bool wl_ident_eq(const struct wl_ident *a, const struct wl_ident *b);

/* A mapped index; owns the mapping and the read-only map over it. */
struct wlindex;

/* Writes the index of map, built from the whitelist.json identified by
   json, to path (temp file and rename through statefile, owner as there).
   Returns 0 or -1 with *e. */
KN_NODISCARD KN_NONNULL(1, 3, 4, 5)
int wlindex_write(const char *path, uid_t owner, const struct ipmap *map,
    const struct wl_ident *json, struct sf_err *e);

/* Maps the index at path if it was built from the whitelist.json
   identified by json and is intact. Returns the index (close it with
   wlindex_close), or NULL with *e saying why (errno ENOENT: no index;
   ESTALE: built from another whitelist.json; EINVAL: damaged or from
   another build; else statefile's or mmap's errno). */
KN_NODISCARD KN_NONNULL(1, 3, 4)
struct wlindex *wlindex_open(const char *path, uid_t owner, const struct wl_ident *json,
    struct sf_err *e);

/* The read-only map over the index (valid until wlindex_close). */
KN_NONNULL(1)
const struct ipmap *wlindex_map(const struct wlindex *x);

/* Unmaps; NULL is fine. */
void wlindex_close(struct wlindex *x);

#endif
