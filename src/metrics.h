/*
 * metrics: knocker's counters, kept in the shared mapping (shmstate) so
 * that every worker adds to the same numbers, and their Prometheus text
 * exposition (format 0.0.4) for GET <prefix>/metrics.
 *
 * Counting is one relaxed __atomic_fetch_add on the mapping: no syscall,
 * no lock. A NULL shmstate (it could not be opened) counts nothing. The
 * counters start at zero when the mapping is (re-)initialised, which a
 * Prometheus counter reset covers.
 */
#ifndef KNOCKER_METRICS_H
#define KNOCKER_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "compiler.h"
#include "verify.h"

struct shmstate;

/* Counter slots in the shared mapping (append only: the order is the
   mapping's layout; SHMSTATE_NCOUNTERS bounds it). */
enum metric {
	METRIC_VERIFY_EXCLUDED_PATH,
	METRIC_VERIFY_ALWAYS_ALLOWED,
	METRIC_VERIFY_WHITELISTED,
	METRIC_VERIFY_NO_CONFIG,
	METRIC_VERIFY_NO_CLIENT,
	METRIC_VERIFY_STORE_ERROR,
	METRIC_VERIFY_NOT_LISTED,
	METRIC_KNOCK_200,
	METRIC_KNOCK_400,
	METRIC_KNOCK_401,
	METRIC_KNOCK_403,
	METRIC_KNOCK_413,
	METRIC_KNOCK_415,
	METRIC_KNOCK_429,
	METRIC_KNOCK_500,
	METRIC_KNOCK_503,
	METRIC_STATUS_200,
	METRIC_STATUS_401,
	METRIC_STATUS_429,
	METRIC_STATUS_500,
	METRIC_RELOAD_OK,
	METRIC_RELOAD_ERROR,
	METRIC_STORE_ERRORS,
	METRIC_COUNT
};

/* Adds one to m. */
void metrics_add(struct shmstate *shm, enum metric m);

/* Counts a verify decision under its reason. */
void metrics_verify(struct shmstate *shm, enum verify_reason reason);

/* Counts a POST /knock answer by status (200 400 401 403 413 415 429 500
   503; any other status counts as 500). */
void metrics_knock(struct shmstate *shm, int status);

/* Counts a GET /knock (status call) answer: 200 401 429, else 500. */
void metrics_status(struct shmstate *shm, int status);

/* The current value of m (0 when shm is NULL). */
uint64_t metrics_get(struct shmstate *shm, enum metric m);

/* Point-in-time values the exposition shows beside the counters. */
struct metrics_gauges {
	int64_t		whitelist_entries;	/* -1: unknown (store unreadable) */
	int64_t		max_entries;		/* the configured limit */
};

/* Enough for the exposition with every counter at UINT64_MAX. */
#define METRICS_TEXT_MAX 8192
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Writes the exposition into buf (NUL-terminated). Returns its length, or
   0 if it did not fit in size. shm may be NULL (all counters 0). */
KN_NODISCARD size_t metrics_render(struct shmstate *shm, const struct metrics_gauges *g,
    char *buf, size_t size) KN_NONNULL(2, 3);

#endif
