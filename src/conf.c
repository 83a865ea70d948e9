#include "config.h"

#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "conf.h"
#include "ipmap.h"
#include "ipnet.h"
#include "jsontext.h"
#include "log.h"
#include "urlpath.h"

#define MSG_MAX		768	/* one problem text (without file and path) */
#define KPATH_MAX	512	/* a key path; bounded: 4 levels, shown keys are cut */
#define SHOW_MAX	48	/* bytes of an untrusted value shown in a message */
#define SHOW_BUF	(SHOW_MAX * 4 + 8)
#define MIN_KEY_LEN	16
/* Ends every key error: commands that work on Debian without extra packages. */
#define KEYGEN_HINT	"generate one with: od -An -tx1 -N32 /dev/urandom | tr -d ' \\n' " \
			"(or: openssl rand -hex 32)"
/* app.h keeps a response header value in 160 bytes. */
#define ORIGIN_MAX	159
/* Room left in PATH_MAX for the ".lock", ".shm", ".corrupt-<time>"
   and temp-file names made from storage_path. */
#define STORAGE_SUFFIX_ROOM 64

struct ctx {
	const char	*file;		/* name used in messages */
	struct errlist	*errs;
	struct errlist	*warns;		/* may be NULL */
	size_t		 nerr;		/* problems this parse reported */
	struct conf	*c;
};

/* One expected key of an object; walk_object fills item. */
struct member {
	const char	*name;
	const cJSON	*item;		/* first occurrence, or NULL if absent */
};

