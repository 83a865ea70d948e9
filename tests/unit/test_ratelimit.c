#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

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
#include "ratelimit.h"
#include "tap.h"

#define T0 INT64_C(1767225600)

static char dir[512];

#define path_in(name) tap_path(dir, (name))

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

/* One request's worth: lock, record, unlock. */
static int
knock(struct ratelimit *rl, const char *addr, enum rl_outcome o, int64_t now)
{
	struct ipnet a = ip(addr);
	int rc = 0;

	if (ratelimit_lock(rl, now) == -1)
		return -1;
	if (ratelimit_record(rl, &a, o, now) == -1)
		rc = -1;
	if (ratelimit_unlock(rl) == -1)
		rc = -1;
	return rc;
}

/* lock, ask, unlock. Returns exceeded; *retry set (0 if not exceeded). */
static int
limited(struct ratelimit *rl, const char *addr, enum rl_outcome o, int64_t now,
    int64_t *retry)
{
	struct ipnet a = ip(addr);
	int64_t r = 0;
	int x;

	if (ratelimit_lock(rl, now) == -1)
		return -1;
	x = ratelimit_exceeded(rl, &a, o, now, &r);
	ratelimit_unlock(rl);
	if (retry != NULL)
		*retry = x ? r : 0;
	return x;
}

static char *
slurp(const char *path)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		n = read(fd, buf, (size_t)st.st_size);
		buf[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return buf;
}

static int
spew(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	size_t len = strlen(data);
	int rc = 0;

	if (fd == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len)
		rc = -1;
	close(fd);
	return rc;
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void
test_success_limit(void)
{
	const char *p = path_in("s.rl");
	struct ratelimit *rl = ratelimit_new(p, 60, 3, 2);
	struct stat st;
	int64_t retry = 0;
	char *buf;
	int i;

	tap_ok(rl != NULL, "ratelimit_new_should_succeed");
	tap_ok(!exists(p), "ratelimit_new_should_do_no_io");
	for (i = 0; i < 3; i++) {
		tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + i, NULL), 0,
		    "ratelimit_exceeded_should_allow_success_%d_of_3", i + 1);
		tap_is_int(knock(rl, "192.0.2.1", RL_SUCCESS, T0 + i), 0,
		    "ratelimit_record_should_record_success_%d", i + 1);
	}
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + 3, &retry), 1,
	    "ratelimit_exceeded_should_refuse_4th_success");
	tap_is_int(retry, 57, "ratelimit_exceeded_should_give_retry_after_until_oldest_leaves");
	tap_is_int(limited(rl, "192.0.2.1", RL_FAILURE, T0 + 3, NULL), 0,
	    "ratelimit_exceeded_should_count_failures_separately");
	tap_is_int(limited(rl, "192.0.2.2", RL_SUCCESS, T0 + 3, NULL), 0,
	    "ratelimit_exceeded_should_count_per_ip");
	tap_is_int(limited(rl, "::ffff:192.0.2.1", RL_SUCCESS, T0 + 3, NULL), 1,
	    "ratelimit_exceeded_should_treat_mapped_v4_as_v4");

	/* Sliding window: the event at T0 leaves the window at T0 + 60. */
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + 59, &retry), 1,
	    "ratelimit_exceeded_should_refuse_until_window_slides");
	tap_is_int(retry, 1, "ratelimit_exceeded_should_give_retry_after_of_one");
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + 60, NULL), 0,
	    "ratelimit_exceeded_should_allow_after_oldest_expires");
	tap_is_int(knock(rl, "192.0.2.1", RL_SUCCESS, T0 + 60), 0,
	    "ratelimit_record_should_record_after_slide");
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + 60, &retry), 1,
	    "ratelimit_exceeded_should_refuse_again_when_full");
	tap_is_int(retry, 1, "ratelimit_exceeded_should_give_retry_after_of_next_oldest");
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + 200, NULL), 0,
	    "ratelimit_exceeded_should_allow_after_whole_window");

	tap_ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "ratelimit_lock_should_create_file_0600");
	ratelimit_free(rl);

	rl = ratelimit_new(p, 60, 3, 2);
	knock(rl, "192.0.2.9", RL_FAILURE, T0 + 300);
	buf = slurp(p);
	tap_is_str(buf, "{\"192.0.2.9\":{\"s\":[],\"f\":[1767225900]}}",
	    "ratelimit_unlock_should_write_compact_state_without_stale_events");
	free(buf);
	ratelimit_free(rl);
}

