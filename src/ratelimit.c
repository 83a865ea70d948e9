#include "config.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "ipmap.h"
#include "ipnet.h"
#include "log.h"
#include "ratelimit.h"

#define MOD "ratelimit"

/* A state file larger than this is not ours: start afresh. */
#define RL_MAX_FILE	(32 * 1024 * 1024)
/* Timestamps are stored as JSON numbers; keep them exact in a double. */
#define RL_MAX_TIME	((int64_t)1 << 53)

/*
 * State file: {"<canonical ip>":{"s":[t,...],"f":[t,...]},...}, event times
 * in unix seconds, each array sorted ascending and holding only events of
 * the current window, at most max of them (older ones cannot matter).
 */

struct rl_client {
	struct ipnet	 ip;
	int64_t		*ev[2];		/* indexed by enum rl_outcome; ascending */
	size_t		 n[2];
	size_t		 cap[2];
};

struct ratelimit {
	char		 *path;
	int64_t		  window;
	int64_t		  max[2];	/* indexed by enum rl_outcome; 0: unlimited */

	bool		  locked;
	bool		  dirty;
	int		  fd;		/* locked state file, or -1 */
	int64_t		  cutoff;	/* events <= cutoff are out of the window */
	struct rl_client *clients;
	size_t		  nclients;
	size_t		  capclients;
	struct ipmap	 *index;	/* ip -> position in clients */
};

static const char *const rl_keys[2] = { "s", "f" };

struct ratelimit *
ratelimit_new(const char *path, int64_t window, int64_t max_success, int64_t max_failure)
{
	struct ratelimit *rl;

	if (path == NULL)
		return NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->fd = -1;
	rl->window = window >= 1 ? window : 1;
	rl->max[RL_SUCCESS] = max_success > 0 ? max_success : 0;
	rl->max[RL_FAILURE] = max_failure > 0 ? max_failure : 0;
	if ((rl->path = strdup(path)) == NULL || (rl->index = ipmap_new()) == NULL) {
		ratelimit_free(rl);
		return NULL;
	}
	return rl;
}

static void
rl_reset(struct ratelimit *rl)
{
	size_t i;

	for (i = 0; i < rl->nclients; i++) {
		free(rl->clients[i].ev[0]);
		free(rl->clients[i].ev[1]);
	}
	free(rl->clients);
	rl->clients = NULL;
	rl->nclients = 0;
	rl->capclients = 0;
	ipmap_clear(rl->index);
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	if (rl->fd != -1)
		close(rl->fd);
	rl_reset(rl);
	ipmap_free(rl->index);
	free(rl->path);
	free(rl);
}

static int64_t
rl_cutoff(int64_t now, int64_t window)
{
	return now > INT64_MIN + window ? now - window : INT64_MIN;
}

static struct rl_client *
rl_find(const struct ratelimit *rl, const struct ipnet *ip)
{
	int64_t pos;

	if (ipmap_get(rl->index, ip, &pos) != 1 || pos < 0 || (size_t)pos >= rl->nclients)
		return NULL;
	return &rl->clients[pos];
}

static struct rl_client *
rl_find_or_add(struct ratelimit *rl, const struct ipnet *ip)
{
	struct rl_client *c, *nc;
	size_t ncap;

	if ((c = rl_find(rl, ip)) != NULL)
		return c;
	if (rl->nclients == rl->capclients) {
		ncap = rl->capclients == 0 ? 16 : rl->capclients * 2;
		if ((nc = reallocarray(rl->clients, ncap, sizeof(*nc))) == NULL)
			return NULL;
		rl->clients = nc;
		rl->capclients = ncap;
	}
	if (ipmap_put(rl->index, ip, (int64_t)rl->nclients) == -1)
		return NULL;
	c = &rl->clients[rl->nclients++];
	memset(c, 0, sizeof(*c));
	c->ip = *ip;
	return c;
}