static void
vreport(struct ctx *x, struct errlist *l, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
vreport(struct ctx *x, struct errlist *l, const char *path, const char *fmt, va_list ap)
{
	char msg[MSG_MAX];

	/* A cut message is still a useful message. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (path == NULL || *path == '\0')
		errlist_add(l, "%s: %s", x->file, msg);
	else
		errlist_add(l, "%s: %s: %s", x->file, path, msg);
}

static void conf_err(struct ctx *x, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conf_warn(struct ctx *x, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a problem: "FILE: path: text" (or "FILE: text" without a path). */
static void
conf_err(struct ctx *x, const char *path, const char *fmt, ...)
{
	va_list ap;

	x->nerr++;
	va_start(ap, fmt);
	vreport(x, x->errs, path, fmt, ap);
	va_end(ap);
}

static void
conf_warn(struct ctx *x, const char *path, const char *fmt, ...)
{
	va_list ap;

	if (x->warns == NULL)
		return;
	va_start(ap, fmt);
	vreport(x, x->warns, path, fmt, ap);
	va_end(ap);
}

static void
conf_oom(struct ctx *x)
{
	conf_err(x, NULL, "out of memory");
}

/* Renders untrusted text for a message: in double quotes, bytes outside
   printable ASCII (and '"', '\\') escaped, cut after SHOW_MAX bytes.
   buf holds SHOW_BUF bytes. Never use it for key material. */
static const char *
show(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char ch;

	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 8 < size; i++) {
		if (i == SHOW_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			buf[o++] = (char)ch;
		} else {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[ch >> 4];
			buf[o++] = hex[ch & 0xf];
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Checks a path snprintf: a path too long (it cannot be, paths are
   bounded) ends in "..." rather than being cut silently. */
static void
path_checked(char *buf, size_t size, int n)
{
	if (n < 0)
		buf[0] = '\0';
	else if ((size_t)n >= size && size >= 4)
		memcpy(buf + size - 4, "...", 4);
}

/* "parent.key", or "parent[\"odd key\"]" when key is not a plain word. */
static void
path_key(char *buf, size_t size, const char *parent, const char *key)
{
	char shown[SHOW_BUF];
	size_t i;
	bool plain = key[0] != '\0' && strlen(key) <= SHOW_MAX;

	for (i = 0; plain && key[i] != '\0'; i++)
		if (!(key[i] >= 'a' && key[i] <= 'z') && !(key[i] >= 'A' && key[i] <= 'Z') &&
		    !(key[i] >= '0' && key[i] <= '9') && key[i] != '_' && key[i] != '-')
			plain = false;
	/* Bounded by KPATH_MAX: at most four levels of keys of at most SHOW_BUF. */
	if (plain)
		path_checked(buf, size,
		    snprintf(buf, size, "%s%s%s", parent, *parent != '\0' ? "." : "", key));
	else
		path_checked(buf, size,
		    snprintf(buf, size, "%s[%s]", parent, show(key, shown, sizeof(shown))));
}

static void
path_index(char *buf, size_t size, const char *parent, size_t i)
{
	path_checked(buf, size, snprintf(buf, size, "%s[%zu]", parent, i));
}

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

/* A key copied from an example instead of generated: "@API_KEY@" (the
   shipped example's markers), "<32+ random bytes, hex>" (the docs), or the
   original project's "CHANGE_ME_..." keys. */
static bool
key_is_placeholder(const char *s, size_t len)
{
	static const char *const words[] = { "changeme", "change_me", "change-me",
	    "replaceme", "replace_me", "replace-me" };
	size_t i, at;

	if (len >= 2 && s[0] == '@' && s[len - 1] == '@')
		return true;
	if (strchr(s, '<') != NULL && strchr(s, '>') != NULL)
		return true;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		for (at = 0; at + strlen(words[i]) <= len; at++)
			if (strncasecmp(s + at, words[i], strlen(words[i])) == 0)
				return true;
	return false;
}

/* What to write instead of a key that older versions of FarisZR/knocker's
   config had ("" if key at path is not one of them). */
static const char *
old_key_hint(const char *path, const char *key)
{
	bool in_key = strncmp(path, "api_keys[", 9) == 0 && strchr(path, '.') == NULL;

	if (*path == '\0' && strcmp(key, "logging") == 0)
		return "; the original's logging.level is log.level here "
		    "(\"error\", \"warn\", \"info\" or \"debug\")";
	if (in_key && strcmp(key, "ttl") == 0)
		return "; the original's old name for max_ttl";
	if (in_key && strcmp(key, "key_hash") == 0)
		return "; hashed keys are not supported: the key goes in key "
		    "(the original dropped them too)";
	return "";
}

/* Fills m[].item from obj's members; reports unknown and duplicate keys. */
static void
walk_object(struct ctx *x, const cJSON *obj, const char *path, struct member *m, size_t n)
{
	char p[KPATH_MAX];
	const cJSON *it;
	const char *key;
	size_t i;

	for (i = 0; i < n; i++)
		m[i].item = NULL;
	for (it = obj->child; it != NULL; it = it->next) {
		key = it->string != NULL ? it->string : "";
		path_key(p, sizeof(p), path, key);
		for (i = 0; i < n && strcmp(m[i].name, key) != 0; i++)
			continue;
		if (i == n)
			conf_err(x, p, "unknown key%s", old_key_hint(path, key));
		else if (m[i].item != NULL)
			conf_err(x, p, "duplicate key");
		else
			m[i].item = it;
	}
}

/* Returns item if it is an object; else reports and returns NULL. */
static const cJSON *
need_object(struct ctx *x, const cJSON *item, const char *path)
{
	if (item == NULL)
		return NULL;
	if (!cJSON_IsObject(item)) {
		conf_err(x, path, "must be an object");
		return NULL;
	}
	return item;
}

static const cJSON *
need_array(struct ctx *x, const cJSON *item, const char *path)
{
	if (item == NULL)
		return NULL;
	if (!cJSON_IsArray(item)) {
		conf_err(x, path, "must be an array");
		return NULL;
	}
	return item;
}

/* A non-empty string, or NULL (reported). */
static const char *
need_string(struct ctx *x, const cJSON *item, const char *path)
{
	if (!cJSON_IsString(item) || item->valuestring == NULL) {
		conf_err(x, path, "must be a string");
		return NULL;
	}
	if (item->valuestring[0] == '\0') {
		conf_err(x, path, "must not be empty");
		return NULL;
	}
	return item->valuestring;
}

/* An integer lo..hi (hi well below 2^53) into *out; absent: *out unchanged.
   Checks valuedouble, never the saturating valueint. */
static void
get_int(struct ctx *x, const cJSON *item, const char *path, int64_t lo, int64_t hi, int64_t *out)
{
	const char *kind = lo == 1 ? "a positive integer" :
	    lo == 0 ? "a non-negative integer" : "an integer";
	double d;

	if (item == NULL)
		return;
	if (!cJSON_IsNumber(item)) {
		conf_err(x, path, "must be %s", kind);
		return;
	}
	d = item->valuedouble;
	if (!(d >= (double)lo)) {	/* also NaN */
		if (lo > 1 && d == d)
			conf_err(x, path, "must be at least %lld", (long long)lo);
		else
			conf_err(x, path, "must be %s", kind);
		return;
	}
	if (d > (double)hi) {
		conf_err(x, path, "must be at most %lld", (long long)hi);
		return;
	}
	if ((double)(int64_t)d != d) {
		conf_err(x, path, "must be %s", kind);
		return;
	}
	*out = (int64_t)d;
}

static void
get_bool(struct ctx *x, const cJSON *item, const char *path, bool *out)
{
	if (item == NULL)
		return;
	if (!cJSON_IsBool(item)) {
		conf_err(x, path, "must be true or false");
		return;
	}
	*out = cJSON_IsTrue(item) != 0;
}

/* Replaces *dst with a copy of s. */
static int
set_str(struct ctx *x, char **dst, const char *s)
{
	char *dup = strdup(s);

	if (dup == NULL) {
		conf_oom(x);
		return -1;
	}
	free(*dst);
	*dst = dup;
	return 0;
}

/* An array of IPs/CIDRs into map. broad_warning: warn about ranges. */
static void
get_ip_list(struct ctx *x, const cJSON *item, const char *path, struct ipmap *map,
    bool broad_warning)
{
	char p[KPATH_MAX], shown[SHOW_BUF], canon[IPNET_STRLEN];
	const cJSON *el;
	const char *s;
	struct ipnet net;
	size_t i = 0;

	if (need_array(x, item, path) == NULL)
		return;
	for (el = item->child; el != NULL; el = el->next, i++) {
		path_index(p, sizeof(p), path, i);
		if ((s = need_string(x, el, p)) == NULL)
			continue;
		if (ipnet_parse(s, &net) != 0) {
			conf_err(x, p, "not an IP address or CIDR: %s", show(s, shown, sizeof(shown)));
			continue;
		}
		if (ipmap_put(map, &net, 0) != 0) {
			conf_oom(x);
			continue;
		}
		if (broad_warning && !ipnet_is_host(&net))
			conf_warn(x, p, "%s is a range of addresses, not one proxy: any host in it "
			    "can send a forged X-Forwarded-For and choose its client IP",
			    ipnet_format(&net, canon, sizeof(canon)));
	}
}

/* An excluded path: a string starting with "/" in normalized form. Returns
   a copy (caller frees) or NULL. catch_all: warn about "/". */
static char *
get_excluded_path(struct ctx *x, const cJSON *item, const char *path, bool catch_all)
{
	char norm[URLPATH_MAX], shown[SHOW_BUF], shown2[SHOW_BUF];
	const char *s;
	char *dup;

	if ((s = need_string(x, item, path)) == NULL)
		return NULL;
	if (s[0] != '/') {
		conf_err(x, path, "must start with \"/\": %s", show(s, shown, sizeof(shown)));
		return NULL;
	}
	if (urlpath_normalize(s, norm, sizeof(norm)) != 0) {
		conf_err(x, path, "not a valid URL path: %s", show(s, shown, sizeof(shown)));
		return NULL;
	}
	if (strcmp(norm, s) != 0) {
		/* Requests are matched in normalized form: this one never would. */
		conf_err(x, path, "not in normalized form: %s (write it as %s)",
		    show(s, shown, sizeof(shown)), show(norm, shown2, sizeof(shown2)));
		return NULL;
	}
	if (catch_all && strcmp(s, "/") == 0)
		conf_warn(x, path, "\"/\" matches every path: knocker protects nothing");
	if ((dup = strdup(s)) == NULL)
		conf_oom(x);
	return dup;
}

static void
parse_server(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "trusted_proxies", NULL }, { "host", NULL }, { "port", NULL } };
	size_t i;

	if (need_object(x, obj, "server") == NULL)
		return;
	walk_object(x, obj, "server", m, 3);
	get_ip_list(x, m[0].item, "server.trusted_proxies", x->c->trusted_proxies, true);
	/* The original project's listen address. */
	for (i = 1; i < 3; i++)
		if (m[i].item != NULL)
			conf_warn(x, i == 1 ? "server.host" : "server.port", "ignored: spawn-fcgi "
			    "(-a, -p) or the web server chooses where knocker listens");
}

static void
parse_whitelist(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "storage_path", NULL }, { "cleanup_interval_seconds", NULL } };
	const char *s;
	const char *sp = "whitelist.storage_path";

	if (obj == NULL) {
		conf_err(x, sp, "missing (required)");
		return;
	}
	if (need_object(x, obj, "whitelist") == NULL)
		return;
	walk_object(x, obj, "whitelist", m, 2);
	get_int(x, m[1].item, "whitelist.cleanup_interval_seconds", 1, 86400,
	    &x->c->cleanup_interval);
	if (m[0].item == NULL) {
		conf_err(x, sp, "missing (required)");
		return;
	}
	if ((s = need_string(x, m[0].item, sp)) == NULL)
		return;
	if (s[0] != '/')
		conf_err(x, sp, "must be an absolute path");
	else if (s[strlen(s) - 1] == '/')
		conf_err(x, sp, "must name a file, not a directory");
	else if (strlen(s) >= PATH_MAX - STORAGE_SUFFIX_ROOM)
		conf_err(x, sp, "too long (at most %d bytes)", PATH_MAX - STORAGE_SUFFIX_ROOM - 1);
	else
		set_str(x, &x->c->storage_path, s);
}

