#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "shmstate.h"
#include "tap.h"

#define NOBODY	((uid_t)65534)
#define HDR	(48 + 8 * SHMSTATE_NCOUNTERS)	/* the header: fixed fields, counters */

static char dir[512];

#define path_in(name) tap_path(dir, (name))

static ino_t
inode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static off_t
size_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_size : -1;
}

static int
all_zero(const unsigned char *p, size_t n)
{
	while (n > 0)
		if (p[--n] != 0)
			return 0;
	return 1;
}

static void
open_should_create_a_private_file_with_a_zeroed_region(void)
{
	const char *p = path_in("a.shm");
	struct shmstate *s;
	struct sf_err e;
	struct stat st;
	size_t size = 1;
	unsigned char *rl;

	s = shmstate_open(p, 0, 4096, &e);
	tap_ok(s != NULL, "shmstate_open creates %s", p);
	if (s == NULL)
		tap_bail_errno(e.msg);
	tap_ok(lstat(p, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == 0, "file is 0600, owner's");
	tap_is_int(st.st_size, HDR + 4096, "file size is header + region");
	rl = shmstate_ratelimit(s, &size);
	tap_ok(rl != NULL && size == 4096 && all_zero(rl, size), "region is zero-filled, size reported");
	rl[0] = 42;
	shmstate_close(s);
	s = shmstate_open(p, 0, 4096, &e);
	rl = shmstate_ratelimit(s, NULL);
	tap_ok(s != NULL && rl[0] == 42, "reopening with the same size keeps the region");
	shmstate_close(s);
	s = shmstate_open(p, 0, 0, &e);
	tap_ok(s != NULL && shmstate_ratelimit(s, &size) == NULL && size == 0 &&
	    size_of(p) == HDR + 4096, "rl_size 0 uses the file as it is, with no region");
	shmstate_close(s);
	tap_ok(shmstate_open(p, 0, 12, &e) == NULL && errno == EINVAL, "a region size not a multiple of 8 is refused");
}

static void
changed_size_should_reinitialise_without_disturbing_old_mappings(void)
{
	const char *p = path_in("b.shm");
	struct shmstate *old, *new;
	struct sf_err e;
	uint64_t g1, g2;
	unsigned char *rl;
	ino_t ino;

	if ((old = shmstate_open(p, 0, 64, &e)) == NULL)
		tap_bail_errno(e.msg);
	rl = shmstate_ratelimit(old, NULL);
	memset(rl, 0xff, 64);
	ino = inode_of(p);
	g1 = shmstate_generation(old);
	tap_ok(shmstate_generation(old) == g1, "generation is stable while nothing changes");
	new = shmstate_open(p, 0, 128, &e);
	tap_ok(new != NULL, "open with another region size");
	tap_ok(inode_of(p) != ino && size_of(p) == HDR + 128, "a fresh file of the new size took the path");
	tap_ok(all_zero(shmstate_ratelimit(new, NULL), 128), "new region is zeroed");
	tap_ok(all_zero(rl, 1) == 0 && rl[63] == 0xff, "old mapping still readable (no SIGBUS), its data intact");
	g2 = shmstate_generation(old);
	tap_ok(g2 != g1 && shmstate_generation(old) != g2,
	    "the retired file shows a new generation on every call (readers reload)");
	g1 = shmstate_generation(new);
	tap_ok(shmstate_generation(new) == g1, "the new file's generation is stable");
	shmstate_close(old);
	shmstate_close(new);
}

static void
corrupt_header_should_be_reinitialised(void)
{
	static const struct { const char *name; off_t off; unsigned char byte; } rows[] = {
		{ "magic", 0, 'X' }, { "version", 8, 9 }, { "header_size", 12, 1 }, { "size", 16, 7 },
	};
	const char *p = path_in("c.shm");
	struct shmstate *s;
	struct sf_err e;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if ((s = shmstate_open(p, 0, 64, &e)) == NULL)
			tap_bail_errno(e.msg);
		((unsigned char *)shmstate_ratelimit(s, NULL))[5] = 1;
		shmstate_close(s);
		if ((fd = open(p, O_WRONLY)) == -1 || pwrite(fd, &rows[i].byte, 1, rows[i].off) != 1)
			tap_bail_errno("pwrite");
		close(fd);
		s = shmstate_open(p, 0, 64, &e);
		tap_ok(s != NULL && all_zero(shmstate_ratelimit(s, NULL), 64) && size_of(p) == HDR + 64,
		    "a wrong %s is re-initialised", rows[i].name);
		shmstate_close(s);
	}
	if (truncate(p, 10) == -1)
		tap_bail_errno("truncate");
	s = shmstate_open(p, 0, 64, &e);
	tap_ok(s != NULL && size_of(p) == HDR + 64, "a truncated file is re-initialised");
	shmstate_close(s);
}

