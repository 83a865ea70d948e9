#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "shmstate.h"
#include "statefile.h"

#define SHM_MAGIC	UINT64_C(0x314d53434f4e4b4b)	/* "KKNOCSM1" little-endian */
#define SHM_VERSION	2u	/* 2: SHMSTATE_NCOUNTERS counters */
/* Bounds what a corrupt or hostile size field could make us map. */
#define SHM_MAX_RL	((size_t)1 << 30)

/*
 * The file: this header, then the rate-limit region (rl_size bytes). Fields
 * written after initialisation are accessed only through __atomic builtins.
 */
struct shm_header {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	header_size;
	uint64_t	size;		/* of the whole file */
	uint64_t	rl_size;
	uint64_t	generation;	/* atomic */
	uint32_t	retired;	/* atomic: 1 once a new file took this path */
	uint32_t	pad;
	uint64_t	counters[SHMSTATE_NCOUNTERS];	/* atomic (relaxed): metrics */
};

struct shmstate {
	int			 fd;
	struct shm_header	*hdr;
	size_t			 size;
	size_t			 rl_size;	/* 0: region not used by this process */
	uid_t			 owner;
	char			 path[4096];
};

/* Whether hdr describes a usable file of st_size bytes for rl_size (0:
   any region size). */
static int
shm_valid(const struct shm_header *h, off_t st_size, size_t rl_size)
{
	if (h->magic != SHM_MAGIC || h->version != SHM_VERSION ||
	    h->header_size != sizeof(*h) || h->rl_size > SHM_MAX_RL ||
	    h->size != sizeof(*h) + h->rl_size || (uint64_t)st_size != h->size)
		return 0;
	return rl_size == 0 || h->rl_size == rl_size;
}

/* Reads the header; a short file reads as zeros (invalid). */
static int
shm_read_header(int fd, struct shm_header *h, const char *path, struct sf_err *e)
{
	ssize_t n;

	memset(h, 0, sizeof(*h));
	do
		n = pread(fd, h, sizeof(*h), 0);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return sf_errorf(e, "cannot read %s: %s", path, strerror(errno));
	return 0;
}

/* Tells the processes still mapping h that a new file took its path. */
static void
shm_retire(struct shm_header *h)
{
	__atomic_store_n(&h->retired, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&h->generation, 1, __ATOMIC_RELEASE);
}

/*
 * Puts a fresh file at path (a temp file renamed over it), so a process
 * still mapping the old one never sees its layout change under it nor its
 * file shrink (SIGBUS). The old file, if it had our format, is marked
 * retired: its readers then see a new generation on every call and reload
 * their view each time until they reopen (a restart).
 */
static int
shm_replace(int oldfd, const struct shm_header *old, const char *path, uid_t owner,
    size_t rl_size, struct sf_err *e)
{
	struct shm_header h;
	struct sf_tmp t;

	memset(&h, 0, sizeof(h));
	h.magic = SHM_MAGIC;
	h.version = SHM_VERSION;
	h.header_size = sizeof(h);
	h.rl_size = rl_size;
	h.size = sizeof(h) + rl_size;
	arc4random_buf(&h.generation, sizeof(h.generation));
	if (sf_tmp_create(&t, path, owner, e) == -1)
		return -1;
	if (sf_tmp_write(&t, &h, sizeof(h), e) == -1)
		goto fail;
	/* Reserve every block now: a page of a sparse file touched through
	   the mapping on a full disk would be SIGBUS, not an error. */
	if ((errno = posix_fallocate(t.fd, 0, (off_t)h.size)) != 0) {
		sf_errorf(e, "cannot reserve %" PRIu64 " bytes for %s: %s", h.size, t.path,
		    strerror(errno));
		goto fail;
	}
	if (sf_tmp_commit(&t, path, SF_DERIVED, e) == -1)
		return -1;
	/* Version 1 had generation and retired at the same offsets. */
	if (old->magic == SHM_MAGIC && (old->version == SHM_VERSION || old->version == 1)) {
		struct shm_header *m;

		m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, oldfd, 0);
		if (m != MAP_FAILED) {
			shm_retire(m);
			munmap(m, sizeof(*m));
		}
	}
	return 0;
fail:
	sf_tmp_abort(&t);
	return -1;
}

/* Whether path still names the file open on fd. */
static int
shm_same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Opens s->path (re-initialising it if needed) and maps it into s->fd,
   s->hdr, s->size. Returns 0 or -1. */
