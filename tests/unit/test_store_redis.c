/*
 * The Redis store backend against a real redis-server started here (unix
 * socket in a private directory, no persistence, an ACL user with only the
 * commands docs/SCALING.md lists), stopped by pid.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "conf.h"
#include "ipnet.h"
#include "ratelimit.h"
#include "redisconn.h"
#include "store.h"
#include "store_redis.h"
#include "storebehave.h"
#include "tap.h"
#include "testconf.h"

#define PASSWORD "s3cret-pass-for-tests-0123456789"
#define ACL "resetkeys ~kt:* resetchannels -@all +ping +select +get +eval +zrangebyscore " \
	"+zremrangebyscore +zrem +set +zadd +zcard +zrange +zrevrange +del +incr +expire"

static char dir[512], sock[600], address[620], user[] = "knocker", prefix[] = "kt:",
    pass_good[] = PASSWORD, pass_bad[] = "wrong-password";
static pid_t server = -1;
static struct redisconn *conns[64];
static size_t nconns;

static void
server_start(void)
{
	char conf[700];
	FILE *f;
	int i;

	snprintf(conf, sizeof(conf), "%s/redis.conf", dir);
	if ((f = fopen(conf, "w")) == NULL) {
		printf("Bail out! cannot write %s\n", conf);
		exit(1);
	}
	fprintf(f, "port 0\nunixsocket %s\nunixsocketperm 700\ndir %s\nsave \"\"\n"
	    "appendonly no\nlogfile %s/redis.log\nuser default off\n"
	    "user knocker on >" PASSWORD " " ACL "\n", sock, dir, dir);
	fclose(f);
	unlink(sock);
	if ((server = fork()) == -1) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(1);
	}
	if (server == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp("redis-server", "redis-server", conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	if (access(sock, F_OK) != 0) {
		printf("Bail out! redis-server did not start (is it installed? see scripts/deps)\n");
		exit(1);
	}
}

static void
server_kill(int sig)
{
	int st;

	if (server <= 0)
		return;
	kill(server, sig);
	if (sig == SIGKILL || sig == SIGTERM) {
		waitpid(server, &st, 0);
		server = -1;
	}
}

static void
server_stop_at_exit(void)
{
	if (server > 0) {
		kill(server, SIGCONT);
		server_kill(SIGKILL);
	}
}

static void
store_conf(struct conf_store *cs, char *password, int64_t db, int64_t timeout_ms)
{
	memset(cs, 0, sizeof(*cs));
	cs->backend = CONF_STORE_REDIS;
	cs->address = address;
	cs->username = user;
	cs->password = password;
	cs->prefix = prefix;
	cs->timeout_ms = timeout_ms;
	cs->db = db;
}

/* good, bad and db1 allow 1 s per command (the default is 200 ms): a loaded
   test machine can stall redis-server for longer than 200 ms, and that is not
   what these tests look for. quick keeps the default for the outage tests. */
static struct conf_store good, bad, db1, quick;

static struct redisconn *
conn_for(const struct conf_store *cs)
{
	struct redisconn *c = redisconn_new(cs);

	if (c == NULL || nconns == sizeof(conns) / sizeof(conns[0])) {
		printf("Bail out! out of connections\n");
		exit(1);
	}
	return conns[nconns++] = c;
}

static struct store *
make_redis_store(int64_t max_entries, void *ctx)
{
	return store_new_redis(conn_for(ctx), "kt:", max_entries);
}

static int
verify(struct store *s, const char *addr, int64_t now)
{
	struct ipnet a = test_net(addr);
	int r;

	if (store_refresh(s, now) != 0)
		return -1;
	r = store_lookup(s, &a, now, NULL);
	if (r == 0 && store_recheck(s, now) == 1)
		r = store_lookup(s, &a, now, NULL);
	return r;
}

