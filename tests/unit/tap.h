/*
 * tap: a tiny TAP producer for the unit tests (run by automake's
 * tap-driver.sh). Every check prints its own "ok N - name" line, so one
 * failure never hides the rest.
 */
#ifndef KNOCKER_TAP_H
#define KNOCKER_TAP_H

#include <stdint.h>

/* Each returns the condition, prints "ok"/"not ok" with the printf-formatted
   name, and on failure a "# got/expected" diagnostic. */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_int(int64_t got, int64_t want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int tap_is_str(const char *got, const char *want, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Diagnostic line "# ..." */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the test: "Bail out! <what>: <strerror(errno)>", exit status 1. */
void tap_bail_errno(const char *what) __attribute__((noreturn));
/* Prints the plan "1..N" and returns the exit status (0 if all passed). */
int tap_done(void);

/* Makes a fresh private directory under $TMPDIR (or /tmp) for a test;
   returns a static buffer, or exits the test with "Bail out!". */
const char *tap_tmpdir(const char *tag);

/* "dir/name" in one of 64 rotating static buffers (each valid for 63 more
   calls); exits the test with "Bail out!" if it does not fit. */
const char *tap_path(const char *dir, const char *name);

#endif
