#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ipnet.h"
#include "log.h"
#include "ratelimit.h"
#include "shmstate.h"
#include "tap.h"

#define T0 INT64_C(1767225600)

static char dir[512];
static int nshm;

#define path_in(name) tap_path(dir, (name))

/* A limiter with its own shared mapping (a fresh file per call). */
struct lim {
	struct shmstate		*shm;
	struct ratelimit	*rl;
	char			 path[700];
};

static struct rl_params
params(int64_t window, int64_t max_s, int64_t max_f)
{
	struct rl_params p;

	memset(&p, 0, sizeof(p));
	p.window = window;
	p.max_success = max_s;
	p.max_failure = max_f;
	p.ipv4_prefix = 32;
	p.ipv6_prefix = 64;
	return p;
}

static void
lim_open_at(struct lim *l, const char *path, const struct rl_params *p)
{
	struct sf_err e;

	strlcpy(l->path, path, sizeof(l->path));
	l->shm = shmstate_open(l->path, geteuid(), ratelimit_region_size(p), &e);
	if (l->shm == NULL || (l->rl = ratelimit_new(l->shm, p)) == NULL) {
		printf("Bail out! cannot open a limiter: %s\n", e.msg);
		exit(1);
	}
}

static void
lim_open(struct lim *l, const struct rl_params *p)
{
	char name[32];

	snprintf(name, sizeof(name), "rl%d.shm", nshm++);
	lim_open_at(l, path_in(name), p);
}

static void
lim_close(struct lim *l)
{
	ratelimit_free(l->rl);
	shmstate_close(l->shm);
}

static struct ipnet
ip(const char *s)
{
	struct ipnet n;

	if (ipnet_parse_addr(s, &n) == -1) {
		printf("Bail out! bad test address %s\n", s);
		exit(1);
	}
	return n;
}

/*
 * One knock the way the app does it: lock; if not limited, record; unlock.
 * Returns 0 (counted), 429 (limited, *retry set) or -1 (lock failed).
 */
static int
attempt_ip(struct ratelimit *rl, const struct ipnet *a, enum rl_outcome o, int64_t now,
    int64_t *retry)
{
	int64_t r = 0;
	int rc = 0;

	if (ratelimit_lock(rl, now) == -1)
		return -1;
	if (ratelimit_exceeded(rl, a, o, now, &r))
		rc = 429;
	else if (ratelimit_record(rl, a, o, now) == -1)
		rc = -1;
	if (ratelimit_unlock(rl) != 0)
		rc = -1;
	if (retry != NULL)
		*retry = rc == 429 ? r : 0;
	return rc;
}

static int
attempt(struct ratelimit *rl, const char *addr, enum rl_outcome o, int64_t now, int64_t *retry)
{
	struct ipnet a = ip(addr);

	return attempt_ip(rl, &a, o, now, retry);
}

/* Codes of n attempts at now, as " 0 0 429 ...". */
static const char *
codes(struct ratelimit *rl, const char *addr, enum rl_outcome o, int64_t now, int n)
{
	static char buf[512];
	char one[8];

	buf[0] = '\0';
	while (n-- > 0) {
		snprintf(one, sizeof(one), " %d", attempt(rl, addr, o, now, NULL));
		strlcat(buf, one, sizeof(buf));
	}
	return buf;
}

