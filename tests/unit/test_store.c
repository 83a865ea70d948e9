#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "store.h"
#include "tap.h"
#include "wlfile.h"

#define T0 INT64_C(1767225600)

static char dir[512];

#define path_in(name) tap_path(dir, (name))

static struct ipnet
net(const char *s)
{
	struct ipnet n;

	if (ipnet_parse(s, &n) == -1) {
		printf("Bail out! bad test address %s\n", s);
		exit(1);
	}
	return n;
}

static int
lookup(const struct store *s, const char *addr, int64_t now, int64_t *exp)
{
	struct ipnet a = net(addr);

	return store_lookup(s, &a, now, exp);
}

static int
add(struct store *s, const char *entry, int64_t expires_at, int64_t now)
{
	struct ipnet e = net(entry);

	return store_add(s, &e, expires_at, now);
}

/* Whole file into a new NUL-terminated buffer, or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		n = read(fd, buf, (size_t)st.st_size);
		if (n < 0)
			n = 0;
		buf[n] = '\0';
		*len = (size_t)n;
	}
	close(fd);
	return buf;
}

static int
spew(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int rc = 0;

	if (fd == -1)
		return -1;
	if (write(fd, data, len) != (ssize_t)len)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

/* Parses the file on disk into a new map (NULL if absent or bad). */
static struct ipmap *
disk_map(const char *path)
{
	struct ipmap *m;
	size_t len;
	char *buf = slurp(path, &len);

	if (buf == NULL)
		return NULL;
	m = ipmap_new();
	if (wlfile_parse(buf, len, m, NULL) == -1) {
		ipmap_free(m);
		m = NULL;
	}
	free(buf);
	return m;
}

static int
disk_has(const char *path, const char *entry, int64_t *value)
{
	struct ipmap *m = disk_map(path);
	struct ipnet e = net(entry);
	int r;

	if (m == NULL)
		return -1;
	r = ipmap_get(m, &e, value);
	ipmap_free(m);
	return r;
}

static int64_t
disk_count(const char *path)
{
	struct ipmap *m = disk_map(path);
	int64_t n;

	if (m == NULL)
		return -1;
	n = (int64_t)ipmap_count(m);
	ipmap_free(m);
	return n;
}