static void
test_failure_limit(void)
{
	struct ratelimit *rl = ratelimit_new(path_in("f.rl"), 100, 5, 2);
	int64_t retry = 0;

	tap_is_int(knock(rl, "2001:db8::1", RL_FAILURE, T0), 0, "ratelimit_record_should_record_failure_1");
	tap_is_int(limited(rl, "2001:db8::1", RL_FAILURE, T0 + 10, NULL), 0,
	    "ratelimit_exceeded_should_allow_failure_2_of_2");
	tap_is_int(knock(rl, "2001:db8::1", RL_FAILURE, T0 + 10), 0,
	    "ratelimit_record_should_record_failure_2");
	tap_is_int(limited(rl, "2001:db8::1", RL_FAILURE, T0 + 20, &retry), 1,
	    "ratelimit_exceeded_should_refuse_3rd_failure");
	tap_is_int(retry, 80, "ratelimit_exceeded_should_give_failure_retry_after");
	tap_is_int(limited(rl, "2001:db8::1", RL_SUCCESS, T0 + 20, NULL), 0,
	    "ratelimit_exceeded_should_not_count_failures_as_successes");
	tap_is_int(limited(rl, "2001:db8::2", RL_FAILURE, T0 + 20, NULL), 0,
	    "ratelimit_exceeded_should_keep_v6_clients_apart");
	tap_is_int(limited(rl, "2001:db8::1", RL_FAILURE, T0 + 100, NULL), 0,
	    "ratelimit_exceeded_should_allow_failure_after_slide");
	ratelimit_free(rl);
}

static void
test_one_session(void)
{
	struct ratelimit *rl = ratelimit_new(path_in("one.rl"), 60, 2, 2);
	struct ipnet a = ip("198.51.100.1");
	int64_t retry = 0;

	/* Check and record inside one lock, as a request does. */
	tap_is_int(ratelimit_lock(rl, T0), 0, "ratelimit_lock_should_succeed");
	tap_is_int(ratelimit_lock(rl, T0), -1, "ratelimit_lock_should_refuse_double_lock");
	ratelimit_record(rl, &a, RL_SUCCESS, T0);
	ratelimit_record(rl, &a, RL_SUCCESS, T0 + 5);
	tap_is_int(ratelimit_exceeded(rl, &a, RL_SUCCESS, T0 + 5, &retry), 1,
	    "ratelimit_exceeded_should_see_records_of_same_session");
	tap_is_int(retry, 55, "ratelimit_exceeded_should_compute_retry_in_session");
	tap_is_int(ratelimit_unlock(rl), 0, "ratelimit_unlock_should_succeed");
	tap_is_int(ratelimit_unlock(rl), 0, "ratelimit_unlock_should_accept_not_locked");
	tap_is_int(ratelimit_exceeded(rl, &a, RL_SUCCESS, T0 + 5, &retry), 0,
	    "ratelimit_exceeded_should_be_zero_when_not_locked");
	ratelimit_free(rl);
	ratelimit_free(NULL);
	tap_ok(1, "ratelimit_free_should_accept_null");
}

