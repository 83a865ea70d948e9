#include "config.h"

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <pwd.h>
#include <time.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "statefile.h"
#include "store.h"
#include "storebehave.h"
#include "tap.h"
#include "testconf.h"
#include "wlfile.h"
#include "wlindex.h"

#define T0 INT64_C(1767225600)

static char dir[512];

#define path_in(name) tap_path(dir, (name))

static int
lookup(const struct store *s, const char *addr, int64_t now, int64_t *exp)
{
	struct ipnet a = test_net(addr);

	return store_lookup(s, &a, now, exp);
}

static int
add(struct store *s, const char *entry, int64_t expires_at, int64_t now)
{
	struct ipnet e = test_net(entry);

	return store_add(s, &e, expires_at, now, NULL);
}

/* store_new with the store opening its own shared mapping. */
static struct store *
new_store(const char *path, int64_t max)
{
	return store_new(path, max, NULL);
}

/* Whether dir holds a file whose name starts with prefix. */
static int
has_file_starting(const char *d, const char *prefix)
{
	struct dirent *ent;
	DIR *dp = opendir(d);
	int found = 0;

	if (dp == NULL)
		return 0;
	while ((ent = readdir(dp)) != NULL)
		if (strncmp(ent->d_name, prefix, strlen(prefix)) == 0)
			found = 1;
	closedir(dp);
	return found;
}

static uid_t
nobody_uid(void)
{
	struct passwd *pw = getpwnam("nobody");

	if (pw == NULL) {
		printf("Bail out! no user nobody\n");
		exit(1);
	}
	return pw->pw_uid;
}

static uid_t
file_owner(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return (uid_t)-1;
	return st.st_uid;
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

/* Makes path look an hour older than T0 (a leftover of a killed writer). */
static void
age(const char *path)
{
	struct timespec t[2];

	t[0].tv_sec = t[1].tv_sec = T0 - 3600;
	t[0].tv_nsec = t[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW) == -1)
		tap_diag("utimensat %s: %s", path, strerror(errno));
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
	struct ipnet e = test_net(entry);
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

/* Two processes knocking at once: the lock serializes the writers, so no
   knock is lost, and each sees the other's through the generation. */
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
		s = new_store(p, 1000);
		for (i = 0; i < 20; i++) {
			snprintf(addr, sizeof(addr), "192.0.2.%d", i);
			if (add(s, addr, T0 + 100, T0) != STORE_OK)
				rc = 1;
		}
		store_free(s);
		_exit(rc);
	}
	s = new_store(p, 1000);
	for (i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		if (add(s, addr, T0 + 100, T0) != STORE_OK)
			rc = 1;
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && rc == 0,
	    "store_add_should_succeed_in_two_processes");
	tap_is_int(disk_count(p), 40, "store_add_should_lose_no_concurrent_knock");
	tap_is_int(store_refresh(s, T0), 0, "store_refresh_should_succeed_after_concurrent_knocks");
	tap_is_int((int64_t)store_count(s), 40,
	    "store_refresh_should_see_all_concurrent_knocks_in_the_same_second");
	tap_is_int(lookup(s, "192.0.2.19", T0, NULL), 1,
	    "store_lookup_should_see_the_other_process_knock");
	store_free(s);
}

/* The same, while the lock file is deleted again and again (by hand, say):
   a second writer can then get in, and whitelist.json changing under a
   writer makes it start over, so no knock that succeeded is lost. */
static void
test_writers_lock_deleted(void)
{
	const char *p = path_in("dele.json"), *lp = path_in("dele.json.lock");
	int i, k, status, okfd, nok = 0, missing = 0;
	char addr[32], line[64];
	pid_t pid[3];
	FILE *f;

	okfd = open(path_in("dele.ok"), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	fflush(stdout);
	if ((pid[0] = fork()) == 0) {
		for (;;) {
			unlink(lp);
			usleep(1000);
		}
	}
	for (k = 1; k <= 2; k++) {
		if ((pid[k] = fork()) == 0) {
			struct store *s = new_store(p, 1000);

			for (i = 0; i < 60; i++) {
				snprintf(addr, sizeof(addr), "10.%d.0.%d\n", k, i);
				if (add(s, strtok(strcpy(line, addr), "\n"), T0 + 100, T0) == STORE_OK &&
				    write(okfd, addr, strlen(addr)) < 0)
					_exit(1);
			}
			store_free(s);
			_exit(0);
		}
	}
	for (k = 1; k <= 2; k++)
		waitpid(pid[k], &status, 0);
	kill(pid[0], SIGKILL);
	waitpid(pid[0], &status, 0);
	close(okfd);
	if ((f = fopen(path_in("dele.ok"), "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			nok++;
			if (disk_has(p, line, NULL) != 1)
				missing++;
		}
		fclose(f);
	}
	tap_ok(nok > 60, "store_add_should_mostly_succeed_while_the_lock_file_is_deleted (%d of 120)", nok);
	tap_is_int(missing, 0, "store_add_should_lose_no_knock_while_the_lock_file_is_deleted");
}

static void
test_missing_and_two_workers(void)
{
	const char *p = path_in("wl.json");
	struct store *w1 = new_store(p, 100), *w2 = new_store(p, 100);
	int64_t exp = 0;
	size_t len;
	char *buf;

	tap_ok(w1 != NULL && w2 != NULL, "store_new_should_succeed");
	tap_is_int(store_refresh(w1, T0), 0, "store_refresh_should_accept_missing_file");
	tap_is_int((int64_t)store_count(w1), 0, "store_count_should_be_zero_for_missing_file");
	tap_is_int(lookup(w1, "203.0.113.7", T0, NULL), 0, "store_lookup_should_deny_on_empty");
	tap_ok(!exists(p), "store_refresh_should_not_create_file");

	tap_is_int(add(w1, "203.0.113.7", T0 + 3600, T0), STORE_OK, "store_add_should_succeed");
	tap_is_int(lookup(w1, "203.0.113.7", T0, &exp), 1, "store_lookup_should_find_own_knock");
	tap_is_int(exp, T0 + 3600, "store_lookup_should_report_expiry");
	buf = slurp(p, &len);
	tap_is_str(buf, "{\"203.0.113.7\":1767229200}", "store_add_should_write_compact_file");
	free(buf);
	tap_is_int(file_mode(p), 0600, "store_add_should_create_file_0600");
	tap_is_int(file_mode(path_in("wl.json.lock")), 0600, "store_add_should_create_lock_0600");
	tap_is_int(file_mode(path_in("wl.json.idx")), 0600, "store_add_should_write_index_0600");
	tap_ok(!has_file_starting(dir, "wl.json.tmp"), "store_add_should_leave_no_temp_file");

	/* The second worker sees the first one's knock on its next refresh,
	   in the same second: the generation changed. */
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 0, "store_lookup_should_use_view_only");
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_load_other_workers_file");
	tap_is_int(lookup(w2, "203.0.113.7", T0, &exp), 1,
	    "store_lookup_should_see_other_workers_knock");
	tap_is_int(exp, T0 + 3600, "store_lookup_should_see_other_workers_expiry");

	tap_is_int(add(w2, "198.51.100.0/24", T0 + 60, T0), STORE_OK, "store_add_should_succeed_cidr");
	tap_is_int(store_refresh(w1, T0), 0, "store_refresh_should_succeed_after_other_write");
	tap_is_int(lookup(w1, "198.51.100.77", T0, NULL), 1,
	    "store_lookup_should_see_second_workers_cidr");
	tap_is_int(lookup(w1, "203.0.113.7", T0, NULL), 1,
	    "store_add_should_keep_first_workers_entry");
	tap_is_int((int64_t)store_count(w1), 2, "store_count_should_count_entries");

	/* Re-knock replaces the expiry, even with an earlier one. */
	tap_is_int(add(w1, "203.0.113.7", T0 + 100, T0), STORE_OK, "store_add_should_accept_reknock");
	lookup(w1, "203.0.113.7", T0, &exp);
	tap_is_int(exp, T0 + 100, "store_add_should_replace_expiry");
	tap_is_int((int64_t)store_count(w1), 2, "store_add_should_not_duplicate_entry");
	store_refresh(w2, T0);
	lookup(w2, "203.0.113.7", T0, &exp);
	tap_is_int(exp, T0 + 100, "store_refresh_should_see_replaced_expiry");

	/* A file removed (outside, no generation bump) is an empty whitelist
	   again from the next periodic check on. */
	unlink(p);
	tap_is_int(store_refresh(w2, T0 + 1), 0, "store_refresh_should_accept_removed_file");
	tap_is_int((int64_t)store_count(w2), 0, "store_refresh_should_empty_view_for_removed_file");
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 0,
	    "store_lookup_should_deny_after_file_removed");

	store_free(w1);
	store_free(w2);
}