/* Lines of path containing needle. */
static int
count_lines(const char *path, const char *needle)
{
	char line[1024];
	FILE *f;
	int n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void
region_size_should_follow_the_limits(void)
{
	struct rl_params off = params(60, 0, 0), def = params(60, 20, 30), big = params(86400, 1000000, 1000000);
	struct rl_params small = params(5, 20, 30);

	tap_is_int(ratelimit_region_size(&off), 0, "both limits 0: no region");
	tap_is_int(ratelimit_region_size(&def), 64 + RATELIMIT_SLOTS * (32 + 8 * 50),
	    "defaults: 16384 slots of 32 + 50 runs of 8 bytes (+ a 64-byte header)");
	tap_is_int(ratelimit_region_size(&big), 64 + RATELIMIT_SLOTS * (32 + 8 * 2 * RATELIMIT_MAX_RUNS),
	    "huge limits: runs capped at RATELIMIT_MAX_RUNS");
	tap_is_int(ratelimit_region_size(&small), 64 + RATELIMIT_SLOTS * (32 + 8 * 10),
	    "a 5 s window needs at most 5 runs per outcome");
}

static void
limit_should_refuse_the_max_plus_first_in_the_window(void)
{
	struct rl_params p = params(60, 3, 4);
	struct lim l;
	int64_t retry;

	lim_open(&l, &p);
	tap_is_str(codes(l.rl, "192.0.2.1", RL_SUCCESS, T0, 5), " 0 0 0 429 429",
	    "successful_requests 3: the 4th success in the window is 429");
	tap_is_str(codes(l.rl, "192.0.2.1", RL_FAILURE, T0, 6), " 0 0 0 0 429 429",
	    "failed_requests 4: counted apart from successes");
	tap_is_int(attempt(l.rl, "192.0.2.1", RL_SUCCESS, T0 + 15, &retry), 429, "still limited 15 s later");
	tap_is_int(retry, 45, "Retry-After: seconds until the oldest leaves the window");
	tap_is_str(codes(l.rl, "192.0.2.2", RL_SUCCESS, T0, 3), " 0 0 0", "another address has its own count");
	lim_close(&l);
}

/* docs/API.md: "0 disables that limit" -- that one only (window_should_slide has
   failed_requests 0): successes are never refused, failures still are. */
static void
successful_requests_0_should_disable_only_that_limit(void)
{
	struct rl_params p = params(60, 0, 2);
	struct lim l;
	char want[512] = "";
	int i;

	for (i = 0; i < 40; i++)
		strlcat(want, " 0", sizeof(want));
	lim_open(&l, &p);
	tap_is_str(codes(l.rl, "192.0.2.60", RL_SUCCESS, T0, 40), want,
	    "successful_requests 0: 40 successes in one window, none refused");
	tap_is_str(codes(l.rl, "192.0.2.60", RL_FAILURE, T0, 3), " 0 0 429",
	    "successful_requests 0: failed_requests 2 still refuses the 3rd failure");
	lim_close(&l);
}

static void
window_should_slide(void)
{
	struct rl_params p = params(60, 3, 0);
	struct lim l;
	int64_t retry;

	lim_open(&l, &p);
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0, NULL), 0, "event at T0");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0 + 10, NULL), 0, "event at T0+10");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0 + 20, NULL), 0, "event at T0+20");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0 + 59, &retry), 429, "at T0+59 all 3 are in the window");
	tap_is_int(retry, 1, "Retry-After 1 at T0+59");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0 + 60, NULL), 0,
	    "at T0+60 the T0 event has left the window: allowed");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0 + 61, &retry), 429, "at T0+61: T0+10, +20, +60 inside");
	tap_is_int(retry, 9, "Retry-After 9 (T0+10 leaves at T0+70)");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_SUCCESS, T0 + 500, NULL), 0, "much later: allowed again");
	tap_is_int(attempt(l.rl, "192.0.2.9", RL_FAILURE, T0 + 500, NULL), 0, "failed_requests 0: never limited");
	tap_is_str(codes(l.rl, "192.0.2.9", RL_FAILURE, T0 + 500, 50), " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
	    "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0", "... not even after 50");
	lim_close(&l);
}

/* Many events in one second, then the limit must hold for exactly the
   window (runs of equal seconds are counted right). */
static void
bursts_in_one_second_should_count_each_event(void)
{
	struct rl_params p = params(10, 100, 0);
	struct lim l;
	int64_t retry;
	int i, ok = 0;

	lim_open(&l, &p);
	for (i = 0; i < 60; i++)
		ok += attempt(l.rl, "198.51.100.1", RL_SUCCESS, T0, NULL) == 0;
	for (i = 0; i < 60; i++)
		ok += attempt(l.rl, "198.51.100.1", RL_SUCCESS, T0 + 5, NULL) == 0;
	tap_is_int(ok, 100, "100 of 120 knocks in two seconds counted");
	tap_ok(attempt(l.rl, "198.51.100.1", RL_SUCCESS, T0 + 9, &retry) == 429 && retry == 1,
	    "limited at T0+9, Retry-After 1");
	tap_is_int(attempt(l.rl, "198.51.100.1", RL_SUCCESS, T0 + 10, NULL), 0,
	    "T0+10: the 60 of T0 left, 40 of T0+5 remain: allowed");
	lim_close(&l);
}