static void
parse_key(struct ctx *x, const cJSON *obj, size_t idx)
{
	struct member m[] = { { "name", NULL }, { "key", NULL }, { "max_ttl", NULL },
	    { "allow_remote_whitelist", NULL }, { "admin", NULL } };
	struct conf_api_key *k = &x->c->keys[idx], *o;
	char base[32], p[KPATH_MAX];	/* base: "api_keys[<size_t>]" */
	const char *s;
	size_t j, len;

	path_checked(base, sizeof(base), snprintf(base, sizeof(base), "api_keys[%zu]", idx));
	if (need_object(x, obj, base) == NULL)
		return;
	walk_object(x, obj, base, m, sizeof(m) / sizeof(m[0]));

	path_checked(p, sizeof(p), snprintf(p, sizeof(p), "%s.name", base));
	if (m[0].item != NULL) {
		if ((s = need_string(x, m[0].item, p)) != NULL) {
			if (has_control(s))
				conf_err(x, p, "must not contain control characters");
			else
				set_str(x, &k->name, s);
		}
	} else
		set_str(x, &k->name, base);

	/* The key itself: never put its text in a message. */
	path_checked(p, sizeof(p), snprintf(p, sizeof(p), "%s.key", base));
	if (m[1].item == NULL)
		conf_err(x, p, "missing (required)");
	else if ((s = need_string(x, m[1].item, p)) != NULL) {
		len = strlen(s);
		if (has_control(s))
			conf_err(x, p, "must not contain control characters");
		else if (s[0] == ' ' || s[len - 1] == ' ')
			conf_err(x, p, "must not start or end with a space "
			    "(HTTP drops it from the X-Api-Key header)");
		else {
			for (j = 0; j < idx; j++) {
				o = &x->c->keys[j];
				if (o->key != NULL && o->key_len == len && memcmp(o->key, s, len) == 0)
					break;
			}
			if (j < idx)
				conf_err(x, p, "duplicate of api_keys[%zu]", j);
			else if (key_is_placeholder(s, len))
				conf_err(x, p, "looks like a placeholder; " KEYGEN_HINT);
			else if (len < MIN_KEY_LEN)
				conf_err(x, p, "shorter than %d characters; " KEYGEN_HINT, MIN_KEY_LEN);
			else if ((k->key = strdup(s)) == NULL)
				conf_oom(x);
			else
				k->key_len = len;
		}
	}

	path_checked(p, sizeof(p), snprintf(p, sizeof(p), "%s.max_ttl", base));
	if (m[2].item == NULL)
		conf_err(x, p, "missing (required)");
	else
		get_int(x, m[2].item, p, 1, CONF_MAX_TTL, &k->max_ttl);

	path_checked(p, sizeof(p), snprintf(p, sizeof(p), "%s.allow_remote_whitelist", base));
	get_bool(x, m[3].item, p, &k->allow_remote_whitelist);

	/* "admin": may list and revoke entries over HTTP (/entries). */
	path_checked(p, sizeof(p), snprintf(p, sizeof(p), "%s.admin", base));
	get_bool(x, m[4].item, p, &k->admin);
}

static void
parse_api_keys(struct ctx *x, const cJSON *arr)
{
	const cJSON *el;
	size_t n = 0, i = 0;

	if (arr == NULL) {
		conf_err(x, "api_keys", "missing (required)");
		return;
	}
	if (need_array(x, arr, "api_keys") == NULL)
		return;
	for (el = arr->child; el != NULL; el = el->next)
		n++;
	if (n == 0) {
		conf_err(x, "api_keys", "must hold at least one key");
		return;
	}
	if ((x->c->keys = calloc(n, sizeof(*x->c->keys))) == NULL) {
		conf_oom(x);
		return;
	}
	x->c->nkeys = n;
	for (el = arr->child; el != NULL; el = el->next, i++)
		parse_key(x, el, i);
}

