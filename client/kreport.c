/*
 * kreport: results into exit statuses and sentences. See kreport.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kreport.h"

int
kreport_ignored(const struct kresult *r, size_t n, size_t i)
{
	size_t j;

	if (r[i].exit != KEXIT_NETWORK)
		return 0;
	for (j = 0; j < n; j++)
		if (r[j].exit == KEXIT_OK)
			return 1;
	return 0;
}

int
kreport_overall(const struct kresult *r, size_t n, int is_status)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].exit != KEXIT_OK && !kreport_ignored(r, n, i))
			return r[i].exit;
	if (is_status)
		for (i = 0; i < n; i++)
			if (r[i].exit == KEXIT_OK && r[i].whitelisted == 0)
				return KEXIT_NOT_WHITELISTED;
	return KEXIT_OK;
}

void
kreport_duration(int64_t secs, char *out, size_t outsz)
{
	static const struct { const char *unit; int64_t len; } units[] = {
		{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }
	};
	size_t i, len = 0;
	int shown = 0, n;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (secs <= 0) {
		snprintf(out, outsz, "0s");
		return;
	}
	for (i = 0; i < sizeof units / sizeof units[0] && shown < 3; i++) {
		int64_t v = secs / units[i].len;

		if (v == 0 && shown == 0)
			continue;
		secs %= units[i].len;
		if (v == 0 && secs == 0)
			break;
		n = snprintf(out + len, outsz - len, "%s%lld%s", shown ? " " : "",
		    (long long)v, units[i].unit);
		if (n < 0 || (size_t)n >= outsz - len)
			return;
		len += (size_t)n;
		shown++;
		if (secs == 0)
			break;
	}
}

void
kreport_when(int64_t unixtime, char *out, size_t outsz)
{
	time_t t = (time_t)unixtime;
	struct tm tm;

	if (outsz == 0)
		return;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, outsz, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(out, outsz, "@%lld", (long long)unixtime);
}

const char *
kreport_hint(const struct kresult *r, char *buf, size_t bufsz)
{
	if (r->hint[0] != '\0')
		return r->hint;
	switch (r->exit) {
	case KEXIT_NETWORK:
		return "Check the URL and your network connection.";
	case KEXIT_UNAUTHORIZED:
		return "Check the API key (--key-file, KNOCKER_KEY or the config file).";
	case KEXIT_FORBIDDEN:
		return "Whitelisting another address (--ip) needs a key with "
		    "allow_remote_whitelist.";
	case KEXIT_RATELIMIT:
		if (r->retry_after >= 0) {
			snprintf(buf, bufsz, "Retry after %ld s.", r->retry_after);
			return buf;
		}
		return "Wait a minute, then retry.";
	case KEXIT_CONFIG:
		return "";
	default:
		break;
	}
	if (r->http_status == 404 || r->http_status == 405 || r->http_status == 200)
		return "Is the URL the knock endpoint (for example https://host/knock)?";
	if (r->http_status >= 500)
		return "The server failed: retry later or ask its administrator.";
	if (r->http_status == 400 || r->http_status == 413 || r->http_status == 415)
		return "Check the --ttl and --ip values.";
	return "";
}

int
kreport_capped(const struct kresult *r, char *out, size_t outsz)
{
	char got[64], asked[64];

	if (r->exit != KEXIT_OK || r->whitelisted >= 0 || r->requested_ttl <= 0 ||
	    r->expires_in < 0 || r->expires_in >= r->requested_ttl)
		return 0;
	kreport_duration(r->expires_in, got, sizeof got);
	kreport_duration(r->requested_ttl, asked, sizeof asked);
	snprintf(out, outsz, "the key's max_ttl capped the lifetime at %s (you asked for %s)",
	    got, asked);
	return 1;
}

void
kreport_failure(const struct kresult *r, char *out, size_t outsz)
{
	char hb[64];
	const char *hint = kreport_hint(r, hb, sizeof hb);
	const char *sep = hint[0] != '\0' ? " " : "";

	if (r->exit == KEXIT_CONFIG)
		snprintf(out, outsz, "%s", r->error);
	else if (r->exit == KEXIT_NETWORK || r->http_status == 0)
		snprintf(out, outsz, "network error: %s.%s%s", r->error, sep, hint);
	else {
		size_t n = strlen(r->error);
		const char *dot = (n > 0 && strchr(".!?", r->error[n - 1]) != NULL) ? "" : ".";

		snprintf(out, outsz, "HTTP %ld: %s%s%s%s", r->http_status, r->error, dot, sep, hint);
	}
}
