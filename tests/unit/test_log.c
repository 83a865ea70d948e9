/*
 * log: the checks `knocker -t` makes of log.target (never creating or
 * truncating the file), and where a start-up failure goes: stderr, plus
 * syslog when stderr is /dev/null or closed (spawn-fcgi's workers).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static void
test_void(void)
{
	int fd, p[2];

	fd = open("/dev/null", O_WRONLY);
	tap_ok(fd >= 0 && log_fd_is_void(fd), "void: /dev/null is void");
	close(fd);
	tap_ok(log_fd_is_void(fd), "void: a closed descriptor is void");
	fd = open(tap_path(tap_tmpdir("log"), "f"), O_WRONLY | O_CREAT, 0600);
	tap_ok(fd >= 0 && !log_fd_is_void(fd), "void: a file is not void");
	close(fd);
	fd = open("/dev/zero", O_WRONLY);
	tap_ok(fd >= 0 && !log_fd_is_void(fd), "void: another character device (/dev/zero) is not void");
	close(fd);
	tap_ok(pipe(p) == 0 && !log_fd_is_void(p[1]), "void: a pipe is not void");
	close(p[0]);
	close(p[1]);
}

static void
test_check_target(void)
{
	const char *dir = tap_tmpdir("logtarget");
	const char *file = tap_path(dir, "knocker.log"), *missing = tap_path(dir, "new.log");
	char err[512], buf[16];
	struct stat st;
	int fd;

	tap_is_int(log_check_target("stderr", err, sizeof(err)), 0, "target: stderr is fine");
	tap_is_int(log_check_target("syslog", err, sizeof(err)), 0, "target: syslog is fine");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	tap_ok(fd >= 0 && write(fd, "old line\n", 9) == 9, "target: a log file with a line");
	close(fd);
	tap_is_int(log_check_target(file, err, sizeof(err)), 0, "target: an existing writable file is fine");
	fd = open(file, O_RDONLY);
	tap_ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 9, "target: the check did not truncate it");
	close(fd);
	tap_is_int(log_check_target(missing, err, sizeof(err)), 0,
	    "target: a missing file in a writable directory is fine");
	tap_ok(stat(missing, &st) == -1, "target: the check did not create it");
	tap_is_int(log_check_target("/nonexistent-dir/knocker.log", err, sizeof(err)), -1,
	    "target: a file in a missing directory is refused");
	tap_is_str(err, "cannot open /nonexistent-dir/knocker.log: No such file or directory",
	    "target: the reason names the file and the error");
	tap_is_int(log_check_target(dir, err, sizeof(err)), -1, "target: a directory is refused");
}

static void
test_startup_error(void)
{
	const char *out = tap_path(tap_tmpdir("logstartup"), "stderr");
	char buf[256] = "";
	int fd, saved;
	ssize_t n;

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	log_startup_error("%s: log.target: cannot open %s", "/etc/k.json", "/var/log/k.log");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	fd = open(out, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	tap_is_str(buf, "knocker: /etc/k.json: log.target: cannot open /var/log/k.log\n",
	    "startup: the failure reaches stderr when stderr is a file");
}

int
main(void)
{
	test_void();
	test_check_target();
	test_startup_error();
	return tap_done();
}