static void
parse_excluded_paths(struct ctx *x, const cJSON *arr)
{
	const char *path = "security.excluded_paths";
	char p[KPATH_MAX], *s;
	const cJSON *el;
	size_t n = 0, i = 0;

	if (need_array(x, arr, path) == NULL)
		return;
	for (el = arr->child; el != NULL; el = el->next)
		n++;
	if (n == 0)
		return;
	if ((x->c->excluded_paths = calloc(n, sizeof(char *))) == NULL) {
		conf_oom(x);
		return;
	}
	for (el = arr->child; el != NULL; el = el->next, i++) {
		path_index(p, sizeof(p), path, i);
		if ((s = get_excluded_path(x, el, p, true)) != NULL)
			x->c->excluded_paths[x->c->nexcluded++] = s;
	}
}

/* One "host": [paths] member into hp (host already set). */
static void
parse_host_paths(struct ctx *x, const cJSON *arr, const char *path, struct conf_host_paths *hp,
    bool any_host)
{
	char p[KPATH_MAX], *s;
	const cJSON *el;
	size_t n = 0, i = 0;

	if (need_array(x, arr, path) == NULL)
		return;
	for (el = arr->child; el != NULL; el = el->next)
		n++;
	if (n == 0)
		return;
	if ((hp->paths = calloc(n, sizeof(char *))) == NULL) {
		conf_oom(x);
		return;
	}
	for (el = arr->child; el != NULL; el = el->next, i++) {
		path_index(p, sizeof(p), path, i);
		if ((s = get_excluded_path(x, el, p, any_host)) != NULL)
			hp->paths[hp->npaths++] = s;
	}
}

static void
parse_excluded_by_host(struct ctx *x, const cJSON *obj)
{
	const char *path = "security.excluded_paths_by_host";
	char p[KPATH_MAX], host[HOST_MAX], shown[SHOW_BUF];
	struct conf_host_paths *hp;
	const cJSON *el, *o;
	const char *key;
	size_t n = 0, i;
	bool dup;

	if (need_object(x, obj, path) == NULL)
		return;
	for (el = obj->child; el != NULL; el = el->next)
		n++;
	if (n == 0)
		return;
	if ((x->c->host_paths = calloc(n, sizeof(*x->c->host_paths))) == NULL) {
		conf_oom(x);
		return;
	}
	for (el = obj->child; el != NULL; el = el->next) {
		key = el->string != NULL ? el->string : "";
		/* Host names are data, not schema: always in brackets. */
		path_checked(p, sizeof(p),
		    snprintf(p, sizeof(p), "%s[%s]", path, show(key, shown, sizeof(shown))));
		dup = false;
		for (o = obj->child; o != el && !dup; o = o->next)
			dup = o->string != NULL && strcmp(o->string, key) == 0;
		if (dup) {
			conf_err(x, p, "duplicate key");
			continue;
		}
		if (key[0] == '\0') {
			conf_err(x, p, "host must not be empty (use \"*\" for any host)");
			continue;
		}
		if (strcmp(key, "*") == 0)
			strlcpy(host, "*", sizeof(host));
		else if (host_normalize(key, host, sizeof(host)) != 0) {
			conf_err(x, p, "not a valid host name");
			continue;
		}
		for (i = 0; i < x->c->nhost_paths; i++)
			if (strcmp(x->c->host_paths[i].host, host) == 0)
				break;
		if (i < x->c->nhost_paths) {
			conf_err(x, p, "same host as another key once normalized: %s",
			    show(host, shown, sizeof(shown)));
			continue;
		}
		hp = &x->c->host_paths[x->c->nhost_paths];
		if ((hp->host = strdup(host)) == NULL) {
			conf_oom(x);
			continue;
		}
		x->c->nhost_paths++;
		parse_host_paths(x, el, p, hp, strcmp(host, "*") == 0);
	}
}

static void
parse_rate_limit(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "window_seconds", NULL }, { "successful_requests", NULL },
	    { "failed_requests", NULL }, { "ipv4_prefix", NULL }, { "ipv6_prefix", NULL } };
	const char *path = "security.knock_rate_limit";

	if (need_object(x, obj, path) == NULL)
		return;
	walk_object(x, obj, path, m, 5);
	get_int(x, m[0].item, "security.knock_rate_limit.window_seconds", 1, 86400,
	    &x->c->rl_window);
	get_int(x, m[1].item, "security.knock_rate_limit.successful_requests", 0, 1000000,
	    &x->c->rl_success);
	get_int(x, m[2].item, "security.knock_rate_limit.failed_requests", 0, 1000000,
	    &x->c->rl_failure);
	get_int(x, m[3].item, "security.knock_rate_limit.ipv4_prefix", 8, 32,
	    &x->c->rl_ipv4_prefix);
	get_int(x, m[4].item, "security.knock_rate_limit.ipv6_prefix", 32, 128,
	    &x->c->rl_ipv6_prefix);
}

static void
parse_security(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "always_allowed_ips", NULL }, { "excluded_paths", NULL },
	    { "excluded_paths_by_host", NULL }, { "max_whitelist_entries", NULL },
	    { "knock_rate_limit", NULL } };

	if (need_object(x, obj, "security") == NULL)
		return;
	walk_object(x, obj, "security", m, 5);
	get_ip_list(x, m[0].item, "security.always_allowed_ips", x->c->always_allowed, false);
	parse_excluded_paths(x, m[1].item);
	parse_excluded_by_host(x, m[2].item);
	get_int(x, m[3].item, "security.max_whitelist_entries", 1, 10000000, &x->c->max_entries);
	parse_rate_limit(x, m[4].item);
}