static void
test_cidr(void)
{
	const char *p = path_in("cidr.json");
	struct store *s = new_store(p, 100);

	tap_is_int(add(s, "10.1.2.3/8", T0 + 50, T0), STORE_OK,
	    "store_add_should_accept_cidr_with_host_bits");
	tap_is_int(disk_has(p, "10.0.0.0/8", NULL), 1, "store_add_should_write_canonical_cidr");
	tap_is_int(lookup(s, "10.200.1.1", T0, NULL), 1, "store_lookup_should_match_inside_v4_cidr");
	tap_is_int(lookup(s, "11.0.0.1", T0, NULL), 0, "store_lookup_should_not_match_outside_cidr");
	tap_is_int(lookup(s, "::ffff:10.9.9.9", T0, NULL), 1,
	    "store_lookup_should_match_mapped_v4_inside_cidr");
	tap_is_int(add(s, "2001:db8:1:2::/64", T0 + 70, T0), STORE_OK,
	    "store_add_should_accept_v6_cidr");
	tap_is_int(lookup(s, "2001:db8:1:2::abcd", T0, NULL), 1,
	    "store_lookup_should_match_inside_v6_cidr");
	tap_is_int(lookup(s, "2001:db8:1:3::1", T0, NULL), 0,
	    "store_lookup_should_not_match_outside_v6_cidr");
	tap_is_int(add(s, "10.1.2.3", T0 + 90, T0), STORE_OK, "store_add_should_accept_host_in_cidr");
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
	struct store *s = new_store(p, 100);
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
	tap_is_int(store_cleanup(s, T0 + 50), STORE_OK,
	    "store_cleanup_should_succeed_with_nothing_to_do");
	stat(p, &after);
	tap_ok(before.st_ino == after.st_ino, "store_cleanup_should_not_rewrite_without_expired");

	add(s, "192.0.2.3", T0 + 200, T0 + 20);
	tap_is_int(store_cleanup(s, T0 + 150), STORE_OK, "store_cleanup_should_succeed");
	tap_is_int(disk_count(p), 1, "store_cleanup_should_drop_expired_entries");
	tap_is_int(disk_has(p, "192.0.2.3", NULL), 1, "store_cleanup_should_keep_live_entries");
	tap_is_int((int64_t)store_count(s), 1, "store_cleanup_should_update_view");

	tap_is_int(store_cleanup(s, T0 + 300), STORE_OK, "store_cleanup_should_succeed_emptying");
	{
		size_t len;
		char *buf = slurp(p, &len);

		tap_is_str(buf, "{}", "store_cleanup_should_write_empty_object");
		free(buf);
	}
	tap_is_int(store_cleanup(s, T0 + 400), STORE_OK,
	    "store_cleanup_should_succeed_on_empty_file");
	store_free(s);

	/* Cleanup of a missing file does nothing and creates nothing. */
	s = new_store(path_in("never.json"), 10);
	tap_is_int(store_cleanup(s, T0), STORE_OK, "store_cleanup_should_succeed_on_missing_file");
	tap_ok(!exists(path_in("never.json")), "store_cleanup_should_not_create_file");
	store_free(s);
}

/* Outside edits (an editor, FarisZR/knocker): no generation bump, so they
   are seen at the next periodic check (the next second), never later; a
   refresh within the same second does no file system call at all. */
