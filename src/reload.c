#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errlist.h"
#include "log.h"
#include "reload.h"

int
reload_init(struct reload *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	if (confwatch_init(&r->watch, path) != 0)
		return -1;
	confwatch_observe(&r->watch, &r->first);
	return 0;
}

void
reload_start(struct reload *r, struct conf *conf, uint64_t hash, struct app *app)
{
	r->conf = conf;
	r->app = app;
	confwatch_settle(&r->watch, &r->first, hash);
	r->last_check = app->now();
}

void
reload_fini(struct reload *r)
{
	conf_free(r->conf);
	r->conf = NULL;
	confwatch_fini(&r->watch);
}

int
reload_check_storage_dir(const char *storage_path, char *err, size_t size)
{
	char dir[4096];
	char *slash;
	struct stat st;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", storage_path) >= sizeof(dir)) {
		snprintf(err, size, "path too long");
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (stat(dir, &st) == 0 && access(dir, X_OK) == 0)
		return 0;
	if ((size_t)snprintf(err, size, "cannot use directory %s: %s", dir, strerror(errno)) >= size)
		snprintf(err, size, "cannot use its directory: %s", strerror(errno));
	return -1;
}

/* Logs l's messages from the first'th on; warnings say so. */
static void
log_list(const struct errlist *l, size_t first, bool errors)
{
	size_t i;

	for (i = first; i < l->count; i++)
		log_warnx("reload", "%s%s", errors ? "" : "warning: ", l->msg[i]);
	if (l->oom)
		log_warnx("reload", "out of memory while reporting problems");
}

/* Refuses conf (freed) with one line of detail. Returns -1. */
static int
refuse(struct reload *r, struct conf *conf, const char *reason, const char *detail)
{
	conf_free(conf);
	log_warnx("reload", "%s; the config in force stays", detail);
	app_note_reload(r->app, false, reason, detail);
	return -1;
}

/* Loads the file observed as id and applies it if it passes the checks.
   recheck: apply it only if its text differs from the settled one. */
static int
reload_load(struct reload *r, const struct confwatch_id *id, bool recheck)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *old = r->conf;
	struct conf *conf;
	uint64_t hash = 0, settled = r->watch.hash;
	char err[600], detail[700];
	int rc;

	conf = conf_load_hash(r->watch.path, &errs, &warns, &hash);
	confwatch_settle(&r->watch, id, hash);
	if (recheck && hash == settled && hash != 0) {
		conf_free(conf);	/* the same text: nothing to do */
		rc = 0;
		goto done;
	}
	log_list(&warns, 0, false);
	if (conf == NULL) {
		/* hash 0: the file could not be read at all */
		rc = refuse(r, NULL, hash == 0 ? "unreadable" : "invalid",
		    errs.count > 0 ? errs.msg[0] : "cannot load it");
		log_list(&errs, 1, true);
		goto done;
	}
	if (reload_check_storage_dir(conf->storage_path, err, sizeof(err)) != 0) {
		snprintf(detail, sizeof(detail), "%s: whitelist.storage_path: %s", r->watch.path, err);
		rc = refuse(r, conf, "invalid", detail);
		goto done;
	}
	if (log_reopen(conf->log_target, conf->log_level) != 0) {
		snprintf(detail, sizeof(detail), "%s: log.target: cannot open %s: %s", r->watch.path,
		    conf->log_target, strerror(errno));
		rc = refuse(r, conf, "invalid", detail);
		goto done;
	}
	if (app_reconfigure(r->app, conf) != 0) {
		if (log_reopen(old->log_target, old->log_level) != 0)
			log_warn("reload", "cannot open the old log target %s again", old->log_target);
		snprintf(detail, sizeof(detail), "%s: out of memory", r->watch.path);
		rc = refuse(r, conf, "error", detail);
		goto done;
	}
	r->conf = conf;
	conf_free(old);
	log_info("reload", "%s: config reloaded (%zu API key%s)", r->watch.path, conf->nkeys,
	    conf->nkeys == 1 ? "" : "s");
	app_note_reload(r->app, true, NULL, NULL);
	rc = 1;
done:
	errlist_free(&errs);
	errlist_free(&warns);
	return rc;
}

int
reload_tick(struct reload *r, bool force)
{
	struct confwatch_id id;
	enum confwatch_state st;
	int64_t now = r->app->now();

	/* A clock that went back checks at once. */
	if (!force && now >= r->last_check && now - r->last_check < 1)
		return 0;
	r->last_check = now;
	st = confwatch_check(&r->watch, &id);
	if (force && id.err != 0)
		st = CONFWATCH_GONE;
	else if (force)
		st = CONFWATCH_CHANGED;
	switch (st) {
	case CONFWATCH_SAME:
		return 0;
	case CONFWATCH_GONE: {
		char detail[700];

		confwatch_settle(&r->watch, &id, r->watch.hash);
		snprintf(detail, sizeof(detail), "%s: cannot open: %s", r->watch.path,
		    strerror(id.err));
		return refuse(r, NULL, "unreadable", detail);
	}
	case CONFWATCH_RECHECK:
		return reload_load(r, &id, true);
	case CONFWATCH_CHANGED:
		break;
	}
	return reload_load(r, &id, false);
}