/* max 200 over a 1000 s window: 200 distinct seconds, more runs than
   RATELIMIT_MAX_RUNS: never less strict than exact. */
static void
capped_runs_should_never_limit_less(void)
{
	struct rl_params p = params(1000, 200, 0);
	struct lim l;
	int i, ok = 0, limited_early = 0;

	lim_open(&l, &p);
	for (i = 0; i < 200; i++)
		ok += attempt(l.rl, "203.0.113.5", RL_SUCCESS, T0 + i, NULL) == 0;
	tap_is_int(ok, 200, "200 knocks, one a second: all counted");
	tap_is_int(attempt(l.rl, "203.0.113.5", RL_SUCCESS, T0 + 200, NULL), 429, "the 201st is 429");
	for (i = 1000; i < 1200; i++)
		limited_early += attempt(l.rl, "203.0.113.5", RL_SUCCESS, T0 + i, NULL) == 429;
	tap_ok(limited_early < 200, "as the old ones leave, knocks are allowed again (%d of 200 still limited)",
	    limited_early);
	lim_close(&l);
}

static void
ipv6_should_count_per_64(void)
{
	struct rl_params p = params(60, 20, 30);
	char addr[64];
	struct lim l;
	int i, counted = 0, first_limited = -1;

	lim_open(&l, &p);
	for (i = 0; i < 1200; i++) {
		int rc;

		snprintf(addr, sizeof(addr), "2001:db8:1:2:%x:%x::%x", i / 7, i % 7, i + 1);
		rc = attempt(l.rl, addr, RL_FAILURE, T0 + i / 100, NULL);
		if (rc == 0)
			counted++;
		else if (rc == 429 && first_limited == -1)
			first_limited = i;
	}
	tap_is_int(counted, 30, "1,200 wrong keys from 1,200 addresses of one /64: only 30 counted");
	tap_is_int(first_limited, 30, "the 31st is the first 429");
	tap_is_int(attempt(l.rl, "2001:db8:1:3::1", RL_FAILURE, T0 + 12, NULL), 0, "the next /64 is not limited");
	lim_close(&l);
}

static void
prefixes_should_be_configurable(void)
{
	struct rl_params p = params(60, 0, 2);
	struct lim l;

	p.ipv4_prefix = 24;
	p.ipv6_prefix = 48;
	lim_open(&l, &p);
	tap_is_str(codes(l.rl, "192.0.2.1", RL_FAILURE, T0, 2), " 0 0", "ipv4_prefix 24: two from 192.0.2.1");
	tap_is_int(attempt(l.rl, "192.0.2.200", RL_FAILURE, T0, NULL), 429, "192.0.2.200 shares the /24's count");
	tap_is_int(attempt(l.rl, "192.0.3.1", RL_FAILURE, T0, NULL), 0, "192.0.3.1 is another /24");
	tap_is_int(attempt(l.rl, "::ffff:192.0.2.7", RL_FAILURE, T0, NULL), 429,
	    "IPv4-mapped IPv6 counts as IPv4 (same /24)");
	tap_is_str(codes(l.rl, "2001:db8:aa::1", RL_FAILURE, T0, 2), " 0 0", "ipv6_prefix 48: two from one address");
	tap_is_int(attempt(l.rl, "2001:db8:aa:ffff::9", RL_FAILURE, T0, NULL), 429, "another /64 of the /48 shares it");
	tap_is_int(attempt(l.rl, "2001:db8:ab::1", RL_FAILURE, T0, NULL), 0, "the next /48 does not");
	lim_close(&l);

	p = params(60, 0, 1);
	lim_open(&l, &p);
	tap_is_int(attempt(l.rl, "192.0.2.1", RL_FAILURE, T0, NULL), 0, "default /32: one from 192.0.2.1");
	tap_is_int(attempt(l.rl, "192.0.2.2", RL_FAILURE, T0, NULL), 0, "192.0.2.2 is counted apart");
	tap_is_int(attempt(l.rl, "::ffff:192.0.2.1", RL_FAILURE, T0, NULL), 429, "::ffff:192.0.2.1 is 192.0.2.1");
	lim_close(&l);
}