static int
rl_reserve(struct rl_client *c, int o, size_t want)
{
	int64_t *nev;
	size_t ncap;

	if (want <= c->cap[o])
		return 0;
	ncap = c->cap[o] == 0 ? 4 : c->cap[o];
	while (ncap < want)
		ncap *= 2;
	if ((nev = reallocarray(c->ev[o], ncap, sizeof(*nev))) == NULL)
		return -1;
	c->ev[o] = nev;
	c->cap[o] = ncap;
	return 0;
}

/* Drops events <= cutoff and all but the latest max. */
static void
rl_trim(struct rl_client *c, int o, int64_t cutoff, int64_t max)
{
	size_t drop = 0;

	while (drop < c->n[o] && c->ev[o][drop] <= cutoff)
		drop++;
	if ((uint64_t)(c->n[o] - drop) > (uint64_t)max)
		drop = c->n[o] - (size_t)max;
	if (drop > 0) {
		memmove(c->ev[o], c->ev[o] + drop, (c->n[o] - drop) * sizeof(int64_t));
		c->n[o] -= drop;
	}
}

static int
rl_time_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Loads one client's object. Returns 0, or -1 if it is not well formed
   (or on OOM: the state is dropped either way, which is harmless). */
static int
rl_load_client(struct ratelimit *rl, const cJSON *item)
{
	struct rl_client *c;
	const cJSON *member, *ev;
	struct ipnet ip;
	int o;

	if (!cJSON_IsObject(item) || item->string == NULL ||
	    ipnet_parse_addr(item->string, &ip) == -1)
		return -1;
	if ((c = rl_find_or_add(rl, &ip)) == NULL)
		return -1;
	cJSON_ArrayForEach(member, item) {
		if (member->string == NULL)
			return -1;
		if (strcmp(member->string, rl_keys[RL_SUCCESS]) == 0)
			o = RL_SUCCESS;
		else if (strcmp(member->string, rl_keys[RL_FAILURE]) == 0)
			o = RL_FAILURE;
		else
			return -1;
		if (!cJSON_IsArray(member))
			return -1;
		cJSON_ArrayForEach(ev, member) {
			double d;
			int64_t t;

			if (!cJSON_IsNumber(ev))
				return -1;
			d = ev->valuedouble;
			if (!(d >= -(double)RL_MAX_TIME && d <= (double)RL_MAX_TIME))
				return -1;
			t = (int64_t)d;
			if ((double)t != d)
				return -1;
			if (rl->max[o] == 0 || t <= rl->cutoff)
				continue;
			if (rl_reserve(c, o, c->n[o] + 1) == -1)
				return -1;
			c->ev[o][c->n[o]++] = t;
		}
	}
	for (o = 0; o < 2; o++) {
		if (c->n[o] > 1)
			qsort(c->ev[o], c->n[o], sizeof(int64_t), rl_time_cmp);
		rl_trim(c, o, rl->cutoff, rl->max[o]);
	}
	return 0;
}

/* Reads and parses the locked file. Returns 0 (state loaded, possibly
   empty) or -1 if it is garbage (state left empty). */
