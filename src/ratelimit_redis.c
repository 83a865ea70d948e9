#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "log.h"
#include "ratelimit_redis.h"

#define MOD "ratelimit"
#define KEY_MAX (64 + 16 + IPNET_STRLEN)

/* KEYS: the set. ARGV: now, window, max (0: no check), member. Returns 0
   (recorded) or the seconds until the event would not exceed the limit. */
static const char rl_script[] =
    "local now, win, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)\n"
    "if max > 0 and redis.call('ZCARD', KEYS[1]) >= max then\n"
    "  local r = redis.call('ZREVRANGE', KEYS[1], max - 1, max - 1, 'WITHSCORES')\n"
    "  local retry = tonumber(r[2]) + win - now\n"
    "  if retry < 1 then retry = 1 end\n"
    "  return retry\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], now, ARGV[4])\n"
    "redis.call('EXPIRE', KEYS[1], win)\n"
    "return 0\n";

struct rl_reservation {
	bool		 used;
	enum rl_outcome	 outcome;
	struct ipnet	 net;
	char		 key[KEY_MAX];
	char		 member[40];
};

struct ratelimit_redis {
	struct redisconn	*conn;		/* borrowed */
	char			*prefix;
	struct rl_params	 p;
	struct rl_reservation	 pending[2];
};

struct ratelimit_redis *
ratelimit_redis_new(struct redisconn *conn, const char *prefix, const struct rl_params *p)
{
	struct ratelimit_redis *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	if ((rl->prefix = strdup(prefix)) == NULL) {
		free(rl);
		return NULL;
	}
	rl->conn = conn;
	rl->p = *p;
	if (rl->p.window < 1)
		rl->p.window = 1;
	return rl;
}

void
ratelimit_redis_free(struct ratelimit_redis *rl)
{
	if (rl == NULL)
		return;
	free(rl->prefix);
	free(rl);
}

static int64_t
rl_max(const struct ratelimit_redis *rl, enum rl_outcome o)
{
	return o == RL_SUCCESS ? rl->p.max_success : rl->p.max_failure;
}

int
ratelimit_redis_lock(struct ratelimit_redis *rl, int64_t now)
{
	(void)now;
	memset(rl->pending, 0, sizeof(rl->pending));
	if (rl->p.max_success == 0 && rl->p.max_failure == 0)
		return 0;
	return redisconn_up(rl->conn) == 0 ? 0 : -2;
}

static void
rl_network(const struct ratelimit_redis *rl, const struct ipnet *ip, struct ipnet *net)
{
	unsigned want = ip->family == 4 ? rl->p.ipv4_prefix : rl->p.ipv6_prefix;

	ipnet_mask(ip, want < ip->prefix ? want : ip->prefix, net);
}

/* Runs the script for one event: 0 recorded, > 0 seconds to wait, -1 no answer. */
static int64_t
rl_run(struct ratelimit_redis *rl, struct rl_reservation *res, int64_t now, int64_t max)
{
	redisReply *rep;
	int64_t v = -1;

	rep = redisconn_command(rl->conn, "EVAL %s 1 %s %lld %lld %lld %s", rl_script, res->key,
	    (long long)now, (long long)rl->p.window, (long long)max, res->member);
	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	else if (rep != NULL)
		log_warnx(MOD, "redis: the rate limit script failed: %s",
		    redisconn_why(rl->conn, rep));
	freeReplyObject(rep);
	return v;
}

static void
rl_prepare(const struct ratelimit_redis *rl, const struct ipnet *ip, enum rl_outcome o,
    struct rl_reservation *res)
{
	char text[IPNET_STRLEN];

	memset(res, 0, sizeof(*res));
	res->outcome = o;
	rl_network(rl, ip, &res->net);
	snprintf(res->key, sizeof(res->key), "%srl:%c:%s", rl->prefix,
	    o == RL_SUCCESS ? 's' : 'f', ipnet_format(&res->net, text, sizeof(text)));
	snprintf(res->member, sizeof(res->member), "%08x%08x", arc4random(), arc4random());
}

int
ratelimit_redis_exceeded(struct ratelimit_redis *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now, int64_t *retry_after)
{
	struct rl_reservation res;
	int64_t v;

	if (rl_max(rl, outcome) == 0)
		return 0;
	rl_prepare(rl, ip, outcome, &res);
	v = rl_run(rl, &res, now, rl_max(rl, outcome));
	if (v < 0)
		return -1;
	if (v > 0) {
		if (retry_after != NULL)
			*retry_after = v;
		return 1;
	}
	res.used = true;
	rl->pending[outcome == RL_SUCCESS ? 0 : 1] = res;
	return 0;
}

int
ratelimit_redis_record(struct ratelimit_redis *rl, const struct ipnet *ip,
    enum rl_outcome outcome, int64_t now)
{
	struct rl_reservation *p = &rl->pending[outcome == RL_SUCCESS ? 0 : 1], res;

	if (rl_max(rl, outcome) == 0)
		return 0;
	rl_prepare(rl, ip, outcome, &res);
	if (p->used && memcmp(&p->net, &res.net, sizeof(res.net)) == 0) {
		p->used = false;	/* confirmed: it is already counted */
		return 0;
	}
	return rl_run(rl, &res, now, 0) == 0 ? 0 : -1;
}

int
ratelimit_redis_unlock(struct ratelimit_redis *rl)
{
	redisReply *rep;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (!rl->pending[i].used)
			continue;
		rep = redisconn_command(rl->conn, "ZREM %s %s", rl->pending[i].key,
		    rl->pending[i].member);
		freeReplyObject(rep);
		rl->pending[i].used = false;
	}
	return 0;
}
