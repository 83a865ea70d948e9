/*
 * statefile: the one module that touches files in the storage directory.
 * Every state file (whitelist.json, its index and metadata, lock files, the
 * shared mapping) is checked, opened, locked, read and replaced through
 * here, so the rules below hold for all of them and are tested once. Each
 * file type only says how to encode and decode itself.
 *
 * Trust rules (docs/SECURITY.md):
 *  - The storage directory belongs to the workers' user: its owner is that
 *    user and it has no group or other permission bits (0700). A process
 *    may use it when its effective uid is the owner, or root (knockerctl,
 *    a CGI run as root); files root creates are handed to the directory's
 *    owner, so the workers can always read what was written. Any other
 *    process gets an error and writes nothing.
 *  - A state file is used only when it is a regular file (never through a
 *    symlink: O_NOFOLLOW; never a FIFO or device: O_NONBLOCK then fstat),
 *    owned by the directory's owner, and not writable by group or others.
 *  - Locks are flock(LOCK_EX) with a deadline: a lock held past it (by a
 *    stuck worker, or another user who can open the file) is a failure
 *    with errno ETIMEDOUT, never an unbounded wait. While it waits, the
 *    caller blocks in flock (woken at the unlock, so a busy lock is shared
 *    fairly) and a timer of its own sends it SIGRTMIN+2 every 20 ms; the
 *    signal's disposition and mask are restored before the call returns.
 *    Callers are single threaded and must not use that signal themselves.
 *  - A replace never shows a partial file: a temp file in the same
 *    directory (O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600), written,
 *    fsync'd, closed (checked), handed to the owner when root, renamed over
 *    the target, then the directory fsync'd. Derived files (that can be
 *    rebuilt from a durable one) may skip both fsyncs.
 *
 * Errors: functions return 0 (or a documented positive value) or -1 with
 * errno set and one line in *e naming the path and the problem, for the
 * log and `knocker -t`; it is never shown to an HTTP client. Nothing here
 * logs, exits or keeps global state (the lock wait above
 * borrows one signal for its duration).
 */
#ifndef KNOCKER_STATEFILE_H
#define KNOCKER_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "compiler.h"

/* How long a writer waits for a lock before it gives up (ETIMEDOUT). */
#define SF_LOCK_TIMEOUT_MS 2000

struct sf_err {
	char	msg[320];
};

/* Formats one line into *e, keeps errno, returns -1: for modules built on
   this one (shmstate, store) to report in the same way. */
KN_PRINTF(2, 3) KN_NONNULL(1, 2)
int sf_errorf(struct sf_err *e, const char *fmt, ...);

enum sf_sync {
	SF_DURABLE,	/* fsync the file and the directory */
	SF_DERIVED	/* no fsync: the file can be rebuilt from a durable one */
};

/* Checks the directory dir: it exists, is a directory, has no group or
   other permission bits, and is owned by the effective uid or the effective
   uid is 0. Sets *owner to the directory's owner. Returns 0 or -1. */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int sf_dir_check(const char *dir, uid_t *owner, struct sf_err *e);

/* The directory part of path ("/a/b/c.json" -> "/a/b", "c.json" -> ".")
   into buf. Returns 0, or -1 (ENAMETOOLONG) if it does not fit. */
KN_NODISCARD KN_NONNULL(1, 2)
int sf_dirname(const char *path, char *buf, size_t size);

/* Opens path read-only after the checks above. Returns 0 with *fd (caller
   closes) and *st filled, 1 if path does not exist (ENOENT; *fd = -1), or
   -1: not a regular file, not owned by owner, writable by group or others,
   or an I/O error. st may be NULL. */
KN_NODISCARD KN_NONNULL(1, 3, 5)
int sf_open_read(const char *path, uid_t owner, int *fd, struct stat *st, struct sf_err *e);

/* Opens path read-write, creating it (0600, handed to owner when root) if
   missing, with the same checks. Returns 0 with *fd and *st (may be NULL)
   or -1. */
