/*
 * knockerctl: the admin program beside knocker (which never takes admin
 * commands). Acts on the store named by the configuration, under the same
 * lock as the workers, run as root or as the workers' user (statefile
 * hands every file it writes to the storage directory's owner, 0600).
 *
 *   knockerctl [-c FILE] list [--json]
 *   knockerctl [-c FILE] revoke ENTRY...
 *   knockerctl [-c FILE] revoke --key NAME
 *   knockerctl [-c FILE] flush
 *   knockerctl [-c FILE] add [--ttl N] ENTRY
 *   knockerctl [-c FILE] export
 *   knockerctl [-c FILE] import FILE
 *
 * With "store": {"backend": "redis"} the same commands act on the shared
 * whitelist in Redis (docs/SCALING.md); export and import move a whitelist
 * between the backends.
 *
 * Exit 0 on success, 1 on a failure (one line on stderr naming it), 2 on a
 * bad command line (usage on stderr). See ctl/knockerctl.8.
 */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "audit.h"
#include "conf.h"
#include "errlist.h"
#include "ipnet.h"
#include "knock.h"
#include "log.h"
#include "redisconn.h"
#include "reply.h"
#include "store.h"

#define DEFAULT_CONFIG SYSCONFDIR "/knocker/knocker.json"
#define CTL_KEY_NAME "knockerctl"	/* the metadata key name of "add" */

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct ctl {
	const char	*conf_path;
	struct conf	*conf;
	struct store	*store;
	struct redisconn *redis;	/* the Redis backend's connection, or NULL */
	int64_t		 now;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: knockerctl [-c FILE] list [--json]\n"
	    "       knockerctl [-c FILE] revoke ENTRY...\n"
	    "       knockerctl [-c FILE] revoke --key NAME\n"
	    "       knockerctl [-c FILE] flush\n"
	    "       knockerctl [-c FILE] add [--ttl SECONDS] ENTRY\n"
	    "       knockerctl [-c FILE] export\n"
	    "       knockerctl [-c FILE] import FILE|-\n"
	    "       knockerctl -V | -h\n"
	    "The configuration is -c FILE, else $KNOCKER_CONFIG, else %s.\n",
	    DEFAULT_CONFIG);
}

/* One line naming what failed with the store: the readiness check says
   which file and what is wrong; else what the command was doing. */
static int
ctl_store_failed(struct ctl *c, const char *doing, enum store_result r)
{
	char err[400];

	if (c->redis != NULL) {
		if (store_check_ready(c->store, err, sizeof(err)) != 0)
			fprintf(stderr, "knockerctl: %s: whitelist store unavailable: %s\n", doing, err);
		else
			fprintf(stderr, "knockerctl: %s: Redis did not acknowledge the change "
			    "(timeout or refused)\n", doing);
	} else if (r == STORE_BUSY)
		fprintf(stderr, "knockerctl: %s: %s.lock is held by another process; "
		    "try again\n", doing, c->conf->storage_path);
	else if (store_check_ready(c->store, err, sizeof(err)) != 0)
		fprintf(stderr, "knockerctl: %s: %s\n", doing, err);
	else
		fprintf(stderr, "knockerctl: %s: cannot update %s\n", doing,
		    c->conf->storage_path);
	return EXIT_FAIL;
}

/* The audit trail goes where the workers' goes (log.target) when that is
   syslog or a log file that exists already: never created here, where it
   would be root's and lock the workers out of it. Else nowhere. */
static void
ctl_open_audit(const struct conf *conf)
{
	const char *t = conf->log_target;
	struct stat st;

	if (t == NULL || (strcmp(t, "syslog") != 0 &&
	    (t[0] != '/' || lstat(t, &st) == -1 || !S_ISREG(st.st_mode))))
		return;
	if (log_open(t, conf->log_level) == -1)
		(void)log_open("stderr", LOG_LEVEL_ERROR);
}

/* One audit line for a command. */
static void
ctl_audit(int ok, const char *action, const char *target, long long count)
{
	audit_admin_local(ok != 0, action, target, count);
}

