/*
 * kconf: settings file and key files of the knock client. See kconf.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "kconf.h"

#define KCONF_MAX_FILE	65536

int
kconf_default_path(char *out, size_t outsz, char *err, size_t errsz)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	const struct passwd *pw;
	int n;

	if (xdg != NULL && xdg[0] == '/') {
		n = snprintf(out, outsz, "%s/knocker/config", xdg);
	} else {
		if (home == NULL || home[0] != '/') {
			if ((pw = getpwuid(geteuid())) == NULL || pw->pw_dir == NULL ||
			    pw->pw_dir[0] != '/') {
				snprintf(err, errsz, "cannot find the config directory: "
				    "set HOME or XDG_CONFIG_HOME, or use --config");
				return -1;
			}
			home = pw->pw_dir;
		}
		n = snprintf(out, outsz, "%s/.config/knocker/config", home);
	}
	if (n < 0 || (size_t)n >= outsz) {
		snprintf(err, errsz, "config path too long");
		return -1;
	}
	return 0;
}

/* Opens path for reading and checks that only its owner (the user or
   root) can use it. Returns the fd, -1 with err, or -2 when it does not
   exist. */
static int
open_private(const char *path, const char *what, char *err, size_t errsz)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return -2;
		snprintf(err, errsz, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s %s: %s", what, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s %s: not a regular file", what, path);
		goto fail;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errsz, "%s %s: refused: owned by another user (uid %lu)",
		    what, path, (unsigned long)st.st_uid);
		goto fail;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errsz, "%s %s: refused: it holds a secret but other users "
		    "can access it (mode %04o); run: chmod 600 %s",
		    what, path, (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Reads the whole file into a malloc'ed, NUL-terminated buffer. */
static char *
read_all(int fd, const char *what, const char *path, size_t *lenp, char *err, size_t errsz)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	if ((buf = malloc(KCONF_MAX_FILE + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	for (;;) {
		n = read(fd, buf + len, KCONF_MAX_FILE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errsz, "%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KCONF_MAX_FILE) {
			snprintf(err, errsz, "%s %s: larger than %d bytes", what, path,
			    KCONF_MAX_FILE);
			goto fail;
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errsz, "%s %s: contains a NUL byte", what, path);
		goto fail;
	}
	*lenp = len;
	return buf;
fail:
	freezero(buf, KCONF_MAX_FILE + 1);
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int
kconf_check_key(const char *key, const char *what, char *err, size_t errsz)
{
	size_t i, n = strlen(key);

	if (n == 0) {
		snprintf(err, errsz, "%s: the API key is empty", what);
		return -1;
	}
	if (n > KCONF_MAX_KEY) {
		snprintf(err, errsz, "%s: the API key is longer than %d characters", what,
		    KCONF_MAX_KEY);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c < 0x21 || c > 0x7e) {
			snprintf(err, errsz, "%s: the API key contains a space, a control "
			    "or a non-ASCII character", what);
			return -1;
		}
	}
	return 0;
}

int
kconf_parse_ttl(const char *s, long *ttl, char *err, size_t errsz)
{
	const char *errstr = NULL;
	long long v;

	v = strtonum(s, 1, KCONF_MAX_TTL, &errstr);
	if (errstr != NULL) {
		snprintf(err, errsz, "TTL '%s' is %s: it must be a whole number of seconds "
		    "from 1 to %ld", s, errstr, KCONF_MAX_TTL);
		return -1;
	}
	*ttl = (long)v;
	return 0;
}

int
kconf_load(const char *path, int missing_ok, struct kconf *c, char *err, size_t errsz)
{
	char *buf = NULL, *line, *next, *eq, *name, *val;
	char sub[200];
	size_t len = 0;
	unsigned lineno = 0;
	int fd, rc = -1, seen_url = 0, seen_key = 0, seen_ttl = 0;

	memset(c, 0, sizeof *c);
	if ((fd = open_private(path, "config file", err, errsz)) == -2) {
		if (missing_ok)
			return 0;
		snprintf(err, errsz, "config file %s: does not exist", path);
		return -1;
	}
	if (fd == -1)
		return -1;
	if ((buf = read_all(fd, "config file", path, &len, err, errsz)) == NULL)
		goto out;
	for (line = buf; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			snprintf(err, errsz, "config file %s:%u: expected 'name = value'",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		name = trim(line);
		val = trim(eq + 1);
		if (strcmp(name, "url") == 0) {
			if (seen_url++)
				goto dup;
			if (*val == '\0' || strlcpy(c->url, val, sizeof c->url) >= sizeof c->url) {
				snprintf(err, errsz, "config file %s:%u: url: empty or too long",
				    path, lineno);
				goto out;
			}
		} else if (strcmp(name, "key") == 0) {
			if (seen_key++)
				goto dup;
			snprintf(sub, sizeof sub, "config file %s:%u", path, lineno);
			if (kconf_check_key(val, sub, err, errsz) == -1)
				goto out;
			strlcpy(c->key, val, sizeof c->key);
		} else if (strcmp(name, "ttl") == 0) {
			if (seen_ttl++)
				goto dup;
			if (kconf_parse_ttl(val, &c->ttl, sub, sizeof sub) == -1) {
				snprintf(err, errsz, "config file %s:%u: %s", path, lineno, sub);
				goto out;
			}
		} else {
			snprintf(err, errsz, "config file %s:%u: unknown setting '%.40s' "
			    "(known: url, key, ttl)", path, lineno, name);
			goto out;
		}
	}
	rc = 0;
	goto out;
dup:
	snprintf(err, errsz, "config file %s:%u: '%s' is set twice", path, lineno, name);
out:
	if (buf != NULL)
		freezero(buf, KCONF_MAX_FILE + 1);
	close(fd);
	if (rc == -1)
		kconf_wipe(c);
	return rc;
}

int
kconf_read_key_file(const char *path, char *key, size_t keysz, char *err, size_t errsz)
{
	char *buf = NULL, *k;
	char what[200];
	size_t len = 0;
	int fd, rc = -1;

	if ((fd = open_private(path, "key file", err, errsz)) == -2) {
		snprintf(err, errsz, "key file %s: does not exist", path);
		return -1;
	}
	if (fd == -1)
		return -1;
	if ((buf = read_all(fd, "key file", path, &len, err, errsz)) == NULL)
		goto out;
	buf[strcspn(buf, "\n")] = '\0';
	k = trim(buf);
	snprintf(what, sizeof what, "key file %s", path);
	if (kconf_check_key(k, what, err, errsz) == -1)
		goto out;
	if (strlcpy(key, k, keysz) >= keysz) {
		explicit_bzero(key, keysz);
		snprintf(err, errsz, "key file %s: key too long", path);
		goto out;
	}
	rc = 0;
out:
	if (buf != NULL)
		freezero(buf, KCONF_MAX_FILE + 1);
	close(fd);
	return rc;
}

/* mkdir -p for the directories above path, new ones with mode 0700. */
static int
make_parents(const char *path, char *err, size_t errsz)
{
	char dir[KCONF_MAX_URL];
	char *p;

	if (strlcpy(dir, path, sizeof dir) >= sizeof dir) {
		snprintf(err, errsz, "config path too long");
		return -1;
	}
	if ((p = strrchr(dir, '/')) == NULL)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char save = *p;
			*p = '\0';
			if (dir[0] != '\0' && mkdir(dir, 0700) == -1 && errno != EEXIST) {
				snprintf(err, errsz, "cannot create %s: %s", dir, strerror(errno));
				return -1;
			}
			*p = save;
		}
		if (*p == '\0')
			break;
	}
	return 0;
}

static int
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
kconf_save(const char *path, const struct kconf *c, char *err, size_t errsz)
{
	char tmp[KCONF_MAX_URL + 16], dir[KCONF_MAX_URL + 16];
	char *text = NULL, *slash;
	size_t cap = KCONF_MAX_URL + KCONF_MAX_KEY + 256, len;
	int fd = -1, dfd, n, rc = -1;

	if (strpbrk(c->url, "\r\n") != NULL) {
		snprintf(err, errsz, "the URL contains a line break");
		return -1;
	}
	if (make_parents(path, err, errsz) == -1)
		return -1;
	n = snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errsz, "config path too long");
		return -1;
	}
	if ((text = malloc(cap)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	n = snprintf(text, cap,
	    "# knocker-knock(1) settings. This file holds an API key: keep it mode 0600.\n");
	if (n >= 0 && (size_t)n < cap && c->url[0] != '\0')
		n += snprintf(text + n, cap - (size_t)n, "url = %s\n", c->url);
	if (n >= 0 && (size_t)n < cap && c->key[0] != '\0')
		n += snprintf(text + n, cap - (size_t)n, "key = %s\n", c->key);
	if (n >= 0 && (size_t)n < cap && c->ttl > 0)
		n += snprintf(text + n, cap - (size_t)n, "ttl = %ld\n", c->ttl);
	if (n < 0 || (size_t)n >= cap) {
		snprintf(err, errsz, "settings too long");
		goto out;
	}
	len = strlen(text);
	if ((fd = mkstemp(tmp)) == -1) {	/* mode 0600 */
		snprintf(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) == -1 || write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		snprintf(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		snprintf(err, errsz, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out_unlink;
	}
	strlcpy(dir, path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	rc = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd != -1)
		close(fd);
	freezero(text, cap);
	return rc;
}

void
kconf_wipe(struct kconf *c)
{
	explicit_bzero(c->key, sizeof c->key);
}
