#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "metrics.h"
#include "shmstate.h"

_Static_assert(METRIC_COUNT <= SHMSTATE_NCOUNTERS, "too many metrics for the shared mapping");

void
metrics_add(struct shmstate *shm, enum metric m)
{
	if (shm != NULL && (unsigned)m < METRIC_COUNT)
		__atomic_fetch_add(&shmstate_counters(shm)[m], 1, __ATOMIC_RELAXED);
}

uint64_t
metrics_get(struct shmstate *shm, enum metric m)
{
	if (shm == NULL || (unsigned)m >= METRIC_COUNT)
		return 0;
	return __atomic_load_n(&shmstate_counters(shm)[m], __ATOMIC_RELAXED);
}

void
metrics_verify(struct shmstate *shm, enum verify_reason reason)
{
	static const enum metric slot[] = {
		[VERIFY_EXCLUDED_PATH] = METRIC_VERIFY_EXCLUDED_PATH,
		[VERIFY_ALWAYS_ALLOWED] = METRIC_VERIFY_ALWAYS_ALLOWED,
		[VERIFY_WHITELISTED] = METRIC_VERIFY_WHITELISTED,
		[VERIFY_NO_CONFIG] = METRIC_VERIFY_NO_CONFIG,
		[VERIFY_NO_CLIENT] = METRIC_VERIFY_NO_CLIENT,
		[VERIFY_STORE_ERROR] = METRIC_VERIFY_STORE_ERROR,
		[VERIFY_NOT_LISTED] = METRIC_VERIFY_NOT_LISTED,
	};

	if ((unsigned)reason < sizeof(slot) / sizeof(slot[0]))
		metrics_add(shm, slot[reason]);
}

/* The knock statuses, in the order of their METRIC_KNOCK_ slots. */
static const int knock_codes[] = { 200, 400, 401, 403, 413, 415, 429, 500, 503 };
static const int status_codes[] = { 200, 401, 429, 500 };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Slot of status among codes (counted from first); the one for 500 when
   status is not listed. */
static enum metric
code_slot(enum metric first, const int *codes, size_t n, int status)
{
	size_t i, other = 0;

	for (i = 0; i < n; i++) {
		if (codes[i] == status)
			return (enum metric)(first + i);
		if (codes[i] == 500)
			other = i;
	}
	return (enum metric)(first + other);
}

void
metrics_knock(struct shmstate *shm, int status)
{
	metrics_add(shm, code_slot(METRIC_KNOCK_200, knock_codes, NELEM(knock_codes), status));
}

void
metrics_status(struct shmstate *shm, int status)
{
	metrics_add(shm, code_slot(METRIC_STATUS_200, status_codes, NELEM(status_codes), status));
}

struct out {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 full;
};

static void out_printf(struct out *o, const char *fmt, ...) KN_PRINTF(2, 3);

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = 1;
		return;
	}
	o->len += (size_t)n;
}

static void
out_family(struct out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
out_codes(struct out *o, struct shmstate *shm, const char *name, enum metric first,
    const int *codes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out_printf(o, "%s{code=\"%d\"} %" PRIu64 "\n", name, codes[i],
		    metrics_get(shm, (enum metric)(first + i)));
}

size_t
metrics_render(struct shmstate *shm, const struct metrics_gauges *g, char *buf, size_t size)
{
	static const struct { const char *result, *reason; enum metric m; } verify[] = {
		{ "allow", "excluded_path", METRIC_VERIFY_EXCLUDED_PATH },
		{ "allow", "always_allowed", METRIC_VERIFY_ALWAYS_ALLOWED },
		{ "allow", "whitelisted", METRIC_VERIFY_WHITELISTED },
		{ "deny", "not_whitelisted", METRIC_VERIFY_NOT_LISTED },
		{ "deny", "no_client_ip", METRIC_VERIFY_NO_CLIENT },
		{ "deny", "store_error", METRIC_VERIFY_STORE_ERROR },
		{ "deny", "no_config", METRIC_VERIFY_NO_CONFIG },
	};
	struct out o = { buf, size, 0, 0 };
	size_t i;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	out_family(&o, "knocker_verify_total", "counter",
	    "Verify decisions (authorizer and /verify), by result and reason.");
	for (i = 0; i < NELEM(verify); i++)
		out_printf(&o, "knocker_verify_total{result=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
		    verify[i].result, verify[i].reason, metrics_get(shm, verify[i].m));
	out_family(&o, "knocker_knock_total", "counter", "POST /knock answers, by HTTP status.");
	out_codes(&o, shm, "knocker_knock_total", METRIC_KNOCK_200, knock_codes, NELEM(knock_codes));
	out_family(&o, "knocker_status_total", "counter",
	    "GET /knock (status call) answers, by HTTP status.");
	out_codes(&o, shm, "knocker_status_total", METRIC_STATUS_200, status_codes,
	    NELEM(status_codes));
	out_family(&o, "knocker_config_reloads_total", "counter",
	    "Configuration reloads, by result.");
	out_printf(&o, "knocker_config_reloads_total{result=\"ok\"} %" PRIu64 "\n"
	    "knocker_config_reloads_total{result=\"error\"} %" PRIu64 "\n",
	    metrics_get(shm, METRIC_RELOAD_OK), metrics_get(shm, METRIC_RELOAD_ERROR));
	out_family(&o, "knocker_store_errors_total", "counter",
	    "Whitelist store failures (read, write, lock).");
	out_printf(&o, "knocker_store_errors_total %" PRIu64 "\n",
	    metrics_get(shm, METRIC_STORE_ERRORS));
	if (g->whitelist_entries >= 0) {
		out_family(&o, "knocker_whitelist_entries", "gauge",
		    "Entries in the whitelist (expired ones until the next cleanup).");
		out_printf(&o, "knocker_whitelist_entries %" PRId64 "\n", g->whitelist_entries);
	}
	out_family(&o, "knocker_whitelist_max_entries", "gauge",
	    "The configured limit on whitelist entries.");
	out_printf(&o, "knocker_whitelist_max_entries %" PRId64 "\n", g->max_entries);
	out_family(&o, "knocker_shared_state_up", "gauge",
	    "1 if the shared state (counters, rate limit) is mapped, else 0.");
	out_printf(&o, "knocker_shared_state_up %d\n", shm != NULL);
	out_family(&o, "knocker_build_info", "gauge", "The knocker version; always 1.");
	out_printf(&o, "knocker_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	return o.full ? 0 : o.len;
}
