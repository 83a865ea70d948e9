#include "config.h"

#include <sys/inotify.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "statefile.h"
#include "watch.h"

#define DIR_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watch {
	int	 fd;
	int	 wd;		/* -1 while the directory is missing */
	char	 dir[PATH_MAX];
	char	 name[NAME_MAX + 1];
};

struct watch *
watch_open(const char *path)
{
	struct watch *w;
	const char *slash;
	int saved;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = -1;
	slash = strrchr(path, '/');
	if (sf_dirname(path, w->dir, sizeof(w->dir)) != 0 ||
	    strlcpy(w->name, slash != NULL ? slash + 1 : path, sizeof(w->name)) >= sizeof(w->name)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		goto fail;
	if ((w->wd = inotify_add_watch(w->fd, w->dir, DIR_EVENTS)) == -1)
		goto fail;
	return w;
fail:
	saved = errno;
	watch_close(w);
	errno = saved;
	return NULL;
}

void
watch_close(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->fd != -1)
		close(w->fd);
	free(w);
}

int
watch_fd(const struct watch *w)
{
	return w->fd;
}

int
watch_read(struct watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off;
	int changed = 0;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return changed;
		if (n <= 0)
			return -1;
		for (off = 0; off + sizeof(*ev) <= (size_t)n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(const void *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW)
				changed = 1;	/* events lost: re-read to be sure */
			if (ev->wd != w->wd)
				continue;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				if (ev->mask & IN_MOVE_SELF)
					(void)inotify_rm_watch(w->fd, w->wd);
				w->wd = -1;
				changed = 1;
			} else if (ev->len > 0 && strcmp(ev->name, w->name) == 0)
				changed = 1;
		}
	}
}

int
watch_rearm(struct watch *w)
{
	if (w->wd != -1)
		return 0;
	if ((w->wd = inotify_add_watch(w->fd, w->dir, DIR_EVENTS)) == -1)
		return 0;
	return 1;
}
