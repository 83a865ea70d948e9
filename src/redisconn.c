#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "log.h"
#include "monotime.h"
#include "redisconn.h"

#define MOD "store"

struct redisconn {
	const struct conf_store	*cs;
	redisContext		*ctx;
	int64_t			 retry_at;	/* monotonic ms: no attempt before */
	uint64_t		 epoch;
	int			 state;		/* -1 unknown, 0 down, 1 up */
	int			 pending;	/* appended replies not yet read */
	char			 why[200];	/* the last failure */
};

struct redisconn *
redisconn_new(const struct conf_store *cs)
{
	struct redisconn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cs = cs;
	c->state = -1;
	return c;
}

void
redisconn_free(struct redisconn *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL)
		redisFree(c->ctx);
	free(c);
}

uint64_t
redisconn_epoch(const struct redisconn *c)
{
	return c->epoch;
}

/* Drops the connection after a failure; logs when it was up (or unknown). */
static void
conn_down(struct redisconn *c, const char *why)
{
	if (why != c->why)
		strlcpy(c->why, why, sizeof(c->why));
	if (c->ctx != NULL) {
		redisFree(c->ctx);
		c->ctx = NULL;
	}
	c->pending = 0;
	c->retry_at = monotime_ms() + REDISCONN_RETRY_MS;
	if (c->state != 0)
		log_warnx(MOD, "redis %s unavailable: %s; retrying (meanwhile knocks answer 503, "
		    "verify admits only what it could confirm, the firewall keeps its sets)",
		    c->cs->address, c->why);
	c->state = 0;
}

/* Runs an AUTH or SELECT while connecting; 0 or -1 (c->why set). */
static int
conn_setup_command(struct redisconn *c, const char *what, redisReply *r)
{
	if (r == NULL) {
		snprintf(c->why, sizeof(c->why), "%s: %s", what,
		    c->ctx->errstr[0] != '\0' ? c->ctx->errstr : "no answer");
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(c->why, sizeof(c->why), "%s refused: %s", what, r->str);
		freeReplyObject(r);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

static int
conn_open(struct redisconn *c)
{
	const struct conf_store *cs = c->cs;
	struct timeval tv = { cs->timeout_ms / 1000, (cs->timeout_ms % 1000) * 1000 };
	char host[256];
	const char *colon;
	size_t hlen;
	int port;

	if (strncmp(cs->address, "unix:", 5) == 0) {
		c->ctx = redisConnectUnixWithTimeout(cs->address + 5, tv);
	} else {
		colon = strrchr(cs->address, ':');
		hlen = (size_t)(colon - cs->address);
		if (cs->address[0] == '[') {
			hlen -= 2;
			memcpy(host, cs->address + 1, hlen < sizeof(host) ? hlen : 0);
		} else
			memcpy(host, cs->address, hlen < sizeof(host) ? hlen : 0);
		host[hlen < sizeof(host) ? hlen : 0] = '\0';
		port = atoi(colon + 1);	/* checked by conf: 1..65535 */
		c->ctx = redisConnectWithTimeout(host, port, tv);
	}
	if (c->ctx == NULL) {
		strlcpy(c->why, "out of memory", sizeof(c->why));
		return -1;
	}
	if (c->ctx->err != 0) {
		snprintf(c->why, sizeof(c->why), "connect: %s", c->ctx->errstr);
		return -1;
	}
	if (redisSetTimeout(c->ctx, tv) != REDIS_OK) {
		snprintf(c->why, sizeof(c->why), "cannot set the timeout");
		return -1;
	}
	if (cs->password != NULL && conn_setup_command(c, "AUTH", cs->username != NULL ?
	    redisCommand(c->ctx, "AUTH %s %s", cs->username, cs->password) :
	    redisCommand(c->ctx, "AUTH %s", cs->password)) != 0)
		return -1;
	if (cs->db != 0 && conn_setup_command(c, "SELECT",
	    redisCommand(c->ctx, "SELECT %lld", (long long)cs->db)) != 0)
		return -1;
	return 0;
}

static int
conn_connect(struct redisconn *c)
{
	if (conn_open(c) != 0) {
		conn_down(c, c->why);
		return -1;
	}
	c->epoch++;
	if (c->state != 1)
		log_info(MOD, "redis %s: connected", c->cs->address);
	c->state = 1;
	return 0;
}

int
redisconn_up(struct redisconn *c)
{
	if (c->ctx != NULL)
		return 0;
	if (monotime_ms() < c->retry_at)
		return -1;
	return conn_connect(c);
}

/* After a NULL reply: the context is unusable. */
static redisReply *
conn_failed(struct redisconn *c)
{
	char why[sizeof(c->why)];

	snprintf(why, sizeof(why), "%s", c->ctx != NULL && c->ctx->errstr[0] != '\0' ?
	    c->ctx->errstr : "connection lost");
	conn_down(c, why);
	return NULL;
}

/* The server closed a connection we had kept (it restarted, or dropped
   idle clients): not a timeout, so worth one new connection at once. */
static bool
conn_was_closed(const struct redisconn *c)
{
	return c->ctx->err == REDIS_ERR_EOF ||
	    (c->ctx->err == REDIS_ERR_IO && (errno == EPIPE || errno == ECONNRESET));
}

redisReply *
redisconn_command(struct redisconn *c, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;
	bool fresh;

	if (c->pending != 0)
		return NULL;
	fresh = c->ctx == NULL;
	if (redisconn_up(c) != 0)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(c->ctx, fmt, ap);
	va_end(ap);
	if (r != NULL)
		return r;
	if (fresh || !conn_was_closed(c))
		return conn_failed(c);
	/* Once: a connection that worked before and was closed meanwhile. */
	redisFree(c->ctx);
	c->ctx = NULL;
	if (conn_open(c) != 0) {
		conn_down(c, c->why);
		return NULL;
	}
	c->epoch++;
	log_info(MOD, "redis %s: connection was closed by the server; reconnected",
	    c->cs->address);
	va_start(ap, fmt);
	r = redisvCommand(c->ctx, fmt, ap);
	va_end(ap);
	return r != NULL ? r : conn_failed(c);
}

int
redisconn_append(struct redisconn *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (redisconn_up(c) != 0)
		return -1;
	va_start(ap, fmt);
	rc = redisvAppendCommand(c->ctx, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		conn_failed(c);
		return -1;
	}
	c->pending++;
	return 0;
}

redisReply *
redisconn_reply(struct redisconn *c)
{
	void *r = NULL;

	if (c->ctx == NULL || c->pending == 0)
		return NULL;
	if (redisGetReply(c->ctx, &r) != REDIS_OK || r == NULL)
		return conn_failed(c);
	c->pending--;
	return r;
}

int
redisconn_check(struct redisconn *c, char *err, size_t err_size)
{
	redisReply *r;

	if (c->ctx == NULL && conn_connect(c) != 0)
		goto fail;
	r = redisconn_command(c, "PING");
	if (r == NULL)
		goto fail;
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(c->why, sizeof(c->why), "PING refused: %s", r->str);
		freeReplyObject(r);
		goto fail;
	}
	freeReplyObject(r);
	return 0;
fail:
	if (err != NULL)
		snprintf(err, err_size, "redis %s: %s", c->cs->address, c->why);
	return -1;
}

const char *
redisconn_why(const struct redisconn *c, const redisReply *r)
{
	if (r != NULL && r->type == REDIS_REPLY_ERROR && r->str != NULL)
		return r->str;
	return c->why[0] != '\0' ? c->why : "unexpected reply";
}