static void
parse_cors(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "allowed_origin", NULL } };
	const char *path = "cors.allowed_origin";
	const char *s;

	if (need_object(x, obj, "cors") == NULL)
		return;
	walk_object(x, obj, "cors", m, 1);
	if (m[0].item == NULL || (s = need_string(x, m[0].item, path)) == NULL)
		return;
	if (has_control(s))
		conf_err(x, path, "must not contain control characters (CR, LF, ...)");
	else if (strlen(s) > ORIGIN_MAX)
		conf_err(x, path, "too long (at most %d bytes)", ORIGIN_MAX);
	else
		set_str(x, &x->c->cors_origin, s);
}

static void
parse_log(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "target", NULL }, { "level", NULL } };
	char shown[SHOW_BUF];
	const char *s;

	if (need_object(x, obj, "log") == NULL)
		return;
	walk_object(x, obj, "log", m, 2);
	if (m[0].item != NULL && (s = need_string(x, m[0].item, "log.target")) != NULL) {
		if (strcmp(s, "stderr") != 0 && strcmp(s, "syslog") != 0 && s[0] != '/')
			conf_err(x, "log.target", "must be \"stderr\", \"syslog\" or an absolute "
			    "path, not %s", show(s, shown, sizeof(shown)));
		else if (s[0] == '/' && s[strlen(s) - 1] == '/')
			conf_err(x, "log.target", "must name a file, not a directory");
		else
			set_str(x, &x->c->log_target, s);
	}
	if (m[1].item != NULL && (s = need_string(x, m[1].item, "log.level")) != NULL) {
		if (log_level_parse(s, &x->c->log_level) != 0)
			conf_err(x, "log.level", "must be \"error\", \"warn\", \"info\" or "
			    "\"debug\", not %s", show(s, shown, sizeof(shown)));
	}
}

/* "metrics": {"allowed_ips": [...]}: who may read GET <prefix>/metrics
   (default loopback only; given, the list replaces the default). */
static void
parse_metrics(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "allowed_ips", NULL } };

	if (need_object(x, obj, "metrics") == NULL)
		return;
	walk_object(x, obj, "metrics", m, 1);
	if (m[0].item == NULL)
		return;
	ipmap_clear(x->c->metrics_allowed);
	get_ip_list(x, m[0].item, "metrics.allowed_ips", x->c->metrics_allowed, false);
}

/* The original project's firewalld section: accepted while disabled (its
   other settings then mean nothing), refused when enabled. */
static void
parse_firewalld(struct ctx *x, const cJSON *obj)
{
	bool enabled = false;
	size_t nerr = x->nerr;

	if (need_object(x, obj, "firewalld") == NULL)
		return;
	get_bool(x, cJSON_GetObjectItemCaseSensitive(obj, "enabled"), "firewalld.enabled", &enabled);
	if (x->nerr != nerr)
		return;
	if (enabled)
		conf_err(x, "firewalld.enabled", "knocker does not drive firewalld; network-level "
		    "rules are knocker-firewall's job (nftables, a \"firewall\" section, "
		    "docs/FIREWALL.md): set this to false or remove the section");
	else
		conf_warn(x, "firewalld", "ignored: knocker does not drive firewalld (this section "
		    "is disabled; network-level rules are knocker-firewall's job, docs/FIREWALL.md)");
}

/* --- store (docs/SCALING.md) ------------------------------------------------ */

/* "host:port", "[v6]:port" or "unix:/absolute/path". */
static bool
store_address_ok(const char *s, const char **why)
{
	const char *colon, *host_end, *p;
	char *end;
	long port;

	if (strncmp(s, "unix:", 5) == 0) {
		*why = "unix: must be followed by an absolute path of at most 107 bytes";
		return s[5] == '/' && strlen(s + 5) <= 107 && s[strlen(s) - 1] != '/';
	}
	*why = "must be \"host:port\", \"[IPv6]:port\" or \"unix:/path/to/socket\"";
	if ((colon = strrchr(s, ':')) == NULL || colon == s)
		return false;
	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (host_end == NULL || host_end + 1 != colon || host_end == s + 1)
			return false;
	} else {
		for (p = s; p < colon; p++)
			if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
				return false;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 || port > 65535) {
		*why = "port must be 1 to 65535";
		return false;
	}
	return true;
}

/* Reads the Redis password: a regular file, not readable by other users,
   one line (a final newline is dropped). */