static void
test_outside_edits(void)
{
	const char *p = path_in("same.json");
	struct store *w1 = new_store(p, 100), *w2 = new_store(p, 100);
	struct timespec times[2];
	struct stat st, st2;
	size_t len;
	char *buf, *q;

	add(w1, "203.0.113.7", T0 + 3600, T0);
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_load");
	stat(p, &st);
	/* Change the bytes in place, same size, and put the mtime back: only
	   the ctime tells. */
	buf = slurp(p, &len);
	q = strstr(buf, "203.0.113.7");
	q[10] = '8';
	spew(p, buf, len);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	utimensat(AT_FDCWD, p, times, 0);
	stat(p, &st2);
	tap_ok(st2.st_size == st.st_size && st2.st_mtim.tv_sec == st.st_mtim.tv_sec &&
	    st2.st_mtim.tv_nsec == st.st_mtim.tv_nsec && st2.st_ino == st.st_ino,
	    "test_setup_same_inode_size_and_mtime");
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_succeed_in_the_same_second");
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 1,
	    "store_refresh_should_not_look_at_files_within_the_same_second");
	tap_is_int(store_refresh(w2, T0 + 1), 0, "store_refresh_should_succeed_next_second");
	tap_is_int(lookup(w2, "203.0.113.8", T0, NULL), 1,
	    "store_refresh_should_see_same_size_same_mtime_rewrite_next_second");
	tap_is_int(lookup(w2, "203.0.113.7", T0, NULL), 0, "store_refresh_should_replace_view");

	/* The writer too: its view is not current any more, so a knock starts
	   from what is on disk, not from its own copy. */
	tap_is_int(add(w1, "192.0.2.50", T0 + 3600, T0 + 1), STORE_OK,
	    "store_add_should_succeed_after_outside_edit");
	tap_is_int(disk_has(p, "203.0.113.8", NULL), 1, "store_add_should_keep_the_outside_edit");
	tap_is_int(disk_has(p, "203.0.113.7", NULL), 0,
	    "store_add_should_not_resurrect_its_stale_copy");

	tap_is_int(store_refresh(w2, T0 + 1), 0, "store_refresh_should_see_the_writers_knock");
	tap_is_int(lookup(w2, "192.0.2.50", T0, NULL), 1, "store_refresh_should_load_via_generation");

	/* A new file renamed in place, same second as the last check. */
	spew(path_in("same.json.new"), "{\"192.0.2.99\":9999999999}", 25);
	rename(path_in("same.json.new"), p);
	tap_is_int(store_refresh(w2, T0 + 2), 0, "store_refresh_should_see_a_renamed_file");
	tap_is_int(lookup(w2, "192.0.2.99", T0, NULL), 1, "store_lookup_should_use_the_renamed_file");

	/* A corrupt file replacing it fails closed. */
	spew(path_in("same.json.new"), "{\"203.0.113.8\":1", 16);
	rename(path_in("same.json.new"), p);
	tap_is_int(store_refresh(w2, T0 + 3), -1, "store_refresh_should_fail_on_corrupt_replacement");
	tap_is_int(lookup(w2, "192.0.2.99", T0, NULL), 0, "store_lookup_should_fail_closed");
	tap_is_int(store_refresh(w2, T0 + 3), -1, "store_refresh_should_stay_failed_same_second");
	tap_is_int(store_refresh(w2, T0 + 4), -1, "store_refresh_should_stay_failed_while_corrupt");
	free(buf);
	store_free(w1);
	store_free(w2);
}

/* The index: used when it matches whitelist.json, ignored otherwise. */
static void
test_index(void)
{
	const char *p = path_in("idx.json"), *ip = path_in("idx.json.idx");
	struct store *w1 = new_store(p, 100), *w2;
	struct ipmap *fake = ipmap_new();
	struct wl_ident id;
	struct wlindex *x;
	struct ipnet n = test_net("5.5.5.5");
	struct sf_err e;
	struct stat st;
	int fd;

	add(w1, "192.0.2.1", T0 + 3600, T0);
	stat(p, &st);
	wl_ident_of(&st, &id);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x != NULL && ipmap_count(wlindex_map(x)) == 1,
	    "store_add_should_write_an_index_matching_the_file");
	wlindex_close(x);

	/* An index for this very file is believed (it is the fast path): one
	   that says something else shows it is used instead of the JSON. */
	ipmap_put(fake, &n, T0 + 3600);
	tap_is_int(wlindex_write(ip, geteuid(), fake, &id, &e), 0, "test_setup_planted_index");
	w2 = new_store(p, 100);
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_load_through_the_index");
	tap_is_int(lookup(w2, "5.5.5.5", T0, NULL), 1, "store_refresh_should_use_a_matching_index");
	store_free(w2);

	/* An index built from another whitelist.json is ignored. */
	id.ctime_nsec ^= 1;
	tap_is_int(wlindex_write(ip, geteuid(), fake, &id, &e), 0, "test_setup_stale_index");
	w2 = new_store(p, 100);
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_parse_when_index_is_stale");
	tap_is_int(lookup(w2, "5.5.5.5", T0, NULL), 0, "store_refresh_should_ignore_a_stale_index");
	tap_is_int(lookup(w2, "192.0.2.1", T0, NULL), 1, "store_refresh_should_use_the_json");
	/* ... and the reader that parsed publishes a matching one. */
	wl_ident_of(&st, &id);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x != NULL && ipmap_count(wlindex_map(x)) == 1,
	    "store_refresh_should_publish_the_index_it_lacked");
	wlindex_close(x);
	store_free(w2);

	/* A damaged index: garbage, truncated. */
	spew(ip, "KNWLIDX1 and then nothing that makes sense at all, no no no", 58);
	w2 = new_store(p, 100);
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_parse_when_index_is_garbage");
	tap_is_int(lookup(w2, "192.0.2.1", T0, NULL), 1, "store_lookup_should_work_despite_garbage_index");
	store_free(w2);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x != NULL, "store_refresh_should_replace_a_garbage_index");
	wlindex_close(x);
	if ((fd = open(ip, O_WRONLY)) != -1) {
		if (ftruncate(fd, 200) == -1)
			tap_diag("ftruncate: %s", strerror(errno));
		close(fd);
	}
	w2 = new_store(p, 100);
	tap_is_int(store_refresh(w2, T0), 0, "store_refresh_should_parse_when_index_is_truncated");
	tap_is_int(lookup(w2, "192.0.2.1", T0, NULL), 1, "store_lookup_should_work_despite_short_index");
	store_free(w2);

	/* A crash between the two renames: new JSON, old index. A knock
	   starts from the JSON, not from the index. */
	wl_ident_of(&st, &id);
	tap_is_int(wlindex_write(ip, geteuid(), fake, &id, &e), 0, "test_setup_index_of_the_old_file");
	spew(path_in("idx.json.new"), "{\"192.0.2.7\":9999999999}", 24);
	rename(path_in("idx.json.new"), p);
	w2 = new_store(p, 100);
	tap_is_int(add(w2, "192.0.2.8", T0 + 100, T0), STORE_OK, "store_add_should_succeed_after_crash");
	tap_ok(disk_has(p, "192.0.2.7", NULL) == 1 && disk_has(p, "5.5.5.5", NULL) == 0 &&
	    disk_has(p, "192.0.2.1", NULL) == 0, "store_add_should_start_from_the_json_not_the_index");
	store_free(w2);
	ipmap_free(fake);
	store_free(w1);
}

