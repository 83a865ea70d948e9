#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "ipmap.h"
#include "log.h"
#include "monotime.h"
#include "store_redis.h"

#define MOD "store"
#define KEY_MAX	(64 + 16 + IPNET_STRLEN)

/* KEYS: entry key, index, gen. ARGV: entry, expires_at, metadata JSON, now,
   max_entries, prefix. Returns the new generation. */
static const char add_script[] =
    "redis.call('SET', KEYS[1], ARGV[3], 'EXAT', ARGV[2])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])\n"
    "redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])\n"
    "local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[5])\n"
    "if extra > 0 then\n"
    "  for _, e in ipairs(redis.call('ZRANGE', KEYS[2], 0, extra)) do\n"
    "    if extra > 0 and e ~= ARGV[1] then\n"
    "      redis.call('ZREM', KEYS[2], e)\n"
    "      redis.call('DEL', ARGV[6] .. 'entry:' .. e)\n"
    "      extra = extra - 1\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return redis.call('INCR', KEYS[3])\n";

/* KEYS: index, gen. ARGV: mode ("entry", "key", "all"), value, now, prefix.
   Returns the number of live entries removed. */
static const char revoke_script[] =
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])\n"
    "local n = 0\n"
    "for _, e in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do\n"
    "  local hit = ARGV[1] == 'all' or (ARGV[1] == 'entry' and e == ARGV[2])\n"
    "  if ARGV[1] == 'key' then\n"
    "    local m = redis.call('GET', ARGV[4] .. 'entry:' .. e)\n"
    "    if m then\n"
    "      local ok, t = pcall(cjson.decode, m)\n"
    "      hit = ok and type(t) == 'table' and t.key == ARGV[2]\n"
    "    end\n"
    "  end\n"
    "  if hit then\n"
    "    redis.call('ZREM', KEYS[1], e)\n"
    "    redis.call('DEL', ARGV[4] .. 'entry:' .. e)\n"
    "    n = n + 1\n"
    "  end\n"
    "end\n"
    "if n > 0 then redis.call('INCR', KEYS[2]) end\n"
    "return n\n";

struct store_redis {
	struct redisconn	*conn;		/* borrowed */
	char			*prefix;
	int64_t			 max_entries;
	char			 k_index[KEY_MAX];
	char			 k_gen[KEY_MAX];

	struct ipmap		*view;		/* live entries -> expiry */
	uint64_t		 serial;	/* store_view_serial */
	bool			 loaded;	/* view came from the server */
	long long		 gen;		/* generation of the view */
	uint64_t		 epoch;		/* connection it came through */
	int64_t			 checked_ms;	/* last comparison attempt */
	int64_t			 confirmed_ms;	/* last successful one */
};

struct store_redis *
store_redis_new(struct redisconn *conn, const char *prefix, int64_t max_entries)
{
	struct store_redis *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->conn = conn;
	r->max_entries = max_entries;
	r->prefix = strdup(prefix);
	r->view = ipmap_new();
	if (r->prefix == NULL || r->view == NULL) {
		store_redis_free(r);
		return NULL;
	}
	/* conf bounds the prefix to 64 bytes: these fit. */
	snprintf(r->k_index, sizeof(r->k_index), "%sindex", prefix);
	snprintf(r->k_gen, sizeof(r->k_gen), "%sgen", prefix);
	return r;
}

void
store_redis_free(struct store_redis *r)
{
	if (r == NULL)
		return;
	ipmap_free(r->view);
	free(r->prefix);
	free(r);
}

static void
entry_key(const struct store_redis *r, const char *entry, char *buf, size_t size)
{
	snprintf(buf, size, "%sentry:%s", r->prefix, entry);
}

/* The generation in a GET reply: a missing key is 0. -1 if r is no such reply. */
static long long
gen_of(const redisReply *rep)
{
	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_NIL)
		return 0;
	if (rep->type == REDIS_REPLY_STRING)
		return strtoll(rep->str, NULL, 10);
	return -1;
}

/* Loads the live entries (one round trip: the generation, then the index,
   pipelined; a write between the two only makes the next poll reload). */