static void
store_read_password(struct ctx *x, const char *file, const char *path)
{
	char buf[CONF_REDIS_PASSWORD_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;

	if (file[0] != '/') {
		conf_err(x, path, "must be an absolute path");
		return;
	}
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		conf_err(x, path, "cannot open %s: %s", file, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_err(x, path, "%s: not a regular file", file);
		goto done;
	}
	/* An error, not a warning: the password opens the shared whitelist. */
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		conf_err(x, path, "%s: readable or writable by other users: chmod 600 or 640", file);
		goto done;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_err(x, path, "cannot read %s: %s", file, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (len > CONF_REDIS_PASSWORD_MAX)
		conf_err(x, path, "%s: the password is longer than %d bytes", file,
		    CONF_REDIS_PASSWORD_MAX);
	else if (len == 0)
		conf_err(x, path, "%s: empty", file);
	else if (strlen(buf) != len || has_control(buf))
		conf_err(x, path, "%s: the password must be one line without control characters", file);
	else if ((x->c->store.password = strdup(buf)) == NULL)
		conf_oom(x);
done:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
}

static void
parse_store(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "backend", NULL }, { "address", NULL }, { "db", NULL },
	    { "username", NULL }, { "password_file", NULL }, { "prefix", NULL },
	    { "timeout_ms", NULL } };
	struct conf_store *st = &x->c->store;
	char p[KPATH_MAX], shown[SHOW_BUF];
	const char *s, *why;
	size_t i;

	if (need_object(x, obj, "store") == NULL)
		return;
	walk_object(x, obj, "store", m, 7);
	if (m[0].item != NULL && (s = need_string(x, m[0].item, "store.backend")) != NULL) {
		if (strcmp(s, "redis") == 0)
			st->backend = CONF_STORE_REDIS;
		else if (strcmp(s, "file") != 0)
			conf_err(x, "store.backend", "must be \"file\" or \"redis\", not %s",
			    show(s, shown, sizeof(shown)));
	}
	if (st->backend != CONF_STORE_REDIS) {
		for (i = 1; i < 7; i++)
			if (m[i].item != NULL) {
				path_key(p, sizeof(p), "store", m[i].name);
				conf_err(x, p, "only used with \"backend\": \"redis\"");
			}
		return;
	}
	if (m[1].item != NULL && (s = need_string(x, m[1].item, "store.address")) != NULL) {
		if (!store_address_ok(s, &why))
			conf_err(x, "store.address", "%s: %s", why, show(s, shown, sizeof(shown)));
		else
			set_str(x, &st->address, s);
	}
	get_int(x, m[2].item, "store.db", 0, 65535, &st->db);
	if (m[3].item != NULL && (s = need_string(x, m[3].item, "store.username")) != NULL) {
		if (has_control(s) || strchr(s, ' ') != NULL || strlen(s) > 128)
			conf_err(x, "store.username", "must be at most 128 bytes without spaces "
			    "or control characters");
		else
			set_str(x, &st->username, s);
	}
	if (m[4].item != NULL && (s = need_string(x, m[4].item, "store.password_file")) != NULL) {
		if (set_str(x, &st->password_file, s) == 0)
			store_read_password(x, s, "store.password_file");
	} else if (m[3].item != NULL && m[4].item == NULL)
		conf_err(x, "store.username", "needs store.password_file (an ACL user "
		    "authenticates with a password)");
	if (m[5].item != NULL && (s = need_string(x, m[5].item, "store.prefix")) != NULL) {
		if (has_control(s) || strchr(s, ' ') != NULL || strlen(s) > 64)
			conf_err(x, "store.prefix", "must be at most 64 bytes without spaces "
			    "or control characters");
		else
			set_str(x, &st->prefix, s);
	}
	get_int(x, m[6].item, "store.timeout_ms", 10, 60000, &st->timeout_ms);
}

/* --- "firewall": knocker-firewall (nftables). Names that other software
   gives its own tables: sharing one would mean flushing theirs. --------- */
static const char *const fw_taken_tables[] = { "filter", "nat", "mangle", "raw",
    "security", "firewalld", "broute" };

/* Decimal 1..65535, no sign, no leading zero; *end gets the first byte after. */
static int
fw_port_number(const char *s, const char **end, uint16_t *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 5)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || (s[0] == '0') || v > 65535)
		return -1;
	*end = s + i;
	*out = (uint16_t)v;
	return 0;
}

int
conf_fw_port_parse(const char *s, struct conf_fw_port *out, const char **why)
{
	const char *p;

	*why = "must be PORT/tcp, PORT/udp or FIRST-LAST/tcp (e.g. \"22/tcp\", \"51820/udp\")";
	if (fw_port_number(s, &p, &out->lo) != 0)
		return -1;
	out->hi = out->lo;
	if (*p == '-') {
		if (fw_port_number(p + 1, &p, &out->hi) != 0)
			return -1;
		if (out->hi <= out->lo) {
			*why = "a range must go up (FIRST-LAST with FIRST < LAST)";
			return -1;
		}
	}
	if (strcmp(p, "/tcp") == 0)
		out->proto = CONF_FW_TCP;
	else if (strcmp(p, "/udp") == 0)
		out->proto = CONF_FW_UDP;
	else
		return -1;
	*why = NULL;
	return 0;
}

static void
parse_fw_table(struct ctx *x, const cJSON *item)
{
	const char *path = "firewall.table";
	char shown[SHOW_BUF];
	const char *s;
	size_t i;

	if (item == NULL || (s = need_string(x, item, path)) == NULL)
		return;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))))
			break;
	if (s[i] != '\0' || i > CONF_FW_TABLE_MAX) {
		conf_err(x, path, "must be a letter then up to %d letters, digits or \"_\", not %s",
		    CONF_FW_TABLE_MAX - 1, show(s, shown, sizeof(shown)));
		return;
	}
	for (i = 0; i < sizeof(fw_taken_tables) / sizeof(fw_taken_tables[0]); i++)
		if (strcasecmp(s, fw_taken_tables[i]) == 0) {
			conf_err(x, path, "%s clashes with a table other software owns "
			    "(nftables.conf, iptables-nft, firewalld); use a name of its own "
			    "such as \"knocker\"", show(s, shown, sizeof(shown)));
			return;
		}
	strlcpy(x->c->firewall.table, s, sizeof(x->c->firewall.table));
}

static void
parse_fw_ports(struct ctx *x, const cJSON *arr)
{
	const char *path = "firewall.ports";
	char p[KPATH_MAX], shown[SHOW_BUF];
	struct conf_firewall *fw = &x->c->firewall;
	struct conf_fw_port port;
	const cJSON *el;
	const char *s, *why;
	size_t n = 0, i = 0, j;

	if (arr == NULL) {
		conf_err(x, path, "missing (required): the ports to guard, e.g. [\"22/tcp\"]");
		return;
	}
	if (need_array(x, arr, path) == NULL)
		return;
	for (el = arr->child; el != NULL; el = el->next)
		n++;
	if (n == 0) {
		conf_err(x, path, "must name at least one port");
		return;
	}
	if ((fw->ports = calloc(n, sizeof(*fw->ports))) == NULL) {
		conf_oom(x);
		return;
	}
	for (el = arr->child; el != NULL; el = el->next, i++) {
		path_index(p, sizeof(p), path, i);
		if ((s = need_string(x, el, p)) == NULL)
			continue;
		if (conf_fw_port_parse(s, &port, &why) != 0) {
			conf_err(x, p, "unknown port syntax %s: %s", show(s, shown, sizeof(shown)), why);
			continue;
		}
		for (j = 0; j < fw->nports; j++)
			if (fw->ports[j].proto == port.proto && fw->ports[j].lo <= port.hi &&
			    port.lo <= fw->ports[j].hi)
				break;
		if (j < fw->nports) {
			conf_err(x, p, "%s overlaps an earlier port of the list",
			    show(s, shown, sizeof(shown)));
			continue;
		}
		fw->ports[fw->nports++] = port;
	}
}