static void
test_max_entries(void)
{
	const char *p = path_in("max.json");
	struct store *s = new_store(p, 3);
	char addr[32];
	int i;

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
	s = new_store(p, 1);
	add(s, "192.0.2.6", T0 + 50, T0);
	tap_is_int(disk_count(p), 1, "store_add_should_trim_to_lowered_max");
	tap_is_int(disk_has(p, "192.0.2.6", NULL), 1, "store_add_should_keep_only_the_new_entry");
	store_free(s);

	/* Many entries expiring at the same second: exactly max remain, the
	   later ones all kept. */
	s = new_store(p, 1000);
	for (i = 0; i < 40; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		add(s, addr, i < 30 ? T0 + 10 : T0 + 20 + i, T0);
	}
	store_free(s);
	s = new_store(p, 15);
	add(s, "203.0.113.1", T0 + 5, T0);
	tap_is_int(disk_count(p), 15, "store_add_should_trim_ties_to_exactly_max");
	tap_is_int(disk_has(p, "203.0.113.1", NULL), 1, "store_add_should_keep_the_knock_among_ties");
	for (i = 30; i < 40; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		if (disk_has(p, addr, NULL) != 1)
			break;
	}
	tap_is_int(i, 40, "store_add_should_keep_every_later_entry");
	store_free(s);
}

static void
test_corrupt(void)
{
	static const char garbage[] = "{\"1.2.3.4\":1767229200,\"5.6.7.8\":";
	const char *p = path_in("bad.json");
	char want[800], err[1024];
	struct store *s = new_store(p, 100);
	int64_t exp = 0;
	size_t len;
	char *buf;

	spew(p, garbage, sizeof(garbage) - 1);
	stderr_to_file();
	tap_is_int(store_refresh(s, T0), -1, "store_refresh_should_fail_on_corrupt_file");
	tap_is_int(lookup(s, "1.2.3.4", T0, NULL), 0, "store_lookup_should_deny_with_corrupt_file");
	tap_is_int(store_refresh(s, T0 + 1), -1, "store_refresh_should_fail_again_without_reread");
	tap_is_int(store_refresh(s, T0 + 2), -1, "store_refresh_should_keep_failing_while_corrupt");
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_on_corrupt_file");
	tap_is_int(store_cleanup(s, T0 + 3), STORE_OK,
	    "store_cleanup_should_leave_corrupt_file_to_writers");
	tap_is_int(stderr_restore("does not parse"), 1,
	    "store_should_log_corrupt_file_once");
	snprintf(want, sizeof(want), "whitelist file %s does not parse", p);
	tap_is_str(err, want, "store_check_ready_should_name_corrupt_file");
	tap_ok(exists(p), "store_cleanup_should_not_touch_corrupt_file");

	tap_is_int(add(s, "9.9.9.9", T0 + 60, T0), STORE_OK, "store_add_should_replace_corrupt_file");
	buf = slurp(path_in("bad.json.corrupt-1767225600"), &len);
	tap_ok(buf != NULL && len == sizeof(garbage) - 1 && memcmp(buf, garbage, len) == 0,
	    "store_add_should_preserve_corrupt_bytes_aside");
	free(buf);
	tap_is_int(disk_count(p), 1, "store_add_should_start_empty_after_corrupt");
	tap_is_int(disk_has(p, "9.9.9.9", &exp), 1, "store_add_should_write_new_entry");
	tap_is_int(store_refresh(s, T0 + 4), 0, "store_refresh_should_recover_after_rewrite");
	tap_is_int(lookup(s, "9.9.9.9", T0, NULL), 1, "store_lookup_should_work_after_rewrite");
	tap_is_int(lookup(s, "1.2.3.4", T0, NULL), 0, "store_lookup_should_not_use_corrupt_data");
	tap_is_int(store_check_ready(s, err, sizeof(err)), 0, "store_check_ready_should_pass_again");

	/* Corrupt again within the same second: another name, nothing lost. */
	spew(p, "[]", 2);
	tap_is_int(add(s, "9.9.9.9", T0 + 60, T0), STORE_OK,
	    "store_add_should_replace_second_corrupt_file");
	buf = slurp(path_in("bad.json.corrupt-1767225600.1"), &len);
	tap_is_str(buf, "[]", "store_add_should_not_overwrite_earlier_corrupt_copy");
	free(buf);
	buf = slurp(path_in("bad.json.corrupt-1767225600"), &len);
	tap_ok(buf != NULL && len == sizeof(garbage) - 1, "store_add_should_keep_first_corrupt_copy");
	free(buf);

	/* An empty file does not parse either. */
	spew(p, "", 0);
	tap_is_int(store_refresh(s, T0 + 5), -1, "store_refresh_should_fail_on_empty_file");
	store_free(s);
}