static int
view_load(struct store_redis *r, int64_t now)
{
	redisReply *g = NULL, *z = NULL;
	struct ipmap *m = NULL;
	struct ipnet net;
	long long gen;
	size_t i;
	int rc = -1;

	if (redisconn_append(r->conn, "GET %s", r->k_gen) != 0 ||
	    redisconn_append(r->conn, "ZRANGEBYSCORE %s (%lld +inf WITHSCORES", r->k_index,
	    (long long)now) != 0)
		goto done;
	g = redisconn_reply(r->conn);
	z = redisconn_reply(r->conn);
	if ((gen = gen_of(g)) < 0 || z == NULL || z->type != REDIS_REPLY_ARRAY) {
		if (z != NULL || g != NULL)
			log_warnx(MOD, "redis: cannot load the whitelist: %s",
			    redisconn_why(r->conn, z != NULL ? z : g));
		goto done;
	}
	if ((m = ipmap_new()) == NULL)
		goto done;
	for (i = 0; i + 1 < z->elements; i += 2) {
		const redisReply *e = z->element[i], *s = z->element[i + 1];

		if (e->type != REDIS_REPLY_STRING || s->type != REDIS_REPLY_STRING ||
		    ipnet_parse(e->str, &net) != 0)
			continue;	/* not ours: never an allow */
		if (ipmap_put(m, &net, strtoll(s->str, NULL, 10)) != 0)
			goto done;
	}
	ipmap_free(r->view);
	r->view = m;
	m = NULL;
	r->serial++;
	r->gen = gen;
	r->loaded = true;
	r->epoch = redisconn_epoch(r->conn);
	r->confirmed_ms = monotime_ms();
	rc = 1;
done:
	ipmap_free(m);
	freeReplyObject(g);
	freeReplyObject(z);
	return rc;
}

/* Asks the server for the generation; reloads on a change. 1 reloaded,
   0 unchanged, -1 no answer. */
static int
view_check(struct store_redis *r, int64_t now)
{
	redisReply *g;
	long long gen;

	r->checked_ms = monotime_ms();
	/* A single command first, even when a reload is due: it reconnects
	   at once if the server closed a connection we kept. */
	g = redisconn_command(r->conn, "GET %s", r->k_gen);
	gen = gen_of(g);
	if (gen < 0 && g != NULL)
		log_warnx(MOD, "redis: cannot read %s: %s", r->k_gen, redisconn_why(r->conn, g));
	freeReplyObject(g);
	if (gen < 0)
		return -1;
	/* After a reconnect the server may have restarted empty. */
	if (!r->loaded || gen != r->gen || r->epoch != redisconn_epoch(r->conn))
		return view_load(r, now);
	r->confirmed_ms = monotime_ms();
	return 0;
}

static bool
view_fresh(const struct store_redis *r)
{
	return r->loaded && monotime_ms() - r->confirmed_ms <= STORE_REDIS_STALE_MS;
}

int
store_redis_refresh(struct store_redis *r, int64_t now)
{
	if (!r->loaded || monotime_ms() - r->checked_ms >= STORE_REDIS_POLL_MS)
		(void)view_check(r, now);
	return view_fresh(r) ? 0 : -1;
}

int
store_redis_recheck(struct store_redis *r, int64_t now)
{
	int rc = view_check(r, now);

	return rc < 0 ? -1 : rc;
}

int
store_redis_lookup(const struct store_redis *r, const struct ipnet *addr, int64_t now,
    int64_t *expires_at)
{
	int64_t exp;

	if (r == NULL || !view_fresh(r) || !ipmap_lookup(r->view, addr, &exp) || exp <= now)
		return 0;
	if (expires_at != NULL)
		*expires_at = exp;
	return 1;
}

size_t
store_redis_count(const struct store_redis *r)
{
	return ipmap_count(r->view);
}

uint64_t
store_redis_serial(const struct store_redis *r)
{
	return r->serial;
}

const struct ipmap *
store_redis_view(const struct store_redis *r)
{
	return r->view;
}

static char *
meta_json(const struct store_meta *meta)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "key", meta != NULL ? meta->key : "") != NULL &&
	    cJSON_AddNumberToObject(o, "knocked_at", meta != NULL ? (double)meta->knocked_at : 0) != NULL &&
	    cJSON_AddStringToObject(o, "client", meta != NULL ? meta->client : "") != NULL)
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The result of a write's reply (freed here). */
static enum store_result
write_result(struct store_redis *r, redisReply *rep, const char *what, long long *value)
{
	enum store_result rc = STORE_FAIL;

	if (rep == NULL) {
		/* Not acknowledged: redisconn logged the state change. */
		rc = STORE_BUSY;
	} else if (rep->type != REDIS_REPLY_INTEGER) {
		log_warnx(MOD, "redis: %s failed: %s", what, redisconn_why(r->conn, rep));
	} else {
		*value = rep->integer;
		rc = STORE_OK;
	}
	freeReplyObject(rep);
	return rc;
}

enum store_result
store_redis_add(struct store_redis *r, const struct ipnet *entry, int64_t expires_at,
    int64_t now, const struct store_meta *meta)
{
	char text[IPNET_STRLEN], key[KEY_MAX];
	enum store_result rc;
	long long gen = 0;
	char *json;

	if (redisconn_up(r->conn) != 0)
		return STORE_BUSY;
	if ((json = meta_json(meta)) == NULL)
		return STORE_FAIL;
	ipnet_format(entry, text, sizeof(text));
	entry_key(r, text, key, sizeof(key));
	rc = write_result(r, redisconn_command(r->conn, "EVAL %s 3 %s %s %s %s %lld %s %lld %lld %s",
	    add_script, key, r->k_index, r->k_gen, text, (long long)expires_at, json,
	    (long long)now, (long long)r->max_entries, r->prefix), "add", &gen);
	free(json);
	if (rc != STORE_OK)
		return rc;
	/* Our own write on top of the view we have: no reload needed. */
	if (r->loaded && gen == r->gen + 1 && r->epoch == redisconn_epoch(r->conn) &&
	    ipmap_put(r->view, entry, expires_at) == 0) {
		r->gen = gen;
		r->serial++;
	} else
		r->checked_ms = 0;	/* reload at the next refresh */
	return STORE_OK;
}