static int
file_mode(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int saved_stderr = -1;

/* Sends log lines to a file, to count them. */
static void
stderr_to_file(void)
{
	int fd = open(path_in("stderr.log"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	if (fd != -1) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

/* Restores stderr, echoes what was logged and counts lines holding needle. */
static int
stderr_restore(const char *needle)
{
	const char *q;
	size_t len;
	char *buf;
	int n = 0;

	fflush(stderr);
	if (saved_stderr != -1) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	buf = slurp(path_in("stderr.log"), &len);
	if (buf == NULL)
		return -1;
	for (q = buf; (q = strstr(q, needle)) != NULL; q++)
		n++;
	if (len > 0 && write(STDERR_FILENO, buf, len) < 0)
		n = -1;
	free(buf);
	unlink(path_in("stderr.log"));
	return n;
}

/* Two processes knocking at once: flock serializes the writers, so no
   knock is lost. */
static void
test_concurrent_writers(void)
{
	const char *p = path_in("conc.json");
	struct store *s;
	pid_t pid;
	int i, status = -1, rc = 0;
	char addr[32];

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		s = store_new(p, 1000);
		for (i = 0; i < 20; i++) {
			snprintf(addr, sizeof(addr), "192.0.2.%d", i);
			if (add(s, addr, T0 + 100, T0) != 0)
				rc = 1;
		}
		store_free(s);
		_exit(rc);
	}
	s = store_new(p, 1000);
	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		if (add(s, addr, T0 + 100, T0) != 0)
			rc = 1;
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && rc == 0,
	    "store_add_should_succeed_in_two_processes");
	tap_is_int(disk_count(p), 40, "store_add_should_lose_no_concurrent_knock");
	store_refresh(s);
	tap_is_int((int64_t)store_count(s), 40, "store_refresh_should_see_all_concurrent_knocks");
	store_free(s);
}

static void
test_missing_and_two_workers(void)
{
	const char *p = path_in("wl.json");
	struct store *w1 = store_new(p, 100), *w2 = store_new(p, 100);
	int64_t exp = 0;
	size_t len;
	char *buf;

	tap_ok(w1 != NULL && w2 != NULL, "store_new_should_succeed");
	tap_is_int(store_refresh(w1), 0, "store_refresh_should_accept_missing_file");
	tap_is_int((int64_t)store_count(w1), 0, "store_count_should_be_zero_for_missing_file");
	tap_is_int(lookup(w1, "203.0.113.7", T0, NULL), 0, "store_lookup_should_deny_on_empty");
	tap_ok(!exists(p), "store_refresh_should_not_create_file");

	tap_is_int(add(w1, "203.0.113.7", T0 + 3600, T0), 0, "store_add_should_succeed");
	tap_is_int(lookup(w1, "203.0.113.7", T0, &exp), 1, "store_lookup_should_find_own_knock");
	tap_is_int(exp, T0 + 3600, "store_lookup_should_report_expiry");
	buf = slurp(p, &len);
	tap_is_str(buf, "{\"203.0.113.7\":1767229200}", "store_add_should_write_compact_file");
	free(buf);
	tap_is_int(file_mode(p), 0600, "store_add_should_create_file_0600");
	tap_is_int(file_mode(path_in("wl.json.lock")), 0600, "store_add_should_create_lock_0600");
	tap_ok(!exists(path_in("wl.json.tmp")), "store_add_should_leave_no_temp_file");

	/* The second worker sees the first one's knock on its next refresh. */
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 0, "store_lookup_should_use_view_only");
	tap_is_int(store_refresh(w2), 0, "store_refresh_should_load_other_workers_file");
	tap_is_int(lookup(w2, "203.0.113.7", T0, &exp), 1,
	    "store_lookup_should_see_other_workers_knock");
	tap_is_int(exp, T0 + 3600, "store_lookup_should_see_other_workers_expiry");

	tap_is_int(add(w2, "198.51.100.0/24", T0 + 60, T0), 0, "store_add_should_succeed_cidr");
	tap_is_int(store_refresh(w1), 0, "store_refresh_should_succeed_after_other_write");
	tap_is_int(lookup(w1, "198.51.100.77", T0, NULL), 1,
	    "store_lookup_should_see_second_workers_cidr");
	tap_is_int(lookup(w1, "203.0.113.7", T0, NULL), 1,
	    "store_add_should_keep_first_workers_entry");
	tap_is_int((int64_t)store_count(w1), 2, "store_count_should_count_entries");

	/* Re-knock replaces the expiry, even with an earlier one. */
	tap_is_int(add(w1, "203.0.113.7", T0 + 100, T0), 0, "store_add_should_accept_reknock");
	lookup(w1, "203.0.113.7", T0, &exp);
	tap_is_int(exp, T0 + 100, "store_add_should_replace_expiry");
	tap_is_int((int64_t)store_count(w1), 2, "store_add_should_not_duplicate_entry");
	store_refresh(w2);
	lookup(w2, "203.0.113.7", T0, &exp);
	tap_is_int(exp, T0 + 100, "store_refresh_should_see_replaced_expiry");

	/* A file removed is an empty whitelist again. */
	unlink(p);
	tap_is_int(store_refresh(w2), 0, "store_refresh_should_accept_removed_file");
	tap_is_int((int64_t)store_count(w2), 0, "store_refresh_should_empty_view_for_removed_file");
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 0,
	    "store_lookup_should_deny_after_file_removed");

	store_free(w1);
	store_free(w2);
	unlink(path_in("wl.json.lock"));
}