static void
test_write_failures(void)
{
	const char *p = path_in("fail.json");
	struct store *s = new_store(p, 100);
	char *before, *after;
	size_t blen, alen;

	add(s, "192.0.2.1", T0 + 100, T0);
	before = slurp(p, &blen);

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
		tap_is_int(r, STORE_FAIL, "store_add_should_fail_on_short_write");
	}
	after = slurp(p, &alen);
	tap_ok(after != NULL && alen == blen && memcmp(before, after, blen) == 0,
	    "store_add_short_write_should_leave_old_file_intact");
	free(after);
	tap_ok(!has_file_starting(dir, "fail.json.tmp"), "store_add_failure_should_remove_temp_file");
	tap_is_int(lookup(s, "192.0.2.3", T0, NULL), 0, "store_add_failure_should_not_change_view");
	tap_is_int(lookup(s, "192.0.2.1", T0, NULL), 1, "store_add_failure_should_keep_view");

	/* The lock file is not a file: no write, a plain failure. */
	unlink(path_in("fail.json.lock"));
	mkdir(path_in("fail.json.lock"), 0700);
	tap_is_int(add(s, "192.0.2.4", T0 + 100, T0), STORE_FAIL,
	    "store_add_should_fail_when_the_lock_is_not_a_file");
	after = slurp(p, &alen);
	tap_ok(after != NULL && alen == blen && memcmp(before, after, blen) == 0,
	    "store_add_lock_failure_should_leave_old_file_intact");
	free(after);
	rmdir(path_in("fail.json.lock"));
	tap_is_int(add(s, "192.0.2.5", T0 + 100, T0), STORE_OK, "store_add_should_work_again");

	/* Temp files a killed writer left: removed by the next writer, their
	   content not taken, a symlink not followed. */
	spew(path_in("fail.json.tmp-0011223344556677"), "{\"6.6.6.6\":9999999999}", 22);
	spew(path_in("fail.json.idx.tmp-8899aabbccddeeff"), "junk", 4);
	spew(path_in("victim"), "v", 1);
	if (symlink(path_in("victim"), path_in("fail.json.tmp-link")) == -1)
		tap_diag("symlink: %s", strerror(errno));
	spew(path_in("fail.json.tmp-fresh"), "a write in progress", 19);
	age(path_in("fail.json.tmp-0011223344556677"));
	age(path_in("fail.json.idx.tmp-8899aabbccddeeff"));
	age(path_in("fail.json.tmp-link"));
	tap_is_int(add(s, "192.0.2.6", T0 + 100, T0), STORE_OK, "store_add_should_succeed_over_leftovers");
	tap_ok(!has_file_starting(dir, "fail.json.tmp-0") && !has_file_starting(dir, "fail.json.idx.tmp") &&
	    !has_file_starting(dir, "fail.json.tmp-link"), "store_add_should_remove_leftover_temp_files");
	tap_ok(exists(path_in("fail.json.tmp-fresh")),
	    "store_add_should_leave_a_recent_temp_file_(another_writer_may_own_it)");
	tap_is_int(disk_has(p, "6.6.6.6", NULL), 0, "store_add_should_not_take_a_leftovers_content");
	after = slurp(path_in("victim"), &alen);
	tap_is_str(after, "v", "store_add_should_not_follow_a_leftover_symlink");
	free(after);
	free(before);
	store_free(s);
}

/* Issue 10 item 12: a lock held by someone else past the deadline is
   STORE_BUSY (the caller answers 503), never an endless wait. */
static void
test_busy(void)
{
	const char *p = path_in("busy.json");
	struct store *s = new_store(p, 100);
	int go[2], fd, status;
	char c = 0;
	pid_t pid;

	add(s, "192.0.2.1", T0 + 100, T0);
	fflush(stdout);
	if (pipe(go) == -1)
		return;
	pid = fork();
	if (pid == 0) {
		int lfd = open(path_in("busy.json.lock"), O_RDWR);

		if (lfd == -1 || flock(lfd, LOCK_EX) == -1)
			_exit(1);
		if (write(go[1], "x", 1) != 1)
			_exit(1);
		sleep(SF_LOCK_TIMEOUT_MS / 1000 + 2);
		_exit(0);
	}
	if (read(go[0], &c, 1) != 1)
		c = 0;
	tap_is_int(add(s, "192.0.2.2", T0 + 100, T0), STORE_BUSY,
	    "store_add_should_be_busy_when_the_lock_is_held_past_the_deadline");
	tap_is_int(disk_has(p, "192.0.2.2", NULL), 0, "store_add_busy_should_not_write");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(go[0]);
	close(go[1]);

	/* The directory locked too (writers lock it first; only its owner and
	   root can open it): busy after the deadline, never a hang. */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	tap_ok(fd != -1 && flock(fd, LOCK_EX) == 0, "test_setup_directory_locked");
	tap_is_int(add(s, "192.0.2.3", T0 + 100, T0), STORE_BUSY,
	    "store_add_should_be_busy_when_the_directory_is_locked_past_the_deadline");
	if (fd != -1)
		close(fd);
	tap_is_int(add(s, "192.0.2.3", T0 + 100, T0), STORE_OK,
	    "store_add_should_work_once_the_directory_is_unlocked");
	store_free(s);
}

/* Issue 10 item 4: a planted whitelist in a directory others can write
   (sticky /tmp), or a whitelist of another user, lets nobody in. */
#define PLANTED "{\"0.0.0.0/0\":9999999999,\"::/0\":9999999999}"

