#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "ipnet.h"
#include "jsontext.h"
#include "knockreq.h"

/* Characters (UTF-8 code points, as the original counts them), not bytes. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* What is wrong with a body, collected over every field: the original
   (pydantic) validates them all, then reports the ttl problem first, then
   the ip_address problem, then anything else. */
struct problems {
	bool	ttl, ip_long, ip_bad, other;
};

/* null stands for "not given", as in the original. */
static void
parse_ip(const cJSON *item, struct knockreq *r, struct problems *p)
{
	if (cJSON_IsNull(item))
		return;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		p->ip_bad = true;
	else if (utf8_chars(item->valuestring) > KNOCKREQ_MAX_IP_LEN)
		p->ip_long = true;
	else if (ipnet_parse(item->valuestring, &r->ip) != 0)
		p->ip_bad = true;
	else
		r->has_ip = true;
}

/* text[0..len) is the body, item its member number index. */
static void
parse_ttl(const cJSON *item, const char *text, size_t len, size_t index, struct knockreq *r,
    struct problems *p)
{
	double d;

	if (cJSON_IsNull(item))
		return;
	/* cJSON_IsNumber is false for true/false and strings. The original
	   takes an integer literal only: 60.0 and 6e1 are not one. */
	if (!cJSON_IsNumber(item) || !jsontext_member_is_integer(text, len, index)) {
		p->ttl = true;
		return;
	}
	d = item->valuedouble;		/* never valueint: it saturates at INT_MAX */
	if (!(d > 0))			/* also NaN */
		p->ttl = true;
	else if (d >= 9223372036854775808.0)	/* 2^63 and beyond: saturate */
		r->ttl = INT64_MAX;
	else if ((double)(int64_t)d != d)
		p->ttl = true;
	else
		r->ttl = (int64_t)d;
	if (!p->ttl)
		r->has_ttl = true;
}

static enum knockreq_status
problems_status(const struct problems *p)
{
	if (p->ttl)
		return KNOCKREQ_BAD_TTL;
	if (p->ip_long)
		return KNOCKREQ_IP_TOO_LONG;
	if (p->ip_bad)
		return KNOCKREQ_BAD_IP;
	if (p->other)
		return KNOCKREQ_INVALID;
	return KNOCKREQ_OK;
}

enum knockreq_status
knockreq_parse(const char *body, size_t len, struct knockreq *out)
{
	enum knockreq_status st = KNOCKREQ_OK;
	struct knockreq r;
	struct problems p;
	const cJSON *it;
	cJSON *root = NULL;
	char *copy = NULL;
	bool seen_ip = false, seen_ttl = false;
	size_t idx;

	memset(&r, 0, sizeof(r));
	memset(&p, 0, sizeof(p));
	if (body == NULL || len == 0 || len == SIZE_MAX || memchr(body, '\0', len) != NULL)
		return KNOCKREQ_MALFORMED;
	if ((copy = malloc(len + 1)) == NULL)
		return KNOCKREQ_MALFORMED;
	memcpy(copy, body, len);
	copy[len] = '\0';
	/* Length includes the NUL: cJSON then rejects anything after the value. */
	root = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, 1);
	if (root == NULL) {
		st = KNOCKREQ_MALFORMED;
		goto done;
	}
	if (!cJSON_IsObject(root)) {
		st = KNOCKREQ_NOT_OBJECT;
		goto done;
	}
	/* cJSON cut the string holding it short, so the fields below may look
	   fine: the body is refused whatever they hold. */
	if (jsontext_find_nul_escape(copy, len, NULL))
		p.other = true;
	for (it = root->child, idx = 0; it != NULL; it = it->next, idx++) {
		if (it->string == NULL)
			p.other = true;
		else if (strcmp(it->string, "ip_address") == 0) {
			if (seen_ip)
				p.other = true;		/* duplicate key */
			seen_ip = true;
			parse_ip(it, &r, &p);
		} else if (strcmp(it->string, "ttl") == 0) {
			if (seen_ttl)
				p.other = true;		/* duplicate key */
			seen_ttl = true;
			parse_ttl(it, copy, len, idx, &r, &p);
		} else
			p.other = true;			/* unknown field */
	}
	st = problems_status(&p);
	if (st == KNOCKREQ_OK)
		*out = r;
done:
	cJSON_Delete(root);
	free(copy);
	return st;
}

const char *
knockreq_error(enum knockreq_status st)
{
	switch (st) {
	case KNOCKREQ_OK:
		return NULL;
	case KNOCKREQ_MALFORMED:
		return "Malformed JSON request body.";
	case KNOCKREQ_NOT_OBJECT:
		return "Request body must be a JSON object.";
	case KNOCKREQ_BAD_TTL:
		return "Invalid TTL specified. Must be a positive integer.";
	case KNOCKREQ_BAD_IP:
		return "Invalid IP address or CIDR notation in request body.";
	case KNOCKREQ_IP_TOO_LONG:
		return "IP address or CIDR notation too long.";
	case KNOCKREQ_INVALID:
	default:
		return "Invalid request data.";
	}
}

bool
knockreq_is_json_type(const char *ct)
{
	static const char json[] = "application/json";

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, json, sizeof(json) - 1) != 0)
		return false;
	ct += sizeof(json) - 1;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}