static void
test_cidr(void)
{
	const char *p = path_in("cidr.json");
	struct store *s = store_new(p, 100);

	tap_is_int(add(s, "10.1.2.3/8", T0 + 50, T0), 0, "store_add_should_accept_cidr_with_host_bits");
	tap_is_int(disk_has(p, "10.0.0.0/8", NULL), 1, "store_add_should_write_canonical_cidr");
	tap_is_int(lookup(s, "10.200.1.1", T0, NULL), 1, "store_lookup_should_match_inside_v4_cidr");
	tap_is_int(lookup(s, "11.0.0.1", T0, NULL), 0, "store_lookup_should_not_match_outside_cidr");
	tap_is_int(lookup(s, "::ffff:10.9.9.9", T0, NULL), 1,
	    "store_lookup_should_match_mapped_v4_inside_cidr");
	tap_is_int(add(s, "2001:db8:1:2::/64", T0 + 70, T0), 0, "store_add_should_accept_v6_cidr");
	tap_is_int(lookup(s, "2001:db8:1:2::abcd", T0, NULL), 1,
	    "store_lookup_should_match_inside_v6_cidr");
	tap_is_int(lookup(s, "2001:db8:1:3::1", T0, NULL), 0,
	    "store_lookup_should_not_match_outside_v6_cidr");
	tap_is_int(add(s, "10.1.2.3", T0 + 90, T0), 0, "store_add_should_accept_host_in_cidr");
	{
		int64_t exp = 0;

		lookup(s, "10.1.2.3", T0, &exp);
		tap_is_int(exp, T0 + 90, "store_lookup_should_report_latest_matching_expiry");
		lookup(s, "10.1.2.4", T0, &exp);
		tap_is_int(exp, T0 + 50, "store_lookup_should_report_cidr_expiry");
	}
	store_free(s);
}

static void
test_expiry(void)
{
	const char *p = path_in("exp.json");
	struct store *s = store_new(p, 100);
	struct stat before, after;

	add(s, "192.0.2.1", T0 + 10, T0);
	tap_is_int(lookup(s, "192.0.2.1", T0 + 9, NULL), 1, "store_lookup_should_match_before_expiry");
	tap_is_int(lookup(s, "192.0.2.1", T0 + 10, NULL), 0, "store_lookup_should_deny_at_expiry");
	tap_is_int(lookup(s, "192.0.2.1", T0 + 11, NULL), 0, "store_lookup_should_deny_after_expiry");

	add(s, "192.0.2.2", T0 + 100, T0 + 20);
	tap_is_int(disk_has(p, "192.0.2.1", NULL), 0, "store_add_should_drop_expired_on_write");
	tap_is_int(disk_has(p, "192.0.2.2", NULL), 1, "store_add_should_keep_live_entry");
	tap_is_int((int64_t)store_count(s), 1, "store_add_should_drop_expired_from_view");

	/* Nothing expired: cleanup leaves the file alone. */
	stat(p, &before);
	tap_is_int(store_cleanup(s, T0 + 50), 0, "store_cleanup_should_succeed_with_nothing_to_do");
	stat(p, &after);
	tap_ok(before.st_ino == after.st_ino, "store_cleanup_should_not_rewrite_without_expired");

	add(s, "192.0.2.3", T0 + 200, T0 + 20);
	tap_is_int(store_cleanup(s, T0 + 150), 0, "store_cleanup_should_succeed");
	tap_is_int(disk_count(p), 1, "store_cleanup_should_drop_expired_entries");
	tap_is_int(disk_has(p, "192.0.2.3", NULL), 1, "store_cleanup_should_keep_live_entries");
	tap_is_int((int64_t)store_count(s), 1, "store_cleanup_should_update_view");

	tap_is_int(store_cleanup(s, T0 + 300), 0, "store_cleanup_should_succeed_emptying");
	{
		size_t len;
		char *buf = slurp(p, &len);

		tap_is_str(buf, "{}", "store_cleanup_should_write_empty_object");
		free(buf);
	}
	tap_is_int(store_cleanup(s, T0 + 400), 0,
	    "store_cleanup_should_succeed_on_empty_file");
	store_free(s);

	/* Cleanup of a missing file does nothing and creates nothing. */
	s = store_new(path_in("never.json"), 10);
	tap_is_int(store_cleanup(s, T0), 0, "store_cleanup_should_succeed_on_missing_file");
	tap_ok(!exists(path_in("never.json")), "store_cleanup_should_not_create_file");
	store_free(s);
}