static void
test_planted(void)
{
	char d[700], p[800], err[1024];
	struct store *s;
	int fd;

	snprintf(d, sizeof(d), "%s", path_in("sticky"));
	mkdir(d, 0700);
	chmod(d, 01777);
	snprintf(p, sizeof(p), "%s/whitelist.json", d);
	spew(p, PLANTED, strlen(PLANTED));
	if (chown(p, nobody_uid(), (gid_t)-1) == -1)
		tap_diag("chown: %s", strerror(errno));
	s = new_store(p, 10);
	tap_is_int(store_refresh(s, T0), -1, "store_refresh_should_refuse_a_world_writable_directory");
	tap_is_int(lookup(s, "192.0.2.1", T0, NULL), 0, "store_lookup_should_deny_with_a_planted_file");
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_on_a_world_writable_directory");
	tap_ok(strstr(err, d) != NULL && strstr(err, "permission") != NULL,
	    "store_check_ready_should_say_why (%s)", err);
	tap_is_int(add(s, "192.0.2.2", T0 + 10, T0), STORE_FAIL,
	    "store_add_should_refuse_a_world_writable_directory");
	store_free(s);

	/* The directory is fine, the file belongs to someone else. */
	chmod(d, 0700);
	s = new_store(p, 10);
	tap_is_int(store_refresh(s, T0), -1, "store_refresh_should_refuse_a_file_of_another_user");
	tap_is_int(lookup(s, "192.0.2.1", T0, NULL), 0, "store_lookup_should_deny_with_a_foreign_file");
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_on_a_foreign_file");
	tap_ok(strstr(err, "belongs to uid") != NULL, "store_check_ready_should_name_the_owner (%s)", err);
	tap_is_int(add(s, "192.0.2.2", T0 + 10, T0), STORE_FAIL,
	    "store_add_should_not_overwrite_a_foreign_file");
	tap_is_int(file_owner(p), nobody_uid(), "store_add_should_leave_the_foreign_file");
	store_free(s);

	/* Group-writable whitelist: refused too. */
	if (chown(p, geteuid(), (gid_t)-1) == -1)
		tap_diag("chown: %s", strerror(errno));
	chmod(p, 0620);
	s = new_store(p, 10);
	tap_is_int(store_refresh(s, T0), -1, "store_refresh_should_refuse_a_group_writable_file");
	store_free(s);
	chmod(p, 0600);
	s = new_store(p, 10);
	tap_is_int(store_refresh(s, T0), 0, "store_refresh_should_accept_the_file_once_fixed");
	tap_is_int(lookup(s, "192.0.2.1", T0, NULL), 1, "store_lookup_should_use_it");
	store_free(s);
	(void)fd;
}

/* Issue 10 item 9: a knock run as root (a CGI) in a directory owned by
   the workers' user leaves every file to that user, so the workers can
   read what root wrote. */
static void
test_root_knock(void)
{
	static const char *const names[] = { "whitelist.json", "whitelist.json.idx",
	    "whitelist.json.lock", "whitelist.json.shm" };
	char d[700], p[800], f[900];
	struct store *s;
	size_t i;
	int wrong = 0, status = -1;
	pid_t pid;

	snprintf(d, sizeof(d), "%s", path_in("nobodys"));
	mkdir(d, 0700);
	if (chown(d, nobody_uid(), (gid_t)-1) == -1)
		tap_diag("chown: %s", strerror(errno));
	snprintf(p, sizeof(p), "%s/whitelist.json", d);
	tap_is_int((int64_t)geteuid(), 0, "test_runs_as_root");
	s = new_store(p, 10);
	tap_is_int(add(s, "192.0.2.1", T0 + 10, T0), STORE_OK, "store_add_as_root_should_succeed");
	store_free(s);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(f, sizeof(f), "%s/%s", d, names[i]);
		if (file_owner(f) != nobody_uid()) {
			tap_diag("%s belongs to uid %ld", names[i], (long)file_owner(f));
			wrong++;
		}
	}
	tap_is_int(wrong, 0, "store_add_as_root_should_hand_every_file_to_the_directory_owner");
	tap_is_int(file_mode(p), 0600, "store_add_as_root_should_write_0600");

	/* And the workers (nobody) read it. */
	chmod(dir, 0711);	/* nobody passes through the test directory */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) == -1 || setuid(nobody_uid()) == -1)
			_exit(2);
		s = new_store(p, 10);
		_exit(store_refresh(s, T0) == 0 && lookup(s, "192.0.2.1", T0, NULL) == 1 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	chmod(dir, 0700);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "store_refresh_as_the_owner_should_see_roots_knock");
}

static void
test_bad_parent(void)
{
	char p[800], want[1024], err[1024];
	struct store *s;
	struct ipnet e = test_net("192.0.2.1");

	spew(path_in("regular"), "x", 1);
	snprintf(p, sizeof(p), "%s/wl.json", path_in("regular"));
	s = new_store(p, 10);
	tap_is_int(store_add(s, &e, T0 + 10, T0, NULL), STORE_FAIL, "store_add_should_fail_under_regular_file");
	tap_is_int(store_refresh(s, T0), -1, "store_refresh_should_fail_under_regular_file");
	tap_is_int(store_lookup(s, &e, T0, NULL), 0, "store_lookup_should_deny_under_regular_file");
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_under_regular_file");
	snprintf(want, sizeof(want), "storage directory %s is not a directory", path_in("regular"));
	tap_is_str(err, want, "store_check_ready_should_name_directory");
	store_free(s);
}

static void
test_check_ready(void)
{
	char p[800], want[1024], err[1024];
	struct store *s = new_store(path_in("ready.json"), 10);

	tap_is_int(store_check_ready(s, err, sizeof(err)), 0,
	    "store_check_ready_should_pass_with_missing_file");
	tap_is_str(err, "", "store_check_ready_should_leave_empty_message");
	store_free(s);

	snprintf(p, sizeof(p), "%s/wl.json", path_in("nodir"));
	s = new_store(p, 10);
	tap_is_int(store_check_ready(s, err, sizeof(err)), -1,
	    "store_check_ready_should_fail_with_missing_directory");
	snprintf(want, sizeof(want), "storage directory %s: No such file or directory",
	    path_in("nodir"));
	tap_is_str(err, want, "store_check_ready_should_name_missing_directory");
	tap_is_int(store_check_ready(s, err, 8), -1, "store_check_ready_should_truncate_message");
	tap_is_int((int64_t)strlen(err), 7, "store_check_ready_should_fit_small_buffer");
	tap_is_int(store_refresh(s, T0), -1, "store_refresh_should_fail_with_missing_directory");
	store_free(s);

	s = new_store("relative.json", 10);
	tap_ok(s != NULL, "store_new_should_accept_relative_path");
	store_free(s);
	tap_ok(new_store("", 10) == NULL, "store_new_should_reject_empty_path");
	store_free(NULL);
	tap_ok(1, "store_free_should_accept_null");
}

/* --- metadata, list, revoke ------------------------------------------------ */

