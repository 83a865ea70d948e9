#include "config.h"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bsd/string.h>

#include "statefile.h"
#include "tap.h"

#define NOBODY	((uid_t)65534)

static char dir[512];

#define path_in(name) tap_path(dir, (name))

static void
put_file(const char *path, const char *text, mode_t mode, uid_t uid)
{
	int fd;

	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) == -1 || fchown(fd, uid, (gid_t)-1) == -1 || close(fd) == -1)
		tap_bail_errno(path);
}

static uid_t
owner_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_uid : (uid_t)-1;
}

static int
count_entries(const char *d)
{
	struct dirent *de;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(d)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

/* --- files the open functions must refuse ------------------------------- */

static void mk_symlink(const char *p) { put_file(path_in("real"), "x", 0600, 0); if (symlink(path_in("real"), p) == -1) tap_bail_errno(p); }
static void mk_fifo(const char *p) { if (mkfifo(p, 0600) == -1) tap_bail_errno(p); }
static void mk_dir(const char *p) { if (mkdir(p, 0700) == -1) tap_bail_errno(p); }
static void mk_nobody(const char *p) { put_file(p, "x", 0600, NOBODY); }
static void mk_group_w(const char *p) { put_file(p, "x", 0620, 0); }
static void mk_other_w(const char *p) { put_file(p, "x", 0602, 0); }

static const struct {
	const char	*name;
	void		(*make)(const char *);
	int		 errno_read, errno_rw;
} bad_files[] = {
	{ "symlink", mk_symlink, ELOOP, ELOOP },
	{ "fifo", mk_fifo, EINVAL, EINVAL },
	{ "directory", mk_dir, EINVAL, EISDIR },
	{ "owned_by_nobody", mk_nobody, EPERM, EPERM },
	{ "group_writable", mk_group_w, EPERM, EPERM },
	{ "other_writable", mk_other_w, EPERM, EPERM },
};

static void
open_should_refuse_unsafe_files(void)
{
	struct sf_lock lk;
	struct sf_err e;
	size_t i;
	int fd, rc;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const char *p = path_in(bad_files[i].name);

		bad_files[i].make(p);
		errno = 0;
		e.msg[0] = '\0';
		rc = sf_open_read(p, 0, &fd, NULL, &e);
		tap_is_int(rc, -1, "sf_open_read refuses %s", bad_files[i].name);
		tap_is_int(errno, bad_files[i].errno_read, "sf_open_read %s: errno", bad_files[i].name);
		tap_ok(fd == -1 && strstr(e.msg, p) != NULL, "sf_open_read %s: fd -1, message names the path (%s)",
		    bad_files[i].name, e.msg);
		errno = 0;
		rc = sf_open_rw(p, 0, &fd, NULL, &e);
		tap_is_int(rc, -1, "sf_open_rw refuses %s", bad_files[i].name);
		tap_is_int(errno, bad_files[i].errno_rw, "sf_open_rw %s: errno", bad_files[i].name);
		rc = sf_lock(p, 0, 100, &lk, &e);
		tap_ok(rc == -1 && lk.file_fd == -1 && lk.dir_fd == -1, "sf_lock refuses %s",
		    bad_files[i].name);
	}
}

static void
open_should_accept_a_private_file_and_create_missing_ones(void)
{
	struct sf_err e;
	struct stat st;
	char *buf;
	size_t len;
	int fd;

	put_file(path_in("good"), "hello", 0600, 0);
	tap_is_int(sf_open_read(path_in("good"), 0, &fd, &st, &e), 0, "sf_open_read accepts a 0600 file");
	tap_ok(sf_read_all(fd, 100, &buf, &len, &e) == 0 && len == 5 && strcmp(buf, "hello") == 0,
	    "sf_read_all reads it, NUL-terminated");
	free(buf);
	tap_ok(sf_read_all(fd, 4, &buf, &len, &e) == -1 && errno == EFBIG && buf == NULL,
	    "sf_read_all refuses more than max (EFBIG)");
	close(fd);
	put_file(path_in("readonly"), "r", 0444, 0);
	tap_is_int(sf_open_read(path_in("readonly"), 0, &fd, NULL, &e), 0, "a 0444 file is fine");
	close(fd);
	tap_is_int(sf_open_read(path_in("missing"), 0, &fd, NULL, &e), 1, "sf_open_read: missing file is 1");
	tap_ok(fd == -1 && errno == ENOENT, "missing file: fd -1, ENOENT");
	tap_is_int(sf_open_rw(path_in("created"), 0, &fd, &st, &e), 0, "sf_open_rw creates a missing file");
	tap_is_int(st.st_mode & 07777, 0600, "created 0600");
	close(fd);
}

