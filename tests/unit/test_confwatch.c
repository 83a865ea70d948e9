/*
 * confwatch and reload: the change detector on real files (same, touched,
 * chmod, replaced by rename, rewritten in place with the same size in the
 * same second, racy, deleted and back), then reload_tick on an app with a
 * fake clock: a removed key stops working, a broken config is refused and
 * the old one stays, a refused or vanished file is reported once, SIGHUP
 * (force) reloads, a new storage_path moves the store.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "conf.h"
#include "confwatch.h"
#include "log.h"
#include "reload.h"
#include "tap.h"

#define KEY_PHONE "k-phone-0123456789abcdef"
#define KEY_ADMIN "k-admin-0123456789abcdef"

static int64_t fake_now = 1700000000;

static int64_t
fake_clock(void)
{
	return fake_now;
}

/* Out of the current timestamp tick of the file system. */
static void
next_tick(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	chmod(path, 0600);
	next_tick();
}

/* Writes text to path.new and renames it over path (an editor's save). */
static void
replace_file(const char *path, const char *text)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	write_file(tmp, text);
	if (rename(tmp, path) != 0) {
		printf("Bail out! cannot rename %s\n", tmp);
		exit(1);
	}
	next_tick();
}

static enum confwatch_state
settle_and_check(struct confwatch *w)
{
	struct confwatch_id id;

	confwatch_observe(w, &id);
	confwatch_settle(w, &id, 1);
	return confwatch_check(w, &id);
}

static void
test_detector(void)
{
	const char *dir = tap_tmpdir("confwatch");
	const char *f = tap_path(dir, "k.json");
	struct timespec times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct confwatch w;
	struct confwatch_id id;

	write_file(f, "{\"a\":1}");
	if (confwatch_init(&w, f) != 0) {
		printf("Bail out! OOM\n");
		exit(1);
	}
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_CHANGED, "detector: nothing settled yet: changed");
	w.racy_ns = 0;	/* the rows below wait out the tick themselves */
	tap_is_int(settle_and_check(&w), CONFWATCH_SAME, "detector: same file: same");

	confwatch_observe(&w, &id);
	confwatch_settle(&w, &id, 1);
	utimensat(AT_FDCWD, f, times, 0);
	next_tick();
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_CHANGED, "detector: touched (new mtime): changed");

	confwatch_settle(&w, &id, 1);
	chmod(f, 0640);
	next_tick();
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_CHANGED, "detector: chmod (new ctime): changed");

	confwatch_settle(&w, &id, 1);
	replace_file(f, "{\"a\":1}");
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_CHANGED,
	    "detector: replaced by rename, same text: changed");

	confwatch_settle(&w, &id, 1);
	write_file(f, "{\"a\":2}");	/* in place, same size, within the second */
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_CHANGED,
	    "detector: rewritten in place with the same size in the same second: changed");

	confwatch_settle(&w, &id, 1);
	unlink(f);
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_GONE, "detector: deleted: gone");
	confwatch_settle(&w, &id, 1);
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_SAME, "detector: still deleted after it was settled: same");
	write_file(f, "{\"a\":2}");
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_CHANGED, "detector: back again: changed");

	/* Racy: an observation inside the timestamp tick (here: the window)
	   cannot tell a same-size rewrite in that tick; it asks for a look
	   at the text. */
	w.racy_ns = CONFWATCH_RACY_NS;
	write_file(f, "{\"a\":3}");
	tap_is_int(settle_and_check(&w), CONFWATCH_RECHECK, "detector: just written (racy): recheck");
	times[0].tv_sec = times[1].tv_sec = time(NULL) + 3600;
	utimensat(AT_FDCWD, f, times, 0);
	confwatch_observe(&w, &id);
	confwatch_settle(&w, &id, 1);
	w.racy_ns = 0;
	tap_is_int(confwatch_check(&w, &id), CONFWATCH_RECHECK,
	    "detector: an mtime in the future stays racy: recheck");
	confwatch_fini(&w);
}

static const char *
conf_text(const char *dir, const char *storage, const char *keys)
{
	static char json[4096];

	snprintf(json, sizeof(json),
	    "{\"whitelist\":{\"storage_path\":\"%s/%s/whitelist.json\"},"
	    "\"api_keys\":[%s],\"log\":{\"target\":\"%s/knocker.log\",\"level\":\"info\"}}",
	    dir, storage, keys, dir);
	return json;
}

#define PHONE "{\"name\":\"phone\",\"key\":\"" KEY_PHONE "\",\"max_ttl\":3600}"
#define ADMIN "{\"name\":\"admin\",\"key\":\"" KEY_ADMIN "\",\"max_ttl\":3600}"

/* POST /knock from 127.0.0.1 with key; returns the status. */
static int
knock(struct app *app, const char *key)
{
	struct request req = { .role = APP_ROLE_RESPONDER, .method = "POST",
	    .request_uri = "/knock", .remote_addr = "127.0.0.1", .api_key = key };
	struct response resp;

	app_handle(app, &req, &resp);
	return resp.status;
}

