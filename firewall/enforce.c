#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "enforce.h"
#include "fwset.h"
#include "log.h"
#include "statefile.h"
#include "wlfile.h"

#define MOD "firewall"
/* The store's own limit on the whitelist file. */
#define WL_MAX_FILE (64 * 1024 * 1024)

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The whitelist file into map (empty): 0, or -1 with err (unless NULL). */
static int
read_file(const struct conf *conf, struct ipmap *map, char *err, size_t size)
{
	struct sf_err e;
	char dir[4096], *buf = NULL;
	size_t len = 0, skipped = 0;
	uid_t owner;
	int fd = -1, rc = -1, r;

	e.msg[0] = '\0';
	if (sf_dirname(conf->storage_path, dir, sizeof(dir)) != 0) {
		snprintf(e.msg, sizeof(e.msg), "%s: path too long", conf->storage_path);
		goto fail;
	}
	if (sf_dir_check(dir, &owner, &e) != 0)
		goto fail;
	if ((r = sf_open_read(conf->storage_path, owner, &fd, NULL, &e)) == 1)
		return 0;	/* no file yet: nobody has knocked */
	if (r != 0 || sf_read_all(fd, WL_MAX_FILE, &buf, &len, &e) != 0)
		goto fail;
	if (wlfile_parse(buf, len, map, &skipped) != 0) {
		snprintf(e.msg, sizeof(e.msg), "%s: not a valid whitelist file (not one JSON object "
		    "of addresses to expiry times)", conf->storage_path);
		goto fail;
	}
	if (skipped > 0)
		log_warnx(MOD, "%s: %zu keys are not addresses or networks; ignored",
		    conf->storage_path, skipped);
	rc = 0;
fail:
	if (rc != 0 && err != NULL)
		snprintf(err, size, "%s", e.msg);
	if (fd != -1)
		close(fd);
	free(buf);
	return rc;
}

/* Why a refresh of store failed, into err. */
static void
store_failure(struct store *store, char *err, size_t size)
{
	if (store_check_ready(store, err, size) == 0)
		snprintf(err, size, "the whitelist store could not be read (the line "
		    "above says why)");
}

/* The store's view into map (empty): 0, or -1 with err (unless NULL). */
static int
read_store(struct store *store, struct ipmap *map, char *err, size_t size)
{
	int64_t now = clock_ms(CLOCK_REALTIME) / 1000;

	if (store_refresh(store, now) != 0) {
		if (err != NULL)
			store_failure(store, err, size);
		return -1;
	}
	if (store_view_copy(store, now, map) != 0) {
		if (err != NULL)
			snprintf(err, size, "out of memory");
		return -1;
	}
	return 0;
}

int
enforce_read_whitelist(const struct conf *conf, struct store *store, struct ipmap *map,
    char *err, size_t size)
{
	int rc;

	ipmap_clear(map);
	rc = store != NULL ? read_store(store, map, err, size) : read_file(conf, map, err, size);
	if (rc != 0)
		ipmap_clear(map);
	return rc;
}

static int
build_sets(const struct conf *conf, const struct ipmap *map, int64_t now, struct nftrules_sets *s)
{
	if (fwset_build(conf->always_allowed, 0, true, &s->always4, &s->always6) != 0 ||
	    fwset_build(map, now, false, &s->allow4, &s->allow6) != 0)
		return -1;
	return 0;
}

static void
free_sets(struct nftrules_sets *s)
{
	fwset_clear(&s->allow4);
	fwset_clear(&s->allow6);
	fwset_clear(&s->always4);
	fwset_clear(&s->always6);
}

int
enforce_table_text(const struct conf *conf, const struct ipmap *map, struct nftbuf *b)
{
	struct nftrules_sets s;
	int64_t now_ms = clock_ms(CLOCK_REALTIME);
	int rc = -1;

	memset(&s, 0, sizeof(s));
	if (build_sets(conf, map, now_ms / 1000, &s) == 0 &&
	    nftrules_table(b, &conf->firewall, &s, now_ms) == 0)
		rc = 0;
	free_sets(&s);
	return rc;
}