static void
test_two_workers(void)
{
	const char *p = path_in("shared.rl");
	struct ratelimit *w1 = ratelimit_new(p, 60, 2, 2), *w2 = ratelimit_new(p, 60, 2, 2);
	int64_t retry = 0;

	knock(w1, "203.0.113.5", RL_SUCCESS, T0);
	tap_is_int(limited(w2, "203.0.113.5", RL_SUCCESS, T0 + 1, NULL), 0,
	    "ratelimit_should_share_counts_below_limit");
	knock(w2, "203.0.113.5", RL_SUCCESS, T0 + 1);
	tap_is_int(limited(w1, "203.0.113.5", RL_SUCCESS, T0 + 2, &retry), 1,
	    "ratelimit_should_share_counts_across_workers");
	tap_is_int(retry, 58, "ratelimit_should_share_oldest_event");
	tap_is_int(limited(w2, "203.0.113.5", RL_SUCCESS, T0 + 2, NULL), 1,
	    "ratelimit_should_share_counts_both_ways");

	/* The limit lowered by a new config: only the newest events count. */
	ratelimit_free(w2);
	w2 = ratelimit_new(p, 60, 1, 1);
	tap_is_int(limited(w2, "203.0.113.5", RL_SUCCESS, T0 + 2, &retry), 1,
	    "ratelimit_should_apply_lowered_limit");
	tap_is_int(retry, 59, "ratelimit_should_compute_retry_for_lowered_limit");
	ratelimit_free(w1);
	ratelimit_free(w2);
}

static void
test_unlimited(void)
{
	const char *p = path_in("none.rl");
	struct ratelimit *rl = ratelimit_new(p, 60, 0, 0);
	struct ipnet a = ip("192.0.2.1");
	int i, x = 0;

	tap_is_int(ratelimit_lock(rl, T0), 0, "ratelimit_lock_should_succeed_unlimited");
	for (i = 0; i < 50; i++) {
		x |= ratelimit_exceeded(rl, &a, RL_SUCCESS, T0, NULL);
		x |= ratelimit_exceeded(rl, &a, RL_FAILURE, T0, NULL);
		ratelimit_record(rl, &a, RL_SUCCESS, T0);
		ratelimit_record(rl, &a, RL_FAILURE, T0);
	}
	tap_is_int(x, 0, "ratelimit_exceeded_should_never_trigger_unlimited");
	tap_is_int(ratelimit_unlock(rl), 0, "ratelimit_unlock_should_succeed_unlimited");
	tap_ok(!exists(p), "ratelimit_should_create_no_file_when_unlimited");
	ratelimit_free(rl);

	/* Only one limit disabled. */
	rl = ratelimit_new(path_in("half.rl"), 60, 0, 1);
	for (i = 0; i < 5; i++)
		knock(rl, "192.0.2.1", RL_SUCCESS, T0);
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0, NULL), 0,
	    "ratelimit_exceeded_should_ignore_disabled_success_limit");
	knock(rl, "192.0.2.1", RL_FAILURE, T0);
	tap_is_int(limited(rl, "192.0.2.1", RL_FAILURE, T0, NULL), 1,
	    "ratelimit_exceeded_should_keep_enabled_failure_limit");
	ratelimit_free(rl);
}