static void
test_no_reread(void)
{
	const char *p = path_in("same.json");
	struct store *w1 = store_new(p, 100), *w2 = store_new(p, 100);
	struct timespec times[2];
	struct stat st;
	size_t len;
	char *buf, *q;

	add(w1, "203.0.113.7", T0 + 3600, T0);
	tap_is_int(store_refresh(w2), 0, "store_refresh_should_load");
	stat(p, &st);
	/* Change the bytes in place, same size, and put the mtime back: same
	   identity, so a refresh must not read it. */
	buf = slurp(p, &len);
	q = strstr(buf, "203.0.113.7");
	q[10] = '8';
	spew(p, buf, len);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	utimensat(AT_FDCWD, p, times, 0);
	tap_is_int(store_refresh(w2), 0, "store_refresh_should_succeed_unchanged");
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 1,
	    "store_refresh_should_not_reread_unchanged_file");
	tap_is_int(lookup(w2, "203.0.113.8", T0, NULL), 0,
	    "store_refresh_should_keep_view_for_unchanged_file");

	/* Same file, new mtime: re-read. */
	times[1].tv_sec += 1;
	utimensat(AT_FDCWD, p, times, 0);
	tap_is_int(store_refresh(w2), 0, "store_refresh_should_succeed_changed");
	tap_is_int(lookup(w2, "203.0.113.8", T0, NULL), 1, "store_refresh_should_reread_on_mtime");
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 0, "store_refresh_should_replace_view");
	free(buf);

	/* A corrupt file replacing it fails closed. */
	spew(path_in("same.json.new"), "{\"203.0.113.8\":1", 16);
	rename(path_in("same.json.new"), p);
	tap_is_int(store_refresh(w2), -1, "store_refresh_should_fail_on_corrupt_replacement");
	tap_is_int(lookup(w2, "203.0.113.8", T0, NULL), 0, "store_lookup_should_fail_closed");
	tap_is_int(store_refresh(w2), -1, "store_refresh_should_stay_failed_while_corrupt");
	store_free(w1);
	store_free(w2);
}

static void
test_max_entries(void)
{
	const char *p = path_in("max.json");
	struct store *s = store_new(p, 3);

	add(s, "192.0.2.1", T0 + 500, T0);
	add(s, "192.0.2.2", T0 + 100, T0);
	add(s, "192.0.2.3", T0 + 400, T0);
	tap_is_int(disk_count(p), 3, "store_add_should_fill_to_max");
	add(s, "192.0.2.4", T0 + 300, T0);
	tap_is_int(disk_count(p), 3, "store_add_should_keep_max_entries");
	tap_is_int(disk_has(p, "192.0.2.2", NULL), 0, "store_add_should_drop_soonest_expiring");
	tap_is_int(disk_has(p, "192.0.2.4", NULL), 1, "store_add_should_keep_new_entry");
	/* A knock answered 200 is kept even when it expires soonest: the
	   others that expire soonest make room. */
	add(s, "192.0.2.5", T0 + 200, T0);
	tap_is_int(disk_count(p), 3, "store_add_should_stay_at_max");
	tap_is_int(disk_has(p, "192.0.2.5", NULL), 1,
	    "store_add_should_keep_new_entry_even_if_it_expires_soonest");
	tap_ok(disk_has(p, "192.0.2.1", NULL) == 1 && disk_has(p, "192.0.2.3", NULL) == 1 &&
	    disk_has(p, "192.0.2.4", NULL) == 0, "store_add_should_drop_the_soonest_of_the_others");
	tap_is_int((int64_t)store_count(s), 3, "store_view_should_match_file_after_trim");
	store_free(s);

	/* A file over the limit (lowered config) is trimmed on the next write. */
	s = store_new(p, 1);
	add(s, "192.0.2.6", T0 + 50, T0);
	tap_is_int(disk_count(p), 1, "store_add_should_trim_to_lowered_max");
	tap_is_int(disk_has(p, "192.0.2.6", NULL), 1, "store_add_should_keep_only_the_new_entry");
	store_free(s);
}

