/*
 * watch: the "knocker-knock watch" loop. See watch.h.
 */
#include "config.h"

#include <sys/select.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "kreport.h"
#include "watch.h"

#define WATCH_FIRST_BACKOFF	2	/* seconds */
#define WATCH_MIN_DELAY_MS	1000

static void wlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
wlog(const char *fmt, ...)
{
	char ts[40];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	if (localtime_r(&t, &tm) == NULL || strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S%z", &tm) == 0)
		strlcpy(ts, "-", sizeof ts);
	fprintf(stderr, "%s knocker-knock: ", ts);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps up to ms milliseconds; returns early when a signal arrives.
   SIGINT/SIGTERM stay blocked except inside pselect, so a signal that
   arrives after the stop check still ends the sleep at once. */
static void
sleep_ms(int64_t ms, volatile sig_atomic_t *stop)
{
	sigset_t block, old;
	struct timespec ts;

	if (ms <= 0)
		return;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (!*stop) {
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		(void)pselect(0, NULL, NULL, NULL, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static int
fam_index(enum kfam f)
{
	return f == KFAM_V4 ? 0 : f == KFAM_V6 ? 1 : 2;
}

static void
fams_text(const enum kfam *f, int n, char *out, size_t outsz)
{
	int i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(out, "+", outsz);
		strlcat(out, kfam_name(f[i]), outsz);
	}
}

/* A failure that waiting will not cure: a wrong key (401), a key without
   the right (403), a key that cannot be sent. */
static int
hopeless(int exit)
{
	return exit == KEXIT_UNAUTHORIZED || exit == KEXIT_FORBIDDEN || exit == KEXIT_CONFIG;
}

static long
next_backoff(long cur, long max)
{
	long b = cur == 0 ? WATCH_FIRST_BACKOFF : cur > max / 2 ? max : cur * 2;

	return b > max ? max : b;
}

int
watch_run(const struct watch_cfg *w)
{
	struct kresult r[2];
	enum kfam fams[2], now_fams[2];
	char last_ip[3][64];
	char err[256], line[512], dur[64], fam_txt[32];
	volatile sig_atomic_t *stop = w->http.stop;
	int64_t now, next_knock, next_poll = -1, wait;
	long backoff = 0, wait_s;
	int nf, nnow, i, overall, changed, failed;

	memset(last_ip, 0, sizeof last_ip);
	if ((nf = khttp_families(w->http.url, w->ip != NULL && w->want == KFAM_ANY ?
	    KFAM_ANY : w->want, w->http.resolve, fams, err, sizeof err)) == -1) {
		wlog("%s", err);
		return KEXIT_USAGE;
	}
	if (w->ip != NULL && w->want == KFAM_ANY) {
		nf = 1;		/* a fixed entry needs one knock, over any family */
		fams[0] = KFAM_ANY;
	}
	fams_text(fams, nf, fam_txt, sizeof fam_txt);
	if (w->ip != NULL)
		wlog("watching %s for %s: re-knocking at 80%% of the TTL", w->http.url, w->ip);
	else if (w->poll > 0)
		wlog("watching %s over %s: re-knocking at 80%% of the TTL and within %ld s of "
		    "an IP change", w->http.url, fam_txt, w->poll);
	else
		wlog("watching %s over %s: re-knocking at 80%% of the TTL", w->http.url,
		    fam_txt);

	next_knock = mono_ms();
	while (!*stop) {
		now = mono_ms();
		if (now >= next_knock) {
			if (w->ip == NULL && (nf = khttp_families(w->http.url, w->want,
			    w->http.resolve, fams, err, sizeof err)) == -1) {
				wlog("%s", err);
				return KEXIT_USAGE;
			}
			for (i = 0; i < nf && !*stop; i++)
				khttp_knock(&w->http, fams[i], w->ip, w->ttl, &r[i]);
			if (*stop)
				break;
			now = mono_ms();
			overall = kreport_overall(r, (size_t)nf, 0);
			if (overall == KEXIT_OK) {
				int64_t min_in = -1;
				for (i = 0; i < nf; i++)
					if (r[i].exit == KEXIT_OK &&
					    (min_in < 0 || r[i].expires_in < min_in))
						min_in = r[i].expires_in;
				wait = min_in * 800;
				if (wait < WATCH_MIN_DELAY_MS)
					wait = WATCH_MIN_DELAY_MS;
				next_knock = now + wait;
				backoff = 0;
				next_poll = (w->poll > 0 && w->ip == NULL) ? now + w->poll * 1000 : -1;
			} else {
				backoff = next_backoff(backoff, w->max_backoff);
				wait_s = backoff;
				for (i = 0; i < nf; i++)
					if (r[i].retry_after > wait_s)
						wait_s = r[i].retry_after;
				wait = (int64_t)wait_s * 1000;
				next_knock = now + wait;
				next_poll = -1;
			}
			kreport_duration((wait + 500) / 1000, dur, sizeof dur);
			for (i = 0; i < nf; i++) {
				char d2[64];
				int fi = fam_index(fams[i]);

				if (r[i].exit == KEXIT_OK) {
					char asked[64], cap[120] = "";

					kreport_duration(r[i].expires_in, d2, sizeof d2);
					if (kreport_capped(&r[i], line, sizeof line)) {
						kreport_duration(r[i].requested_ttl, asked, sizeof asked);
						snprintf(cap, sizeof cap, " (the key's max_ttl; you asked "
						    "for %s)", asked);
					}
					wlog("knocked: %s whitelisted (%s) for %s%s; next knock in %s",
					    r[i].entry, kfam_name(r[i].fam), d2, cap, dur);
					strlcpy(last_ip[fi], r[i].entry, sizeof last_ip[fi]);
					continue;
				}
				last_ip[fi][0] = '\0';
				kreport_failure(&r[i], line, sizeof line);
				if (kreport_ignored(r, (size_t)nf, (size_t)i))
					wlog("knock failed (%s): %s Ignored: another family worked.",
					    kfam_name(r[i].fam), line);
				else if (hopeless(overall))
					wlog("knock failed (%s): %s Giving up: retrying cannot fix "
					    "the key.", kfam_name(r[i].fam), line);
				else
					wlog("knock failed (%s): %s Retrying in %s.",
					    kfam_name(r[i].fam), line, dur);
			}
			if (hopeless(overall))
				return overall;
		} else if (next_poll >= 0 && now >= next_poll) {
			nnow = khttp_families(w->http.url, w->want, w->http.resolve, now_fams,
			    err, sizeof err);
			if (nnow > 0 && (nnow != nf || memcmp(now_fams, fams, sizeof fams[0] *
			    (size_t)nf) != 0)) {
				fams_text(now_fams, nnow, fam_txt, sizeof fam_txt);
				wlog("address families changed (now %s); knocking", fam_txt);
				next_knock = now;
				next_poll = -1;
				continue;
			}
			for (i = 0; i < nf && !*stop; i++)
				khttp_status(&w->http, fams[i], &r[i]);
			if (*stop)
				break;
			now = mono_ms();
			changed = failed = 0;
			for (i = 0; i < nf; i++) {
				int fi = fam_index(fams[i]);

				if (r[i].exit == KEXIT_OK) {
					if (last_ip[fi][0] != '\0' &&
					    strcmp(last_ip[fi], r[i].client_ip) != 0) {
						wlog("IP changed (%s): %s -> %s; knocking",
						    kfam_name(r[i].fam), last_ip[fi], r[i].client_ip);
						changed = 1;
					} else if (r[i].whitelisted == 0) {
						wlog("%s (%s) is no longer whitelisted; knocking",
						    r[i].client_ip, kfam_name(r[i].fam));
						changed = 1;
					}
				} else if (!kreport_ignored(r, (size_t)nf, (size_t)i)) {
					failed = 1;
				}
			}
			overall = kreport_overall(r, (size_t)nf, 1);
			if (hopeless(overall)) {
				for (i = 0; i < nf; i++)
					if (r[i].exit == overall) {
						kreport_failure(&r[i], line, sizeof line);
						wlog("status check failed (%s): %s Giving up: retrying "
						    "cannot fix the key.", kfam_name(r[i].fam), line);
					}
				return overall;
			}
			if (changed) {
				next_knock = now;
				next_poll = -1;
			} else if (failed) {
				backoff = next_backoff(backoff, w->max_backoff);
				wait_s = backoff > w->poll ? backoff : w->poll;
				for (i = 0; i < nf; i++)
					if (r[i].retry_after > wait_s)
						wait_s = r[i].retry_after;
				next_poll = now + (int64_t)wait_s * 1000;
				kreport_duration(wait_s, dur, sizeof dur);
				for (i = 0; i < nf; i++) {
					if (r[i].exit == KEXIT_OK ||
					    kreport_ignored(r, (size_t)nf, (size_t)i))
						continue;
					kreport_failure(&r[i], line, sizeof line);
					wlog("status check failed (%s): %s Checking again in %s.",
					    kfam_name(r[i].fam), line, dur);
				}
			} else {
				backoff = 0;
				next_poll = now + w->poll * 1000;
			}
		}
		now = mono_ms();
		wait = next_knock - now;
		if (next_poll >= 0 && next_poll - now < wait)
			wait = next_poll - now;
		sleep_ms(wait, stop);
	}
	wlog("stopping on signal");
	return KEXIT_OK;
}