static void
parse_firewall(struct ctx *x, const cJSON *obj)
{
	struct member m[] = { { "table", NULL }, { "ports", NULL }, { "docker", NULL } };

	if (need_object(x, obj, "firewall") == NULL)
		return;
	x->c->firewall.present = true;
	strlcpy(x->c->firewall.table, "knocker", sizeof(x->c->firewall.table));
	walk_object(x, obj, "firewall", m, 3);
	parse_fw_table(x, m[0].item);
	parse_fw_ports(x, m[1].item);
	get_bool(x, m[2].item, "firewall.docker", &x->c->firewall.docker);
}
/* --- end of "firewall" ------------------------------------------------- */

static void
parse_top(struct ctx *x, const cJSON *root)
{
	struct member m[] = { { "server", NULL }, { "whitelist", NULL }, { "api_keys", NULL },
	    { "security", NULL }, { "cors", NULL }, { "log", NULL },
	    { "firewalld", NULL }, { "documentation", NULL }, { "firewall", NULL },
	    { "metrics", NULL }, { "store", NULL } };

	walk_object(x, root, "", m, 11);
	parse_server(x, m[0].item);
	parse_whitelist(x, m[1].item);
	parse_api_keys(x, m[2].item);
	parse_security(x, m[3].item);
	parse_cors(x, m[4].item);
	parse_log(x, m[5].item);
	parse_firewalld(x, m[6].item);
	parse_metrics(x, m[9].item);
	parse_store(x, m[10].item);
	/* The original's OpenAPI output settings: nothing to do here. */
	if (m[7].item != NULL && need_object(x, m[7].item, "documentation") != NULL)
		conf_warn(x, "documentation", "ignored: knocker serves no documentation or "
		    "OpenAPI endpoints (docs/API.md describes the API)");
	parse_firewall(x, m[8].item);
}

/* FarisZR/knocker's config is YAML: a file that starts with a comment, a
   "---" marker or a "key:" line is most likely one. */
static bool
looks_like_yaml(const char *s, size_t len)
{
	size_t i = 0, id;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	if (i < len && s[i] == '#')
		return true;
	if (len - i >= 3 && memcmp(s + i, "---", 3) == 0)
		return true;
	for (id = i; id < len && (isalnum((unsigned char)s[id]) || s[id] == '_' || s[id] == '-'); id++)
		continue;
	return id > i && id < len && s[id] == ':' &&
	    (id + 1 == len || s[id + 1] == ' ' || s[id + 1] == '\t' || s[id + 1] == '\n' ||
	    s[id + 1] == '\r');
}