enum store_result
store_redis_revoke(struct store_redis *r, const struct store_match *m, int64_t now,
    size_t *revoked)
{
	char text[IPNET_STRLEN];
	const char *mode = "all", *value = "";
	enum store_result rc;
	long long n = 0;

	if (revoked != NULL)
		*revoked = 0;
	if (m->by == STORE_MATCH_ENTRY) {
		mode = "entry";
		value = ipnet_format(&m->entry, text, sizeof(text));
	} else if (m->by == STORE_MATCH_KEY) {
		mode = "key";
		value = m->key != NULL ? m->key : "";
	}
	if (redisconn_up(r->conn) != 0)
		return STORE_BUSY;
	rc = write_result(r, redisconn_command(r->conn, "EVAL %s 2 %s %s %s %s %lld %s",
	    revoke_script, r->k_index, r->k_gen, mode, value, (long long)now, r->prefix),
	    "revoke", &n);
	if (rc == STORE_OK) {
		if (revoked != NULL)
			*revoked = n > 0 ? (size_t)n : 0;
		r->checked_ms = 0;
	}
	return rc;
}

enum store_result
store_redis_cleanup(struct store_redis *r, int64_t now)
{
	redisReply *rep;

	/* Entry keys expire by themselves; only the index needs pruning. */
	rep = redisconn_command(r->conn, "ZREMRANGEBYSCORE %s -inf %lld", r->k_index,
	    (long long)now);
	freeReplyObject(rep);
	return STORE_OK;	/* a down server was logged; the next cleanup retries */
}

/* Metadata from an entry key's JSON; unknown fields stay "" / 0. */
static void
meta_parse(const redisReply *rep, struct store_meta *meta)
{
	const cJSON *k, *t, *c;
	cJSON *o;

	memset(meta, 0, sizeof(*meta));
	if (rep == NULL || rep->type != REDIS_REPLY_STRING ||
	    (o = cJSON_ParseWithLength(rep->str, rep->len)) == NULL)
		return;
	k = cJSON_GetObjectItemCaseSensitive(o, "key");
	t = cJSON_GetObjectItemCaseSensitive(o, "knocked_at");
	c = cJSON_GetObjectItemCaseSensitive(o, "client");
	if (cJSON_IsString(k))
		strlcpy(meta->key, k->valuestring, sizeof(meta->key));
	if (cJSON_IsNumber(t) && t->valuedouble >= 0 && t->valuedouble < 1e15)
		meta->knocked_at = (int64_t)t->valuedouble;
	if (cJSON_IsString(c))
		strlcpy(meta->client, c->valuestring, sizeof(meta->client));
	cJSON_Delete(o);
}

int
store_redis_list(struct store_redis *r, int64_t now, struct store_entry **out, size_t *n)
{
	struct store_entry *v = NULL;
	char key[KEY_MAX];
	redisReply *z, *g;
	size_t i, cnt = 0, asked = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	z = redisconn_command(r->conn, "ZRANGEBYSCORE %s (%lld +inf WITHSCORES", r->k_index,
	    (long long)now);
	if (z == NULL || z->type != REDIS_REPLY_ARRAY) {
		log_warnx(MOD, "redis: cannot list the whitelist: %s", redisconn_why(r->conn, z));
		goto done;
	}
	if (z->elements / 2 > 0 && (v = calloc(z->elements / 2, sizeof(*v))) == NULL)
		goto done;
	for (i = 0; i + 1 < z->elements; i += 2) {
		const redisReply *e = z->element[i], *s = z->element[i + 1];

		if (e->type != REDIS_REPLY_STRING || s->type != REDIS_REPLY_STRING ||
		    ipnet_parse(e->str, &v[cnt].net) != 0)
			continue;
		v[cnt].expires_at = strtoll(s->str, NULL, 10);
		entry_key(r, e->str, key, sizeof(key));
		if (redisconn_append(r->conn, "GET %s", key) != 0)
			goto done;
		asked++;
		cnt++;
	}
	for (i = 0; i < asked; i++) {
		if ((g = redisconn_reply(r->conn)) == NULL)
			goto done;
		meta_parse(g, &v[i].meta);
		freeReplyObject(g);
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), store_entry_cmp);
	*out = cnt > 0 ? v : NULL;
	*n = cnt;
	if (cnt == 0)
		free(v);
	v = NULL;
	rc = 0;
done:
	free(v);
	freeReplyObject(z);
	return rc;
}

int
store_redis_check_ready(struct store_redis *r, char *err, size_t err_size)
{
	return redisconn_check(r->conn, err, err_size);
}