static void
test_auth_and_db(void)
{
	struct store *s = store_new_redis(conn_for(&bad), "kt:", 100);
	struct store *s1 = store_new_redis(conn_for(&db1), "kt:", 100);
	struct store *s0 = store_new_redis(conn_for(&good), "kt:", 100);
	struct ipnet e = test_net("192.0.2.50");
	int64_t now = (int64_t)time(NULL);
	char err[256];

	tap_is_int(store_check_ready(s, err, sizeof(err)), -1, "a wrong password: not ready");
	tap_ok(strstr(err, "WRONGPASS") != NULL && strstr(err, "AUTH") != NULL,
	    "the error names AUTH and the server's reason (%s)", err);
	tap_ok(strstr(err, "wrong-password") == NULL, "the error does not hold the password");
	tap_is_int(store_add(s, &e, now + 60, now, NULL), STORE_BUSY,
	    "a knock with a refused password is 'unavailable' (503)");
	tap_is_int(store_refresh(s, now), -1, "and verify fails closed");
	tap_is_int(store_check_ready(s0, err, sizeof(err)), 0, "the right password: ready");
	tap_is_int(store_add(s1, &e, now + 60, now, NULL), STORE_OK, "a knock in db 1");
	tap_is_int(verify(s1, "192.0.2.50", now), 1, "seen in db 1");
	tap_is_int(verify(s0, "192.0.2.50", now), 0, "not in db 0 (SELECT works)");
	store_free(s);
	store_free(s1);
	store_free(s0);
}

static int
rl_try(struct ratelimit *rl, const char *ip, enum rl_outcome o, int64_t now, int64_t *retry,
    int confirm)
{
	struct ipnet a = test_net(ip);
	int r;

	if (ratelimit_lock(rl, now) != 0)
		return -9;
	r = ratelimit_exceeded(rl, &a, o, now, retry);
	if (r == 0 && confirm)
		(void)ratelimit_record(rl, &a, o, now);
	ratelimit_unlock(rl);
	return r;
}

static void
test_ratelimit(void)
{
	struct rl_params p = { .window = 60, .max_success = 2, .max_failure = 3,
	    .ipv4_prefix = 32, .ipv6_prefix = 64 };
	struct ratelimit *a = ratelimit_new_redis(conn_for(&good), "kt:", &p);
	struct ratelimit *b = ratelimit_new_redis(conn_for(&good), "kt:", &p);
	int64_t now = (int64_t)time(NULL), retry = 0;
	int i, ok = 0;

	tap_is_int(rl_try(a, "203.0.113.5", RL_SUCCESS, now, NULL, 1), 0, "rl: first success on node A");
	tap_is_int(rl_try(b, "203.0.113.5", RL_SUCCESS, now + 1, NULL, 1), 0, "rl: second on node B");
	tap_is_int(rl_try(a, "203.0.113.5", RL_SUCCESS, now + 2, &retry, 1), 1,
	    "rl: the third is refused: the limit is counted across nodes");
	tap_is_int(retry, 58, "rl: Retry-After is when the oldest leaves the window");
	tap_is_int(rl_try(b, "203.0.113.5", RL_SUCCESS, now + 60, NULL, 1), 0,
	    "rl: free again once the first left the window (sliding)");
	for (i = 0; i < 3; i++)
		ok += rl_try(i % 2 ? a : b, "2001:db8:1:2::1", RL_FAILURE, now, NULL, 1) == 0;
	tap_is_int(ok, 3, "rl: three failures allowed");
	tap_is_int(rl_try(a, "2001:db8:1:2:ffff::9", RL_FAILURE, now, NULL, 1), 1,
	    "rl: another address of the same /64 is refused");
	tap_is_int(rl_try(a, "2001:db8:1:3::1", RL_FAILURE, now, NULL, 1), 0,
	    "rl: the next /64 is not");
	for (i = 0; i < 5; i++)
		ok = rl_try(a, "198.51.100.3", RL_SUCCESS, now, NULL, 0);
	tap_is_int(ok, 0, "rl: a check not confirmed (the knock failed) is withdrawn at unlock");
	tap_is_int(rl_try(a, "198.51.100.3", RL_FAILURE, now, NULL, 1), 0,
	    "rl: successes and failures are counted apart");
	ratelimit_free(a);
	ratelimit_free(b);
}