static int
rl_load(struct ratelimit *rl)
{
	const cJSON *item;
	cJSON *root = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int rc = -1;

	if (fstat(rl->fd, &st) == -1) {
		log_warn(MOD, "cannot stat %s", rl->path);
		goto done;
	}
	if (st.st_size == 0)
		return 0;		/* new file */
	if (st.st_size > RL_MAX_FILE)
		goto done;
	if ((buf = malloc((size_t)st.st_size)) == NULL)
		goto done;
	while (len < (size_t)st.st_size) {
		n = pread(rl->fd, buf + len, (size_t)st.st_size - len, (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn(MOD, "cannot read %s", rl->path);
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if ((root = cJSON_ParseWithLength(buf, len)) == NULL || !cJSON_IsObject(root))
		goto done;
	cJSON_ArrayForEach(item, root) {
		if (rl_load_client(rl, item) == -1)
			goto done;
	}
	rc = 0;
done:
	cJSON_Delete(root);
	free(buf);
	if (rc == -1)
		rl_reset(rl);
	return rc;
}

int
ratelimit_lock(struct ratelimit *rl, int64_t now)
{
	int tries;

	if (rl->locked) {
		log_warnx(MOD, "%s: already locked", rl->path);
		return -1;
	}
	rl->dirty = false;
	rl->cutoff = rl_cutoff(now, rl->window);
	if (rl->max[RL_SUCCESS] == 0 && rl->max[RL_FAILURE] == 0) {
		rl->locked = true;	/* nothing to track: no I/O at all */
		return 0;
	}
	/* The state file is its own lock. If it was deleted or replaced while
	   we waited, another worker may hold a lock on the new one: retry on
	   whatever the path names now. */
	for (tries = 0;; tries++) {
		struct stat held, named;

		rl->fd = open(rl->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (rl->fd == -1) {
			log_warn(MOD, "cannot open %s", rl->path);
			return -1;
		}
		while (flock(rl->fd, LOCK_EX) == -1) {
			if (errno != EINTR) {
				log_warn(MOD, "cannot lock %s", rl->path);
				close(rl->fd);
				rl->fd = -1;
				return -1;
			}
		}
		if (fstat(rl->fd, &held) == 0 && stat(rl->path, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			break;
		close(rl->fd);
		rl->fd = -1;
		if (tries == 20) {
			log_warnx(MOD, "%s keeps being replaced; cannot lock it", rl->path);
			return -1;
		}
	}
	rl->locked = true;
	if (rl_load(rl) == -1) {
		/* The limiter's state is disposable: log it, rewrite it clean. */
		log_warnx(MOD, "state file %s does not parse; starting afresh", rl->path);
		rl->dirty = true;
	}
	return 0;
}

int
ratelimit_exceeded(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now, int64_t *retry_after)
{
	const struct rl_client *c;
	int64_t cutoff, max, retry;
	size_t first, count;
	int o = outcome == RL_SUCCESS ? RL_SUCCESS : RL_FAILURE;

	max = rl->max[o];
	if (!rl->locked || max == 0 || (c = rl_find(rl, ip)) == NULL)
		return 0;
	cutoff = rl_cutoff(now, rl->window);
	for (first = 0; first < c->n[o] && c->ev[o][first] <= cutoff; first++)
		;
	count = c->n[o] - first;
	if ((uint64_t)count < (uint64_t)max)
		return 0;
	/* Allowed again once count - max + 1 of the oldest have left the window. */
	retry = c->ev[o][first + count - (size_t)max] + rl->window - now;
	if (retry_after != NULL)
		*retry_after = retry >= 1 ? retry : 1;
	return 1;
}

int
ratelimit_record(struct ratelimit *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now)
{
	struct rl_client *c;
	size_t i;
	int o = outcome == RL_SUCCESS ? RL_SUCCESS : RL_FAILURE;

	if (!rl->locked || rl->max[o] == 0)
		return 0;	/* unlimited: nothing to remember */
	if ((c = rl_find_or_add(rl, ip)) == NULL || rl_reserve(c, o, c->n[o] + 1) == -1) {
		log_warnx(MOD, "cannot record a knock: out of memory");
		return -1;
	}
	/* Keep the array sorted: almost always an append. */
	for (i = c->n[o]; i > 0 && c->ev[o][i - 1] > now; i--)
		c->ev[o][i] = c->ev[o][i - 1];
	c->ev[o][i] = now;
	c->n[o]++;
	rl_trim(c, o, rl_cutoff(now, rl->window), rl->max[o]);
	rl->dirty = true;
	return 0;
}

static int64_t
rl_latest(const struct rl_client *c)
{
	int64_t a = c->n[0] > 0 ? c->ev[0][c->n[0] - 1] : INT64_MIN;
	int64_t b = c->n[1] > 0 ? c->ev[1][c->n[1] - 1] : INT64_MIN;

	return a > b ? a : b;
}

static int
rl_client_cmp(const void *a, const void *b)
{
	int64_t x = rl_latest(a), y = rl_latest(b);

	return x > y ? -1 : x < y;	/* most recent first */
}

/* Serializes the state (dropping idle clients and, beyond the cap, the
   least recently active ones) into a new buffer. Returns 0 or -1 on OOM. */
static int
rl_format(struct ratelimit *rl, char **out, size_t *out_len)
{
	char ip[IPNET_STRLEN];
	size_t i, keep = 0, cap = 3, off = 0, per;
	char *buf;
	int o, r;

	*out = NULL;
	/* Compact the list; the index is not used after this. */
	for (i = 0; i < rl->nclients; i++) {
		struct rl_client *c = &rl->clients[i];

		if (c->n[0] == 0 && c->n[1] == 0) {
			free(c->ev[0]);
			free(c->ev[1]);
			continue;
		}
		rl->clients[keep++] = *c;
	}
	rl->nclients = keep;
	ipmap_clear(rl->index);
	if (keep > RATELIMIT_MAX_CLIENTS) {
		qsort(rl->clients, keep, sizeof(*rl->clients), rl_client_cmp);
		for (i = RATELIMIT_MAX_CLIENTS; i < keep; i++) {
			free(rl->clients[i].ev[0]);
			free(rl->clients[i].ev[1]);
		}
		rl->nclients = keep = RATELIMIT_MAX_CLIENTS;
	}
	/* Upper bound: "ip":{"s":[...],"f":[...]}, and 21 bytes per event. */
	for (i = 0; i < keep; i++) {
		const struct rl_client *c = &rl->clients[i];

		if (c->n[0] + c->n[1] > (SIZE_MAX / 2) / 21)
			return -1;
		per = IPNET_STRLEN + 32 + (c->n[0] + c->n[1]) * 21;
		if (cap > SIZE_MAX / 2 - per)
			return -1;
		cap += per;
	}
	if ((buf = malloc(cap)) == NULL)
		return -1;
	buf[off++] = '{';
	for (i = 0; i < keep; i++) {
		const struct rl_client *c = &rl->clients[i];

		ipnet_format(&c->ip, ip, sizeof(ip));
		r = snprintf(buf + off, cap - off, "%s\"%s\":{", i > 0 ? "," : "", ip);
		if (r < 0 || (size_t)r >= cap - off)
			goto fail;
		off += (size_t)r;
		for (o = 0; o < 2; o++) {
			size_t j;

			r = snprintf(buf + off, cap - off, "%s\"%s\":[", o > 0 ? "," : "",
			    rl_keys[o]);
			if (r < 0 || (size_t)r >= cap - off)
				goto fail;
			off += (size_t)r;
			for (j = 0; j < c->n[o]; j++) {
				r = snprintf(buf + off, cap - off, "%s%" PRId64,
				    j > 0 ? "," : "", c->ev[o][j]);
				if (r < 0 || (size_t)r >= cap - off)
					goto fail;
				off += (size_t)r;
			}
			if (cap - off < 2)
				goto fail;
			buf[off++] = ']';
		}
		if (cap - off < 2)
			goto fail;
		buf[off++] = '}';
	}
	if (cap - off < 2)
		goto fail;
	buf[off++] = '}';
	buf[off] = '\0';
	*out = buf;
	*out_len = off;
	return 0;
fail:
	free(buf);
	return -1;
}

/* Rewrites the file in place. A torn write only resets the limiter. */
static int
rl_write(struct ratelimit *rl)
{
	size_t len = 0, off = 0;
	char *buf = NULL;
	ssize_t n;
	int rc = -1;

	if (rl_format(rl, &buf, &len) == -1) {
		log_warnx(MOD, "cannot write %s: out of memory", rl->path);
		return -1;
	}
	while (off < len) {
		n = pwrite(rl->fd, buf + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn(MOD, "cannot write %s", rl->path);
			goto done;
		}
		off += (size_t)n;
	}
	if (ftruncate(rl->fd, (off_t)len) == -1) {
		log_warn(MOD, "cannot truncate %s", rl->path);
		goto done;
	}
	rc = 0;
done:
	free(buf);
	return rc;
}

int
ratelimit_unlock(struct ratelimit *rl)
{
	int rc = 0;

	if (rl == NULL || !rl->locked)
		return 0;
	if (rl->fd != -1) {
		if (rl->dirty)
			rc = rl_write(rl);
		close(rl->fd);		/* releases the lock */
		rl->fd = -1;
	}
	rl_reset(rl);
	rl->locked = false;
	rl->dirty = false;
	return rc;
}