/* 1-based line and column of byte offset off. */
static void
line_col(const char *s, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static void
wipe_tree(cJSON *item)
{
	for (; item != NULL; item = item->next) {
		if (item->valuestring != NULL)
			explicit_bzero(item->valuestring, strlen(item->valuestring));
		wipe_tree(item->child);
	}
}

static int
conf_default_metrics(struct ipmap *map)
{
	struct ipnet v4, v6;

	if (ipnet_parse("127.0.0.1", &v4) != 0 || ipnet_parse("::1", &v6) != 0)
		return -1;
	return ipmap_put(map, &v4, 0) != 0 || ipmap_put(map, &v6, 0) != 0 ? -1 : 0;
}

static struct conf *
conf_new(struct ctx *x)
{
	struct conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cleanup_interval = 60;
	c->max_entries = 10000;
	c->rl_window = 60;
	c->rl_success = 20;
	c->rl_failure = 30;
	c->rl_ipv4_prefix = 32;
	c->rl_ipv6_prefix = 64;
	c->log_level = LOG_LEVEL_INFO;
	c->path = strdup(x->file);
	c->trusted_proxies = ipmap_new();
	c->always_allowed = ipmap_new();
	c->metrics_allowed = ipmap_new();
	c->cors_origin = strdup("*");
	c->log_target = strdup("stderr");
	c->store.address = strdup("127.0.0.1:6379");
	c->store.prefix = strdup("knocker:");
	c->store.timeout_ms = 200;
	if (c->store.address == NULL || c->store.prefix == NULL ||
	    c->path == NULL || c->trusted_proxies == NULL || c->always_allowed == NULL ||
	    c->metrics_allowed == NULL || c->cors_origin == NULL || c->log_target == NULL ||
	    conf_default_metrics(c->metrics_allowed) != 0) {
		conf_free(c);
		return NULL;
	}
	return c;
}

struct conf *
conf_parse(const char *json, size_t len, const char *name, struct errlist *errs,
    struct errlist *warns)
{
	struct errlist local = ERRLIST_INIT;
	struct ctx x;
	cJSON *root = NULL;
	char *copy = NULL;
	const char *end = NULL, *nul;
	struct conf *c = NULL;
	size_t i, line, col, off;

	memset(&x, 0, sizeof(x));
	x.file = name != NULL ? name : "(config)";
	x.errs = errs != NULL ? errs : &local;
	x.warns = warns;
	if (json == NULL)
		len = 0;
	if (len > CONF_MAX_FILE_SIZE) {
		conf_err(&x, NULL, "too large: more than %d bytes", CONF_MAX_FILE_SIZE);
		goto done;
	}
	for (i = 0; i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' ||
	    json[i] == '\r'); i++)
		continue;
	if (i == len) {
		conf_err(&x, NULL, "not valid JSON: the file is empty");
		goto done;
	}
	if ((nul = memchr(json, '\0', len)) != NULL) {
		line_col(json, (size_t)(nul - json), &line, &col);
		conf_err(&x, NULL, "not valid JSON: NUL byte at line %zu, column %zu (byte %zu)",
		    line, col, (size_t)(nul - json));
		goto done;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		conf_oom(&x);
		goto done;
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	/* Length includes the NUL: cJSON then rejects anything after the value. */
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
	if (root == NULL) {
		off = end != NULL && end >= copy && end <= copy + len ? (size_t)(end - copy) : 0;
		line_col(copy, off, &line, &col);
		conf_err(&x, NULL, "not valid JSON: syntax error near line %zu, column %zu (byte %zu)",
		    line, col, off);
		if (looks_like_yaml(copy, len))
			conf_err(&x, NULL, "this looks like YAML (FarisZR/knocker's format); knocker "
			    "reads JSON. Convert it with: python3 -c 'import sys,yaml,json; "
			    "json.dump(yaml.safe_load(sys.stdin), sys.stdout, indent=2)' "
			    "< knocker.yaml > knocker.json (Debian: apt-get install python3-yaml)");
		goto done;
	}
	if (jsontext_find_nul_escape(copy, len, &off)) {
		line_col(copy, off, &line, &col);
		conf_err(&x, NULL, "\\u0000 in a string at line %zu, column %zu (byte %zu): "
		    "not allowed", line, col, off);
		goto done;
	}
	if (!cJSON_IsObject(root)) {
		conf_err(&x, NULL, "top level: must be a JSON object");
		goto done;
	}
	if ((c = conf_new(&x)) == NULL) {
		conf_oom(&x);
		goto done;
	}
	x.c = c;
	parse_top(&x, root);
done:
	if (x.nerr > 0 || x.errs->oom) {
		conf_free(c);
		c = NULL;
	}
	if (root != NULL) {
		wipe_tree(root);
		cJSON_Delete(root);
	}
	if (copy != NULL)
		freezero(copy, len + 1);
	errlist_free(&local);
	return c;
}

/* FNV-1a, 64 bits: tells one version of the file from another (the
   admin writes it; no adversary picks collisions). */
static uint64_t
conf_hash(const char *buf, size_t len)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

struct conf *
conf_load(const char *path, struct errlist *errs, struct errlist *warns)
{
	return conf_load_hash(path, errs, warns, NULL);
}

struct conf *
conf_load_hash(const char *path, struct errlist *errs, struct errlist *warns, uint64_t *hash)
{
	struct errlist local = ERRLIST_INIT;
	struct ctx x;
	struct stat st;
	struct conf *c = NULL;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1;

	memset(&x, 0, sizeof(x));
	x.file = path != NULL ? path : "(null)";
	x.errs = errs != NULL ? errs : &local;
	x.warns = warns;
	if (hash != NULL)
		*hash = 0;
	if (path == NULL || *path == '\0') {
		conf_err(&x, NULL, "no config file given");
		goto done;
	}
	/* O_NONBLOCK: a FIFO must not hang us; it is refused below anyway. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		conf_err(&x, NULL, "cannot open: %s", strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) == -1) {
		conf_err(&x, NULL, "cannot stat: %s", strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		conf_err(&x, NULL, "not a regular file");
		goto done;
	}
	if (st.st_mode & S_IROTH)
		conf_warn(&x, NULL, "readable by other users; it holds API keys: chmod 600 or 640");
	if (st.st_mode & S_IWOTH)
		conf_warn(&x, NULL, "writable by other users: anyone can change the API keys: "
		    "chmod 600 or 640");
	if (st.st_size > CONF_MAX_FILE_SIZE) {
		conf_err(&x, NULL, "too large: %lld bytes (at most %d)", (long long)st.st_size,
		    CONF_MAX_FILE_SIZE);
		goto done;
	}
	/* Read one byte past the limit to notice a file that grew meanwhile. */
	if ((buf = malloc(CONF_MAX_FILE_SIZE + 1)) == NULL) {
		conf_oom(&x);
		goto done;
	}
	while (len < CONF_MAX_FILE_SIZE + 1) {
		n = read(fd, buf + len, CONF_MAX_FILE_SIZE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conf_err(&x, NULL, "cannot read: %s", strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (hash != NULL)
		*hash = conf_hash(buf, len);
	if (len > CONF_MAX_FILE_SIZE) {
		conf_err(&x, NULL, "too large: more than %d bytes", CONF_MAX_FILE_SIZE);
		goto done;
	}
	c = conf_parse(buf, len, path, x.errs, warns);
done:
	if (fd != -1)
		close(fd);
	if (buf != NULL)
		freezero(buf, len);	/* only the bytes read hold secrets */
	errlist_free(&local);
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	free(c->path);
	ipmap_free(c->trusted_proxies);
	ipmap_free(c->always_allowed);
	ipmap_free(c->metrics_allowed);
	free(c->storage_path);
	for (i = 0; i < c->nkeys; i++) {
		free(c->keys[i].name);
		if (c->keys[i].key != NULL)
			freezero(c->keys[i].key, c->keys[i].key_len + 1);
	}
	free(c->keys);
	for (i = 0; i < c->nexcluded; i++)
		free(c->excluded_paths[i]);
	free(c->excluded_paths);
	for (i = 0; i < c->nhost_paths; i++) {
		free(c->host_paths[i].host);
		for (j = 0; j < c->host_paths[i].npaths; j++)
			free(c->host_paths[i].paths[j]);
		free(c->host_paths[i].paths);
	}
	free(c->host_paths);
	free(c->cors_origin);
	free(c->log_target);
	free(c->store.address);
	free(c->store.username);
	if (c->store.password != NULL)
		freezero(c->store.password, strlen(c->store.password));
	free(c->store.password_file);
	free(c->store.prefix);
	free(c->firewall.ports);
	free(c);
}