static void mk_symlink(const char *p) { if (symlink(path_in("a.shm"), p) == -1) tap_bail_errno(p); }
static void mk_fifo(const char *p) { if (mkfifo(p, 0600) == -1) tap_bail_errno(p); }
static void
mk_nobody(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd == -1 || fchown(fd, NOBODY, (gid_t)-1) == -1)
		tap_bail_errno(p);
	close(fd);
}
static void
mk_group_w(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd == -1 || fchmod(fd, 0660) == -1)
		tap_bail_errno(p);
	close(fd);
}

static void
unsafe_files_should_be_refused(void)
{
	static const struct { const char *name; void (*make)(const char *); } rows[] = {
		{ "symlink.shm", mk_symlink }, { "fifo.shm", mk_fifo },
		{ "nobody.shm", mk_nobody }, { "groupw.shm", mk_group_w },
	};
	struct sf_err e;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = path_in(rows[i].name);
		ino_t ino;

		rows[i].make(p);
		ino = inode_of(p);
		e.msg[0] = '\0';
		tap_ok(shmstate_open(p, 0, 64, &e) == NULL && strstr(e.msg, p) != NULL,
		    "%s refused (%s)", rows[i].name, e.msg);
		tap_ok(inode_of(p) == ino, "%s left in place", rows[i].name);
	}
}

