/*
 * ratelimit: per-IP success/failure limits over a sliding window, shared
 * through one file by several instances (as by several worker processes).
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ipnet.h"
#include "ratelimit.h"
#include "tap.h"

#define T0 1700000000

static char dir[512];

static const char *
path_in(const char *name)
{
	static char p[600];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static struct ipnet
ip(const char *s)
{
	struct ipnet n;

	memset(&n, 0, sizeof(n));
	if (ipnet_parse_addr(s, &n) != 0)
		tap_diag("bad test address %s", s);
	return n;
}

/* Locks, checks, records if not exceeded, unlocks: what a knock does. */
static int
attempt(struct ratelimit *rl, const char *addr, enum rl_outcome o, int64_t now, int64_t *retry)
{
	struct ipnet a = ip(addr);
	int64_t r = 0;
	int exceeded;

	if (ratelimit_lock(rl, now) != 0)
		return -1;
	exceeded = ratelimit_exceeded(rl, &a, o, now, &r);
	if (!exceeded)
		ratelimit_record(rl, &a, o, now);
	ratelimit_unlock(rl);
	if (retry != NULL)
		*retry = r;
	return exceeded;
}

static void
test_limits(void)
{
	struct ratelimit *rl = ratelimit_new(path_in("a.ratelimit"), 60, 3, 2);
	int64_t retry = 0;
	struct stat st;
	int i;

	for (i = 0; i < 3; i++)
		tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0 + i, NULL), 0,
		    "success %d of 3 should be allowed", i + 1);
	tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0 + 10, &retry), 1,
	    "the 4th success in the window should exceed");
	tap_is_int(retry, 50, "retry_after should be when the oldest success leaves the window");
	tap_is_int(attempt(rl, "198.51.100.1", RL_FAILURE, T0 + 10, NULL), 0,
	    "failures are counted apart from successes");
	tap_is_int(attempt(rl, "198.51.100.1", RL_FAILURE, T0 + 11, NULL), 0, "second failure allowed");
	tap_is_int(attempt(rl, "198.51.100.1", RL_FAILURE, T0 + 12, &retry), 1, "third failure should exceed");
	tap_is_int(retry, 58, "failure retry_after");
	tap_is_int(attempt(rl, "198.51.100.2", RL_SUCCESS, T0 + 12, NULL), 0,
	    "another client has its own budget");
	tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0 + 60, NULL), 0,
	    "after the first success left the window, one more is allowed");
	tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0 + 60, NULL), 1,
	    "but not two");
	tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0 + 200, NULL), 0,
	    "long after the window everything is forgotten");
	tap_ok(stat(path_in("a.ratelimit"), &st) == 0 && (st.st_mode & 0777) == 0600,
	    "state file should be mode 0600");
	ratelimit_free(rl);
}

static void
test_shared_between_instances(void)
{
	struct ratelimit *w1 = ratelimit_new(path_in("b.ratelimit"), 60, 2, 0);
	struct ratelimit *w2 = ratelimit_new(path_in("b.ratelimit"), 60, 2, 0);

	tap_is_int(attempt(w1, "2001:db8::1", RL_SUCCESS, T0, NULL), 0, "worker 1: first success");
	tap_is_int(attempt(w2, "2001:db8::1", RL_SUCCESS, T0 + 1, NULL), 0, "worker 2: second success");
	tap_is_int(attempt(w1, "2001:db8::1", RL_SUCCESS, T0 + 2, NULL), 1,
	    "worker 1 sees worker 2's success: the third exceeds");
	tap_is_int(attempt(w2, "2001:db8::1", RL_FAILURE, T0 + 2, NULL), 0,
	    "failure limit 0 means unlimited");
	ratelimit_free(w1);
	ratelimit_free(w2);
}

static void
test_mapped_is_ipv4(void)
{
	struct ratelimit *rl = ratelimit_new(path_in("c.ratelimit"), 60, 1, 1);

	tap_is_int(attempt(rl, "192.0.2.1", RL_SUCCESS, T0, NULL), 0, "IPv4 success");
	tap_is_int(attempt(rl, "::ffff:192.0.2.1", RL_SUCCESS, T0, NULL), 1,
	    "the v4-mapped form is the same client");
	ratelimit_free(rl);
}

static void
test_unlimited_touches_nothing(void)
{
	struct ratelimit *rl = ratelimit_new(path_in("d.ratelimit"), 60, 0, 0);
	int i, bad = 0;

	for (i = 0; i < 100; i++)
		if (attempt(rl, "198.51.100.9", i % 2 ? RL_SUCCESS : RL_FAILURE, T0, NULL) != 0)
			bad++;
	tap_is_int(bad, 0, "with both limits 0 nothing is ever exceeded");
	tap_ok(access(path_in("d.ratelimit"), F_OK) != 0, "with both limits 0 no state file is created");
	ratelimit_free(rl);
}

static void
test_garbage_resets(void)
{
	struct ratelimit *rl;
	FILE *f = fopen(path_in("e.ratelimit"), "w");

	fputs("{\"198.51.100.1\":{\"s\":[1,2", f);
	fclose(f);
	rl = ratelimit_new(path_in("e.ratelimit"), 60, 1, 1);
	tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0, NULL), 0,
	    "a garbage state file is started afresh");
	tap_is_int(attempt(rl, "198.51.100.1", RL_SUCCESS, T0, NULL), 1,
	    "and works from then on");
	ratelimit_free(rl);
}

static void
test_unwritable_dir(void)
{
	struct ratelimit *rl = ratelimit_new(path_in("missing/f.ratelimit"), 60, 1, 1);

	tap_is_int(ratelimit_lock(rl, T0), -1, "lock fails when the state file cannot be created");
	tap_is_int(ratelimit_unlock(rl), 0, "unlock when not locked is harmless");
	ratelimit_free(rl);
	ratelimit_free(NULL);
	tap_ok(1, "ratelimit_free(NULL) is harmless");
}

int
main(void)
{
	const char *names[] = { "a.ratelimit", "b.ratelimit", "c.ratelimit", "d.ratelimit", "e.ratelimit" };
	size_t i;

	if (strlcpy(dir, tap_tmpdir("ratelimit"), sizeof(dir)) >= sizeof(dir))
		return 1;
	test_limits();
	test_shared_between_instances();
	test_mapped_is_ipv4();
	test_unlimited_touches_nothing();
	test_garbage_resets();
	test_unwritable_dir();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path_in(names[i]));
	rmdir(dir);
	return tap_done();
}