KN_NODISCARD KN_NONNULL(1, 3, 5)
int sf_open_rw(const char *path, uid_t owner, int *fd, struct stat *st, struct sf_err *e);

/* Reads all of fd from offset 0 into a new buffer with a NUL after the
   data (caller frees *buf). More than max bytes is an error (EFBIG).
   Returns 0 or -1 (*buf is then NULL). */
KN_NODISCARD KN_NONNULL(3, 4, 5)
int sf_read_all(int fd, size_t max, char **buf, size_t *len, struct sf_err *e);

/* A writer's lock: the storage directory and <file>.lock, both flocked. */
struct sf_lock {
	int	 dir_fd;		/* -1 where directories cannot be locked */
	int	 file_fd;
};

/* Takes flock(LOCK_EX) on the directory holding lock_path, then on
   lock_path itself (opened with sf_open_rw), waiting at most timeout_ms in
   all. The directory lock is what keeps knocker's own writers apart even
   when someone deletes the lock file while it is held (a file lock is on
   an inode: a new file would let a second writer in); the lock file is the
   documented lock for other programs. A lock file removed or replaced
   while waiting is opened again. Returns 0 with *l holding both, or -1
   (errno ETIMEDOUT when someone else held it throughout, EAGAIN when the
   lock file kept being replaced) with *l holding nothing. */
KN_NODISCARD KN_NONNULL(1, 4, 5)
int sf_lock(const char *lock_path, uid_t owner, int timeout_ms, struct sf_lock *l,
    struct sf_err *e);

/* Releases and closes what sf_lock took; a zeroed-out lock ({-1, -1}) is
   fine. */
void sf_unlock(struct sf_lock *l);

/* flock(LOCK_EX) on an open fd, retrying LOCK_NB with short sleeps (0.5 ms
   doubling to 8 ms) until timeout_ms have passed. Returns 0, or -1 with
   errno ETIMEDOUT (held by someone else throughout) or flock's errno. */
KN_NODISCARD
int sf_flock(int fd, int timeout_ms);


/* A replace in progress. */
struct sf_tmp {
	int	 fd;			/* -1 when none */
	uid_t	 owner;
	char	 path[4096];		/* the temp file */
};

/* Creates a temp file beside target. Returns 0 or -1. */
KN_NODISCARD KN_NONNULL(1, 2, 4)
int sf_tmp_create(struct sf_tmp *t, const char *target, uid_t owner, struct sf_err *e);

/* Writes all of buf (retrying short writes and EINTR). Returns 0 or -1. */
KN_NODISCARD KN_NONNULL(1, 4)
int sf_tmp_write(struct sf_tmp *t, const void *buf, size_t len, struct sf_err *e);

/* Makes the temp file the target: fsync (SF_DURABLE), checked close,
   rename over target, fsync of the directory (SF_DURABLE). On -1 the temp
   file is removed and the target is untouched (unless the failure was the
   directory fsync after the rename: then the target is already new). */
KN_NODISCARD KN_NONNULL(1, 2, 4)
int sf_tmp_commit(struct sf_tmp *t, const char *target, enum sf_sync sync, struct sf_err *e);

/* Removes the temp file if it is still there; safe after commit or on a
   zeroed/failed struct (fd -1, empty path). */
void sf_tmp_abort(struct sf_tmp *t);

/* sf_tmp_create + sf_tmp_write + sf_tmp_commit for a buffer. */
KN_NODISCARD KN_NONNULL(1, 6)
int sf_replace(const char *target, uid_t owner, const void *buf, size_t len,
    enum sf_sync sync, struct sf_err *e);

/* Renames path to new_path without ever replacing an existing new_path
   (EEXIST then). Used to keep a corrupt file aside. Returns 0 or -1. */
KN_NODISCARD KN_NONNULL(1, 2, 3)
int sf_move_aside(const char *path, const char *new_path, struct sf_err *e);

#endif
