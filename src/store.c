#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
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

#include "conf.h"
#include "ipmap.h"
#include "ipnet.h"
#include "log.h"
#include "monotime.h"
#include "shmstate.h"
#include "statefile.h"
#include "store.h"
#include "store_redis.h"
#include "wlfile.h"
#include "wlindex.h"
#include "wlmeta.h"

#define MOD "store"

/* A whitelist file we would write holds at most ~75 bytes per entry; refuse
   to load anything absurdly larger (it is treated like a file that does not
   parse). */
#define STORE_MAX_FILE	(64 * 1024 * 1024)

/* How many ".corrupt-<time>.N" names to try when several files go bad
   within the same second. */
#define STORE_CORRUPT_TRIES	100

/* A temp file beside the whitelist older than this (seconds) is a killed
   writer's: a live write takes far less (the lock deadline is 2 s). */
#define STORE_STALE_TMP	60

/* A knock starts over while whitelist.json changes under it (two writers
   at once: only when the lock file was deleted), at least this often and
   then until the lock deadline has passed once more: each round one of the
   writers wins, so a burst of knocks always drains. */
#define STORE_WRITE_TRIES	4

/* The longest a knock waits for its turn while other writers make
   progress (store_lock); below the FastCGI connection deadline (10 s). */
#define STORE_QUEUE_MS		6000

enum view_state {
	VIEW_MISSING,	/* no file: empty whitelist */
	VIEW_OK,	/* the view holds the file open on fd */
	VIEW_BAD	/* untrusted, unreadable or corrupt: empty view, lookups deny */
};

struct store {
	char		*path;		/* whitelist.json */
	char		*idx_path;	/* its index */
	char		*meta_path;	/* who made each entry */
	char		*lock_path;
	char		*shm_path;
	char		*dir;
	int64_t		 max_entries;
	struct shmstate	*shm;		/* borrowed, or our own, or NULL */
	struct store_redis *redis;	/* the Redis backend: then nothing else is used */
	bool		 shm_owned;

	/* The view: map is own's or idx's map, or NULL (empty). */
	enum view_state	 state;
	struct ipmap	*own;		/* parsed or built here */
	struct wlindex	*idx;		/* or the mapped index */
	const struct ipmap *map;
	int		 fd;		/* whitelist.json the view came from, or -1; also
					   kept for a corrupt file, so it is read once */
	struct wl_ident	 id;		/* its identity; valid when fd != -1 */
	uint64_t	 serial;	/* store_view_serial */

	/* When the view was last compared with the files. */
	bool		 checked;
	uint64_t	 gen;
	int64_t		 checked_at;