/* Parent and child each bump the generation in turn and see the other's. */
static void
processes_should_share_generation_region_and_lock(void)
{
	const char *p = path_in("d.shm");
	int to_child[2], to_parent[2], st;
	struct shmstate *s;
	struct sf_err e;
	uint64_t g;
	char c;
	pid_t pid;

	if ((s = shmstate_open(p, 0, 64, &e)) == NULL)
		tap_bail_errno(e.msg);
	if (pipe(to_child) == -1 || pipe(to_parent) == -1)
		tap_bail_errno("pipe");
	fflush(stdout);
	if ((pid = fork()) == -1)
		tap_bail_errno("fork");
	if (pid == 0) {
		struct shmstate *cs;
		uint64_t cg;
		int rc = 0;

		shmstate_close(s);
		if ((cs = shmstate_open(p, 0, 64, &e)) == NULL)
			_exit(10);
		cg = shmstate_generation(cs);
		if (write(to_parent[1], "o", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(11);
		if (shmstate_generation(cs) == cg)
			rc |= 1;	/* missed the parent's bump */
		if (((unsigned char *)shmstate_ratelimit(cs, NULL))[7] != 77)
			rc |= 2;	/* missed the parent's write */
		cg = shmstate_generation(cs);
		shmstate_bump_generation(cs);
		if (shmstate_lock(cs, 1000, &e) == -1)
			rc |= 4;
		if (write(to_parent[1], "b", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(12);
		shmstate_unlock(cs);
		shmstate_close(cs);
		_exit(rc);
	}
	close(to_child[0]);
	close(to_parent[1]);
	if (read(to_parent[0], &c, 1) != 1)
		tap_bail_errno("read");
	g = shmstate_generation(s);
	shmstate_bump_generation(s);
	((unsigned char *)shmstate_ratelimit(s, NULL))[7] = 77;
	if (write(to_child[1], "g", 1) != 1 || read(to_parent[0], &c, 1) != 1)
		tap_bail_errno("pipe");
	tap_ok(shmstate_generation(s) == g + 2, "parent sees the child's bump");
	errno = 0;
	tap_ok(shmstate_lock(s, 50, &e) == -1 && errno == ETIMEDOUT,
	    "shmstate_lock times out while the child holds it (%s)", e.msg);
	if (write(to_child[1], "r", 1) != 1)
		tap_bail_errno("pipe");
	tap_ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st), "child exited");
	tap_is_int(WEXITSTATUS(st), 0, "child saw the parent's bump and write, and took the lock");
	tap_is_int(shmstate_lock(s, 1000, &e), 0, "lock is free once the child is gone");
	shmstate_unlock(s);
	shmstate_close(s);
	close(to_child[1]);
	close(to_parent[0]);
}

/* Two mappings of one file in one process stand for two workers. */
static void
lock_should_follow_a_deleted_file(void)
{
	const char *p = path_in("e.shm");
	struct shmstate *a, *b;
	struct sf_err e;
	uint64_t ga, gb;

	if ((a = shmstate_open(p, 0, 64, &e)) == NULL || (b = shmstate_open(p, 0, 64, &e)) == NULL)
		tap_bail_errno(e.msg);
	((unsigned char *)shmstate_ratelimit(a, NULL))[0] = 9;
	if (unlink(p) == -1)
		tap_bail_errno("unlink");
	ga = shmstate_generation(a);
	gb = shmstate_generation(b);
	tap_ok(shmstate_generation(b) == gb, "before anyone notices, b's generation is stable");
	tap_is_int(shmstate_lock(a, 1000, &e), 0, "a locks after the file was deleted");
	tap_ok(inode_of(p) != 0 && size_of(p) == HDR + 64, "a made a new file at the path");
	tap_ok(shmstate_generation(a) != ga, "a's generation changed (its views reload)");
	tap_ok(all_zero(shmstate_ratelimit(a, NULL), 64), "a's region is the new, zeroed one");
	shmstate_unlock(a);
	gb = shmstate_generation(b);
	tap_ok(shmstate_generation(b) != gb, "b, still on the old file, sees a new generation on every call");
	tap_is_int(shmstate_lock(b, 1000, &e), 0, "b locks");
	shmstate_unlock(b);
	gb = shmstate_generation(b);
	tap_ok(shmstate_generation(b) == gb, "b moved to the new file: stable again");
	shmstate_bump_generation(a);
	tap_ok(shmstate_generation(b) == gb + 1, "and sees a's bumps");
	shmstate_close(a);
	shmstate_close(b);
}

static void
root_should_hand_the_file_to_the_dir_owner(void)
{
	char sub[600];
	struct shmstate *s;
	struct sf_err e;
	struct stat st;

	strlcpy(sub, path_in("nobodys"), sizeof(sub));
	if (mkdir(sub, 0700) == -1 || chown(sub, NOBODY, (gid_t)-1) == -1)
		tap_bail_errno(sub);
	s = shmstate_open(tap_path(sub, "x.shm"), NOBODY, 64, &e);
	tap_ok(s != NULL && lstat(tap_path(sub, "x.shm"), &st) == 0 && st.st_uid == NOBODY,
	    "root-created .shm belongs to the directory's owner");
	shmstate_close(s);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("Bail out! test_shmstate runs as root (it chowns files to nobody)\n");
		return 1;
	}
	strlcpy(dir, tap_tmpdir("shmstate"), sizeof(dir));
	open_should_create_a_private_file_with_a_zeroed_region();
	changed_size_should_reinitialise_without_disturbing_old_mappings();
	corrupt_header_should_be_reinitialised();
	unsafe_files_should_be_refused();
	processes_should_share_generation_region_and_lock();
	lock_should_follow_a_deleted_file();
	root_should_hand_the_file_to_the_dir_owner();
	shmstate_close(NULL);
	return tap_done();
}