/* "list table" without elements and counters into *out (a copy), or NULL
   with -1 when the table is missing. */
static int
list_table(struct enforce *e, char **out)
{
	char cmd[64 + CONF_FW_TABLE_MAX];
	const char *text;

	*out = NULL;
	snprintf(cmd, sizeof(cmd), "list table inet %s", e->conf->firewall.table);
	if (nftctl_run(e->nft, cmd, NFTCTL_SUMMARY, &text, NULL) != 0)
		return -1;
	if ((*out = strdup(text)) == NULL)
		return -1;
	return 0;
}

/* Cheap: 1 if the table is there (set declarations only, no elements). */
static int
table_present(struct enforce *e)
{
	char want[32 + CONF_FW_TABLE_MAX];
	const char *text, *p;
	size_t n;

	if (nftctl_run(e->nft, "list sets inet", NFTCTL_SUMMARY, &text, NULL) != 0)
		return 0;
	n = (size_t)snprintf(want, sizeof(want), "table inet %s {\n", e->conf->firewall.table);
	for (p = text; (p = strstr(p, want)) != NULL; p += n)
		if (p == text || p[-1] == '\n')
			return 1;
	return 0;
}

/* Loads a fresh table from e->good. */
static int
rebuild(struct enforce *e)
{
	struct nftbuf b = { NULL, 0, 0, false };
	const char *err = "";
	int rc = -1;

	if (enforce_table_text(e->conf, e->good, &b) != 0) {
		log_error(MOD, "out of memory while building the ruleset");
		goto done;
	}
	if (nftctl_run(e->nft, b.s, NFTCTL_PLAIN, NULL, &err) != 0) {
		log_error(MOD, "loading table inet %s failed: %s", e->conf->firewall.table, err);
		goto done;
	}
	free(e->loaded);
	if (list_table(e, &e->loaded) != 0) {
		log_error(MOD, "table inet %s is gone right after loading it",
		    e->conf->firewall.table);
		goto done;
	}
	e->last_sync_ms = e->last_full_ms = clock_ms(CLOCK_MONOTONIC);
	log_info(MOD, "table inet %s loaded: %zu whitelist entries, %zu always allowed",
	    e->conf->firewall.table, ipmap_count(e->good), ipmap_count(e->conf->always_allowed));
	rc = 0;
done:
	nftbuf_free(&b);
	return rc;
}

/* Refills allow4/allow6 from e->good; rebuilds the table if that fails. */
static int
sync_sets(struct enforce *e)
{
	struct nftrules_sets s;
	struct nftbuf b = { NULL, 0, 0, false };
	int64_t now_ms = clock_ms(CLOCK_REALTIME);
	const char *err = "";
	int rc = -1;

	memset(&s, 0, sizeof(s));
	if (fwset_build(e->good, now_ms / 1000, false, &s.allow4, &s.allow6) != 0 ||
	    nftrules_sync(&b, &e->conf->firewall, &s.allow4, &s.allow6, now_ms) != 0) {
		log_error(MOD, "out of memory while building the set elements");
		goto done;
	}
	if (nftctl_run(e->nft, b.s, NFTCTL_PLAIN, NULL, &err) != 0) {
		log_warnx(MOD, "refilling the sets of table inet %s failed (%s); rebuilding the table",
		    e->conf->firewall.table, err);
		rc = rebuild(e);
		goto done;
	}
	e->last_sync_ms = clock_ms(CLOCK_MONOTONIC);
	log_debug(MOD, "sets refilled: %zu IPv4 and %zu IPv6 elements", s.allow4.n, s.allow6.n);
	rc = 0;
done:
	free_sets(&s);
	nftbuf_free(&b);
	return rc;
}

/* A read failed: one error line when that starts or (a file) says
   something new. why is NULL for a store already known to fail. */
static void
note_failure(struct enforce *e, const char *why)
{
	if (why != NULL && (!e->failing || strcmp(why, e->why) != 0))
		log_error(MOD, "WHITELIST NOT APPLIED: %s; the firewall keeps the last good "
		    "whitelist (%zu entries, each still expiring on time) until %s", why,
		    ipmap_count(e->good), e->store != NULL ? "the store answers again" :
		    "the file is fixed");
	if (why != NULL)
		(void)strlcpy(e->why, why, sizeof(e->why));
	e->failing = true;
}