static enum store_result
add_meta(struct store *s, const char *entry, int64_t expires_at, int64_t now, const char *key,
    const char *client)
{
	struct store_meta m;
	struct ipnet e = test_net(entry);

	memset(&m, 0, sizeof(m));
	strlcpy(m.key, key, sizeof(m.key));
	strlcpy(m.client, client, sizeof(m.client));
	m.knocked_at = now;
	return store_add(s, &e, expires_at, now, &m);
}

/* The listed entry for text, or NULL. */
static const struct store_entry *
listed(const struct store_entry *v, size_t n, const char *entry)
{
	struct ipnet e = test_net(entry);
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(&v[i].net, &e, sizeof(e)) == 0)
			return &v[i];
	return NULL;
}

static enum store_result
revoke_by(struct store *s, enum store_match_by by, const char *what, int64_t now, size_t *n)
{
	struct store_match m;

	memset(&m, 0, sizeof(m));
	m.by = by;
	if (by == STORE_MATCH_ENTRY)
		m.entry = test_net(what);
	else if (by == STORE_MATCH_KEY)
		m.key = what;
	return store_revoke(s, &m, now, n);
}

static void
test_meta(void)
{
	const char *p = path_in("meta.json");
	char meta_path[600], *buf;
	const struct store_entry *e;
	struct store_entry *v = NULL;
	struct store *s, *other;
	size_t n = 0, len;

	snprintf(meta_path, sizeof(meta_path), "%s.meta", p);
	s = new_store(p, 1000);
	tap_is_int(add_meta(s, "203.0.113.7", T0 + 300, T0, "phone", "203.0.113.7"), STORE_OK,
	    "store_add_with_meta_should_succeed");
	tap_is_int(add_meta(s, "198.51.100.0/24", T0 + 100, T0 + 1, "laptop", "198.51.100.9"),
	    STORE_OK, "store_add_with_meta_should_succeed_cidr");
	tap_is_int(add(s, "192.0.2.1", T0 + 200, T0), STORE_OK,
	    "store_add_without_meta_should_succeed");
	tap_is_int(file_mode(meta_path), 0600, "store_add_should_write_meta_0600");
	buf = slurp(p, &len);
	tap_ok(buf != NULL && strstr(buf, "phone") == NULL && strstr(buf, "knocked_at") == NULL,
	    "whitelist_json_should_stay_the_original_format");
	free(buf);

	tap_is_int(store_list(s, T0 + 2, &v, &n), 0, "store_list_should_succeed");
	tap_is_int((int64_t)n, 3, "store_list_should_list_every_live_entry");
	if (n == 3) {
		e = &v[0];
		tap_ok(strcmp(e->meta.key, "laptop") == 0 && e->expires_at == T0 + 100 &&
		    e->meta.knocked_at == T0 + 1 && strcmp(e->meta.client, "198.51.100.9") == 0,
		    "store_list_should_sort_by_expiry_with_metadata");
		e = listed(v, n, "192.0.2.1");
		tap_ok(e != NULL && e->meta.key[0] == '\0' && e->meta.knocked_at == 0 &&
		    e->meta.client[0] == '\0', "store_list_should_show_unknown_metadata_empty");
		tap_ok(v[2].expires_at == T0 + 300 && strcmp(v[2].meta.key, "phone") == 0,
		    "store_list_should_end_with_the_latest_expiry");
	}
	free(v);
	v = NULL;
	tap_is_int(store_list(s, T0 + 150, &v, &n), 0, "store_list_later_should_succeed");
	tap_ok(n == 2 && listed(v, n, "198.51.100.0/24") == NULL,
	    "store_list_should_leave_out_expired_entries");
	free(v);
	v = NULL;

	/* An outside edit removes an entry: its metadata goes with it. */
	spew(p, "{\"203.0.113.7\":1767225900}", strlen("{\"203.0.113.7\":1767225900}"));
	tap_is_int(store_list(s, T0 + 2, &v, &n), 0, "store_list_should_succeed_after_outside_edit");
	tap_ok(n == 1 && listed(v, n, "203.0.113.7") != NULL &&
	    strcmp(v[0].meta.key, "phone") == 0,
	    "store_list_should_follow_whitelist_json_not_the_metadata");
	free(v);
	v = NULL;
	tap_is_int(add_meta(s, "192.0.2.50", T0 + 300, T0 + 3, "phone", "192.0.2.50"), STORE_OK,
	    "store_add_after_outside_edit_should_succeed");
	buf = slurp(meta_path, &len);
	tap_ok(buf != NULL && strstr(buf, "198.51.100.0/24") == NULL &&
	    strstr(buf, "192.0.2.1\"") == NULL && strstr(buf, "192.0.2.50") != NULL,
	    "store_add_should_prune_metadata_of_removed_entries");
	free(buf);

	/* Revoke by entry, by key, all; seen by another process. */
	tap_is_int(add_meta(s, "192.0.2.60", T0 + 300, T0 + 3, "laptop", "192.0.2.60"), STORE_OK,
	    "store_add_laptop_should_succeed");
	tap_is_int(revoke_by(s, STORE_MATCH_ENTRY, "192.0.2.99", T0 + 4, &n), STORE_OK,
	    "store_revoke_of_a_missing_entry_should_succeed");
	tap_is_int((int64_t)n, 0, "store_revoke_of_a_missing_entry_should_count_zero");
	other = new_store(p, 1000);
	tap_is_int(lookup(other, "192.0.2.60", T0 + 4, NULL), 0, "lookup_before_refresh_sees_nothing");
	tap_is_int(store_refresh(other, T0 + 4), 0, "other_refresh_should_succeed");
	tap_is_int(lookup(other, "192.0.2.60", T0 + 4, NULL), 1, "other_should_see_the_entry");
	tap_is_int(revoke_by(s, STORE_MATCH_ENTRY, "192.0.2.60", T0 + 4, &n), STORE_OK,
	    "store_revoke_by_entry_should_succeed");
	tap_is_int((int64_t)n, 1, "store_revoke_by_entry_should_count_one");
	tap_is_int(disk_has(p, "192.0.2.60", NULL), 0, "store_revoke_should_remove_from_the_file");
	tap_is_int(store_refresh(other, T0 + 4), 0, "other_refresh_after_revoke_should_succeed");
	tap_is_int(lookup(other, "192.0.2.60", T0 + 4, NULL), 0,
	    "store_revoke_should_be_seen_by_the_next_refresh");
	tap_is_int(lookup(s, "192.0.2.60", T0 + 4, NULL), 0, "store_revoke_should_update_the_view");
	buf = slurp(meta_path, &len);
	tap_ok(buf != NULL && strstr(buf, "192.0.2.60") == NULL,
	    "store_revoke_should_remove_the_metadata");
	free(buf);

	tap_is_int(add_meta(s, "192.0.2.61", T0 + 300, T0 + 5, "laptop", "192.0.2.61"), STORE_OK,
	    "store_add_laptop_again_should_succeed");
	tap_is_int(add_meta(s, "192.0.2.62", T0 + 300, T0 + 5, "laptop", "192.0.2.61"), STORE_OK,
	    "store_add_laptop_twice_should_succeed");
	tap_is_int(revoke_by(s, STORE_MATCH_KEY, "laptop", T0 + 6, &n), STORE_OK,
	    "store_revoke_by_key_should_succeed");
	tap_is_int((int64_t)n, 2, "store_revoke_by_key_should_count_the_keys_entries");
	tap_ok(disk_has(p, "192.0.2.61", NULL) == 0 && disk_has(p, "192.0.2.62", NULL) == 0 &&
	    disk_has(p, "203.0.113.7", NULL) == 1 && disk_has(p, "192.0.2.50", NULL) == 1,
	    "store_revoke_by_key_should_keep_other_keys_entries");
	tap_is_int(revoke_by(s, STORE_MATCH_KEY, "laptop", T0 + 6, &n), STORE_OK,
	    "store_revoke_by_key_again_should_succeed");
	tap_is_int((int64_t)n, 0, "store_revoke_by_key_again_should_count_zero");

	/* In another process: the revoke is seen by this one's next refresh. */
	tap_is_int(store_refresh(s, T0 + 6), 0, "refresh_before_fork_should_succeed");
	tap_is_int(lookup(s, "203.0.113.7", T0 + 6, NULL), 1, "entry_live_before_fork");
	{
		pid_t pid;
		int status = -1;

		fflush(stdout);
		if ((pid = fork()) == 0) {
			struct store *c = new_store(p, 1000);
			size_t k = 0;
			int r = revoke_by(c, STORE_MATCH_ALL, NULL, T0 + 6, &k) == STORE_OK && k == 2;

			store_free(c);
			store_free(other);	/* the parent's copies: valgrind checks the child too */
			store_free(s);
			_exit(r ? 0 : 1);
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
		tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "store_revoke_all_in_another_process_should_remove_both");
	}
	tap_is_int(store_refresh(s, T0 + 6), 0, "refresh_after_fork_should_succeed");
	tap_is_int(lookup(s, "203.0.113.7", T0 + 6, NULL), 0,
	    "revoke_in_another_process_should_be_seen_by_the_next_refresh");
	tap_is_int(disk_count(p), 0, "store_revoke_all_should_empty_the_file");
	buf = slurp(meta_path, &len);
	tap_is_str(buf, "{}", "store_revoke_all_should_empty_the_metadata");
	free(buf);

	/* A corrupt metadata file: not fatal, moved aside, unknown metadata. */
	tap_is_int(add_meta(s, "192.0.2.70", T0 + 300, T0 + 7, "phone", "192.0.2.70"), STORE_OK,
	    "store_add_before_corrupting_meta_should_succeed");
	spew(meta_path, "{not json", 9);
	tap_is_int(store_list(s, T0 + 7, &v, &n), 0, "store_list_should_survive_a_corrupt_meta");
	tap_ok(n == 1 && v[0].meta.key[0] == '\0', "store_list_should_show_unknown_for_corrupt_meta");
	free(v);
	v = NULL;
	tap_is_int(add_meta(s, "192.0.2.71", T0 + 300, T0 + 7, "phone", "192.0.2.71"), STORE_OK,
	    "store_add_should_succeed_over_a_corrupt_meta");
	tap_ok(has_file_starting(dir, "meta.json.meta.corrupt-"),
	    "store_add_should_move_a_corrupt_meta_aside");
	tap_is_int(store_list(s, T0 + 7, &v, &n), 0, "store_list_after_corrupt_meta_should_succeed");
	e = listed(v, n, "192.0.2.71");
	tap_ok(n == 2 && e != NULL && strcmp(e->meta.key, "phone") == 0,
	    "store_add_should_write_fresh_metadata_after_a_corrupt_one");
	free(v);
	v = NULL;

	/* A missing metadata file: unknown metadata, no error. */
	tap_is_int(unlink(meta_path), 0, "remove_meta");
	tap_is_int(store_list(s, T0 + 7, &v, &n), 0, "store_list_should_survive_a_missing_meta");
	tap_ok(n == 2 && v[0].meta.key[0] == '\0', "store_list_missing_meta_is_unknown");
	free(v);

	/* Nothing usable: list fails. */
	spew(p, "garbage", 7);
	v = NULL;
	tap_is_int(store_list(s, T0 + 8, &v, &n), -1, "store_list_should_fail_on_a_corrupt_whitelist");
	tap_ok(v == NULL && n == 0, "store_list_failure_should_return_nothing");
	store_free(other);
	store_free(s);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* The behaviour every backend shows (test_store_redis runs it on Redis). */
static struct store *
make_file_store(int64_t max_entries, void *ctx)
{
	(void)ctx;
	return store_new(path_in("behave.json"), max_entries, NULL);
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
	test_outside_edits();
	test_index();
	test_max_entries();
	test_concurrent_writers();
	test_writers_lock_deleted();
	test_corrupt();
	test_write_failures();
	test_busy();
	test_planted();
	test_root_knock();
	test_bad_parent();
	test_check_ready();
	test_meta();
	storebehave_run("file", make_file_store, NULL, 0);
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == -1)
		tap_diag("left %s behind: %s", dir, strerror(errno));
	return tap_done();
}
