#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "log.h"
#include "store.h"
#include "wlfile.h"

#define MOD "store"

/* A whitelist file we would write holds at most ~75 bytes per entry; refuse
   to load anything absurdly larger (it is treated like a file that does not
   parse). */
#define STORE_MAX_FILE	(64 * 1024 * 1024)

/* How many ".corrupt-<time>.N" names to try when several files go bad
   within the same second. */
#define STORE_CORRUPT_TRIES	100

enum view_state {
	VIEW_NONE,	/* never loaded */
	VIEW_MISSING,	/* no file: empty whitelist */
	VIEW_OK,	/* view holds the file identified by fd/id */
	VIEW_BAD	/* unreadable or corrupt: empty view, lookups deny */
};

enum bad_reason {
	BAD_NONE,
	BAD_STAT,	/* errno */
	BAD_OPEN,	/* errno */
	BAD_READ,	/* errno */
	BAD_NOTREG,
	BAD_TOOBIG,
	BAD_PARSE,
	BAD_OOM
};

struct store {
	char		*path;
	char		*lock_path;
	char		*tmp_path;
	char		*dir;
	int64_t		 max_entries;

	struct ipmap	*view;		/* never NULL */
	enum view_state	 state;
	int		 fd;		/* the file the view came from, or -1 */
	struct stat	 id;		/* its identity; valid when fd != -1 */

	/* What was last logged for a bad file, so it is logged once. */
	enum bad_reason	 bad_reason;
	int		 bad_errno;
	bool		 bad_id_valid;
	struct stat	 bad_id;
};

struct store_entry {
	struct ipnet	net;
	int64_t		value;
};

static char *
store_concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	if (la > SIZE_MAX - lb - 1 || (s = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static char *
store_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t len;
	char *d;

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	len = (size_t)(slash - path);
	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, path, len);
	d[len] = '\0';
	return d;
}

struct store *
store_new(const char *storage_path, int64_t max_entries)
{
	struct store *s;

	if (storage_path == NULL || *storage_path == '\0')
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = -1;
	s->state = VIEW_NONE;
	s->max_entries = max_entries >= 1 ? max_entries : 1;
	if ((s->path = strdup(storage_path)) == NULL ||
	    (s->lock_path = store_concat(storage_path, ".lock")) == NULL ||
	    (s->tmp_path = store_concat(storage_path, ".tmp")) == NULL ||
	    (s->dir = store_dirname(storage_path)) == NULL ||
	    (s->view = ipmap_new()) == NULL) {
		store_free(s);
		return NULL;
	}
	return s;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	ipmap_free(s->view);
	free(s->path);
	free(s->lock_path);
	free(s->tmp_path);
	free(s->dir);
	free(s);
}

static bool
store_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Replaces the view by map (taken over; NULL: empty) from the file open on
   fd (taken over; -1: none) with identity st. */
static void
store_set_view(struct store *s, enum view_state state, struct ipmap *map, int fd,
    const struct stat *st)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = fd;
	if (fd != -1 && st != NULL)
		s->id = *st;
	if (map != NULL) {
		ipmap_free(s->view);
		s->view = map;
	} else
		ipmap_clear(s->view);
	s->state = state;
	if (state == VIEW_OK || state == VIEW_MISSING)
		s->bad_id_valid = false;	/* a later failure is news again */
	if (state != VIEW_BAD)
		s->bad_reason = BAD_NONE;
}

static const char *
store_reason_text(enum bad_reason r)
{
	switch (r) {
	case BAD_NOTREG:
		return "is not a regular file";
	case BAD_TOOBIG:
		return "is too large";
	case BAD_PARSE:
		return "does not parse";
	case BAD_OOM:
		return "cannot be loaded: out of memory";
	default:
		return "cannot be read";
	}
}

/* Empties the view (fail closed) and logs why, once per distinct file and
   reason. st may be NULL (no file to name). */