static void
test_garbage(void)
{
	static const char *const bad[] = {
		"garbage",
		"[]",
		"{\"192.0.2.1\":{\"s\":[\"x\"]}}",
		"{\"192.0.2.1\":{\"s\":[1.5]}}",
		"{\"192.0.2.1\":{\"s\":[1e300]}}",
		"{\"192.0.2.1\":{\"x\":[]}}",
		"{\"192.0.2.1\":[]}",
		"{\"not an ip\":{\"s\":[]}}",
		"{\"10.0.0.0/8\":{\"s\":[]}}",
		"{\"192.0.2.1\":{\"s\":[1767225600]}",
	};
	const char *p = path_in("bad.rl");
	struct ratelimit *rl = ratelimit_new(p, 60, 1, 1);
	struct stat st;
	size_t i;
	char *buf;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Something valid that the garbage replaces. */
		spew(p, bad[i]);
		tap_is_int(ratelimit_lock(rl, T0), 0,
		    "ratelimit_lock_should_reset_garbage: %s", bad[i]);
		tap_is_int(ratelimit_unlock(rl), 0, "ratelimit_unlock_should_rewrite_garbage: %s",
		    bad[i]);
		buf = slurp(p);
		tap_is_str(buf, "{}", "ratelimit_should_leave_clean_state_after: %s", bad[i]);
		free(buf);
	}
	knock(rl, "192.0.2.1", RL_SUCCESS, T0);
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0, NULL), 1,
	    "ratelimit_should_work_after_reset");

	/* Duplicate keys (hand-edited) are merged. */
	spew(p, "{\"192.0.2.1\":{\"s\":[1767225600]},\"::ffff:192.0.2.1\":{\"f\":[1767225601]}}");
	tap_is_int(limited(rl, "192.0.2.1", RL_FAILURE, T0 + 2, NULL), 1,
	    "ratelimit_should_merge_duplicate_clients");
	tap_is_int(limited(rl, "192.0.2.1", RL_SUCCESS, T0 + 2, NULL), 1,
	    "ratelimit_should_keep_both_outcomes_of_merged_clients");

	/* A file we create keeps 0600; an existing file's mode is left alone. */
	tap_ok(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600, "ratelimit_file_should_be_0600");
	ratelimit_free(rl);

	rl = ratelimit_new(path_in("nodir/x.rl"), 60, 1, 1);
	tap_is_int(ratelimit_lock(rl, T0), -1, "ratelimit_lock_should_fail_without_directory");
	tap_is_int(ratelimit_unlock(rl), 0, "ratelimit_unlock_should_accept_failed_lock");
	ratelimit_free(rl);
}

static void
test_max_clients(void)
{
	const char *p = path_in("many.rl");
	struct ratelimit *rl = ratelimit_new(p, 100000, 1, 1);
	char addr[64];
	struct ipnet a;
	int i, n = RATELIMIT_MAX_CLIENTS + 1, x;

	ratelimit_lock(rl, T0 + n);
	for (i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		a = ip(addr);
		/* client 0 is the least recently active */
		ratelimit_record(rl, &a, i % 2 ? RL_SUCCESS : RL_FAILURE, T0 + i);
	}
	tap_is_int(ratelimit_unlock(rl), 0, "ratelimit_unlock_should_write_many_clients");

	ratelimit_lock(rl, T0 + n);
	a = ip("10.0.0.0");
	x = ratelimit_exceeded(rl, &a, RL_FAILURE, T0 + n, NULL);
	tap_is_int(x, 0, "ratelimit_should_drop_least_recent_client_over_cap");
	a = ip("10.0.0.1");
	tap_is_int(ratelimit_exceeded(rl, &a, RL_SUCCESS, T0 + n, NULL), 1,
	    "ratelimit_should_keep_second_oldest_client");
	snprintf(addr, sizeof(addr), "10.0.%d.%d", (n - 1) / 256, (n - 1) % 256);
	a = ip(addr);
	tap_is_int(ratelimit_exceeded(rl, &a, RL_FAILURE, T0 + n, NULL), 1,
	    "ratelimit_should_keep_newest_client");
	ratelimit_unlock(rl);
	ratelimit_free(rl);
}

static void
cleanup_dir(void)
{
	static const char *const names[] = {
		"s.rl", "f.rl", "one.rl", "shared.rl", "none.rl", "half.rl", "bad.rl", "many.rl",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path_in(names[i]));
	if (rmdir(dir) == -1)
		tap_diag("left %s behind: %s", dir, strerror(errno));
}

int
main(void)
{
	umask(022);
	if (strlcpy(dir, tap_tmpdir("ratelimit"), sizeof(dir)) >= sizeof(dir)) {
		printf("Bail out! temporary directory name too long\n");
		return 1;
	}
	test_success_limit();
	test_failure_limit();
	test_one_session();
	test_two_workers();
	test_unlimited();
	test_garbage();
	test_max_clients();
	cleanup_dir();
	return tap_done();
}
