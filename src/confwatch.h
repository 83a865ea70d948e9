/*
 * confwatch: notices that the config file changed, for live reload.
 *
 * An observation is the file's identity from stat(2): device, inode, size,
 * mtime and ctime to the nanosecond. Any difference from the observation
 * the config in force was loaded after is a change: an edit in place, a
 * touch, a chmod, an atomic replace (rename: a new inode). Take the
 * observation BEFORE reading the file, so that a change during the read
 * shows as a difference next time.
 *
 * One case stat cannot see: a rewrite with the same size inside the same
 * timestamp tick as the write observed (a few ms; a second on file systems
 * with coarse times). An observation whose newest time is within
 * CONFWATCH_RACY_NS of the clock when it was taken is therefore "racy":
 * the next check answers CONFWATCH_RECHECK, and the caller loads the file
 * again and compares the hash of its bytes (conf_load_hash) with the one
 * in force. A file with a time in the future stays racy: one quiet read a
 * check, never a missed change.
 *
 * The struct owns a copy of the path. No allocation after init.
 */
#ifndef KNOCKER_CONFWATCH_H
#define KNOCKER_CONFWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "compiler.h"

#define CONFWATCH_RACY_NS	(2 * INT64_C(1000000000))

/* One observation. err is 0, or the errno of a stat that failed (ENOENT:
   the file is gone; the other fields are then zero). */
struct confwatch_id {
	int		 err;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;
	bool		 racy;
};

enum confwatch_state {
	CONFWATCH_SAME,		/* nothing to do */
	CONFWATCH_CHANGED,	/* load it */
	CONFWATCH_RECHECK,	/* same identity, but racy: load it, and apply it
				   only if its hash differs from the one in force */
	CONFWATCH_GONE		/* stat fails now (and did not at the last
				   settle): keep the config in force */
};

struct confwatch {
	char			*path;		/* owned */
	struct confwatch_id	 settled;	/* what the config in force (or the
						   last file refused) was read after */
	uint64_t		 hash;		/* conf_load_hash of that read */
	int64_t			 racy_ns;	/* CONFWATCH_RACY_NS; tests may lower it */
};

/* Copies path. Nothing is settled yet: the first check says CHANGED.
   Returns 0, or -1 on OOM. */
KN_NODISCARD KN_NONNULL(1, 2)
int confwatch_init(struct confwatch *w, const char *path);
void confwatch_fini(struct confwatch *w);

/* Takes an observation of the file now. */
KN_NONNULL(1, 2)
void confwatch_observe(const struct confwatch *w, struct confwatch_id *id);

/* Observes the file (into *id) and compares with the settled one. */
KN_NONNULL(1, 2)
enum confwatch_state confwatch_check(const struct confwatch *w, struct confwatch_id *id);

/* Records that the file read after observation id (whatever came of it:
   applied, refused, found unchanged) had hash. */
KN_NONNULL(1, 2)
void confwatch_settle(struct confwatch *w, const struct confwatch_id *id, uint64_t hash);

#endif