static void
fresh_addresses_should_not_evict_an_active_limit(void)
{
	struct rl_params p = params(60, 20, 30);
	char addr[64];
	struct lim l;
	int i, refused = 0;

	lim_open(&l, &p);
	for (i = 0; i < 30; i++)
		(void)attempt(l.rl, "192.0.2.66", RL_FAILURE, T0, NULL);
	tap_is_int(attempt(l.rl, "192.0.2.66", RL_FAILURE, T0, NULL), 429, "192.0.2.66 is limited");
	for (i = 0; i < 4100; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 256, i % 256);
		refused += attempt(l.rl, addr, RL_FAILURE, T0 + 1, NULL) != 0;
		snprintf(addr, sizeof(addr), "2001:db8:%x::1", i);
		refused += attempt(l.rl, addr, RL_FAILURE, T0 + 1, NULL) != 0;
	}
	tap_is_int(refused, 0, "8,200 fresh networks (IPv4 and IPv6) all found a slot");
	tap_is_int(attempt(l.rl, "192.0.2.66", RL_FAILURE, T0 + 2, NULL), 429,
	    "192.0.2.66 is still limited after them");
	lim_close(&l);
}

static void
full_table_should_refuse_new_clients_not_evict(void)
{
	struct rl_params p = params(60, 0, 5);
	char addr[64];
	struct lim l;
	int64_t retry = 0, r;
	int i, refused = 0, counted = 0, lost = 0, got_in = 0, was[100];

	p.slots = 64;		/* 4 buckets of 16: each network sees half the table */
	lim_open(&l, &p);
	if (log_open(path_in("full.log"), LOG_LEVEL_WARN) == -1) {
		printf("Bail out! cannot log to a file\n");
		exit(1);
	}
	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		was[i] = attempt(l.rl, addr, RL_FAILURE, T0 + i / 50, &r);
		counted += was[i] == 0;
		refused += was[i] == 429;
		if (was[i] == 429)
			retry = r;
	}
	tap_ok(counted <= 64 && refused == 100 - counted,
	    "100 networks into 64 slots: %d counted, %d refused (429)", counted, refused);
	tap_ok(refused >= 36, "at least 36 refused");
	tap_ok(retry >= 1 && retry <= 60, "a refused newcomer gets Retry-After within the window (%" PRId64 ")",
	    retry);
	for (i = 0; i < 100; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		if (was[i] == 0 && strcmp(codes(l.rl, addr, RL_FAILURE, T0 + 3, 5), " 0 0 0 0 429") != 0)
			lost++;
		if (was[i] == 429 && attempt(l.rl, addr, RL_FAILURE, T0 + 3, NULL) != 429)
			got_in++;
	}
	tap_is_int(lost, 0, "every counted network kept its event: 4 more, then 429");
	tap_is_int(got_in, 0, "no refused network got a slot while all were active");
	tap_is_int(attempt(l.rl, "203.0.113.77", RL_FAILURE, T0 + 10, NULL), 429,
	    "a newcomer while all are active: 429");
	tap_is_int(attempt(l.rl, "203.0.113.77", RL_FAILURE, T0 + 64, NULL), 0,
	    "once the window has passed, stale slots are reused");
	log_close();
	tap_is_int(count_lines(path_in("full.log"), "table full"), 1,
	    "table full is logged once, not per refused knock");
	lim_close(&l);
}