static void
test_corrupt(void)
{
	static const char garbage[] = "{\"1.2.3.4\":1767229200,\"5.6.7.8\":";
	const char *p = path_in("bad.json");
	char want[800], err[1024];
	struct store *s = store_new(p, 100);
	int64_t exp = 0;
	size_t len;
	char *buf;

	spew(p, garbage, sizeof(garbage) - 1);
	stderr_to_file();
	tap_is_int(store_refresh(s), -1, "store_refresh_should_fail_on_corrupt_file");
	tap_is_int(lookup(s, "1.2.3.4", T0, NULL), 0, "store_lookup_should_deny_with_corrupt_file");
	tap_is_int(store_refresh(s), -1, "store_refresh_should_fail_again_without_reread");
	tap_is_int(store_refresh(s), -1, "store_refresh_should_keep_failing_while_corrupt");
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_on_corrupt_file");
	tap_is_int(store_cleanup(s, T0), 0, "store_cleanup_should_leave_corrupt_file_to_writers");
	tap_is_int(stderr_restore("does not parse"), 1,
	    "store_should_log_corrupt_file_once");
	snprintf(want, sizeof(want), "whitelist file %s does not parse", p);
	tap_is_str(err, want, "store_check_ready_should_name_corrupt_file");
	tap_ok(exists(p), "store_cleanup_should_not_touch_corrupt_file");

	tap_is_int(add(s, "9.9.9.9", T0 + 60, T0), 0, "store_add_should_replace_corrupt_file");
	buf = slurp(path_in("bad.json.corrupt-1767225600"), &len);
	tap_ok(buf != NULL && len == sizeof(garbage) - 1 && memcmp(buf, garbage, len) == 0,
	    "store_add_should_preserve_corrupt_bytes_aside");
	free(buf);
	tap_is_int(disk_count(p), 1, "store_add_should_start_empty_after_corrupt");
	tap_is_int(disk_has(p, "9.9.9.9", &exp), 1, "store_add_should_write_new_entry");
	tap_is_int(store_refresh(s), 0, "store_refresh_should_recover_after_rewrite");
	tap_is_int(lookup(s, "9.9.9.9", T0, NULL), 1, "store_lookup_should_work_after_rewrite");
	tap_is_int(lookup(s, "1.2.3.4", T0, NULL), 0, "store_lookup_should_not_use_corrupt_data");
	tap_is_int(store_check_ready(s, err, sizeof(err)), 0, "store_check_ready_should_pass_again");

	/* Corrupt again within the same second: another name, nothing lost. */
	spew(p, "[]", 2);
	tap_is_int(add(s, "9.9.9.9", T0 + 60, T0), 0, "store_add_should_replace_second_corrupt_file");
	buf = slurp(path_in("bad.json.corrupt-1767225600.1"), &len);
	tap_is_str(buf, "[]", "store_add_should_not_overwrite_earlier_corrupt_copy");
	free(buf);
	buf = slurp(path_in("bad.json.corrupt-1767225600"), &len);
	tap_ok(buf != NULL && len == sizeof(garbage) - 1, "store_add_should_keep_first_corrupt_copy");
	free(buf);

	/* An empty file does not parse either. */
	spew(p, "", 0);
	tap_is_int(store_refresh(s), -1, "store_refresh_should_fail_on_empty_file");
	store_free(s);
}

static void
test_write_failures(void)
{
	const char *p = path_in("fail.json");
	const char *tmp = path_in("fail.json.tmp");
	struct store *s = store_new(p, 100);
	char *before, *after;
	size_t blen, alen;

	add(s, "192.0.2.1", T0 + 100, T0);
	before = slurp(p, &blen);

	/* A directory where the temp file goes: cannot be removed or created. */
	mkdir(tmp, 0700);
	tap_is_int(add(s, "192.0.2.2", T0 + 100, T0), -1, "store_add_should_fail_when_temp_blocked");
	after = slurp(p, &alen);
	tap_ok(after != NULL && alen == blen && memcmp(before, after, blen) == 0,
	    "store_add_failure_should_leave_old_file_intact");
	free(after);
	tap_is_int(lookup(s, "192.0.2.2", T0, NULL), 0, "store_add_failure_should_not_change_view");
	tap_is_int(lookup(s, "192.0.2.1", T0, NULL), 1, "store_add_failure_should_keep_view");
	rmdir(tmp);

	/* A file size limit makes the write itself fail (works as root too). */
	{
		struct rlimit old, small;
		void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
		int r;

		getrlimit(RLIMIT_FSIZE, &old);
		small = old;
		small.rlim_cur = 8;
		setrlimit(RLIMIT_FSIZE, &small);
		r = add(s, "192.0.2.3", T0 + 100, T0);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, prev);
		tap_is_int(r, -1, "store_add_should_fail_on_short_write");
	}
	after = slurp(p, &alen);
	tap_ok(after != NULL && alen == blen && memcmp(before, after, blen) == 0,
	    "store_add_short_write_should_leave_old_file_intact");
	free(after);
	tap_ok(!exists(tmp), "store_add_failure_should_remove_temp_file");

	/* A leftover temp file from a crash is replaced, even if it is a link. */
	spew(tmp, "{\"6.6.6.6\":9999999999}", 22);
	chmod(tmp, 0644);
	tap_is_int(add(s, "192.0.2.5", T0 + 100, T0), 0, "store_add_should_replace_leftover_temp");
	tap_ok(!exists(tmp), "store_add_should_not_leave_temp_file");
	tap_is_int(disk_has(p, "6.6.6.6", NULL), 0, "store_add_should_not_use_leftover_temp");
	tap_is_int(file_mode(p), 0600, "store_add_should_write_0600_despite_leftover");
	if (symlink(path_in("victim"), tmp) == 0) {
		tap_is_int(add(s, "192.0.2.6", T0 + 100, T0), 0,
		    "store_add_should_replace_temp_symlink");
		tap_ok(!exists(path_in("victim")), "store_add_should_not_follow_temp_symlink");
		tap_is_int(file_mode(p), 0600, "store_add_should_write_regular_file");
	}
	free(before);
	store_free(s);
}