static int
ctl_open(struct ctl *c)
{
	struct errlist errs = ERRLIST_INIT;
	size_t i;

	c->conf = conf_load(c->conf_path, &errs, NULL);
	if (c->conf == NULL) {
		for (i = 0; i < errs.count; i++)
			fprintf(stderr, "knockerctl: %s\n", errs.msg[i]);
		if (errs.count == 0)
			fprintf(stderr, "knockerctl: %s: cannot load\n", c->conf_path);
		errlist_free(&errs);
		return -1;
	}
	errlist_free(&errs);
	if ((c->store = store_new_conf(c->conf, &c->redis)) == NULL) {
		fprintf(stderr, "knockerctl: out of memory\n");
		return -1;
	}
	c->now = (int64_t)time(NULL);
	ctl_open_audit(c->conf);
	return 0;
}

static void
ctl_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ",
	    &tm) == 0)
		(void)strlcpy(buf, "-", size);
}

static void
ctl_duration(int64_t s, char *buf, size_t size)
{
	if (s >= 86400)
		(void)snprintf(buf, size, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		(void)snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		(void)snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else
		(void)snprintf(buf, size, "%" PRId64 "s", s);
}

static int
cmd_list(struct ctl *c, bool json)
{
	char entry[IPNET_STRLEN], exp[32], left[32], knocked[32];
	struct store_entry *v;
	size_t n, i, len;
	char *text;

	if (store_list(c->store, c->now, &v, &n) == -1) {
		ctl_audit(0, "list", NULL, -1);
		return ctl_store_failed(c, "list", STORE_FAIL);
	}
	ctl_audit(1, "list", NULL, (long long)n);
	if (json) {
		if ((text = reply_entries_json(v, n, c->now, true, &len)) == NULL) {
			free(v);
			fprintf(stderr, "knockerctl: list: out of memory\n");
			return EXIT_FAIL;
		}
		printf("%s\n", text);
		free(text);
		free(v);
		return EXIT_OK;
	}
	printf("%-43s %-20s %-9s %-20s %-20s %s\n", "ENTRY", "EXPIRES_AT", "EXPIRES", "KEY",
	    "KNOCKED_AT", "CLIENT");
	for (i = 0; i < n; i++) {
		ctl_time(v[i].expires_at, exp, sizeof(exp));
		ctl_duration(v[i].expires_at - c->now, left, sizeof(left));
		ctl_time(v[i].meta.knocked_at, knocked, sizeof(knocked));
		printf("%-43s %-20s %-9s %-20s %-20s %s\n",
		    ipnet_format(&v[i].net, entry, sizeof(entry)), exp, left,
		    v[i].meta.key[0] != '\0' ? v[i].meta.key : "-", knocked,
		    v[i].meta.client[0] != '\0' ? v[i].meta.client : "-");
	}
	free(v);
	return EXIT_OK;
}

/* An entry as a remote knock may give it: an address or a CIDR no broader
   than /knock allows. Canonical in *out. */
static int
ctl_entry(const char *s, struct ipnet *out)
{
	if (ipnet_parse(s, out) == -1) {
		fprintf(stderr, "knockerctl: %s: not an IP address or CIDR\n", s);
		return -1;
	}
	return 0;
}

static int
cmd_revoke_entries(struct ctl *c, int argc, char **argv)
{
	char text[IPNET_STRLEN];
	struct store_match m;
	struct ipnet *nets;
	enum store_result r;
	size_t got, total = 0;
	int i, rc = EXIT_OK;

	if ((nets = calloc((size_t)argc, sizeof(*nets))) == NULL) {
		fprintf(stderr, "knockerctl: out of memory\n");
		return EXIT_FAIL;
	}
	/* All or nothing on bad input: check every entry first. */
	for (i = 0; i < argc; i++)
		if (ctl_entry(argv[i], &nets[i]) == -1) {
			free(nets);
			return EXIT_FAIL;
		}
	for (i = 0; i < argc; i++) {
		memset(&m, 0, sizeof(m));
		m.by = STORE_MATCH_ENTRY;
		m.entry = nets[i];
		ipnet_format(&nets[i], text, sizeof(text));
		if ((r = store_revoke(c->store, &m, c->now, &got)) != STORE_OK) {
			free(nets);
			ctl_audit(0, "revoke", text, -1);
			return ctl_store_failed(c, "revoke", r);
		}
		ctl_audit(1, "revoke", text, (long long)got);
		if (got == 0) {
			fprintf(stderr, "knockerctl: %s: not in the whitelist\n", text);
			rc = EXIT_FAIL;
		}
		total += got;
	}
	free(nets);
	printf("revoked %zu %s\n", total, total == 1 ? "entry" : "entries");
	return rc;
}

static int
cmd_revoke_match(struct ctl *c, enum store_match_by by, const char *key, const char *doing)
{
	const char *action = by == STORE_MATCH_ALL ? "flush" : "revoke";
	char target[128];
	struct store_match m;
	enum store_result r;
	size_t got;

	memset(&m, 0, sizeof(m));
	m.by = by;
	m.key = key;
	if (by == STORE_MATCH_KEY)
		(void)snprintf(target, sizeof(target), "key:%s", key);
	else
		(void)strlcpy(target, "all", sizeof(target));
	if ((r = store_revoke(c->store, &m, c->now, &got)) != STORE_OK) {
		ctl_audit(0, action, target, -1);
		return ctl_store_failed(c, doing, r);
	}
	ctl_audit(1, action, target, (long long)got);
	printf("revoked %zu %s\n", got, got == 1 ? "entry" : "entries");
	return EXIT_OK;
}

/* The default TTL of "add": the largest max_ttl of any key, i.e. no longer
   than some key could knock for. */
static int64_t
ctl_default_ttl(const struct conf *conf)
{
	int64_t ttl = 0;
	size_t i;

	for (i = 0; i < conf->nkeys; i++)
		if (conf->keys[i].max_ttl > ttl)
			ttl = conf->keys[i].max_ttl;
	return ttl;
}

static int
cmd_add(struct ctl *c, const char *entry, int64_t ttl)
{
	char text[IPNET_STRLEN];
	struct store_meta meta;
	enum store_result r;
	struct ipnet net;

	if (ctl_entry(entry, &net) == -1)
		return EXIT_FAIL;
	if (knock_range_too_broad(&net)) {
		fprintf(stderr, "knockerctl: %s: range too broad (at most 65536 IPv4 addresses, "
		    "an IPv6 /64, or /112 inside IPv4-embedding prefixes)\n", entry);
		return EXIT_FAIL;
	}
	if (ttl == 0)
		ttl = ctl_default_ttl(c->conf);
	memset(&meta, 0, sizeof(meta));
	(void)strlcpy(meta.key, CTL_KEY_NAME, sizeof(meta.key));
	meta.knocked_at = c->now;
	ipnet_format(&net, text, sizeof(text));
	if ((r = store_add(c->store, &net, c->now + ttl, c->now, &meta)) != STORE_OK) {
		ctl_audit(0, "add", text, -1);
		return ctl_store_failed(c, "add", r);
	}
	ctl_audit(1, "add", text, 1);
	printf("added %s for %" PRId64 " s (expires_at %" PRId64 ")\n", text, ttl, c->now + ttl);
	return EXIT_OK;
}

/* --- export / import: moving a whitelist between backends ------------------- */

/* export: the live entries with their metadata, as list --json prints them. */
static int
cmd_export(struct ctl *c)
{
	return cmd_list(c, true);
}

/* One entry of an import document into *e; -1 (reported) when malformed. */
static int
ctl_import_entry(const char *file, const char *entry, const cJSON *exp, const cJSON *obj,
    struct store_entry *e)
{
	const cJSON *k, *t, *cl;

	memset(e, 0, sizeof(*e));
	if (entry == NULL || ipnet_parse(entry, &e->net) == -1 || !cJSON_IsNumber(exp) ||
	    exp->valuedouble < 1 || exp->valuedouble > 1e12 ||
	    exp->valuedouble != (double)(int64_t)exp->valuedouble) {
		fprintf(stderr, "knockerctl: import: %s: not an entry with an expiry in unix "
		    "seconds: %s\n", file, entry != NULL ? entry : "(no \"entry\")");
		return -1;
	}
	e->expires_at = (int64_t)exp->valuedouble;
	if (obj == NULL)
		return 0;
	k = cJSON_GetObjectItemCaseSensitive(obj, "key");
	t = cJSON_GetObjectItemCaseSensitive(obj, "knocked_at");
	cl = cJSON_GetObjectItemCaseSensitive(obj, "client");
	if (cJSON_IsString(k))
		(void)strlcpy(e->meta.key, k->valuestring, sizeof(e->meta.key));
	if (cJSON_IsNumber(t) && t->valuedouble > 0 && t->valuedouble < 1e12)
		e->meta.knocked_at = (int64_t)t->valuedouble;
	if (cJSON_IsString(cl))
		(void)strlcpy(e->meta.client, cl->valuestring, sizeof(e->meta.client));
	return 0;
}

/* Reads FILE: whitelist.json's format ({"entry": expiry, ...}, FarisZR's)
   or export's ({"entries":[{"entry","expires_at","key","knocked_at",
   "client"},...]}). Every entry is checked before anything is written. */
static int
ctl_import_read(const char *file, struct store_entry **out, size_t *n)
{
	struct store_entry *v = NULL;
	const cJSON *list, *it;
	cJSON *root = NULL;
	char *text = NULL;
	size_t len = 0, cap = 0, cnt = 0, got;
	FILE *fp;
	int rc = -1;

	if ((fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r")) == NULL) {
		fprintf(stderr, "knockerctl: import: cannot open %s\n", file);
		return -1;
	}
	for (;;) {
		if (len + 4096 > cap) {
			char *bigger = cap > 256 * 1024 * 1024 ? NULL : realloc(text, cap + 65536);

			if (bigger == NULL)
				goto done;
			text = bigger;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len - 1, fp);
		len += got;
		if (got == 0)
			break;
	}
	text[len] = '\0';
	if ((root = cJSON_ParseWithLength(text, len)) == NULL || !cJSON_IsObject(root)) {
		fprintf(stderr, "knockerctl: import: %s: not a JSON object\n", file);
		goto done;
	}
	list = cJSON_GetObjectItemCaseSensitive(root, "entries");
	if (list != NULL && !cJSON_IsArray(list)) {
		fprintf(stderr, "knockerctl: import: %s: \"entries\" is not an array\n", file);
		goto done;
	}
	if ((v = calloc((size_t)cJSON_GetArraySize(list != NULL ? list : root) + 1,
	    sizeof(*v))) == NULL)
		goto done;
	for (it = list != NULL ? list->child : root->child; it != NULL; it = it->next, cnt++) {
		if (list != NULL) {
			const cJSON *en = cJSON_GetObjectItemCaseSensitive(it, "entry");

			if (ctl_import_entry(file, cJSON_IsString(en) ? en->valuestring : NULL,
			    cJSON_GetObjectItemCaseSensitive(it, "expires_at"), it, &v[cnt]) == -1)
				goto done;
		} else if (ctl_import_entry(file, it->string, it, NULL, &v[cnt]) == -1)
			goto done;
	}
	*out = v;
	*n = cnt;
	v = NULL;
	rc = 0;
done:
	if (rc == -1 && text == NULL)
		fprintf(stderr, "knockerctl: import: out of memory\n");
	if (fp != stdin)
		fclose(fp);
	cJSON_Delete(root);
	free(text);
	free(v);
	return rc;
}

/* import FILE: adds every live entry of FILE to the configured store (an
   entry already there gets FILE's expiry and metadata). */
static int
cmd_import(struct ctl *c, const char *file)
{
	struct store_entry *v;
	enum store_result r;
	size_t n, i, added = 0, expired = 0;

	if (ctl_import_read(file, &v, &n) == -1)
		return EXIT_FAIL;
	for (i = 0; i < n; i++) {
		if (v[i].expires_at <= c->now) {
			expired++;
			continue;
		}
		if ((r = store_add(c->store, &v[i].net, v[i].expires_at, c->now, &v[i].meta)) != STORE_OK) {
			free(v);
			fprintf(stderr, "knockerctl: import: stopped after %zu of %zu entries\n",
			    added, n);
			return ctl_store_failed(c, "import", r);
		}
		added++;
	}
	free(v);
	printf("imported %zu %s (%zu expired skipped)\n", added, added == 1 ? "entry" : "entries",
	    expired);
	return EXIT_OK;
}

/* Runs the command in argv[0..argc); EXIT_USAGE on a bad command line
   (checked before anything is loaded). */
static int
ctl_run(struct ctl *c, int argc, char **argv)
{
	const char *cmd = argv[0], *errstr = NULL;
	int64_t ttl = 0;
	bool json = false;
	int rc;

	enum { LIST, REVOKE, REVOKE_KEY, FLUSH, ADD, EXPORT, IMPORT } what;

	if (strcmp(cmd, "list") == 0) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0))
			return EXIT_USAGE;
		json = argc == 2;
		what = LIST;
	} else if (strcmp(cmd, "revoke") == 0) {
		if (argc >= 2 && strcmp(argv[1], "--key") == 0) {
			if (argc != 3 || argv[2][0] == '\0')
				return EXIT_USAGE;
			what = REVOKE_KEY;
		} else {
			if (argc < 2 || argv[1][0] == '-')
				return EXIT_USAGE;
			what = REVOKE;
		}
	} else if (strcmp(cmd, "flush") == 0) {
		if (argc != 1)
			return EXIT_USAGE;
		what = FLUSH;
	} else if (strcmp(cmd, "export") == 0) {
		if (argc != 1)
			return EXIT_USAGE;
		what = EXPORT;
	} else if (strcmp(cmd, "import") == 0) {
		if (argc != 2 || argv[1][0] == '\0')
			return EXIT_USAGE;
		what = IMPORT;
	} else if (strcmp(cmd, "add") == 0) {
		argc--;
		argv++;
		if (argc >= 1 && strcmp(argv[0], "--ttl") == 0) {
			if (argc < 2)
				return EXIT_USAGE;
			ttl = strtonum(argv[1], 1, CONF_MAX_TTL, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "knockerctl: --ttl %s: must be 1 to %d seconds\n",
				    argv[1], CONF_MAX_TTL);
				return EXIT_USAGE;
			}
			argc -= 2;
			argv += 2;
		}
		if (argc != 1 || argv[0][0] == '-')
			return EXIT_USAGE;
		what = ADD;
	} else
		return EXIT_USAGE;

	if (ctl_open(c) == -1)
		return EXIT_FAIL;
	switch (what) {
	case LIST:
		rc = cmd_list(c, json);
		break;
	case REVOKE:
		rc = cmd_revoke_entries(c, argc - 1, argv + 1);
		break;
	case REVOKE_KEY:
		rc = cmd_revoke_match(c, STORE_MATCH_KEY, argv[2], "revoke --key");
		break;
	case FLUSH:
		rc = cmd_revoke_match(c, STORE_MATCH_ALL, NULL, "flush");
		break;
	case EXPORT:
		rc = cmd_export(c);
		break;
	case IMPORT:
		rc = cmd_import(c, argv[1]);
		break;
	case ADD:
	default:
		rc = cmd_add(c, argv[0], ttl);
		break;
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	struct ctl c;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	/* "+": options end at the command. */
	while ((ch = getopt(argc, argv, "+c:hV")) != -1) {
		switch (ch) {
		case 'c':
			c.conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("knockerctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (c.conf_path == NULL)
		c.conf_path = getenv("KNOCKER_CONFIG");
	if (c.conf_path == NULL || *c.conf_path == '\0')
		c.conf_path = DEFAULT_CONFIG;
	/* The store's own log lines would repeat what the one line on stderr
	   says; errors still show. */
	(void)log_open("stderr", LOG_LEVEL_ERROR);
	rc = ctl_run(&c, argc - optind, argv + optind);
	if (rc == EXIT_USAGE)
		usage(stderr);
	store_free(c.store);
	redisconn_free(c.redis);
	conf_free(c.conf);
	return rc;
}
