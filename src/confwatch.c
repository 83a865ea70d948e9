#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "confwatch.h"

int
confwatch_init(struct confwatch *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->settled.err = -1;	/* matches no observation */
	w->racy_ns = CONFWATCH_RACY_NS;
	if ((w->path = strdup(path)) == NULL)
		return -1;
	return 0;
}

void
confwatch_fini(struct confwatch *w)
{
	free(w->path);
	w->path = NULL;
}

static int64_t
ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * INT64_C(1000000000) + ts->tv_nsec;
}

void
confwatch_observe(const struct confwatch *w, struct confwatch_id *id)
{
	struct timespec now;
	struct stat st;
	int64_t newest;

	memset(id, 0, sizeof(*id));
	if (stat(w->path, &st) == -1) {
		id->err = errno != 0 ? errno : EIO;
		return;
	}
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	id->ctime = st.st_ctim;
	/* The file's times come from the kernel's coarse clock: read it after
	   the stat, so "racy" errs on the safe side. */
	if (clock_gettime(CLOCK_REALTIME_COARSE, &now) == -1 &&
	    clock_gettime(CLOCK_REALTIME, &now) == -1) {
		id->racy = true;
		return;
	}
	newest = ts_ns(&id->mtime) > ts_ns(&id->ctime) ? ts_ns(&id->mtime) : ts_ns(&id->ctime);
	id->racy = newest >= ts_ns(&now) - w->racy_ns;
}

static bool
same_id(const struct confwatch_id *a, const struct confwatch_id *b)
{
	if (a->err != 0 || b->err != 0)
		return a->err == b->err;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

enum confwatch_state
confwatch_check(const struct confwatch *w, struct confwatch_id *id)
{
	confwatch_observe(w, id);
	if (id->err != 0)
		return same_id(id, &w->settled) ? CONFWATCH_SAME : CONFWATCH_GONE;
	if (!same_id(id, &w->settled))
		return CONFWATCH_CHANGED;
	return w->settled.racy ? CONFWATCH_RECHECK : CONFWATCH_SAME;
}

void
confwatch_settle(struct confwatch *w, const struct confwatch_id *id, uint64_t hash)
{
	w->settled = *id;
	w->hash = hash;
}