static void
test_bad_parent(void)
{
	char p[800], want[1024], err[1024];
	struct store *s;
	struct ipnet e = net("192.0.2.1");

	spew(path_in("regular"), "x", 1);
	snprintf(p, sizeof(p), "%s/wl.json", path_in("regular"));
	s = store_new(p, 10);
	tap_is_int(store_add(s, &e, T0 + 10, T0), -1, "store_add_should_fail_under_regular_file");
	tap_is_int(store_refresh(s), -1, "store_refresh_should_fail_under_regular_file");
	tap_is_int(store_lookup(s, &e, T0, NULL), 0, "store_lookup_should_deny_under_regular_file");
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_under_regular_file");
	snprintf(want, sizeof(want), "cannot write to directory %s: Not a directory",
	    path_in("regular"));
	tap_is_str(err, want, "store_check_ready_should_name_directory");
	store_free(s);
}

static void
test_check_ready(void)
{
	char p[800], want[1024], err[1024];
	struct store *s = store_new(path_in("ready.json"), 10);

	tap_is_int(store_check_ready(s, err, sizeof(err)), 0,
	    "store_check_ready_should_pass_with_missing_file");
	tap_is_str(err, "", "store_check_ready_should_leave_empty_message");
	store_free(s);

	snprintf(p, sizeof(p), "%s/wl.json", path_in("nodir"));
	s = store_new(p, 10);
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_with_missing_directory");
	snprintf(want, sizeof(want), "cannot write to directory %s: No such file or directory",
	    path_in("nodir"));
	tap_is_str(err, want, "store_check_ready_should_name_missing_directory");
	tap_is_int(store_check_ready(s, err, 8), -1, "store_check_ready_should_truncate_message");
	tap_is_int((int64_t)strlen(err), 7, "store_check_ready_should_fit_small_buffer");
	store_free(s);

	s = store_new("relative.json", 10);
	tap_ok(s != NULL, "store_new_should_accept_relative_path");
	store_free(s);
	tap_ok(store_new("", 10) == NULL, "store_new_should_reject_empty_path");
	store_free(NULL);
	tap_ok(1, "store_free_should_accept_null");
}

static void
cleanup_dir(void)
{
	static const char *const names[] = {
		"wl.json", "wl.json.lock", "cidr.json", "cidr.json.lock", "exp.json",
		"exp.json.lock", "never.json.lock", "same.json", "same.json.lock",
		"max.json", "max.json.lock", "bad.json", "bad.json.lock",
		"bad.json.corrupt-1767225600", "bad.json.corrupt-1767225600.1",
		"fail.json", "fail.json.lock", "fail.json.tmp", "victim", "regular",
		"ready.json", "conc.json", "conc.json.lock", "stderr.log",
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
	if (strlcpy(dir, tap_tmpdir("store"), sizeof(dir)) >= sizeof(dir)) {
		printf("Bail out! temporary directory name too long\n");
		return 1;
	}
	test_missing_and_two_workers();
	test_cidr();
	test_expiry();
	test_no_reread();
	test_max_entries();
	test_concurrent_writers();
	test_corrupt();
	test_write_failures();
	test_bad_parent();
	test_check_ready();
	cleanup_dir();
	return tap_done();
}