/* Reads the whitelist into e->good; on failure keeps e->good and says so. */
static int
read_into_good(struct enforce *e)
{
	struct ipmap *fresh;
	char err[sizeof(e->why)];
	/* A store known to be down: no readiness check (a timeout) per tick. */
	bool want_why = e->store == NULL || !e->failing;

	if ((fresh = ipmap_new()) == NULL) {
		log_error(MOD, "out of memory reading the whitelist");
		return -1;
	}
	if (enforce_read_whitelist(e->conf, e->store, fresh, want_why ? err : NULL,
	    sizeof(err)) != 0) {
		note_failure(e, want_why ? err : NULL);
		ipmap_free(fresh);
		return -1;
	}
	if (e->failing)
		log_info(MOD, "whitelist applied again: %zu entries", ipmap_count(fresh));
	e->failing = false;
	if (e->store != NULL)
		e->serial = store_view_serial(e->store);
	ipmap_free(e->good);
	e->good = fresh;
	return 0;
}

int
enforce_start(struct enforce *e, const struct conf *conf, struct nftctl *nft,
    struct store *store, char *err, size_t size)
{
	char *listing = NULL;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	e->conf = conf;
	e->nft = nft;
	e->store = store;
	if ((e->good = ipmap_new()) == NULL) {
		snprintf(err, size, "out of memory");
		return -1;
	}
	if (list_table(e, &listing) == 0 &&
	    strstr(listing, "comment \"" NFTRULES_OWNER "\"") == NULL) {
		snprintf(err, size, "%s: firewall.table: table inet %s already exists and was not "
		    "made by knocker-firewall (it has no comment \"%s\"); knocker-firewall "
		    "owns its table and replaces all of it, so name another one",
		    conf->path, conf->firewall.table, NFTRULES_OWNER);
		goto done;
	}
	(void)read_into_good(e);	/* logged; a bad file or a down store: empty sets */
	if (rebuild(e) != 0) {
		snprintf(err, size, "cannot load table inet %s (see the error above)",
		    conf->firewall.table);
		goto done;
	}
	rc = 0;
done:
	free(listing);
	return rc;
}

int
enforce_whitelist(struct enforce *e)
{
	if (read_into_good(e) != 0)
		return -1;
	return sync_sets(e);
}

int
enforce_poll(struct enforce *e)
{
	if (e->store == NULL)
		return 0;
	if (store_refresh(e->store, clock_ms(CLOCK_REALTIME) / 1000) != 0) {
		if (!e->failing) {
			char why[sizeof(e->why)];

			store_failure(e->store, why, sizeof(why));
			note_failure(e, why);
		}
		return -1;
	}
	if (!e->failing && store_view_serial(e->store) == e->serial)
		return 0;
	return enforce_whitelist(e);
}

int
enforce_tick(struct enforce *e)
{
	char *now = NULL;
	const char *what = NULL;
	int64_t mono = clock_ms(CLOCK_MONOTONIC);
	int rc = 0;

	if (!table_present(e))
		what = "deleted";
	else if (mono - e->last_full_ms >= ENFORCE_FULLCHECK_MS) {
		e->last_full_ms = mono;
		if (list_table(e, &now) != 0 || e->loaded == NULL || strcmp(now, e->loaded) != 0)
			what = "changed";
	}
	if (what != NULL) {
		log_warnx(MOD, "table inet %s was %s outside knocker-firewall; loading it again",
		    e->conf->firewall.table, what);
		rc = rebuild(e);
	} else if (mono - e->last_sync_ms >= ENFORCE_RESYNC_MS) {
		(void)read_into_good(e);	/* a failure that goes on is not logged again */
		rc = sync_sets(e);
	}
	free(now);
	return rc;
}

void
enforce_end(struct enforce *e)
{
	ipmap_free(e->good);
	free(e->loaded);
	e->good = NULL;
	e->loaded = NULL;
}
