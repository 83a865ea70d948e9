#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_sink { SINK_STDERR, SINK_SYSLOG, SINK_FILE };

static enum log_sink log_sink = SINK_STDERR;
static enum log_level log_max = LOG_LEVEL_INFO;
static int log_fd = -1;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_open(const char *target, enum log_level level)
{
	int fd;

	log_close();
	log_max = level;
	if (target == NULL || strcmp(target, "stderr") == 0)
		return 0;
	if (strcmp(target, "syslog") == 0) {
		openlog("knocker", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_sink = SINK_SYSLOG;
		return 0;
	}
	fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1)
		return -1;
	log_fd = fd;
	log_sink = SINK_FILE;
	return 0;
}

int
log_reopen(const char *target, enum log_level level)
{
	int fd = -1;

	if (target != NULL && strcmp(target, "stderr") != 0 && strcmp(target, "syslog") != 0) {
		fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd == -1)
			return -1;
	}
	if (fd == -1 && target != NULL && strcmp(target, "syslog") == 0 && log_sink == SINK_SYSLOG) {
		log_max = level;	/* the syslog connection stays */
		return 0;
	}
	log_close();
	log_max = level;
	if (fd != -1) {
		log_fd = fd;
		log_sink = SINK_FILE;
	} else if (target != NULL && strcmp(target, "syslog") == 0) {
		openlog("knocker", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_sink = SINK_SYSLOG;
	}
	return 0;
}

int
log_check_target(const char *target, char *err, size_t err_size)
{
	char dir[4096];
	char *slash;
	int fd;

	if (target == NULL || strcmp(target, "stderr") == 0 || strcmp(target, "syslog") == 0)
		return 0;
	fd = open(target, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd != -1) {
		close(fd);
		return 0;
	}
	if (errno != ENOENT)
		goto fail;
	/* log_open will create it: the directory must let this user do so. */
	if ((size_t)snprintf(dir, sizeof(dir), "%s", target) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
fail:
	snprintf(err, err_size, "cannot open %s: %s", target, strerror(errno));
	return -1;
}

bool
log_fd_is_void(int fd)
{
	struct stat st, null;

	if (fstat(fd, &st) == -1)
		return true;
	return S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
	    st.st_rdev == null.st_rdev;
}

void
log_startup_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is acceptable in a log line */
	va_end(ap);
	fprintf(stderr, "knocker: %s\n", msg);
	if (log_fd_is_void(STDERR_FILENO)) {
		openlog("knocker", LOG_PID, LOG_DAEMON);
		syslog(LOG_ERR, "%s", msg);
		closelog();
	}
}

void
log_close(void)
{
	if (log_sink == SINK_SYSLOG)
		closelog();
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	log_sink = SINK_STDERR;
}

static void log_emit(enum log_level, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
log_emit(enum log_level level, const char *module, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[1024], line[1200], stamp[32];
	struct tm tm;
	time_t now;
	int n, fd;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);	/* truncation is acceptable in a log line */
	if (errnum != 0) {
		size_t used = strlen(msg);
		snprintf(msg + used, sizeof(msg) - used, ": %s", strerror(errnum));
	}
	if (log_sink == SINK_SYSLOG) {
		syslog(prio[level], "%s: %s", module, msg);
		return;
	}
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(line, sizeof(line), "%s knocker[%ld]: %s: %s: %s\n", stamp,
	    (long)getpid(), level_names[level], module, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = log_sink == SINK_FILE ? log_fd : STDERR_FILENO;
	/* One write per line so lines from several workers do not interleave. */
	if (write(fd, line, (size_t)n) < 0) {
		/* nowhere left to report this */
	}
}

#define LOG_FUNC(fname, level, with_errno)					\
void										\
fname(const char *module, const char *fmt, ...)					\
{										\
	va_list ap;								\
	int saved = errno;							\
										\
	va_start(ap, fmt);							\
	log_emit(level, module, (with_errno) ? saved : 0, fmt, ap);		\
	va_end(ap);								\
	errno = saved;								\
}

LOG_FUNC(log_error, LOG_LEVEL_ERROR, 0)
LOG_FUNC(log_warn, LOG_LEVEL_WARN, 1)
LOG_FUNC(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FUNC(log_info, LOG_LEVEL_INFO, 0)
LOG_FUNC(log_debug, LOG_LEVEL_DEBUG, 0)