static int
shm_map(struct shmstate *s, struct sf_err *e)
{
	struct shm_header h;
	struct stat st;
	void *map;
	int fd = -1, tries, saved;

	for (tries = 0;; tries++) {
		if (sf_open_rw(s->path, s->owner, &fd, &st, e) == -1)
			return -1;
		if (shm_read_header(fd, &h, s->path, e) == -1)
			goto fail;
		if (shm_valid(&h, st.st_size, s->rl_size))
			break;
		if (tries == 8) {
			errno = EAGAIN;
			sf_errorf(e, "%s keeps changing; cannot use it", s->path);
			goto fail;
		}
		/* Another build or config: re-initialise under the file's lock,
		   unless someone did while we waited for it. */
		if (sf_flock(fd, SF_LOCK_TIMEOUT_MS) == -1) {
			sf_errorf(e, "cannot lock %s: %s", s->path, strerror(errno));
			goto fail;
		}
		if (shm_same_file(fd, s->path) &&
		    shm_replace(fd, &h, s->path, s->owner, s->rl_size, e) == -1)
			goto fail;
		close(fd);	/* releases the lock */
		fd = -1;
	}
	map = mmap(NULL, (size_t)h.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		sf_errorf(e, "cannot map %s: %s", s->path, strerror(errno));
		goto fail;
	}
	s->fd = fd;
	s->hdr = map;
	s->size = (size_t)h.size;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
	return -1;
}

struct shmstate *
shmstate_open(const char *path, uid_t owner, size_t rl_size, struct sf_err *e)
{
	struct shmstate *s;

	if (rl_size > SHM_MAX_RL || rl_size % 8 != 0) {
		errno = EINVAL;
		sf_errorf(e, "%s: bad rate-limit region size %zu", path, rl_size);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		sf_errorf(e, "%s: out of memory", path);
		return NULL;
	}
	s->owner = owner;
	s->rl_size = rl_size;
	if (strlcpy(s->path, path, sizeof(s->path)) >= sizeof(s->path)) {
		errno = ENAMETOOLONG;
		sf_errorf(e, "%s: path too long", path);
		free(s);
		return NULL;
	}
	if (shm_map(s, e) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

void
shmstate_close(struct shmstate *s)
{
	if (s == NULL)
		return;
	munmap(s->hdr, s->size);
	close(s->fd);
	free(s);
}

uint64_t
shmstate_generation(const struct shmstate *s)
{
	if (__atomic_load_n(&s->hdr->retired, __ATOMIC_ACQUIRE))
		return __atomic_add_fetch(&s->hdr->generation, 1, __ATOMIC_ACQ_REL);
	return __atomic_load_n(&s->hdr->generation, __ATOMIC_ACQUIRE);
}

void
shmstate_bump_generation(struct shmstate *s)
{
	__atomic_add_fetch(&s->hdr->generation, 1, __ATOMIC_RELEASE);
}

static int
shm_flock(struct shmstate *s, int timeout_ms, struct sf_err *e)
{
	if (sf_flock(s->fd, timeout_ms) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		return sf_errorf(e, "%s: still locked by another process after %d ms",
		    s->path, timeout_ms);
	return sf_errorf(e, "cannot lock %s: %s", s->path, strerror(errno));
}

int
shmstate_lock(struct shmstate *s, int timeout_ms, struct sf_err *e)
{
	struct shmstate old;

	if (shm_flock(s, timeout_ms, e) == -1)
		return -1;
	if (shm_same_file(s->fd, s->path))
		return 0;
	/* The file was removed or replaced behind us: move to the one at the
	   path now, and retire ours so that the processes still on it reload
	   their views on every check until they move too. */
	old = *s;
	if (shm_map(s, e) == -1) {
		*s = old;
		shmstate_unlock(s);
		return -1;
	}
	shm_retire(old.hdr);
	munmap(old.hdr, old.size);
	close(old.fd);		/* releases the old lock */
	return shm_flock(s, timeout_ms, e);
}

void
shmstate_unlock(struct shmstate *s)
{
	(void)flock(s->fd, LOCK_UN);
}

uint64_t *
shmstate_counters(struct shmstate *s)
{
	return s->hdr->counters;
}

void *
shmstate_ratelimit(struct shmstate *s, size_t *size)
{
	if (size != NULL)
		*size = s->rl_size;
	if (s->rl_size == 0)
		return NULL;
	return (char *)s->hdr + sizeof(*s->hdr);
}