static void
test_outages(void)
{
	struct store *a = store_new_redis(conn_for(&quick), "kt:", 100);
	struct store *b = store_new_redis(conn_for(&quick), "kt:", 100);
	struct rl_params p = { .window = 60, .max_success = 2, .max_failure = 3,
	    .ipv4_prefix = 32, .ipv6_prefix = 64 };
	struct ratelimit *rl = ratelimit_new_redis(conn_for(&quick), "kt:", &p);
	struct ipnet e = test_net("192.0.2.60");
	int64_t now = (int64_t)time(NULL);
	int i, r = -1;

	tap_is_int(store_add(a, &e, now + 600, now, NULL), STORE_OK, "outage: a knock before");
	tap_is_int(verify(b, "192.0.2.60", now), 1, "outage: seen by the other node");
	server_kill(SIGSTOP);
	e = test_net("192.0.2.61");
	tap_is_int(store_add(a, &e, now + 600, now, NULL), STORE_BUSY,
	    "outage: a stopped server makes a knock 'unavailable' (timeout, 503)");
	tap_is_int(ratelimit_lock(rl, now), -2, "outage: the rate limit says unavailable (503)");
	/* 0 (not listed) or -1 (cannot tell, past the staleness bound): both deny. */
	tap_ok(verify(b, "192.0.2.99", now) != 1, "outage: an unknown client is denied");
	usleep((STORE_REDIS_STALE_MS + 100) * 1000);
	tap_is_int(verify(b, "192.0.2.60", now), -1,
	    "outage: past the staleness bound even a known client is denied (fail closed)");
	server_kill(SIGCONT);
	for (i = 0; i < 100 && r != STORE_OK; i++) {
		usleep(100000);
		r = store_add(a, &e, now + 600, now, NULL);
	}
	tap_is_int(r, STORE_OK, "outage: knocks work again after SIGCONT (reconnected)");
	for (i = 0, r = -1; i < 100 && r != 1; i++) {
		usleep(100000);
		r = verify(b, "192.0.2.61", now);
	}
	tap_is_int(r, 1, "outage: and the other node sees the knock");

	server_kill(SIGKILL);
	server_start();
	for (i = 0, r = 1; i < 100 && r != 0; i++) {
		usleep(100000);
		r = verify(b, "192.0.2.60", now);
	}
	tap_is_int(r, 0, "restart without persistence: the entries are gone, the view too");
	for (i = 0, r = -1; i < 100 && r != STORE_OK; i++) {
		usleep(100000);
		r = store_add(a, &e, now + 600, now, NULL);
	}
	tap_is_int(r, STORE_OK, "restart: knocks work again");
	ratelimit_free(rl);
	store_free(a);
	store_free(b);
}

int
main(void)
{
	size_t i;

	if (strlcpy(dir, tap_tmpdir("store-redis"), sizeof(dir)) >= sizeof(dir) ||
	    (size_t)snprintf(sock, sizeof(sock), "%s/redis.sock", dir) >= 100) {
		printf("Bail out! temporary directory name too long\n");
		return 1;
	}
	snprintf(address, sizeof(address), "unix:%s", sock);
	signal(SIGPIPE, SIG_IGN);	/* as knocker does: a dead server is an error, not a signal */
	atexit(server_stop_at_exit);
	server_start();
	store_conf(&good, pass_good, 0, 1000);
	store_conf(&bad, pass_bad, 0, 1000);
	store_conf(&db1, pass_good, 1, 1000);
	store_conf(&quick, pass_good, 0, 200);
	storebehave_run("redis", make_redis_store, &good, STORE_REDIS_POLL_MS + 50);
	test_auth_and_db();
	test_ratelimit();
	test_outages();
	server_kill(SIGTERM);
	for (i = 0; i < nconns; i++)
		redisconn_free(conns[i]);
	/* The config holds the test's password: leave nothing behind. */
	unlink(tap_path(dir, "redis.conf"));
	unlink(tap_path(dir, "redis.log"));
	unlink(sock);
	tap_ok(rmdir(dir) == 0, "temporary directory removed");
	return tap_done();
}
