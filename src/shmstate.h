/*
 * shmstate: "<storage_path>.shm", a small fixed-layout file that every
 * worker maps MAP_SHARED, for state that must be shared between processes
 * and cheap to consult:
 *  - the whitelist generation: a writer bumps it (under the whitelist lock,
 *    after each replace of the whitelist); a verify compares it with the
 *    generation its view was loaded at: one atomic load, no syscall;
 *  - the knock rate-limit table (its layout is ratelimit.c's business);
 *  - SHMSTATE_NCOUNTERS shared counters (metrics.c gives them meaning);
 *    they start at zero whenever the file is (re-)initialised.
 * It holds nothing that must survive a crash. A file with another magic,
 * version or size (another build, a rate-limit table sized for another
 * config) is re-initialised under its lock; re-initialising sets the
 * generation to a fresh random value, so no reader can miss a change.
 *
 * The file is opened through statefile (regular file, owner, mode checks).
 * Its blocks are reserved when it is made (posix_fallocate), so a full disk
 * fails shmstate_open instead of a later write through the mapping.
 * The struct owns the mapping and the descriptor. Not thread-safe; safe
 * across processes through the lock and atomic generation accesses.
 */
#ifndef KNOCKER_SHMSTATE_H
#define KNOCKER_SHMSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "compiler.h"
#include "statefile.h"

struct shmstate;

#define SHMSTATE_NCOUNTERS 64

/* Opens (creating if needed) path and maps it, with a rate-limit region of
   rl_size bytes (0: none). owner as for statefile. NULL with *e on failure. */
KN_NODISCARD KN_NONNULL(1, 4)
struct shmstate *shmstate_open(const char *path, uid_t owner, size_t rl_size, struct sf_err *e);

/* Unmaps and closes; NULL is fine. */
void shmstate_close(struct shmstate *s);

/* The whitelist generation (acquire load). */
KN_NONNULL(1)
uint64_t shmstate_generation(const struct shmstate *s);

/* Bumps the whitelist generation (release); call after the new whitelist
   is in place, while still holding the whitelist lock. */
KN_NONNULL(1)
void shmstate_bump_generation(struct shmstate *s);

/* Exclusive lock over the rate-limit region (flock of the mapped file, with
   a deadline as sf_lock). Returns 0 or -1 (ETIMEDOUT). If the path no
   longer names the mapped file (deleted, replaced), this moves to the file
   there now (opening or creating it as shmstate_open) and retires the old
   one: processes still mapping it see a new generation on every call until
   they lock, and so move, too. Pointers from shmstate_ratelimit taken
   before the lock are then stale: take them after locking. */
KN_NODISCARD KN_NONNULL(1, 3)
int shmstate_lock(struct shmstate *s, int timeout_ms, struct sf_err *e);
KN_NONNULL(1)
void shmstate_unlock(struct shmstate *s);

/* The SHMSTATE_NCOUNTERS counters, in the mapping: access them only with
   __atomic builtins (relaxed is enough: each is a standalone count). The
   pointer is valid until shmstate_close, or until shmstate_lock moves to
   a new file (then take it again). */
KN_NONNULL(1)
uint64_t *shmstate_counters(struct shmstate *s);

/* The rate-limit region (zero-filled when new or re-initialised) and its
   size in *size (may be NULL). NULL when opened with rl_size 0. */
KN_NONNULL(1)
void *shmstate_ratelimit(struct shmstate *s, size_t *size);

#endif