/* --- the directory --------------------------------------------------------- */

static void
dir_check_should_want_a_private_directory(void)
{
	static const struct {
		const char	*name;
		mode_t		 mode;
		int		 rc, err;
	} rows[] = {
		{ "d0700", 0700, 0, 0 },
		{ "d0750", 0750, -1, EPERM },
		{ "d0701", 0701, -1, EPERM },
		{ "d0710", 0710, -1, EPERM },
		{ "d0777", 0777, -1, EPERM },
	};
	struct sf_err e;
	uid_t owner;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = path_in(rows[i].name);

		if (mkdir(p, 0700) == -1 || chmod(p, rows[i].mode) == -1)
			tap_bail_errno(p);
		errno = 0;
		tap_is_int(sf_dir_check(p, &owner, &e), rows[i].rc, "sf_dir_check %s", rows[i].name);
		tap_is_int(errno, rows[i].err, "sf_dir_check %s: errno", rows[i].name);
	}
	put_file(path_in("plainfile"), "", 0600, 0);
	tap_ok(sf_dir_check(path_in("plainfile"), &owner, &e) == -1 && errno == ENOTDIR,
	    "sf_dir_check refuses a file (ENOTDIR)");
	tap_ok(sf_dir_check(path_in("nodir"), &owner, &e) == -1 && errno == ENOENT,
	    "sf_dir_check: missing directory is ENOENT");
	if (mkdir(path_in("nobodys"), 0700) == -1 || chown(path_in("nobodys"), NOBODY, (gid_t)-1) == -1)
		tap_bail_errno("nobodys");
	tap_ok(sf_dir_check(path_in("nobodys"), &owner, &e) == 0 && owner == NOBODY,
	    "root may use a directory owned by another user; owner reported");
}

