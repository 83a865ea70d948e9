#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "statefile.h"
#include "tap.h"
#include "testconf.h"
#include "wlindex.h"

static char dir[512];

#define path_in(name) tap_path(dir, (name))

static void
spew(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, data, len) != (ssize_t)len)
		tap_diag("cannot write %s", path);
	if (fd != -1)
		close(fd);
}

/* Flips one byte of path at off. */
static void
flip(const char *path, off_t off)
{
	unsigned char c;
	int fd = open(path, O_RDWR);

	if (fd == -1 || pread(fd, &c, 1, off) != 1)
		tap_diag("cannot read %s", path);
	c ^= 0x40;
	if (fd == -1 || pwrite(fd, &c, 1, off) != 1)
		tap_diag("cannot write %s", path);
	if (fd != -1)
		close(fd);
}

static void
test_round_trip(void)
{
	const char *ip = path_in("wl.idx");
	static const char *const keys[] = { "192.0.2.1", "10.0.0.0/8", "2001:db8::/64", "::1" };
	struct ipmap *m = ipmap_new();
	struct wl_ident id, other;
	struct wlindex *x;
	struct ipnet n;
	struct sf_err e;
	struct stat st;
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = test_net(keys[i]);
		ipmap_put(m, &n, 1000 + (int64_t)i);
	}
	spew(path_in("wl.json"), "{}", 2);
	stat(path_in("wl.json"), &st);
	wl_ident_of(&st, &id);
	tap_is_int(wlindex_write(ip, geteuid(), m, &id, &e), 0, "wlindex_write_should_succeed");
	tap_is_int(stat(ip, &st) == 0 ? (int64_t)(st.st_mode & 07777) : -1, 0600,
	    "wlindex_write_should_write_0600");
	x = wlindex_open(ip, geteuid(), &id, &e);
	if (tap_ok(x != NULL, "wlindex_open_should_open_what_was_written")) {
		tap_is_int((int64_t)ipmap_count(wlindex_map(x)), 4, "wlindex_map_should_hold_every_entry");
		n = test_net("10.9.8.7");
		tap_ok(ipmap_lookup(wlindex_map(x), &n, &v) == 1 && v == 1001,
		    "wlindex_map_should_answer_lookups");
		n = test_net("2001:db8::77");
		tap_ok(ipmap_lookup(wlindex_map(x), &n, &v) == 1 && v == 1002,
		    "wlindex_map_should_answer_v6_lookups");
	}
	wlindex_close(x);

	/* Any field of the identity differing: not this file's index. */
	for (i = 0; i < sizeof(id) / sizeof(int64_t); i++) {
		other = id;
		((int64_t *)(void *)&other)[i] ^= 1;
		x = wlindex_open(ip, geteuid(), &other, &e);
		tap_ok(x == NULL && errno == ESTALE, "wlindex_open_should_refuse_another_identity_field_%zu", i);
		wlindex_close(x);
	}
	tap_ok(!wl_ident_eq(&id, &other) && wl_ident_eq(&id, &id), "wl_ident_eq_should_compare_all");

	/* Damage: the checksum covers the header and the image header. */
	flip(ip, 3);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL && errno == EINVAL, "wlindex_open_should_refuse_a_bad_magic");
	flip(ip, 3);
	flip(ip, 100);		/* inside the image header: the seed */
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL && errno == EINVAL, "wlindex_open_should_refuse_a_changed_image_header (%s)",
	    x == NULL ? e.msg : "");
	flip(ip, 100);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x != NULL, "wlindex_open_should_accept_the_repaired_file");
	wlindex_close(x);
	if (truncate(ip, (off_t)st.st_size - 1) == -1)
		tap_diag("truncate: %s", strerror(errno));
	stat(ip, &st);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL && errno == EINVAL, "wlindex_open_should_refuse_a_short_file");
	spew(ip, "", 0);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL && errno == EINVAL, "wlindex_open_should_refuse_an_empty_file");

	/* Missing, or not trusted by statefile. */
	unlink(ip);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL && errno == ENOENT, "wlindex_open_should_say_enoent_when_missing");
	tap_is_int(wlindex_write(ip, geteuid(), m, &id, &e), 0, "wlindex_write_should_write_again");
	chmod(ip, 0666);
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL && strstr(e.msg, "writable by group or others") != NULL,
	    "wlindex_open_should_refuse_a_world_writable_index (%s)", e.msg);
	chmod(ip, 0600);
	x = wlindex_open(ip, geteuid() + 1, &id, &e);
	tap_ok(x == NULL && strstr(e.msg, "belongs to uid") != NULL,
	    "wlindex_open_should_refuse_an_index_of_another_owner (%s)", e.msg);
	unlink(ip);
	if (symlink(path_in("wl.json"), ip) == -1)
		tap_diag("symlink: %s", strerror(errno));
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x == NULL, "wlindex_open_should_refuse_a_symlink");
	unlink(ip);

	/* An empty map has an index too. */
	ipmap_clear(m);
	tap_is_int(wlindex_write(ip, geteuid(), m, &id, &e), 0, "wlindex_write_should_write_an_empty_map");
	x = wlindex_open(ip, geteuid(), &id, &e);
	tap_ok(x != NULL && ipmap_count(wlindex_map(x)) == 0, "wlindex_open_should_open_an_empty_index");
	wlindex_close(x);
	wlindex_close(NULL);
	ipmap_free(m);
	unlink(ip);
	unlink(path_in("wl.json"));
}

int
main(void)
{
	umask(022);
	if (strlcpy(dir, tap_tmpdir("wlindex"), sizeof(dir)) >= sizeof(dir)) {
		printf("Bail out! temporary directory name too long\n");
		return 1;
	}
	test_round_trip();
	if (rmdir(dir) == -1)
		tap_diag("left %s behind: %s", dir, strerror(errno));
	return tap_done();
}