static void
store_set_bad(struct store *s, enum bad_reason reason, int errnum,
    const struct stat *st)
{
	bool news;

	news = s->state != VIEW_BAD || s->bad_reason != reason ||
	    s->bad_errno != errnum || (st != NULL) != s->bad_id_valid ||
	    (st != NULL && !store_same_file(st, &s->bad_id));
	store_set_view(s, VIEW_BAD, NULL, -1, NULL);
	s->bad_reason = reason;
	s->bad_errno = errnum;
	s->bad_id_valid = st != NULL;
	if (st != NULL)
		s->bad_id = *st;
	if (!news)
		return;
	if (errnum != 0)
		log_warnx(MOD, "whitelist file %s %s: %s; denying until fixed",
		    s->path, store_reason_text(reason), strerror(errnum));
	else
		log_warnx(MOD, "whitelist file %s %s; denying until fixed",
		    s->path, store_reason_text(reason));
}

/* Reads all of fd into a new buffer (caller frees). Returns 0, or -1 with
   errno set (EFBIG when over STORE_MAX_FILE). */
static int
store_read_all(int fd, off_t size_hint, char **out, size_t *out_len)
{
	size_t cap, len = 0;
	char *buf, *nbuf;
	ssize_t n;

	*out = NULL;
	*out_len = 0;
	cap = size_hint > 0 && size_hint < STORE_MAX_FILE ? (size_t)size_hint + 1 : 4096;
	if ((buf = malloc(cap)) == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			if (cap > STORE_MAX_FILE) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			if ((nbuf = reallocarray(buf, cap, 2)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > STORE_MAX_FILE) {
		free(buf);
		errno = EFBIG;
		return -1;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

/*
 * Opens and parses the file at s->path.
 * Returns  1: *map, *fd and *st set (the file parsed);
 *          0: the file does not exist;
 *         -1: failure, *reason and *errnum say why; when the file itself
 *             was opened and is bad (BAD_PARSE, BAD_TOOBIG) *fd and *st
 *             are still set so the caller can keep its identity.
 */
static int
store_load_file(const struct store *s, struct ipmap **map, int *fd, struct stat *st,
    enum bad_reason *reason, int *errnum)
{
	struct ipmap *m = NULL;
	size_t len = 0;
	char *buf = NULL;
	int f;

	*map = NULL;
	*fd = -1;
	*reason = BAD_NONE;
	*errnum = 0;
	/* O_NONBLOCK: a FIFO at the path must not hang the worker in open(). */
	if ((f = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return 0;
		*reason = BAD_OPEN;
		*errnum = errno;
		return -1;
	}
	if (fstat(f, st) == -1) {
		*reason = BAD_STAT;
		*errnum = errno;
		goto fail;
	}
	if (!S_ISREG(st->st_mode)) {
		*reason = BAD_NOTREG;
		goto fail;
	}
	if (st->st_size > STORE_MAX_FILE) {
		*reason = BAD_TOOBIG;
		goto fail_keep;
	}
	if (store_read_all(f, st->st_size, &buf, &len) == -1) {
		*reason = errno == EFBIG ? BAD_TOOBIG : errno == ENOMEM ? BAD_OOM : BAD_READ;
		*errnum = *reason == BAD_READ ? errno : 0;
		if (*reason == BAD_TOOBIG)
			goto fail_keep;
		goto fail;
	}
	if ((m = ipmap_new()) == NULL) {
		*reason = BAD_OOM;
		goto fail;
	}
	if (wlfile_parse(buf, len, m, NULL) == -1) {
		/* wlfile_parse also fails on OOM; we cannot tell, and calling a
		   file corrupt because memory ran out would be wrong only in a
		   process that is failing anyway. */
		*reason = BAD_PARSE;
		goto fail_keep;
	}
	free(buf);
	*map = m;
	*fd = f;
	return 1;

fail_keep:
	free(buf);
	ipmap_free(m);
	*fd = f;
	return -1;
fail:
	free(buf);
	ipmap_free(m);
	close(f);
	return -1;
}

int
store_refresh(struct store *s)
{
	enum bad_reason reason;
	struct ipmap *map;
	struct stat st, fst;
	int errnum, fd, r;

	if (stat(s->path, &st) == -1) {
		if (errno == ENOENT) {
			if (s->state != VIEW_MISSING)
				store_set_view(s, VIEW_MISSING, NULL, -1, NULL);
			return 0;
		}
		store_set_bad(s, BAD_STAT, errno, NULL);
		return -1;
	}
	if (s->fd != -1 && store_same_file(&st, &s->id))
		return s->state == VIEW_OK ? 0 : -1;

	r = store_load_file(s, &map, &fd, &fst, &reason, &errnum);
	if (r == 1) {
		store_set_view(s, VIEW_OK, map, fd, &fst);
		return 0;
	}
	if (r == 0) {
		store_set_view(s, VIEW_MISSING, NULL, -1, NULL);
		return 0;
	}
	/* A file that is bad for good (does not parse, too large) keeps its
	   descriptor, so it is not read again until it changes; anything else
	   (permissions, I/O errors) is retried on the next refresh. */
	store_set_bad(s, reason, errnum, fd != -1 ? &fst : &st);
	if (fd != -1) {
		s->fd = fd;
		s->id = fst;
	}
	return -1;
}

int
store_lookup(const struct store *s, const struct ipnet *addr, int64_t now,
    int64_t *expires_at)
{
	int64_t v;

	if (s == NULL || s->state != VIEW_OK)
		return 0;
	if (ipmap_lookup(s->view, addr, &v) != 1 || v <= now)
		return 0;
	if (expires_at != NULL)
		*expires_at = v;
	return 1;
}

size_t
store_count(const struct store *s)
{
	return s->state == VIEW_OK ? ipmap_count(s->view) : 0;
}

static int
store_entry_cmp(const void *a, const void *b)
{
	const struct store_entry *x = a, *y = b;

	/* latest expiry first */
	return x->value < y->value ? 1 : x->value > y->value ? -1 : 0;
}

/* Builds in *out the entries of m that expire after now, at most max of
   them: keep (may be NULL; the entry just knocked, which a 200 promised)
   and then those expiring latest. Sets *changed if anything was dropped.
   Returns 0 or -1 on OOM. */
static int
store_prune(const struct ipmap *m, int64_t now, int64_t max, const struct ipnet *keep_net,
    struct ipmap **out, bool *changed)
{
	struct store_entry *all = NULL;
	struct ipmap *next = NULL;
	size_t n = 0, total, pos = 0, keep, i;
	struct ipnet net;
	int64_t value;

	*out = NULL;
	total = ipmap_count(m);
	if (total > 0 && (all = reallocarray(NULL, total, sizeof(*all))) == NULL)
		goto fail;
	while (n < total && ipmap_next(m, &pos, &net, &value) == 1) {
		if (value <= now)
			continue;
		all[n].net = net;
		all[n].value = value;
		n++;
	}
	keep = n;
	if ((uint64_t)keep > (uint64_t)max) {
		size_t first = 0;

		for (i = 0; keep_net != NULL && i < n; i++) {
			if (memcmp(&all[i].net, keep_net, sizeof(*keep_net)) == 0) {
				struct store_entry t = all[0];

				all[0] = all[i];
				all[i] = t;
				first = 1;
				break;
			}
		}
		qsort(all + first, n - first, sizeof(*all), store_entry_cmp);
		keep = (size_t)max;
	}
	if ((next = ipmap_new()) == NULL)
		goto fail;
	for (i = 0; i < keep; i++)
		if (ipmap_put(next, &all[i].net, all[i].value) == -1)
			goto fail;
	if (keep != total)
		*changed = true;
	free(all);
	*out = next;
	return 0;
fail:
	free(all);
	ipmap_free(next);
	return -1;
}

/* Moves a file that does not parse out of the way. Returns 0 or -1. */
static int
store_rename_corrupt(const struct store *s, int64_t now)
{
	char name[4096];
	struct stat st;
	int i, r;

	for (i = 0; i < STORE_CORRUPT_TRIES; i++) {
		if (i == 0)
			r = snprintf(name, sizeof(name), "%s.corrupt-%" PRId64, s->path, now);
		else
			r = snprintf(name, sizeof(name), "%s.corrupt-%" PRId64 ".%d",
			    s->path, now, i);
		if (r < 0 || (size_t)r >= sizeof(name)) {
			log_warnx(MOD, "whitelist file %s does not parse and its name is "
			    "too long to rename it aside", s->path);
			return -1;
		}
		/* Every writer holds the lock, so nobody races us to this name. */
		if (lstat(name, &st) == -1 && errno == ENOENT)
			break;
	}
	if (i == STORE_CORRUPT_TRIES) {
		log_warnx(MOD, "whitelist file %s does not parse and there are too "
		    "many corrupt copies beside it", s->path);
		return -1;
	}
	if (rename(s->path, name) == -1) {
		log_warn(MOD, "whitelist file %s does not parse; cannot rename it to %s",
		    s->path, name);
		return -1;
	}
	log_warnx(MOD, "whitelist file %s does not parse; renamed it to %s", s->path, name);
	return 0;
}

static int
store_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* fsync of the directory, so the rename is durable. Returns 0 or -1. */
static int
store_sync_dir(const struct store *s)
{
	int fd;

	if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn(MOD, "cannot open directory %s to sync it", s->dir);
		return -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL && errno != ENOTSUP) {
		log_warn(MOD, "cannot sync directory %s", s->dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* Writes map atomically over s->path. Returns 0; 1 if the file was replaced
   but the directory could not be synced; -1 with the old file intact. */
static int
store_write_file(struct store *s, const struct ipmap *map, int64_t now)
{
	bool tmp_made = false;
	size_t len;
	char *buf = NULL;
	int fd = -1, rc = -1;

	if (wlfile_format(map, now, &buf, &len) == -1) {
		log_warnx(MOD, "cannot write whitelist file %s: out of memory", s->path);
		goto done;
	}
	if (unlink(s->tmp_path) == -1 && errno != ENOENT) {
		log_warn(MOD, "cannot remove stale temporary file %s", s->tmp_path);
		goto done;
	}
	fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, 0600);
	if (fd == -1) {
		log_warn(MOD, "cannot create %s", s->tmp_path);
		goto done;
	}
	tmp_made = true;
	if (store_write_all(fd, buf, len) == -1) {
		log_warn(MOD, "cannot write %s", s->tmp_path);
		goto done;
	}
	if (fsync(fd) == -1) {
		log_warn(MOD, "cannot sync %s", s->tmp_path);
		goto done;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn(MOD, "cannot close %s", s->tmp_path);
		goto done;
	}
	fd = -1;
	if (rename(s->tmp_path, s->path) == -1) {
		log_warn(MOD, "cannot rename %s to %s", s->tmp_path, s->path);
		goto done;
	}
	tmp_made = false;
	rc = store_sync_dir(s) == 0 ? 0 : 1;
done:
	if (fd != -1)
		close(fd);
	if (tmp_made && unlink(s->tmp_path) == -1)
		log_warn(MOD, "cannot remove %s", s->tmp_path);
	free(buf);
	return rc;
}

/* The writer: under the lock, reads the file fresh, adds entry (may be
   NULL), prunes and writes the result if anything changed; then makes it
   the view. Returns 0 or -1. */
static int
store_rewrite(struct store *s, const struct ipnet *entry, int64_t expires_at,
    int64_t now)
{
	enum bad_reason reason;
	struct ipmap *cur = NULL, *next = NULL;
	struct ipnet knocked;
	struct stat st;
	bool changed = false;
	int lockfd, dirfd = -1, fd = -1, errnum, r, rc = -1;

	lockfd = open(s->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    0600);
	if (lockfd == -1) {
		log_warn(MOD, "cannot open lock file %s", s->lock_path);
		return -1;
	}
	while (flock(lockfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			log_warn(MOD, "cannot lock %s", s->lock_path);
			goto done;
		}
	}
	/* The lock file is the documented lock, but anyone can delete it while
	   it is held, and the next writer would then lock a new file. The
	   directory itself cannot be swapped under us that way: lock it too. */
	if ((dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn(MOD, "cannot open directory %s", s->dir);
		goto done;
	}
	while (flock(dirfd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			log_warn(MOD, "cannot lock directory %s", s->dir);
			goto done;
		}
	}

	r = store_load_file(s, &cur, &fd, &st, &reason, &errnum);
	if (r == -1 && (reason == BAD_PARSE || reason == BAD_TOOBIG)) {
		close(fd);
		fd = -1;
		if (store_rename_corrupt(s, now) == -1)
			goto done;
		r = 0;
	} else if (r == -1) {
		if (errnum != 0)
			log_warnx(MOD, "cannot update whitelist file %s: it %s: %s",
			    s->path, store_reason_text(reason), strerror(errnum));
		else
			log_warnx(MOD, "cannot update whitelist file %s: it %s",
			    s->path, store_reason_text(reason));
		goto done;
	}
	if (r == 0) {
		changed = true;		/* there is no valid file: write one */
		if ((cur = ipmap_new()) == NULL) {
			log_warnx(MOD, "cannot update whitelist file %s: out of memory", s->path);
			goto done;
		}
	}

	if (entry != NULL) {
		ipnet_mask(entry, entry->prefix, &knocked);
		if (ipmap_put(cur, &knocked, expires_at) == -1) {
			log_warnx(MOD, "cannot update whitelist file %s: out of memory", s->path);
			goto done;
		}
		changed = true;
	}
	if (store_prune(cur, now, s->max_entries, entry != NULL ? &knocked : NULL, &next,
	    &changed) == -1) {
		log_warnx(MOD, "cannot update whitelist file %s: out of memory", s->path);
		goto done;
	}

	if (!changed) {
		/* Someone else already wrote what we wanted: adopt that file. */
		store_set_view(s, VIEW_OK, next, fd, &st);
		next = NULL;
		fd = -1;
		rc = 0;
		goto done;
	}
	if (fd != -1) {
		close(fd);
		fd = -1;
	}
	r = store_write_file(s, next, now);
	if (r == -1)
		goto done;
	/* The new file is in place (we hold the lock, so it is ours); keep
	   it open as the identity of the view. */
	fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd != -1 && fstat(fd, &st) == 0) {
		store_set_view(s, VIEW_OK, next, fd, &st);
		fd = -1;
	} else {
		/* Unlikely; use the map, but re-read on the next refresh. */
		store_set_view(s, VIEW_OK, next, -1, NULL);
	}
	next = NULL;
	rc = r == 0 ? 0 : -1;
done:
	if (fd != -1)
		close(fd);
	ipmap_free(cur);
	ipmap_free(next);
	if (dirfd != -1)
		close(dirfd);	/* releases the directory lock */
	close(lockfd);		/* releases the lock */
	return rc;
}

int
store_add(struct store *s, const struct ipnet *entry, int64_t expires_at, int64_t now)
{
	if (s == NULL || entry == NULL)
		return -1;
	return store_rewrite(s, entry, expires_at, now);
}

int
store_cleanup(struct store *s, int64_t now)
{
	struct ipnet net;
	size_t pos = 0;
	int64_t value;

	/* An unreadable or corrupt file leaves an empty view: nothing to clean.
	   store_refresh logged it once; the next store_add renames a corrupt
	   file aside. Failing here would only repeat that log line every
	   cleanup interval. */
	if (store_refresh(s) == -1)
		return 0;
	while (ipmap_next(s->view, &pos, &net, &value) == 1)
		if (value <= now)
			return store_rewrite(s, NULL, 0, now);
	return 0;
}

/* Error text for the caller's buffer; truncation only shortens a message. */
static void
store_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
store_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_size == 0)
		return;
	va_start(ap, fmt);
	if (vsnprintf(err, err_size, fmt, ap) < 0)
		err[0] = '\0';
	va_end(ap);
}

int
store_check_ready(struct store *s, char *err, size_t err_size)
{
	struct statvfs vfs;
	struct stat st;

	if (err != NULL && err_size > 0)
		err[0] = '\0';
	if (stat(s->dir, &st) == -1) {
		store_err(err, err_size, "cannot write to directory %s: %s", s->dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		store_err(err, err_size, "cannot write to directory %s: %s", s->dir,
		    strerror(ENOTDIR));
		return -1;
	}
	if (access(s->dir, W_OK | X_OK) == -1) {
		store_err(err, err_size, "cannot write to directory %s: %s", s->dir,
		    strerror(errno));
		return -1;
	}
	/* Room for a new copy of the file (written before the rename) and
	   one more block: on a full disk every knock would fail. */
	if (statvfs(s->dir, &vfs) == 0) {
		unsigned long long need = vfs.f_frsize > 0 ? vfs.f_frsize : 4096, avail;

		if (stat(s->path, &st) == 0 && st.st_size > 0)
			need += (unsigned long long)st.st_size;
		avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		if (avail < need || vfs.f_favail == 0) {
			store_err(err, err_size, "cannot write to directory %s: %s", s->dir,
			    strerror(ENOSPC));
			return -1;
		}
	}
	if (store_refresh(s) == -1) {
		if (s->bad_errno != 0)
			store_err(err, err_size, "whitelist file %s %s: %s", s->path,
			    store_reason_text(s->bad_reason), strerror(s->bad_errno));
		else
			store_err(err, err_size, "whitelist file %s %s", s->path,
			    store_reason_text(s->bad_reason));
		return -1;
	}
	return 0;
}