/* Two processes (two workers) add to the same counts. */
static void
processes_should_share_counts(void)
{
	struct rl_params p = params(60, 0, 3);
	struct lim l;
	pid_t pid;
	int st;

	lim_open(&l, &p);
	tap_is_int(attempt(l.rl, "192.0.2.50", RL_FAILURE, T0, NULL), 0, "parent: one failure");
	fflush(stdout);
	if ((pid = fork()) == -1) {
		printf("Bail out! fork\n");
		exit(1);
	}
	if (pid == 0) {
		struct lim c;

		lim_close(&l);
		lim_open_at(&c, l.path, &p);
		_exit(attempt(c.rl, "192.0.2.50", RL_FAILURE, T0, NULL) == 0 &&
		    attempt(c.rl, "192.0.2.50", RL_FAILURE, T0, NULL) == 0 ? 0 : 1);
	}
	tap_ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child (its own mapping of the same file): two failures");
	tap_is_int(attempt(l.rl, "192.0.2.50", RL_FAILURE, T0, NULL), 429, "parent: the 4th failure is 429");
	lim_close(&l);
}

static void
unusable_shared_file_should_fail_the_knock(void)
{
	struct rl_params p = params(60, 20, 30), off = params(60, 0, 0);
	const char *fifo = path_in("fifo.shm"), *foreign = path_in("foreign.shm");
	struct ratelimit *rl;
	struct sf_err e;
	int fd;

	if (mkfifo(fifo, 0600) == -1 || (fd = open(foreign, O_RDWR | O_CREAT, 0600)) == -1 ||
	    fchown(fd, 65534, (gid_t)-1) == -1 || close(fd) == -1) {
		printf("Bail out! cannot make the bad files\n");
		exit(1);
	}
	tap_ok(shmstate_open(fifo, 0, ratelimit_region_size(&p), &e) == NULL, "a FIFO .shm is refused");
	tap_ok(shmstate_open(foreign, 0, ratelimit_region_size(&p), &e) == NULL, "a .shm of another owner is refused");
	rl = ratelimit_new(NULL, &p);
	tap_ok(rl != NULL, "a limiter without shared state can be made");
	tap_is_int(attempt(rl, "192.0.2.1", RL_FAILURE, T0, NULL), -1,
	    "... and every knock fails (the app answers 500), none is let through unlimited");
	ratelimit_free(rl);
	rl = ratelimit_new(NULL, &off);
	tap_is_int(attempt(rl, "192.0.2.1", RL_FAILURE, T0, NULL), 0, "with both limits 0 nothing is needed");
	ratelimit_free(rl);
}

static void
small_region_should_be_refused(void)
{
	struct rl_params small = params(60, 1, 1), big = params(60, 20, 30);
	struct shmstate *s;
	struct sf_err e;

	s = shmstate_open(path_in("small.shm"), geteuid(), ratelimit_region_size(&small), &e);
	tap_ok(s != NULL && ratelimit_new(s, &big) == NULL, "ratelimit_new refuses a region too small for it");
	shmstate_close(s);
}

static void
another_layout_should_start_afresh(void)
{
	struct rl_params a = params(60, 20, 30), b = params(60, 30, 20);
	struct lim l;
	struct ratelimit *rl2;

	lim_open(&l, &a);
	tap_is_int(ratelimit_region_size(&a), ratelimit_region_size(&b), "two layouts of one size");
	tap_is_str(codes(l.rl, "192.0.2.3", RL_SUCCESS, T0, 20), " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
	    "20 successes");
	rl2 = ratelimit_new(l.shm, &b);
	tap_is_int(attempt(rl2, "192.0.2.3", RL_SUCCESS, T0, NULL), 0,
	    "a limiter of the other layout resets the table instead of misreading it");
	ratelimit_free(rl2);
	lim_close(&l);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("Bail out! test_ratelimit runs as root (it chowns a file to nobody)\n");
		return 1;
	}
	strlcpy(dir, tap_tmpdir("ratelimit"), sizeof(dir));
	region_size_should_follow_the_limits();
	limit_should_refuse_the_max_plus_first_in_the_window();
	window_should_slide();
	successful_requests_0_should_disable_only_that_limit();
	bursts_in_one_second_should_count_each_event();
	capped_runs_should_never_limit_less();
	ipv6_should_count_per_64();
	prefixes_should_be_configurable();
	fresh_addresses_should_not_evict_an_active_limit();
	full_table_should_refuse_new_clients_not_evict();
	processes_should_share_counts();
	unusable_shared_file_should_fail_the_knock();
	small_region_should_be_refused();
	another_layout_should_start_afresh();
	return tap_done();
}
