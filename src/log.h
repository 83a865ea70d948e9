/*
 * log: one line per event to stderr, syslog (ident knocker, facility daemon)
 * or a file opened for append. Lines name their module. Never pass secrets.
 * State is process-global (set once at start); default: stderr, info.
 */
#ifndef KNOCKER_LOG_H
#define KNOCKER_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Parses "error"/"warn"/"info"/"debug". Returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);

/* target: "stderr", "syslog", or an absolute file path. Returns 0, or -1 with
   errno set if the file cannot be opened (logging stays on stderr then). */
int log_open(const char *target, enum log_level level);
void log_close(void);

/* As log_open, for a running process (a config reload): a file target is
   opened again (after logrotate moved it, the new file is used) before the
   old sink is closed; if it cannot be opened, -1 with errno set and the old
   sink and level stay. */
int log_reopen(const char *target, enum log_level level);

/* What `knocker -t` checks about target before the workers open it: a
   file must be writable by this process, opened for append without
   creating or truncating it (so a check run as root never leaves a root
   file behind); a missing file needs a writable directory. Returns 0, or
   -1 with a one-line reason (path and errno text) in err. */
int log_check_target(const char *target, char *err, size_t err_size);

/* True when nobody would read what is written to fd: it is not open, or
   it is /dev/null (a character device with /dev/null's st_rdev).
   spawn-fcgi gives workers /dev/null as stderr. */
bool log_fd_is_void(int fd);

/* A start-up failure, before or instead of log_open: one line
   "knocker: MSG" on stderr, and the same line to syslog (ident knocker,
   facility daemon, LOG_ERR) when stderr is void, so that a worker that
   refuses to start always leaves a trace an admin can find. */
void log_startup_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_error(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
