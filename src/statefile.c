#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "monotime.h"
#include "statefile.h"

int
sf_errorf(struct sf_err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* Same, with ": strerror(errno)" appended. */
#define sf_failsys(e, fmt, ...) \
	sf_errorf((e), fmt ": %s", __VA_ARGS__, strerror(errno))

int
sf_dir_check(const char *dir, uid_t *owner, struct sf_err *e)
{
	struct stat st;

	if (stat(dir, &st) == -1)
		return sf_failsys(e, "storage directory %s", dir);
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return sf_errorf(e, "storage directory %s is not a directory", dir);
	}
	if ((st.st_mode & 077) != 0) {
		errno = EPERM;
		return sf_errorf(e, "storage directory %s has group or other permissions "
		    "(mode %04o; it must be 0700)", dir, (unsigned)(st.st_mode & 07777));
	}
	if (st.st_uid != geteuid() && geteuid() != 0) {
		errno = EPERM;
		return sf_errorf(e, "storage directory %s belongs to uid %lu, not to this "
		    "process (uid %lu)", dir, (unsigned long)st.st_uid, (unsigned long)geteuid());
	}
	*owner = st.st_uid;
	return 0;
}

int
sf_dirname(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	if (slash == NULL) {
		len = 1;
		path = ".";
	} else if (slash == path) {
		len = 1;		/* "/x" -> "/" */
	} else {
		len = (size_t)(slash - path);
	}
	if (len >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len);
	buf[len] = '\0';
	return 0;
}

/* The checks on an open descriptor: regular, owned by owner, not writable
   by group or others. Returns 0 or -1. */
static int
sf_check_fd(int fd, const char *path, uid_t owner, struct stat *st, struct sf_err *e)
{
	struct stat sb;

	if (st == NULL)
		st = &sb;
	if (fstat(fd, st) == -1)
		return sf_failsys(e, "cannot stat %s", path);
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return sf_errorf(e, "%s is not a regular file", path);
	}
	if (st->st_uid != owner) {
		errno = EPERM;
		return sf_errorf(e, "%s belongs to uid %lu, not to the storage directory's "
		    "owner (uid %lu)", path, (unsigned long)st->st_uid, (unsigned long)owner);
	}
	if ((st->st_mode & 022) != 0) {
		errno = EPERM;
		return sf_errorf(e, "%s is writable by group or others (mode %04o)", path,
		    (unsigned)(st->st_mode & 07777));
	}
	/* Regular files never block; reads and writes are plain from here. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		return sf_failsys(e, "cannot use %s", path);
	return 0;
}

/* open(2) on an existing state file, mapping errors to messages. */
static int
sf_open_existing(const char *path, int flags, int *fd, struct sf_err *e)
{
	*fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (*fd != -1)
		return 0;
	if (errno == ENOENT)
		return 1;
	if (errno == ELOOP)
		return sf_errorf(e, "%s is a symbolic link", path);
	return sf_failsys(e, "cannot open %s", path);
}

/* Gives a file root made to the storage directory's owner. */
static int
sf_give(int fd, const char *path, uid_t owner, struct sf_err *e)
{
	if (geteuid() == 0 && owner != 0 && fchown(fd, owner, (gid_t)-1) == -1)
		return sf_failsys(e, "cannot hand %s to uid %lu", path, (unsigned long)owner);
	return 0;
}