	/* Why the view is bad (for store_check_ready), and what was logged,
	   so each distinct problem is logged once. */
	char		 bad_msg[400];
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

struct store *
store_new(const char *storage_path, int64_t max_entries, struct shmstate *shm)
{
	char dir[4096];
	struct store *s;

	if (*storage_path == '\0' || sf_dirname(storage_path, dir, sizeof(dir)) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = -1;
	s->state = VIEW_MISSING;
	s->shm = shm;
	s->max_entries = max_entries >= 1 ? max_entries : 1;
	if ((s->path = strdup(storage_path)) == NULL ||
	    (s->idx_path = store_concat(storage_path, ".idx")) == NULL ||
	    (s->meta_path = store_concat(storage_path, ".meta")) == NULL ||
	    (s->lock_path = store_concat(storage_path, ".lock")) == NULL ||
	    (s->shm_path = store_concat(storage_path, ".shm")) == NULL ||
	    (s->dir = strdup(dir)) == NULL) {
		store_free(s);
		return NULL;
	}
	return s;
}

/* Drops the view (map, index, descriptor). */
static void
store_drop_view(struct store *s)
{
	ipmap_free(s->own);
	wlindex_close(s->idx);
	if (s->fd != -1)
		close(s->fd);
	s->own = NULL;
	s->idx = NULL;
	s->map = NULL;
	s->fd = -1;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	store_drop_view(s);
	store_redis_free(s->redis);
	if (s->shm_owned)
		shmstate_close(s->shm);
	free(s->path);
	free(s->idx_path);
	free(s->meta_path);
	free(s->lock_path);
	free(s->shm_path);
	free(s->dir);
	free(s);
}

/* Makes the view the whitelist.json open on fd (taken; -1: none) with
   identity id, holding own (taken) or idx (taken) or nothing (empty). */
static void
store_set_view(struct store *s, enum view_state state, struct ipmap *own,
    struct wlindex *idx, int fd, const struct wl_ident *id)
{
	/* Still no file is no change; anything else may be. */
	if (state != VIEW_MISSING || s->state != VIEW_MISSING)
		s->serial++;
	store_drop_view(s);
	s->own = own;
	s->idx = idx;
	s->map = own != NULL ? own : idx != NULL ? wlindex_map(idx) : NULL;
	s->fd = fd;
	if (fd != -1)
		s->id = *id;
	s->state = state;
	if (state != VIEW_BAD)
		s->bad_msg[0] = '\0';
}

/* Empties the view (fail closed), keeping fd (taken; -1: none) as the
   identity of a file that is bad for good, and logs msg unless it is what
   was logged last. Returns -1. */
static int
store_set_bad(struct store *s, const char *msg, int fd, const struct wl_ident *id)
{
	bool news = s->state != VIEW_BAD || strcmp(s->bad_msg, msg) != 0 ||
	    (fd != -1 && (s->fd == -1 || !wl_ident_eq(id, &s->id)));

	store_set_view(s, VIEW_BAD, NULL, NULL, fd, id);
	if (msg != s->bad_msg)
		(void)strlcpy(s->bad_msg, msg, sizeof(s->bad_msg));
	if (news)
		log_warnx(MOD, "%s; denying until fixed", s->bad_msg);
	return -1;
}

static int KN_PRINTF(4, 5)
store_set_badf(struct store *s, int fd, const struct wl_ident *id, const char *fmt, ...)
{
	char msg[sizeof(s->bad_msg)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return store_set_bad(s, msg, fd, id);
}

/* Reads and parses whitelist.json open on fd into *out (caller frees).
   Returns 0; 1 if the file is bad for good (does not parse, too large:
   *msg says so); -1 on a read error or ENOMEM (*msg). */
static int
store_parse(const struct store *s, int fd, struct ipmap **out, char *msg, size_t msg_size)
{
	struct sf_err e;
	struct ipmap *m;
	size_t len;
	char *buf;

	*out = NULL;
	if (sf_read_all(fd, STORE_MAX_FILE, &buf, &len, &e) == -1) {
		if (errno == EFBIG) {
			(void)snprintf(msg, msg_size, "whitelist file %s is too large", s->path);
			return 1;
		}
		(void)snprintf(msg, msg_size, "whitelist file %s cannot be read: %s", s->path, e.msg);
		return -1;
	}
	if ((m = ipmap_new()) == NULL) {
		free(buf);
		(void)snprintf(msg, msg_size, "whitelist file %s cannot be loaded: out of memory",
		    s->path);
		return -1;
	}
	/* wlfile_parse also fails on OOM; we cannot tell, and calling a file
	   corrupt because memory ran out would be wrong only in a process
	   that is failing anyway. */
	if (wlfile_parse(buf, len, m, NULL) == -1) {
		free(buf);
		ipmap_free(m);
		(void)snprintf(msg, msg_size, "whitelist file %s does not parse", s->path);
		return 1;
	}
	free(buf);
	*out = m;
	return 0;
}

/* After parsing a whitelist.json that had no index (an outside edit, a
   crash between the two renames), writes its index so the other workers
   map it instead of parsing too; then uses it. Only when the lock is free
   at once and the file is still the one parsed. */
static void
store_publish_index(struct store *s, uid_t owner)
{
	struct wlindex *x;
	struct sf_err e;
	struct wl_ident now_id;
	struct stat st;
	struct sf_lock lock;

	if (sf_lock(s->lock_path, owner, 0, &lock, &e) == -1)
		return;
	if (lstat(s->path, &st) == 0) {
		wl_ident_of(&st, &now_id);
		if (wl_ident_eq(&now_id, &s->id) &&
		    wlindex_write(s->idx_path, owner, s->own, &s->id, &e) == -1)
			log_debug(MOD, "cannot write the whitelist index: %s", e.msg);
	}
	sf_unlock(&lock);
	if ((x = wlindex_open(s->idx_path, owner, &s->id, &e)) != NULL) {
		ipmap_free(s->own);
		s->own = NULL;
		s->idx = x;
		s->map = wlindex_map(x);
	}
}

/* Loads the view from whitelist.json (through its index when that
   matches). Returns 0 or -1 (the view is then bad). */
static int
store_load(struct store *s, uid_t owner)
{
	char msg[sizeof(s->bad_msg)];
	struct wl_ident id;
	struct wlindex *x;
	struct ipmap *m;
	struct sf_err e;
	struct stat st;
	int fd, r;

	r = sf_open_read(s->path, owner, &fd, &st, &e);
	if (r == 1) {
		store_set_view(s, VIEW_MISSING, NULL, NULL, -1, NULL);
		return 0;
	}
	if (r == -1)
		return store_set_badf(s, -1, NULL, "whitelist file: %s", e.msg);
	wl_ident_of(&st, &id);
	if ((x = wlindex_open(s->idx_path, owner, &id, &e)) != NULL) {
		store_set_view(s, VIEW_OK, NULL, x, fd, &id);
		return 0;
	}
	if (errno != ENOENT && errno != ESTALE)
		log_debug(MOD, "%s; parsing the whitelist file", e.msg);
	r = store_parse(s, fd, &m, msg, sizeof(msg));
	if (r == 1)
		return store_set_bad(s, msg, fd, &id);
	if (r == -1) {
		close(fd);
		return store_set_bad(s, msg, -1, NULL);
	}
	store_set_view(s, VIEW_OK, m, NULL, fd, &id);
	store_publish_index(s, owner);
	return 0;
}

/* Without a borrowed shmstate, opens "<storage_path>.shm" (any rate-limit
   region: we use only the generation). A failure leaves none: every
   refresh then checks the files, and the next check tries again. */
static void
store_open_shm(struct store *s, uid_t owner)
{
	struct sf_err e;

	if (s->shm != NULL)
		return;
	if ((s->shm = shmstate_open(s->shm_path, owner, 0, &e)) == NULL) {
		log_debug(MOD, "no shared generation, checking files on every request: %s",
		    e.msg);
		return;
	}
	s->shm_owned = true;
}

/* Compares the view with the files now; reloads if whitelist.json changed.
   Returns 0 or -1 as store_refresh. */
static int
store_check(struct store *s, int64_t now)
{
	struct wl_ident id;
	struct sf_err e;
	struct stat st;
	uid_t owner;
	int dir_ok;

	dir_ok = sf_dir_check(s->dir, &owner, &e) == 0;
	if (dir_ok)
		store_open_shm(s, owner);
	/* The generation is read before the files: a write after this point
	   bumps it again, so the next refresh looks again. */
	s->checked = true;
	s->checked_at = now;
	s->gen = s->shm != NULL ? shmstate_generation(s->shm) : 0;
	if (!dir_ok)
		return store_set_bad(s, e.msg, -1, NULL);
	if (lstat(s->path, &st) == -1) {
		if (errno != ENOENT)
			return store_set_badf(s, -1, NULL, "whitelist file %s: %s", s->path,
			    strerror(errno));
		store_set_view(s, VIEW_MISSING, NULL, NULL, -1, NULL);
		return 0;
	}
	wl_ident_of(&st, &id);
	if (s->fd != -1 && wl_ident_eq(&id, &s->id))
		return s->state == VIEW_OK ? 0 : -1;
	return store_load(s, owner);
}

static int
store_file_refresh(struct store *s, int64_t now)
{
	/* The verify path: nothing but one atomic load while the generation
	   and the second are those of the last check. */
	if (s->shm != NULL && s->checked && now == s->checked_at &&
	    shmstate_generation(s->shm) == s->gen)
		return s->state == VIEW_BAD ? -1 : 0;
	return store_check(s, now);
}

static int
store_file_lookup(const struct store *s, const struct ipnet *addr, int64_t now,
    int64_t *expires_at)
{
	int64_t v;

	if (s == NULL || s->state != VIEW_OK || s->map == NULL)
		return 0;
	if (ipmap_lookup(s->map, addr, &v) != 1 || v <= now)
		return 0;
	if (expires_at != NULL)
		*expires_at = v;
	return 1;
}

static size_t
store_file_count(const struct store *s)
{
	return s->state == VIEW_OK ? ipmap_count(s->map) : 0;
}

/* --- writing ---------------------------------------------------------------- */

static void
store_swap(int64_t *a, int64_t *b)
{
	int64_t t = *a;

	*a = *b;
	*b = t;
}

/* The k-th smallest (0-based) of v[0..n), k < n; reorders v. Random
   pivots: expected O(n) whatever the order. */
static int64_t
store_select(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	int64_t pivot;

	while (lo < hi) {
		store_swap(&v[lo + arc4random_uniform((uint32_t)(hi - lo + 1))], &v[hi]);
		pivot = v[hi];
		for (i = j = lo; j < hi; j++)
			if (v[j] < pivot)
				store_swap(&v[i++], &v[j]);
		store_swap(&v[i], &v[hi]);
		if (k == i)
			return v[i];
		if (k < i)
			hi = i - 1;
		else
			lo = i + 1;
	}
	return v[lo];
}

/* Drops from m the entries that expire soonest until at most max remain;
   keep (may be NULL), the entry just knocked, is never dropped. Sets
   *changed if anything was. Returns 0 or -1 on ENOMEM (m unchanged). */
static int
store_trim(struct ipmap *m, int64_t max, const struct ipnet *keep, bool *changed)
{
	size_t n = ipmap_count(m), drop, nvals = 0, nless = 0, ties, ndel = 0, pos = 0, i;
	struct ipnet *del = NULL, net;
	int64_t *vals = NULL, cut, value;

	if ((uint64_t)n <= (uint64_t)max)
		return 0;
	drop = n - (size_t)max;
	if ((vals = reallocarray(NULL, n, sizeof(*vals))) == NULL ||
	    (del = reallocarray(NULL, drop, sizeof(*del))) == NULL)
		goto fail;
	while (ipmap_next(m, &pos, &net, &value) == 1)
		if (keep == NULL || memcmp(&net, keep, sizeof(net)) != 0)
			vals[nvals++] = value;
	if (drop > nvals)
		drop = nvals;		/* max >= 1, so keep alone remains */
	if (drop == 0)
		goto done;
	cut = store_select(vals, nvals, drop - 1);	/* the last one to go */
	for (i = 0; i < nvals; i++)
		if (vals[i] < cut)
			nless++;
	ties = drop - nless;		/* entries expiring exactly at cut that go */
	pos = 0;
	while (ndel < drop && ipmap_next(m, &pos, &net, &value) == 1) {
		if (keep != NULL && memcmp(&net, keep, sizeof(net)) == 0)
			continue;
		if (value < cut || (value == cut && ties > 0)) {
			if (value == cut)
				ties--;
			del[ndel++] = net;
		}
	}
	for (i = 0; i < ndel; i++)
		(void)ipmap_del(m, &del[i]);
	*changed = true;
done:
	free(vals);
	free(del);
	return 0;
fail:
	free(vals);
	free(del);
	return -1;
}

/* Moves a file (whitelist.json or its metadata, named what in the log)
   that does not parse out of the way (never over an earlier copy).
   Returns 0 or -1 (logged). */
static int
store_move_corrupt(const char *path, const char *what, int64_t now)
{
	char name[4096];
	struct sf_err e;
	int i, r;

	for (i = 0; i < STORE_CORRUPT_TRIES; i++) {
		if (i == 0)
			r = snprintf(name, sizeof(name), "%s.corrupt-%" PRId64, path, now);
		else
			r = snprintf(name, sizeof(name), "%s.corrupt-%" PRId64 ".%d",
			    path, now, i);
		if (r < 0 || (size_t)r >= sizeof(name)) {
			log_warnx(MOD, "%s %s does not parse and its name is "
			    "too long to rename it aside", what, path);
			return -1;
		}
		if (sf_move_aside(path, name, &e) == 0) {
			log_warnx(MOD, "%s %s does not parse; renamed it to %s", what, path, name);
			return 0;
		}
		if (errno != EEXIST) {
			log_warnx(MOD, "%s %s does not parse; %s", what, path, e.msg);
			return -1;
		}
	}
	log_warnx(MOD, "%s %s does not parse and there are too many corrupt "
	    "copies beside it", what, path);
	return -1;
}

static int
store_emit(void *ctx, const char *buf, size_t len)
{
	struct {
		struct sf_tmp	*t;
		struct sf_err	*e;
	} *w = ctx;

	return sf_tmp_write(w->t, buf, len, w->e);
}

/* fsync of the storage directory, so a rename in it is durable. */
static int
store_sync_dir(const struct store *s, struct sf_err *e)
{
	int fd, rc = 0;

	if ((fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY)) == -1)
		return sf_errorf(e, "cannot open directory %s: %s", s->dir, strerror(errno));
	if (fsync(fd) == -1)
		rc = sf_errorf(e, "cannot fsync directory %s: %s", s->dir, strerror(errno));
	close(fd);
	return rc;
}

/* Puts the finished temp file t in place of whitelist.json if, and only if,
   whitelist.json is still the file open on base_fd (-1: there was none): a
   compare-and-swap on the directory entry. The lock makes writers take
   turns, but a lock file deleted by hand lets a second writer in, and an
   editor takes no lock at all; whoever loses the swap starts over, so no
   knock answered 200 is ever overwritten. Returns 0, 1 (lost: t removed,
   whitelist.json as the winner left it) or -1 (errno set). */
static int
store_swap_in(const struct store *s, struct sf_tmp *t, int base_fd)
{
	struct stat was, base;

	if (renameat2(AT_FDCWD, t->path, AT_FDCWD, s->path,
	    base_fd == -1 ? RENAME_NOREPLACE : RENAME_EXCHANGE) == -1) {
		if (errno == EINVAL || errno == ENOSYS) {
			/* A file system without these (NFS): a plain rename, as
			   safe as the lock is. */
			if (rename(t->path, s->path) == -1)
				return -1;
			goto won;
		}
		if (errno == EEXIST || errno == ENOENT) {	/* created, removed meanwhile */
			sf_tmp_abort(t);
			return 1;
		}
		return -1;
	}
	if (base_fd == -1)
		goto won;
	/* t->path now names what was whitelist.json: ours to drop if it is
	   the file we started from, else the winner's to put back. */
	if (fstat(base_fd, &base) == -1 || lstat(t->path, &was) == -1)
		return -1;
	if (was.st_dev != base.st_dev || was.st_ino != base.st_ino) {
		if (renameat2(AT_FDCWD, t->path, AT_FDCWD, s->path, RENAME_EXCHANGE) == -1) {
			log_warn(MOD, "cannot put %s back in place of %s", t->path, s->path);
			t->path[0] = '\0';	/* keep it: it is someone's whitelist */
			return -1;
		}
		sf_tmp_abort(t);
		return 1;
	}
	if (unlink(t->path) == -1)
		log_warn(MOD, "cannot remove the replaced whitelist %s", t->path);
won:
	t->path[0] = '\0';
	return 0;
}

/* Writes map as whitelist.json (durable) in place of the file open on
   base_fd (-1: none), see store_swap_in. Returns 0 with *written the new
   file's device and inode, 1 (lost the swap, nothing written: start over)
   or -1 (logged). */
static int
store_write_json(const struct store *s, uid_t owner, const struct ipmap *map, int64_t now,
    int base_fd, struct stat *written)
{
	struct {
		struct sf_tmp	*t;
		struct sf_err	*e;
	} w;
	struct sf_err e;
	struct sf_tmp t;
	int r;

	if (sf_tmp_create(&t, s->path, owner, &e) == -1)
		goto fail;
	w.t = &t;
	w.e = &e;
	if (wlfile_write(map, now, store_emit, &w) == -1)
		goto fail_tmp;
	if (fsync(t.fd) == -1 || fstat(t.fd, written) == -1) {
		sf_errorf(&e, "cannot fsync %s: %s", t.path, strerror(errno));
		goto fail_tmp;
	}
	r = close(t.fd);
	t.fd = -1;
	if (r == -1) {
		sf_errorf(&e, "cannot close %s: %s", t.path, strerror(errno));
		goto fail_tmp;
	}
	if ((r = store_swap_in(s, &t, base_fd)) == 1)
		return 1;
	if (r == -1) {
		sf_errorf(&e, "cannot rename %s to %s: %s", t.path, s->path, strerror(errno));
		goto fail_tmp;
	}
	if (store_sync_dir(s, &e) == -1)
		goto fail;
	return 0;
fail_tmp:
	sf_tmp_abort(&t);
fail:
	log_warnx(MOD, "cannot write whitelist file %s: %s", s->path, e.msg);
	return -1;
}

/* The whitelist as it is on disk, for a writer holding the lock.
   Returns 0 with *base (NULL: empty), *exists and *id (whether there is a
   whitelist.json now, and which), *fd (it, open; -1 if none) and
   what backs *base: the view (nothing), *idx or *parsed (caller frees);
   *changed set when the file must be written whatever happens (missing,
   moved aside). Returns -1 (logged) when the file cannot be used. */
static int
store_read_current(struct store *s, uid_t owner, int64_t now, const struct ipmap **base,
    struct wlindex **idx, struct ipmap **parsed, int *fd, bool *exists, struct wl_ident *id,
    bool *changed)
{
	char msg[sizeof(s->bad_msg)];
	struct sf_err e;
	struct stat st;
	int r;

	*base = NULL;
	*idx = NULL;
	*parsed = NULL;
	*exists = false;
	r = sf_open_read(s->path, owner, fd, &st, &e);
	if (r == -1) {
		log_warnx(MOD, "cannot update the whitelist: %s", e.msg);
		return -1;
	}
	if (r == 1) {
		*changed = true;
		return 0;
	}
	wl_ident_of(&st, id);
	*exists = true;
	if (s->state == VIEW_OK && s->fd != -1 && wl_ident_eq(id, &s->id)) {
		*base = s->map;		/* the view is current: no re-read */
		return 0;
	}
	if ((*idx = wlindex_open(s->idx_path, owner, id, &e)) != NULL) {
		*base = wlindex_map(*idx);
		return 0;
	}
	r = store_parse(s, *fd, parsed, msg, sizeof(msg));
	if (r == 0) {
		*base = *parsed;
		return 0;
	}
	if (r == -1) {
		log_warnx(MOD, "cannot update: %s", msg);
		return -1;
	}
	close(*fd);
	*fd = -1;
	if (store_move_corrupt(s->path, "whitelist file", now) == -1)
		return -1;
	*exists = false;
	*changed = true;
	return 0;
}

/* Removes the temp files a killed writer left beside whitelist.json and
   its index. Only old ones: a lock file deleted by hand can let a second
   writer in, and its temp file must survive us. */
static void
store_sweep(const struct store *s, int64_t now)
{
	const char *base = strrchr(s->path, '/');
	char tmp[512], idxtmp[512], metatmp[512];
	struct dirent *ent;
	struct stat st;
	DIR *d;

	base = base != NULL ? base + 1 : s->path;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-", base) >= sizeof(tmp) ||
	    (size_t)snprintf(idxtmp, sizeof(idxtmp), "%s.idx.tmp-", base) >= sizeof(idxtmp) ||
	    (size_t)snprintf(metatmp, sizeof(metatmp), "%s.meta.tmp-", base) >= sizeof(metatmp))
		return;
	if ((d = opendir(s->dir)) == NULL)
		return;
	while ((ent = readdir(d)) != NULL) {
		if (strncmp(ent->d_name, tmp, strlen(tmp)) != 0 &&
		    strncmp(ent->d_name, idxtmp, strlen(idxtmp)) != 0 &&
		    strncmp(ent->d_name, metatmp, strlen(metatmp)) != 0)
			continue;
		if (fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    (int64_t)st.st_mtim.tv_sec > now - STORE_STALE_TMP)
			continue;
		if (unlinkat(dirfd(d), ent->d_name, 0) == 0)
			log_info(MOD, "removed %s/%s, left by an interrupted write", s->dir,
			    ent->d_name);
	}
	closedir(d);
}

/* What a write does besides dropping expired and surplus entries. */
struct store_op {
	const struct ipnet		*entry;		/* add this, or NULL */
	int64_t				 expires_at;
	const struct store_meta		*meta;		/* entry's metadata; NULL unknown */
	const struct store_match	*match;		/* revoke these, or NULL */
	size_t				 revoked;	/* out */
};

/* Reads the metadata file into *m (empty when missing). Returns 0; 1 when
   it does not parse (with the lock held, lock_held, it is moved aside);
   -1 when it cannot be used (logged; the metadata is then unknown and must
   not be overwritten blindly). */
static int
store_meta_read(const struct store *s, uid_t owner, int64_t now, bool lock_held,
    struct wlmeta *m)
{
	struct sf_err e;
	size_t len;
	char *buf;
	int fd, r;

