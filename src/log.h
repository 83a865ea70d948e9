/*
 * log: one line per event to stderr, syslog (ident knocker, facility daemon)
 * or a file opened for append. Lines name their module. Never pass secrets.
 * State is process-global (set once at start); default: stderr, info.
 */
#ifndef KNOCKER_LOG_H
#define KNOCKER_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Parses "error"/"warn"/"info"/"debug". Returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);

/* target: "stderr", "syslog", or an absolute file path. Returns 0, or -1 with
   errno set if the file cannot be opened (logging stays on stderr then). */
int log_open(const char *target, enum log_level level);
void log_close(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void log_error(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warn(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warnx(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_info(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_debug(const char *module, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