int
sf_open_read(const char *path, uid_t owner, int *fd, struct stat *st, struct sf_err *e)
{
	int rc;

	if ((rc = sf_open_existing(path, O_RDONLY, fd, e)) != 0) {
		*fd = -1;
		if (rc == 1)
			errno = ENOENT;
		return rc;
	}
	if (sf_check_fd(*fd, path, owner, st, e) == -1) {
		int saved = errno;

		close(*fd);
		*fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

int
sf_open_rw(const char *path, uid_t owner, int *fd, struct stat *st, struct sf_err *e)
{
	int saved, tries, rc;

	for (tries = 0;; tries++) {
		if ((rc = sf_open_existing(path, O_RDWR, fd, e)) == -1)
			goto fail;
		if (rc == 0)
			break;
		*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (*fd != -1) {
			if (sf_give(*fd, path, owner, e) == -1)
				goto fail;
			break;
		}
		/* EEXIST: another process created it first; open theirs. */
		if (errno != EEXIST || tries == 8) {
			sf_failsys(e, "cannot create %s", path);
			goto fail;
		}
	}
	if (sf_check_fd(*fd, path, owner, st, e) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	if (*fd != -1)
		close(*fd);
	*fd = -1;
	errno = saved;
	return -1;
}

int
sf_read_all(int fd, size_t max, char **buf, size_t *len, struct sf_err *e)
{
	size_t cap = 4096, off = 0;
	char *b = NULL, *nb;
	struct stat st;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uintmax_t)st.st_size < (uintmax_t)max)
		cap = (size_t)st.st_size + 1;
	for (;;) {
		if (b == NULL || off + 1 >= cap) {
			if (b != NULL)
				cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
			if ((nb = realloc(b, cap)) == NULL) {
				sf_failsys(e, "cannot read %zu bytes", cap);
				goto fail;
			}
			b = nb;
		}
		n = pread(fd, b + off, cap - off - 1, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			sf_failsys(e, "read error after %zu bytes", off);
			goto fail;
		}
		if (n == 0)
			break;
		off += (size_t)n;
		if (off > max) {
			errno = EFBIG;
			sf_errorf(e, "file larger than %zu bytes", max);
			goto fail;
		}
	}
	b[off] = '\0';
	*buf = b;
	*len = off;
	return 0;
fail:
	free(b);
	return -1;
}

static void
sf_backoff(long *sleep_us)
{
	struct timespec ts = { 0, *sleep_us * 1000 };

	(void)nanosleep(&ts, NULL);
	if (*sleep_us < 8000)
		*sleep_us *= 2;
}

/* Does path still name the file st describes? */
static bool
sf_names(const char *path, const struct stat *st)
{
	struct stat named;

	return lstat(path, &named) == 0 && named.st_dev == st->st_dev &&
	    named.st_ino == st->st_ino;
}

/*
 * Waiting for a lock. Polling with LOCK_NB starves the poller: a worker
 * that has just unlocked is back for the lock (reply, next request) long
 * before a sleeping poller looks again, so under steady knocks one worker
 * waited past the deadline while the lock was free most of the time
 * (4 processes, 3 ms holds: waits up to 1.6 s, knocks refused). A process blocked in
 * flock(LOCK_EX) is woken by the kernel at the unlock instead. flock has no
 * timeout, so while we wait a timer sends SF_WAIT_SIGNAL every
 * SF_WAIT_TICK_MS to a handler that does nothing and is installed without
 * SA_RESTART: flock returns EINTR, and we check the deadline and whether the
 * path still names the file before blocking again. The programs are single
 * threaded, so the process-directed signal reaches this thread. The old
 * disposition and mask are restored before returning.
 */
#define SF_WAIT_SIGNAL	(SIGRTMIN + 2)
#define SF_WAIT_TICK_MS	20

struct sf_waiter {
	timer_t			timer;
	struct sigaction	old_action;
	sigset_t		old_mask;
};

static void
sf_wait_tick(int sig)
{
	(void)sig;
}

static int
sf_wait_begin(struct sf_waiter *w)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec tick;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sf_wait_tick;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SF_WAIT_SIGNAL, &sa, &w->old_action) == -1)
		return -1;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SF_WAIT_SIGNAL;
	if (timer_create(CLOCK_MONOTONIC, &sev, &w->timer) == -1) {
		(void)sigaction(SF_WAIT_SIGNAL, &w->old_action, NULL);
		return -1;
	}
	memset(&tick, 0, sizeof(tick));
	tick.it_value.tv_nsec = tick.it_interval.tv_nsec = SF_WAIT_TICK_MS * 1000000L;
	sigemptyset(&set);
	sigaddset(&set, SF_WAIT_SIGNAL);
	(void)sigprocmask(SIG_UNBLOCK, &set, &w->old_mask);
	(void)timer_settime(w->timer, 0, &tick, NULL);
	return 0;
}

static void
sf_wait_end(struct sf_waiter *w)
{
	struct timespec none = { 0, 0 };
	sigset_t set;
	int saved = errno;

	sigemptyset(&set);
	sigaddset(&set, SF_WAIT_SIGNAL);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	(void)timer_delete(w->timer);
	while (sigtimedwait(&set, NULL, &none) > 0)
		continue;	/* a tick raised after the last EINTR */
	(void)sigaction(SF_WAIT_SIGNAL, &w->old_action, NULL);
	(void)sigprocmask(SIG_SETMASK, &w->old_mask, NULL);
	errno = saved;
}

/* The stale and deadline checks between two waits: 0 to wait again, or -1
   with errno ESTALE / ETIMEDOUT. */