	m->n = 0;
	r = sf_open_read(s->meta_path, owner, &fd, NULL, &e);
	if (r == 1)
		return 0;
	if (r == -1) {
		log_warnx(MOD, "entry metadata unknown: %s", e.msg);
		return -1;
	}
	r = sf_read_all(fd, STORE_MAX_FILE, &buf, &len, &e);
	close(fd);
	if (r == -1) {
		log_warnx(MOD, "entry metadata unknown: %s", e.msg);
		return -1;
	}
	r = wlmeta_parse(buf, len, m);
	free(buf);
	if (r == 0)
		return 0;
	if (lock_held)
		(void)store_move_corrupt(s->meta_path, "entry metadata file", now);
	else
		log_warnx(MOD, "entry metadata file %s does not parse; metadata unknown",
		    s->meta_path);
	return 1;
}

static bool
store_meta_keep(void *ctx, const struct ipnet *net)
{
	return ipmap_get(ctx, net, NULL) == 1;
}

/* Writes m, pruned to the entries of map, as the metadata file. Logged on
   failure, which is not the caller's. Without fsync (SF_DERIVED), although
   it cannot be rebuilt: a crash may lose the names of the latest knocks
   (or leave a file that does not parse: moved aside), never an entry, and
   a second durable write would double the time every knock holds the
   lock (test_faults, the lock file deleted under 200 concurrent knocks,
   then lost 2 knocks to "lock keeps being replaced"). */
static void
store_meta_write(const struct store *s, uid_t owner, struct wlmeta *m, const struct ipmap *map)
{
	struct sf_err e;
	size_t len;
	char *text;

	(void)wlmeta_retain(m, store_meta_keep, (void *)(uintptr_t)map);
	if (wlmeta_format(m, &text, &len) == -1) {
		log_warnx(MOD, "cannot write entry metadata file %s: out of memory",
		    s->meta_path);
		return;
	}
	if (sf_replace(s->meta_path, owner, text, len, SF_DERIVED, &e) == -1)
		log_warnx(MOD, "cannot write entry metadata file: %s", e.msg);
	free(text);
}

/* Removes the entries of next that op->match names; counts them. */
static int
store_apply_match(struct ipmap *next, const struct wlmeta *meta, struct store_op *op)
{
	const struct store_match *mt = op->match;
	struct ipnet net, *del = NULL;
	size_t pos = 0, n = 0, i;
	int64_t value;

	if (mt->by == STORE_MATCH_ENTRY) {
		op->revoked = (size_t)ipmap_del(next, &mt->entry);
		return 0;
	}
	if (ipmap_count(next) > 0 &&
	    (del = reallocarray(NULL, ipmap_count(next), sizeof(*del))) == NULL)
		return -1;
	while (ipmap_next(next, &pos, &net, &value) == 1) {
		const struct store_meta *sm = wlmeta_get(meta, &net);

		if (mt->by == STORE_MATCH_ALL ||
		    (sm != NULL && mt->key != NULL && strcmp(sm->key, mt->key) == 0))
			del[n++] = net;
	}
	for (i = 0; i < n; i++)
		(void)ipmap_del(next, &del[i]);
	free(del);
	op->revoked = n;
	return 0;
}

/* Takes the writers' lock. The deadline is for a holder that is stuck:
   while whitelist.json keeps changing, the holders are other knocks taking
   their turns (a burst on a slow disk), so the wait goes on, up to
   STORE_QUEUE_MS in all. Returns sf_lock's result. */
static int
store_lock(struct store *s, uid_t owner, struct sf_lock *lock, struct sf_err *e)
{
	int64_t give_up = monotime_ms() + STORE_QUEUE_MS;
	struct stat before, after;
	bool had, moved;

	for (;;) {
		had = lstat(s->path, &before) == 0;
		if (sf_lock(s->lock_path, owner, SF_LOCK_TIMEOUT_MS, lock, e) == 0)
			return 0;
		if (errno != ETIMEDOUT || monotime_ms() >= give_up)
			return -1;
		moved = lstat(s->path, &after) == 0 && (!had || after.st_ino != before.st_ino ||
		    after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
		    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec);
		if (!moved) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

/* The writer: under the lock, does op (adds op->entry, removes what
   op->match names), drops what expired and what is over max_entries,
   writes whitelist.json, its metadata and its index if anything changed,
   and makes the result the view. Sets *again (and returns STORE_FAIL)
   when whitelist.json changed under it. */
static enum store_result
store_update(struct store *s, struct store_op *op, int64_t now, bool *again)
{
	const struct ipnet *entry = op->entry;
	struct wlmeta meta;
	bool meta_ok = false, meta_changed = false;
	enum store_result rc = STORE_FAIL;
	const struct ipmap *base;
	struct wlindex *bidx = NULL, *x;
	struct ipmap *parsed = NULL, *next = NULL;
	struct wl_ident id, nid;
	struct ipnet knocked;
	struct sf_err e;
	struct stat st, written;
	bool changed = false, exists;
	size_t dropped;
	struct sf_lock lock = { -1, -1 };
	int fd = -1, nfd, r;
	int64_t old;
	uid_t owner;

	e.msg[0] = '\0';
	op->revoked = 0;
	wlmeta_init(&meta);
	if (sf_dir_check(s->dir, &owner, &e) == -1) {
		log_warnx(MOD, "cannot update the whitelist: %s", e.msg);
		return STORE_FAIL;
	}
	store_open_shm(s, owner);
	if (store_lock(s, owner, &lock, &e) == -1) {
		log_warnx(MOD, "cannot update the whitelist: %s", e.msg);
		return errno == ETIMEDOUT ? STORE_BUSY : STORE_FAIL;
	}
	store_sweep(s, now);
	if (store_read_current(s, owner, now, &base, &bidx, &parsed, &fd, &exists, &id,
	    &changed) == -1)
		goto done;
	/* A metadata file that cannot be read is left alone (metadata
	   unknown); one that does not parse was moved aside: start afresh. */
	meta_ok = store_meta_read(s, owner, now, true, &meta) != -1;

	next = ipmap_copy_live(base, now, 1, &dropped);
	ipmap_free(parsed);
	parsed = NULL;
	if (next == NULL)
		goto oom;
	if (dropped > 0)
		changed = true;
	if (op->match != NULL) {
		if (store_apply_match(next, &meta, op) == -1)
			goto oom;
		if (op->revoked > 0)
			changed = true;
	}
	if (entry != NULL) {
		ipnet_mask(entry, entry->prefix, &knocked);
		if (ipmap_get(next, &knocked, &old) != 1 || old != op->expires_at) {
			if (ipmap_put(next, &knocked, op->expires_at) == -1)
				goto oom;
			changed = true;
		}
		if (wlmeta_set(&meta, &knocked, op->meta) == -1)
			goto oom;
		meta_changed = true;
	}
	if (store_trim(next, s->max_entries, entry != NULL ? &knocked : NULL, &changed) == -1)
		goto oom;

	if (!changed) {
		if (meta_ok && meta_changed)
			store_meta_write(s, owner, &meta, next);
		/* Someone else already wrote what we wanted: adopt that file. */
		if (base != s->map) {
			if (bidx != NULL)
				store_set_view(s, VIEW_OK, NULL, bidx, fd, &id);
			else
				store_set_view(s, VIEW_OK, next, NULL, fd, &id);
			if (bidx == NULL)
				next = NULL;
			bidx = NULL;
			fd = -1;
		}
		rc = STORE_OK;
		goto done;
	}
	r = store_write_json(s, owner, next, now, exists ? fd : -1, &written);
	if (fd != -1) {
		close(fd);
		fd = -1;
	}
	if (r == 1) {
		log_info(MOD, "whitelist file %s was replaced while a knock was written; "
		    "starting over", s->path);
		*again = true;
		goto done;
	}
	if (r == -1) {
		/* A failure after the rename (the directory fsync) leaves the new
		   file in place: have everyone look again. */
		s->checked = false;
		if (s->shm != NULL)
			shmstate_bump_generation(s->shm);
		goto done;
	}
	/* What is in place now must belong to the directory's owner, or the
	   workers may not read it: never report success for that. */
	if (sf_open_read(s->path, owner, &nfd, &st, &e) != 0) {
		log_warnx(MOD, "whitelist file written but not usable: %s",
		    e.msg[0] != '\0' ? e.msg : s->path);
		s->checked = false;
		if (s->shm != NULL)
			shmstate_bump_generation(s->shm);
		goto done;
	}
	/* And it must be ours: another writer that got in (see above) may have
	   replaced it already; then start over, which keeps its entries and
	   checks that ours are there. Never index a file we did not write. */
	if (st.st_dev != written.st_dev || st.st_ino != written.st_ino) {
		close(nfd);
		s->checked = false;
		if (s->shm != NULL)
			shmstate_bump_generation(s->shm);
		log_info(MOD, "whitelist file %s replaced right after a knock was written; "
		    "starting over", s->path);
		*again = true;
		goto done;
	}
	if (meta_ok)
		store_meta_write(s, owner, &meta, next);
	wl_ident_of(&st, &nid);
	if (wlindex_write(s->idx_path, owner, next, &nid, &e) == -1)
		log_warnx(MOD, "cannot write the whitelist index (workers parse the "
		    "whitelist file instead): %s", e.msg);
	if (s->shm != NULL)
		shmstate_bump_generation(s->shm);
	/* The view: the index just written, mapped like every other worker
	   maps it (one copy in memory), else the map we built. */
	if ((x = wlindex_open(s->idx_path, owner, &nid, &e)) != NULL)
		store_set_view(s, VIEW_OK, NULL, x, nfd, &nid);
	else {
		store_set_view(s, VIEW_OK, next, NULL, nfd, &nid);
		next = NULL;
	}
	if (s->checked)
		s->gen = s->shm != NULL ? shmstate_generation(s->shm) : 0;
	rc = STORE_OK;
	goto done;
oom:
	log_warnx(MOD, "cannot update whitelist file %s: out of memory", s->path);
done:
	if (fd != -1)
		close(fd);
	wlmeta_free(&meta);
	ipmap_free(parsed);
	ipmap_free(next);
	wlindex_close(bidx);
	sf_unlock(&lock);
	return rc;
}

/* store_update until whitelist.json stays put while it writes. */
static enum store_result
store_write(struct store *s, struct store_op *op, int64_t now)
{
	enum store_result rc = STORE_FAIL;
	int64_t deadline = monotime_ms() + SF_LOCK_TIMEOUT_MS;
	bool again = true;
	int i;

	for (i = 0; again && (i < STORE_WRITE_TRIES || monotime_ms() < deadline); i++) {
		again = false;
		rc = store_update(s, op, now, &again);
	}
	if (again)
		log_warnx(MOD, "whitelist file %s keeps changing while knocks are written "
		    "(is its lock file being deleted?)", s->path);
	return rc;
}

static enum store_result
store_file_add(struct store *s, const struct ipnet *entry, int64_t expires_at, int64_t now,
    const struct store_meta *meta)
{
	struct store_op op = { .entry = entry, .expires_at = expires_at, .meta = meta };

	return store_write(s, &op, now);
}

static enum store_result
store_file_revoke(struct store *s, const struct store_match *m, int64_t now, size_t *revoked)
{
	struct store_op op = { .match = m };
	enum store_result rc = store_write(s, &op, now);

	if (revoked != NULL)
		*revoked = rc == STORE_OK ? op.revoked : 0;
	return rc;
}

int
store_entry_cmp(const void *a, const void *b)
{
	const struct store_entry *x = a, *y = b;

	if (x->expires_at != y->expires_at)
		return x->expires_at < y->expires_at ? -1 : 1;
	return memcmp(&x->net, &y->net, sizeof(x->net));
}

static int
store_file_list(struct store *s, int64_t now, struct store_entry **out, size_t *n)
{
	struct store_entry *v = NULL;
	const struct store_meta *sm;
	struct wlmeta meta;
	struct sf_err e;
	struct ipnet net;
	size_t pos = 0, cnt = 0;
	int64_t value;
	uid_t owner;

	*out = NULL;
	*n = 0;
	if (store_refresh(s, now) == -1)
		return -1;
	if (s->map == NULL || ipmap_count(s->map) == 0)
		return 0;
	if ((v = reallocarray(NULL, ipmap_count(s->map), sizeof(*v))) == NULL) {
		log_warnx(MOD, "cannot list the whitelist: out of memory");
		return -1;
	}
	wlmeta_init(&meta);
	if (sf_dir_check(s->dir, &owner, &e) == 0)
		(void)store_meta_read(s, owner, now, false, &meta);
	while (ipmap_next(s->map, &pos, &net, &value) == 1) {
		if (value <= now)
			continue;
		memset(&v[cnt], 0, sizeof(v[cnt]));
		v[cnt].net = net;
		v[cnt].expires_at = value;
		if ((sm = wlmeta_get(&meta, &net)) != NULL)
			v[cnt].meta = *sm;
		cnt++;
	}
	wlmeta_free(&meta);
	if (cnt == 0) {
		free(v);
		return 0;
	}
	qsort(v, cnt, sizeof(*v), store_entry_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

static enum store_result
store_file_cleanup(struct store *s, int64_t now)
{
	struct store_op op = { .entry = NULL };
	struct ipnet net;
	size_t pos = 0;
	int64_t value;

	/* An unusable whitelist leaves an empty view: nothing to clean.
	   store_refresh logged it once; the next store_add renames a corrupt
	   file aside. Failing here would only repeat that log line every
	   cleanup interval. */
	if (store_refresh(s, now) == -1 || s->map == NULL)
		return STORE_OK;
	while (ipmap_next(s->map, &pos, &net, &value) == 1)
		if (value <= now)
			return store_write(s, &op, now);
	return STORE_OK;
}

/* Error text for the caller's buffer; truncation only shortens a message. */
static void KN_PRINTF(3, 4)
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

static int
store_file_check_ready(struct store *s, char *err, size_t err_size)
{
	unsigned long long need, avail;
	struct statvfs vfs;
	struct sf_err e;
	struct stat st;
	uid_t owner;

	store_err(err, err_size, "%s", "");
	if (sf_dir_check(s->dir, &owner, &e) == -1) {
		store_err(err, err_size, "%s", e.msg);
		return -1;
	}
	if (access(s->dir, W_OK | X_OK) == -1) {
		store_err(err, err_size, "cannot write to directory %s: %s", s->dir,
		    strerror(errno));
		return -1;
	}
	/* Room for new copies of the file and its index (written before the
	   renames) and one more block: on a full disk every knock would fail. */
	if (statvfs(s->dir, &vfs) == 0) {
		need = vfs.f_frsize > 0 ? vfs.f_frsize : 4096;
		if (stat(s->path, &st) == 0 && st.st_size > 0)
			need += (unsigned long long)st.st_size;
		if (stat(s->idx_path, &st) == 0 && st.st_size > 0)
			need += (unsigned long long)st.st_size;
		avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
		if (avail < need || vfs.f_favail == 0) {
			store_err(err, err_size, "cannot write to directory %s: %s", s->dir,
			    strerror(ENOSPC));
			return -1;
		}
	}
	if (store_check(s, s->checked_at) == -1) {
		store_err(err, err_size, "%s", s->bad_msg);
		return -1;
	}
	return 0;
}

/* --- the public API: the file backend above, or store_redis ----------------- */

struct store *
store_new_redis(struct redisconn *conn, const char *prefix, int64_t max_entries)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = -1;
	s->state = VIEW_MISSING;
	if ((s->redis = store_redis_new(conn, prefix, max_entries >= 1 ? max_entries : 1)) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

struct store *
store_new_conf(const struct conf *conf, struct redisconn **conn)
{
	struct store *s;

	*conn = NULL;
	if (conf->store.backend != CONF_STORE_REDIS)
		return store_new(conf->storage_path, conf->max_entries, NULL);
	if ((*conn = redisconn_new(&conf->store)) == NULL)
		return NULL;
	if ((s = store_new_redis(*conn, conf->store.prefix, conf->max_entries)) == NULL) {
		redisconn_free(*conn);
		*conn = NULL;
	}
	return s;
}

int
store_refresh(struct store *s, int64_t now)
{
	return s->redis != NULL ? store_redis_refresh(s->redis, now) : store_file_refresh(s, now);
}

int
store_recheck(struct store *s, int64_t now)
{
	/* The file backend's refresh is already exact (the shared generation). */
	return s->redis != NULL ? store_redis_recheck(s->redis, now) : 0;
}

int
store_lookup(const struct store *s, const struct ipnet *addr, int64_t now, int64_t *expires_at)
{
	if (s != NULL && s->redis != NULL)
		return store_redis_lookup(s->redis, addr, now, expires_at);
	return store_file_lookup(s, addr, now, expires_at);
}

size_t
store_count(const struct store *s)
{
	return s->redis != NULL ? store_redis_count(s->redis) : store_file_count(s);
}

uint64_t
store_view_serial(const struct store *s)
{
	return s->redis != NULL ? store_redis_serial(s->redis) : s->serial;
}

int
store_view_copy(const struct store *s, int64_t now, struct ipmap *out)
{
	const struct ipmap *m = s->redis != NULL ? store_redis_view(s->redis) :
	    s->state == VIEW_OK ? s->map : NULL;
	struct ipnet net;
	size_t pos = 0;
	int64_t value;

	if (m == NULL)
		return 0;
	while (ipmap_next(m, &pos, &net, &value) == 1)
		if (value > now && ipmap_put(out, &net, value) != 0)
			return -1;
	return 0;
}

enum store_result
store_add(struct store *s, const struct ipnet *entry, int64_t expires_at, int64_t now,
    const struct store_meta *meta)
{
	if (s->redis != NULL)
		return store_redis_add(s->redis, entry, expires_at, now, meta);
	return store_file_add(s, entry, expires_at, now, meta);
}

enum store_result
store_revoke(struct store *s, const struct store_match *m, int64_t now, size_t *revoked)
{
	if (s->redis != NULL)
		return store_redis_revoke(s->redis, m, now, revoked);
	return store_file_revoke(s, m, now, revoked);
}

int
store_list(struct store *s, int64_t now, struct store_entry **out, size_t *n)
{
	if (s->redis != NULL)
		return store_redis_list(s->redis, now, out, n);
	return store_file_list(s, now, out, n);
}

enum store_result
store_cleanup(struct store *s, int64_t now)
{
	return s->redis != NULL ? store_redis_cleanup(s->redis, now) : store_file_cleanup(s, now);
}

int
store_check_ready(struct store *s, char *err, size_t err_size)
{
	if (s->redis != NULL)
		return store_redis_check_ready(s->redis, err, err_size);
	return store_file_check_ready(s, err, err_size);
}