static size_t
log_count(const char *dir, const char *needle)
{
	char line[2048];
	size_t n = 0;
	FILE *f = fopen(tap_path(dir, "knocker.log"), "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void
test_reload(void)
{
	const char *dir = tap_tmpdir("reload");
	const char *f = tap_path(dir, "knocker.json");
	struct errlist errs = ERRLIST_INIT;
	const struct conf *before;
	struct reload rl;
	struct conf *conf;
	struct app app;
	uint64_t hash;
	void *store;

	mkdir(tap_path(dir, "s1"), 0700);
	mkdir(tap_path(dir, "s2"), 0700);
	replace_file(f, conf_text(dir, "s1", PHONE "," ADMIN));
	if (reload_init(&rl, f) != 0 || (conf = conf_load_hash(f, &errs, NULL, &hash)) == NULL ||
	    app_init(&app, conf) != 0 || log_open(conf->log_target, conf->log_level) != 0) {
		printf("Bail out! cannot start: %s\n", errs.count ? errs.msg[0] : "?");
		exit(1);
	}
	app.now = fake_clock;
	reload_start(&rl, conf, hash, &app);
	rl.watch.racy_ns = 0;
	tap_is_int(knock(&app, KEY_PHONE), 200, "reload: the phone key knocks");
	tap_is_int(reload_tick(&rl, false), 0, "reload: nothing changed: nothing done");

	replace_file(f, conf_text(dir, "s1", ADMIN));
	tap_is_int(reload_tick(&rl, false), 0, "reload: not checked again within the second");
	store = app.store;
	fake_now++;
	tap_is_int(reload_tick(&rl, false), 1, "reload: a second later the new file is applied");
	tap_ok(app.conf == rl.conf && app.conf->nkeys == 1, "reload: the app runs on the new config");
	tap_ok(app.store == store, "reload: same storage: the store is kept");
	tap_is_int(knock(&app, KEY_PHONE), 401, "reload: the removed key gets 401");
	tap_is_int(knock(&app, KEY_ADMIN), 200, "reload: the remaining key knocks");
	tap_is_int(log_count(dir, "event=reload result=ok"), 1, "reload: one audit line result=ok");

	before = app.conf;
	replace_file(f, "{\"api_keys\": [");
	fake_now++;
	tap_is_int(reload_tick(&rl, false), -1, "reload: bad JSON is refused");
	tap_ok(app.conf == before, "reload: bad JSON: the old config stays in force");
	tap_is_int(knock(&app, KEY_ADMIN), 200, "reload: bad JSON: the old key still knocks");
	tap_is_int(log_count(dir, "event=reload result=error"), 1, "reload: bad JSON: audit line result=error");
	fake_now++;
	tap_is_int(reload_tick(&rl, false), 0, "reload: the same bad file is not tried again");

	replace_file(f, conf_text(dir, "s1", "{\"name\":\"short\",\"key\":\"abc\"}"));
	fake_now++;
	tap_is_int(reload_tick(&rl, false), -1, "reload: a bad value is refused");
	tap_ok(app.conf == before, "reload: bad value: the old config stays in force");
	tap_is_int(log_count(dir, "api_keys[0].key"), 2, "reload: the key's path is logged (message and audit)");

	unlink(f);
	fake_now++;
	tap_is_int(reload_tick(&rl, false), -1, "reload: a deleted file is reported");
	fake_now++;
	tap_is_int(reload_tick(&rl, false), 0, "reload: ... once");
	tap_ok(app.conf == before, "reload: deleted: the old config stays in force");

	replace_file(f, conf_text(dir, "s1", ADMIN));
	tap_is_int(reload_tick(&rl, true), 1, "reload: SIGHUP (force) applies at once");
	tap_is_int(reload_tick(&rl, true), 1, "reload: SIGHUP again reloads the same file");
	rl.watch.racy_ns = CONFWATCH_RACY_NS;
	tap_is_int(reload_tick(&rl, true), 1, "reload: a reload of a fresh file...");
	fake_now++;
	tap_is_int(reload_tick(&rl, false), 0, "reload: ...is looked at again, and the same text does nothing");
	rl.watch.racy_ns = 0;

	store = app.store;
	replace_file(f, conf_text(dir, "s2", PHONE));
	fake_now++;
	tap_is_int(reload_tick(&rl, false), 1, "reload: a new storage_path is applied");
	tap_ok(app.store != store, "reload: new storage_path: a new store");
	tap_is_int(knock(&app, KEY_PHONE), 200, "reload: new storage_path: knocks work");
	tap_ok(access(tap_path(dir, "s2/whitelist.json"), F_OK) == 0,
	    "reload: new storage_path: the knock went to the new whitelist");

	/* To the Redis backend (no server: knocks fail, the worker serves)
	   and back: the connection holds the config's store settings, so it
	   is built anew with each config (ASan: nothing left on the old). */
	{
		char json[4096];

		snprintf(json, sizeof(json), "%.*s,\"store\":{\"backend\":\"redis\","
		    "\"address\":\"unix:%s/no-redis.sock\"}}",
		    (int)strlen(conf_text(dir, "s2", PHONE)) - 1, conf_text(dir, "s2", PHONE), dir);
		replace_file(f, json);
		fake_now++;
		tap_is_int(reload_tick(&rl, false), 1, "reload: to the Redis backend");
		tap_ok(app.redis != NULL, "reload: Redis: a connection");
		tap_ok(knock(&app, KEY_PHONE) >= 500, "reload: Redis: without a server a knock fails (5xx)");
		replace_file(f, json);
		fake_now++;
		tap_is_int(reload_tick(&rl, false), 1, "reload: Redis again (a new connection)");
		replace_file(f, conf_text(dir, "s2", PHONE));
		fake_now++;
		tap_is_int(reload_tick(&rl, false), 1, "reload: back to the file backend");
		tap_ok(app.redis == NULL, "reload: file backend: no connection");
		tap_is_int(knock(&app, KEY_PHONE), 200, "reload: file backend: knocks work again");
	}

	replace_file(f, conf_text(dir, "missing", PHONE));
	fake_now++;
	tap_is_int(reload_tick(&rl, false), -1, "reload: a storage directory that does not exist is refused");
	tap_ok(log_count(dir, "whitelist.storage_path") >= 1, "reload: ... and named in the log");

	app_fini(&app);
	reload_fini(&rl);
	log_close();
	errlist_free(&errs);
}

int
main(void)
{
	test_detector();
	test_reload();
	return tap_done();
}