static int
sf_wait_check(int64_t deadline, const char *stale_path, const struct stat *st)
{
	if (stale_path != NULL && !sf_names(stale_path, st)) {
		errno = ESTALE;
		return -1;
	}
	if (monotime_ms() >= deadline) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

/* flock(LOCK_EX) on fd until deadline (ms, monotime_ms). Returns 0, or -1
   with errno: ETIMEDOUT, ESTALE when stale_path (if given) stops naming
   the file held (st) while waiting, or flock's own. */
static int
sf_flock_until(int fd, int64_t deadline, const char *stale_path, const struct stat *st)
{
	struct sf_waiter w;
	long sleep_us = 500;
	int rc;

	while ((rc = flock(fd, LOCK_EX | LOCK_NB)) == -1 && errno == EINTR)
		continue;
	if (rc == 0 || errno != EWOULDBLOCK)
		return rc;
	if (sf_wait_begin(&w) == 0) {
		while ((rc = sf_wait_check(deadline, stale_path, st)) == 0 &&
		    (rc = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
			continue;
		sf_wait_end(&w);
		return rc;
	}
	/* No timer to be had (the process's timer limit): poll. */
	for (;;) {
		if (sf_wait_check(deadline, stale_path, st) == -1)
			return -1;
		sf_backoff(&sleep_us);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EINTR && errno != EWOULDBLOCK)
			return -1;
	}
}

/* The directory part of the lock: on filesystems that cannot flock a
   directory (NFS) there is none, and the lock file alone decides. */
static int
sf_lock_dir(const char *lock_path, int64_t deadline, int *dir_fd, struct sf_err *e)
{
	char dir[4096];
	const char *slash = strrchr(lock_path, '/');

	*dir_fd = -1;
	if (slash == NULL)
		(void)strlcpy(dir, ".", sizeof(dir));
	else if (slash == lock_path)
		(void)strlcpy(dir, "/", sizeof(dir));
	else if ((size_t)(slash - lock_path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return sf_errorf(e, "%s: path too long", lock_path);
	} else {
		memcpy(dir, lock_path, (size_t)(slash - lock_path));
		dir[slash - lock_path] = '\0';
	}
	if ((*dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return sf_failsys(e, "cannot open directory %s", dir);
	if (sf_flock_until(*dir_fd, deadline, NULL, NULL) == 0)
		return 0;
	if (errno == ETIMEDOUT) {
		sf_errorf(e, "%s: still locked by another process", dir);
		close(*dir_fd);
		*dir_fd = -1;
		errno = ETIMEDOUT;
		return -1;
	}
	close(*dir_fd);		/* EBADF, ENOLCK, EOPNOTSUPP: not lockable here */
	*dir_fd = -1;
	return 0;
}

int
sf_lock(const char *lock_path, uid_t owner, int timeout_ms, struct sf_lock *l,
    struct sf_err *e)
{
	int64_t deadline = monotime_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct stat held;
	int replaced, saved;

	l->dir_fd = l->file_fd = -1;
	if (sf_lock_dir(lock_path, deadline, &l->dir_fd, e) == -1) {
		if (errno == ETIMEDOUT)
			sf_errorf(e, "%s: still locked by another process after %d ms",
			    lock_path, timeout_ms);
		return -1;
	}
	/* If the lock file is removed or replaced, other programs lock
	   whatever the path names now: so must we, and waiting on the old file
	   is waiting for nothing. One deadline covers every round. */
	for (replaced = 0;; replaced++) {
		if (replaced > 8 && monotime_ms() >= deadline) {
			errno = EAGAIN;
			sf_errorf(e, "%s keeps being replaced; cannot lock it", lock_path);
			goto fail;
		}
		if (sf_open_rw(lock_path, owner, &l->file_fd, &held, e) == -1)
			goto fail;
		if (sf_flock_until(l->file_fd, deadline, lock_path, &held) == 0) {
			if (sf_names(lock_path, &held))
				return 0;
		} else if (errno == ETIMEDOUT) {
			sf_errorf(e, "%s: still locked by another process after %d ms",
			    lock_path, timeout_ms);
			goto fail;
		} else if (errno != ESTALE) {
			sf_failsys(e, "cannot lock %s", lock_path);
			goto fail;
		}
		close(l->file_fd);	/* closing drops a lock held on it */
		l->file_fd = -1;
	}
fail:
	saved = errno;
	sf_unlock(l);
	errno = saved;
	return -1;
}

int
sf_flock(int fd, int timeout_ms)
{
	return sf_flock_until(fd, monotime_ms() + (timeout_ms > 0 ? timeout_ms : 0), NULL, NULL);
}

void
sf_unlock(struct sf_lock *l)
{
	/* The lock file first: a waiter that gets it holds the directory. */
	if (l->file_fd >= 0) {
		(void)flock(l->file_fd, LOCK_UN);
		close(l->file_fd);
	}
	if (l->dir_fd >= 0) {
		(void)flock(l->dir_fd, LOCK_UN);
		close(l->dir_fd);
	}
	l->file_fd = l->dir_fd = -1;
}

int
sf_tmp_create(struct sf_tmp *t, const char *target, uid_t owner, struct sf_err *e)
{
	unsigned char rnd[8];
	int tries;
	size_t i;
	int n;

	t->fd = -1;
	t->owner = owner;
	t->path[0] = '\0';
	for (tries = 0; tries < 8; tries++) {
		char hex[sizeof(rnd) * 2 + 1];

		arc4random_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			(void)snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		n = snprintf(t->path, sizeof(t->path), "%s.tmp-%s", target, hex);
		if (n < 0 || (size_t)n >= sizeof(t->path)) {
			t->path[0] = '\0';
			errno = ENAMETOOLONG;
			return sf_errorf(e, "%s: path too long for a temporary file", target);
		}
		t->fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY, 0600);
		if (t->fd != -1)
			break;
		if (errno != EEXIST) {
			t->path[0] = '\0';
			return sf_failsys(e, "cannot create a temporary file beside %s", target);
		}
	}
	if (t->fd == -1) {
		t->path[0] = '\0';
		return sf_failsys(e, "cannot create a temporary file beside %s", target);
	}
	if (sf_give(t->fd, t->path, owner, e) == -1) {
		sf_tmp_abort(t);
		return -1;
	}
	return 0;
}

int
sf_tmp_write(struct sf_tmp *t, const void *buf, size_t len, struct sf_err *e)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(t->fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return sf_failsys(e, "cannot write %s", t->path);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory holding path, so a rename in it is durable. */
static int
sf_sync_dir(const char *path, struct sf_err *e)
{
	char dir[sizeof(((struct sf_tmp *)0)->path)];
	int fd, saved;

	if (sf_dirname(path, dir, sizeof(dir)) == -1)
		return sf_failsys(e, "%s", path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY)) == -1)
		return sf_failsys(e, "cannot open directory %s", dir);
	if (fsync(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return sf_failsys(e, "cannot fsync directory %s", dir);
	}
	close(fd);
	return 0;
}

int
sf_tmp_commit(struct sf_tmp *t, const char *target, enum sf_sync sync, struct sf_err *e)
{
	int fd = t->fd;

	if (fd == -1 || t->path[0] == '\0') {
		errno = EBADF;
		return sf_errorf(e, "%s: no temporary file to commit", target);
	}
	if (sync == SF_DURABLE && fsync(fd) == -1) {
		sf_failsys(e, "cannot fsync %s", t->path);
		goto fail;
	}
	t->fd = -1;
	if (close(fd) == -1) {
		sf_failsys(e, "cannot close %s", t->path);
		goto fail;
	}
	if (rename(t->path, target) == -1) {
		sf_failsys(e, "cannot rename %s to %s", t->path, target);
		goto fail;
	}
	t->path[0] = '\0';
	if (sync == SF_DURABLE && sf_sync_dir(target, e) == -1)
		return -1;
	return 0;
fail:
	sf_tmp_abort(t);
	return -1;
}

void
sf_tmp_abort(struct sf_tmp *t)
{
	int saved = errno;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	if (t->path[0] != '\0')
		(void)unlink(t->path);
	t->path[0] = '\0';
	errno = saved;
}

int
sf_replace(const char *target, uid_t owner, const void *buf, size_t len,
    enum sf_sync sync, struct sf_err *e)
{
	struct sf_tmp t;

	if (sf_tmp_create(&t, target, owner, e) == -1)
		return -1;
	if (sf_tmp_write(&t, buf, len, e) == -1) {
		sf_tmp_abort(&t);
		return -1;
	}
	return sf_tmp_commit(&t, target, sync, e);
}

int
sf_move_aside(const char *path, const char *new_path, struct sf_err *e)
{
	if (renameat2(AT_FDCWD, path, AT_FDCWD, new_path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return sf_failsys(e, "cannot move %s to %s", path, new_path);
	/* A file system without RENAME_NOREPLACE: link never replaces. */
	if (link(path, new_path) == -1)
		return sf_failsys(e, "cannot move %s to %s", path, new_path);
	if (unlink(path) == -1)
		return sf_failsys(e, "cannot remove %s after linking it to %s", path, new_path);
	return 0;
}
