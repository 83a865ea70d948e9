/*
 * monotime: CLOCK_MONOTONIC in milliseconds, for deadlines and poll
 * intervals (never for expiry times, which are wall-clock seconds).
 */
#ifndef KNOCKER_MONOTIME_H
#define KNOCKER_MONOTIME_H

#include <stdint.h>
#include <time.h>

static inline int64_t
monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