/* Runs fn in a child with euid nobody; returns its exit status. */
static int
as_nobody(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		tap_bail_errno("fork");
	if (pid == 0) {
		if (setgid(65534) == -1 || setuid(NOBODY) == -1)
			_exit(99);
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
nobody_checks_roots_dir(void)
{
	struct sf_err e;
	uid_t owner;

	if (sf_dir_check(dir, &owner, &e) != -1)
		return 1;
	return errno == EPERM && strstr(e.msg, "belongs to uid 0") != NULL ? 0 : 2;
}

static int
nobody_checks_own_dir(void)
{
	struct sf_err e;
	uid_t owner;

	return sf_dir_check(path_in("nobodys"), &owner, &e) == 0 && owner == NOBODY ? 0 : 1;
}

static void
dir_check_should_refuse_another_users_directory(void)
{
	/* nobody must be able to reach the directories: let it traverse ours. */
	if (chmod(dir, 0711) == -1)
		tap_bail_errno("chmod");
	tap_is_int(as_nobody(nobody_checks_own_dir), 0, "a non-root user may use its own directory");
	if (chmod(dir, 0700) == -1)
		tap_bail_errno("chmod");
	tap_is_int(as_nobody(nobody_checks_roots_dir), 0,
	    "a non-root user is refused a directory owned by root (EPERM)");
}

static void
root_should_hand_what_it_creates_to_the_dir_owner(void)
{
	const char *f = tap_path(path_in("nobodys"), "state.json");
	const char *g = tap_path(path_in("nobodys"), "lock");
	struct sf_err e;
	int fd;

	tap_is_int(sf_replace(f, NOBODY, "{}", 2, SF_DURABLE, &e), 0, "root replaces a file in nobody's dir");
	tap_is_int(owner_of(f), NOBODY, "the replaced file belongs to the dir owner");
	tap_is_int(sf_open_rw(g, NOBODY, &fd, NULL, &e), 0, "root creates a file in nobody's dir");
	close(fd);
	tap_is_int(owner_of(g), NOBODY, "the created file belongs to the dir owner");
	tap_is_int(sf_open_read(f, NOBODY, &fd, NULL, &e), 0, "and passes the owner check");
	close(fd);
}

/* --- locks ------------------------------------------------------------- */

static void
lock_should_time_out_while_another_process_holds_it(void)
{
	const char *lk = path_in("wl.lock");
	struct sf_lock lock;
	struct stat fst;
	int ready[2], release[2], rc, st;
	struct sf_err e;
	char c = 0;
	pid_t pid;

	if (pipe(ready) == -1 || pipe(release) == -1)
		tap_bail_errno("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		tap_bail_errno("fork");
	if (pid == 0) {
		if (sf_lock(lk, 0, 1000, &lock, &e) == -1)
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(2);
		sf_unlock(&lock);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	tap_ok(read(ready[0], &c, 1) == 1, "child holds the lock");
	errno = 0;
	rc = sf_lock(lk, 0, 50, &lock, &e);
	tap_ok(rc == -1 && errno == ETIMEDOUT && lock.file_fd == -1 && lock.dir_fd == -1,
	    "sf_lock gives up with ETIMEDOUT while another process holds it (%s)", e.msg);
	tap_ok(sf_flock(open(lk, O_RDONLY | O_CLOEXEC), 0) == -1 && errno == ETIMEDOUT,
	    "sf_flock with timeout 0 tries once");
	/* A lock file deleted while held (a cleanup job) must not let a
	   second writer in: the directory is locked too. */
	tap_ok(unlink(lk) == 0, "the lock file is deleted while held");
	errno = 0;
	rc = sf_lock(lk, 0, 200, &lock, &e);
	tap_ok(rc == -1 && errno == ETIMEDOUT && lock.file_fd == -1 && lock.dir_fd == -1,
	    "sf_lock still waits, and gives up with ETIMEDOUT (%s)", e.msg);
	if (write(release[1], "x", 1) != 1)
		tap_bail_errno("write");
	rc = sf_lock(lk, 0, 5000, &lock, &e);
	tap_ok(rc == 0 && lock.file_fd >= 0 && lock.dir_fd >= 0, "sf_lock succeeds once it is released");
	tap_ok(fstat(lock.file_fd, &fst) == 0 && (fst.st_mode & 07777) == 0600 && fst.st_nlink == 1,
	    "a new lock file, mode 0600");
	sf_unlock(&lock);
	tap_ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ok");
	close(ready[0]);
	close(release[1]);
}

/* Other programs lock only the lock file (the documented protocol). */
static void
lock_should_wait_for_a_program_that_locks_only_the_file(void)
{
	const char *lk = path_in("other.lock");
	struct sf_lock lock;
	struct sf_err e;
	int other, rc;

	other = open(lk, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	tap_ok(other >= 0 && flock(other, LOCK_EX) == 0, "another program locks the file");
	errno = 0;
	rc = sf_lock(lk, 0, 50, &lock, &e);
	tap_ok(rc == -1 && errno == ETIMEDOUT && strstr(e.msg, lk) != NULL,
	    "sf_lock waits for it and gives up with ETIMEDOUT (%s)", e.msg);
	close(other);
	rc = sf_lock(lk, 0, 1000, &lock, &e);
	tap_ok(rc == 0, "sf_lock succeeds once it let go");
	sf_unlock(&lock);
}

/* A process that takes the lock again right after each unlock (a worker
   between two knocks) must not starve a waiter: the waiter is woken at an
   unlock, not left sleeping until it happens to look while the lock is free.
   Rounds are counted, not timed: the holder holds 10 ms, then spins 200 us
   before it asks again. (The polling waiter this replaced usually waited
   out the whole deadline here: 190 rounds.) */
struct relocker {
	volatile int	rounds;
	volatile int	stop;
};

static void
relock_until_stopped(const char *lk, struct relocker *r)
{
	struct timespec hold = { 0, 10 * 1000000L }, t0, t;
	struct sf_lock lock;
	struct sf_err e;

	while (!r->stop && r->rounds < 2000) {
		if (sf_lock(lk, 0, 5000, &lock, &e) == -1)
			_exit(1);
		(void)nanosleep(&hold, NULL);
		sf_unlock(&lock);
		__atomic_add_fetch(&r->rounds, 1, __ATOMIC_SEQ_CST);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t);
		while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 200000L);
	}
	_exit(0);
}

static void
lock_should_not_starve_a_waiter(void)
{
	const char *lk = path_in("busy.lock");
	struct sigaction before, after;
	sigset_t mask_before, mask_after;
	struct relocker *r;
	struct sf_lock lock;
	struct sf_err e;
	int first, got, st, rc;
	pid_t pid;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		tap_bail_errno("mmap");
	r->rounds = r->stop = 0;
	fflush(stdout);
	if ((pid = fork()) == -1)
		tap_bail_errno("fork");
	if (pid == 0)
		relock_until_stopped(lk, r);
	while (r->rounds < 2)
		(void)usleep(1000);
	(void)sigaction(SIGRTMIN + 2, NULL, &before);
	(void)sigprocmask(SIG_SETMASK, NULL, &mask_before);
	first = r->rounds;
	rc = sf_lock(lk, 0, SF_LOCK_TIMEOUT_MS, &lock, &e);
	got = r->rounds;
	tap_ok(rc == 0, "a waiter gets the lock from a process that keeps taking it again%s%s",
	    rc == 0 ? "" : ": ", rc == 0 ? "" : e.msg);
	tap_ok(got - first <= 25, "within 25 of its rounds (took %d)", got - first);
	if (rc == 0)
		sf_unlock(&lock);
	r->stop = 1;
	tap_ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the other process never timed out either");
	(void)sigaction(SIGRTMIN + 2, NULL, &after);
	(void)sigprocmask(SIG_SETMASK, NULL, &mask_after);
	tap_ok(before.sa_handler == after.sa_handler && after.sa_handler == SIG_DFL,
	    "the wait leaves the signal it used as it found it");
	tap_ok(sigismember(&mask_before, SIGRTMIN + 2) == sigismember(&mask_after, SIGRTMIN + 2) &&
	    sigismember(&mask_after, SIGALRM) == sigismember(&mask_before, SIGALRM),
	    "and the signal mask too");
	(void)munmap(r, sizeof(*r));
}

/* --- replace ----------------------------------------------------------- */

static void
replace_should_swap_in_a_complete_file(void)
{
	const char *t = path_in("wl.json");
	struct sf_err e;
	struct stat st;
	char *buf;
	size_t len;
	int fd;

	put_file(t, "old", 0600, 0);
	tap_is_int(sf_replace(t, 0, "new contents", 12, SF_DURABLE, &e), 0, "sf_replace");
	tap_ok(sf_open_read(t, 0, &fd, &st, &e) == 0 && sf_read_all(fd, 100, &buf, &len, &e) == 0 &&
	    strcmp(buf, "new contents") == 0, "target has the new contents");
	tap_is_int(st.st_mode & 07777, 0600, "target is 0600");
	free(buf);
	close(fd);
	tap_is_int(sf_replace(t, 0, "derived", 7, SF_DERIVED, &e), 0, "sf_replace SF_DERIVED");
}

static void
replace_should_leave_no_temp_file_on_failure(void)
{
	char sub[600];
	struct sf_tmp t;
	struct sf_err e;

	/* A target that is a non-empty directory: the rename fails. */
	strlcpy(sub, path_in("rdir"), sizeof(sub));
	if (mkdir(sub, 0700) == -1 || mkdir(tap_path(sub, "target"), 0700) == -1 ||
	    mkdir(tap_path(tap_path(sub, "target"), "x"), 0700) == -1)
		tap_bail_errno("mkdir");
	tap_is_int(sf_replace(tap_path(sub, "target"), 0, "abc", 3, SF_DURABLE, &e), -1,
	    "sf_replace over a directory fails (%s)", e.msg);
	tap_is_int(count_entries(sub), 1, "no temp file left behind after a failed rename");
	tap_ok(sf_replace(tap_path(sub, "nodir/target"), 0, "abc", 3, SF_DURABLE, &e) == -1 &&
	    errno == ENOENT, "sf_replace into a missing directory fails");
	tap_is_int(count_entries(sub), 1, "still nothing left behind");
	tap_is_int(sf_tmp_create(&t, tap_path(sub, "f"), 0, &e), 0, "sf_tmp_create");
	tap_is_int(count_entries(sub), 2, "temp file exists while in progress");
	sf_tmp_abort(&t);
	tap_is_int(count_entries(sub), 1, "sf_tmp_abort removes it");
	sf_tmp_abort(&t);
	tap_ok(t.fd == -1 && t.path[0] == '\0', "sf_tmp_abort twice is harmless");
}

static void
move_aside_should_never_replace(void)
{
	const char *a = path_in("bad.json"), *b = path_in("bad.json.corrupt");
	struct sf_err e;

	put_file(a, "aaa", 0600, 0);
	put_file(b, "bbb", 0600, 0);
	tap_ok(sf_move_aside(a, b, &e) == -1 && errno == EEXIST, "sf_move_aside refuses to replace (EEXIST)");
	tap_ok(access(a, F_OK) == 0, "the source is still there");
	unlink(b);
	tap_is_int(sf_move_aside(a, b, &e), 0, "sf_move_aside moves");
	tap_ok(access(a, F_OK) == -1 && access(b, F_OK) == 0, "moved");
}

static void
dirname_should_split_paths(void)
{
	static const struct { const char *in, *out; } rows[] = {
		{ "/a/b/c.json", "/a/b" }, { "c.json", "." }, { "/c.json", "/" }, { "a/b", "a" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tap_ok(sf_dirname(rows[i].in, buf, sizeof(buf)) == 0 && strcmp(buf, rows[i].out) == 0,
		    "sf_dirname(%s) = %s", rows[i].in, rows[i].out);
	}
	tap_ok(sf_dirname("/abcdef/x", buf, 4) == -1 && errno == ENAMETOOLONG, "sf_dirname: too long");
}

/* --- the write protocol, as the kernel sees it ------------------------- */

#define MARK_BEGIN	"/.knocker-strace-begin"
#define MARK_END	"/.knocker-strace-end"

/* The traced child: one durable replace between two marker opens. */
static int
replace_mode(const char *target)
{
	struct sf_err e;

	(void)open(MARK_BEGIN, O_RDONLY);
	if (sf_replace(target, geteuid(), "hello\n", 6, SF_DURABLE, &e) == -1) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	(void)open(MARK_END, O_RDONLY);
	return 0;
}

/* The return value at the end of an strace line, or -1. */
static long
sys_ret(const char *line)
{
	const char *eq = strrchr(line, '=');

	return eq != NULL ? strtol(eq + 1, NULL, 10) : -1;
}

/* Turns the traced lines into a sequence of named steps on the temp file
   and the directory (other descriptors are ignored). */
static void
classify(const char *trace, const char *target, char *out, size_t size)
{
	char line[4096], pfx[64], tmp_pfx[700], stepbuf[80];
	const char *step;
	long tmpfd = -2, dirfd = -2, fd;
	const char *p;
	int on = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(tmp_pfx, sizeof(tmp_pfx), "\"%s.tmp-", target);
	if ((f = fopen(trace, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		p = line + strspn(line, "0123456789 ");
		if (strstr(p, MARK_BEGIN) != NULL) {
			on = 1;
			continue;
		}
		if (strstr(p, MARK_END) != NULL)
			break;
		if (!on)
			continue;
		step = NULL;

		if (strncmp(p, "openat(", 7) == 0 && strstr(p, tmp_pfx) != NULL) {
			if (strstr(p, "O_CREAT") && strstr(p, "O_EXCL") && strstr(p, "O_CLOEXEC") &&
			    strstr(p, "O_NOFOLLOW") && strstr(p, "0600"))
				step = "open-tmp(excl)";
			else
				step = "open-tmp(WRONG FLAGS)";
			tmpfd = sys_ret(p);
		} else if (strncmp(p, "openat(", 7) == 0 && strstr(p, "O_DIRECTORY") != NULL) {
			dirfd = sys_ret(p);
			step = "open-dir";
		} else if (strncmp(p, "rename", 6) == 0) {
			step = strstr(p, tmp_pfx) != NULL && sys_ret(p) == 0 ? "rename" : "rename(?)";
		} else if (sscanf(p, "%63[a-z](%ld", pfx, &fd) == 2 && (fd == tmpfd || fd == dirfd)) {
			snprintf(stepbuf, sizeof(stepbuf), "%s-%s", pfx, fd == tmpfd ? "tmp" : "dir");
			if (strcmp(pfx, "close") == 0) {
				if (fd == tmpfd)
					tmpfd = -2;
				else
					dirfd = -2;
			}
			/* Consecutive writes are one step. */
			if (strcmp(stepbuf, "write-tmp") == 0 && strlen(out) >= 9 &&
			    strcmp(out + strlen(out) - 9, "write-tmp") == 0)
				continue;
			step = stepbuf;
		}
		if (step != NULL) {
			if (out[0] != '\0')
				strlcat(out, " ", size);
			strlcat(out, step, size);
		}
	}
	fclose(f);
}

static void
replace_should_follow_the_write_protocol(void)
{
	char exe[PATH_MAX], seq[1024];
	const char *trace = path_in("strace.out");
	const char *target = path_in("traced.json");
	ssize_t n;
	pid_t pid;
	int st;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		tap_bail_errno("readlink");
	exe[n] = '\0';
	put_file(target, "old", 0600, 0);
	fflush(stdout);
	if ((pid = fork()) == -1)
		tap_bail_errno("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		char asan[1024];
		const char *prev = getenv("ASAN_OPTIONS");

		if (null != -1)
			dup2(null, STDOUT_FILENO);
		/* LeakSanitizer cannot run under ptrace (sanitizer builds). */
		snprintf(asan, sizeof(asan), "%s%sdetect_leaks=0", prev != NULL ? prev : "",
		    prev != NULL && *prev != '\0' ? ":" : "");
		setenv("ASAN_OPTIONS", asan, 1);
		execlp("strace", "strace", "-f", "-o", trace,
		    "-e", "trace=openat,write,fsync,fdatasync,rename,renameat,renameat2,close",
		    exe, "--replace", target, (char *)NULL);
		_exit(127);
	}
	tap_ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "strace ran the traced replace");
	classify(trace, target, seq, sizeof(seq));
	tap_is_str(seq, "open-tmp(excl) write-tmp fsync-tmp close-tmp rename open-dir fsync-dir close-dir",
	    "replace: temp O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC 0600, write, fsync, close, rename, "
	    "directory fsync, in that order");
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--replace") == 0)
		return replace_mode(argv[2]);
	if (geteuid() != 0) {
		printf("Bail out! test_statefile runs as root (it chowns files to nobody)\n");
		return 1;
	}
	umask(022);
	strlcpy(dir, tap_tmpdir("statefile"), sizeof(dir));

	open_should_refuse_unsafe_files();
	open_should_accept_a_private_file_and_create_missing_ones();
	dir_check_should_want_a_private_directory();
	dir_check_should_refuse_another_users_directory();
	root_should_hand_what_it_creates_to_the_dir_owner();
	lock_should_time_out_while_another_process_holds_it();
	lock_should_wait_for_a_program_that_locks_only_the_file();
	lock_should_not_starve_a_waiter();
	replace_should_swap_in_a_complete_file();
	replace_should_leave_no_temp_file_on_failure();
	move_aside_should_never_replace();
	dirname_should_split_paths();
	replace_should_follow_the_write_protocol();
	return tap_done();
}
