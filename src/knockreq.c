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

static enum knockreq_status
parse_ip(const cJSON *item, struct knockreq *r)
{
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return KNOCKREQ_INVALID;
	if (utf8_chars(item->valuestring) > KNOCKREQ_MAX_IP_LEN)
		return KNOCKREQ_INVALID;
	if (ipnet_parse(item->valuestring, &r->ip) != 0)
		return KNOCKREQ_BAD_IP;
	r->has_ip = true;
	return KNOCKREQ_OK;
}

static enum knockreq_status
parse_ttl(const cJSON *item, struct knockreq *r)
{
	double d;

	/* cJSON_IsNumber is false for true/false/null and strings. */
	if (!cJSON_IsNumber(item))
		return KNOCKREQ_BAD_TTL;
	d = item->valuedouble;		/* never valueint: it saturates at INT_MAX */
	if (!(d > 0))			/* also NaN */
		return KNOCKREQ_BAD_TTL;
	if (d >= 9223372036854775808.0)	/* 2^63 and beyond (incl. inf): saturate */
		r->ttl = INT64_MAX;
	else if ((double)(int64_t)d != d)
		return KNOCKREQ_BAD_TTL;
	else
		r->ttl = (int64_t)d;
	r->has_ttl = true;
	return KNOCKREQ_OK;
}

enum knockreq_status
knockreq_parse(const char *body, size_t len, struct knockreq *out)
{
	enum knockreq_status st = KNOCKREQ_OK;
	struct knockreq r;
	const cJSON *it;
	cJSON *root = NULL;
	char *copy = NULL;
	bool seen_ip = false, seen_ttl = false;

	memset(&r, 0, sizeof(r));
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
	if (jsontext_find_nul_escape(copy, len, NULL)) {
		st = KNOCKREQ_INVALID;
		goto done;
	}
	for (it = root->child; it != NULL && st == KNOCKREQ_OK; it = it->next) {
		if (it->string == NULL)
			st = KNOCKREQ_INVALID;
		else if (strcmp(it->string, "ip_address") == 0) {
			if (seen_ip)
				st = KNOCKREQ_INVALID;	/* duplicate key */
			else {
				seen_ip = true;
				st = parse_ip(it, &r);
			}
		} else if (strcmp(it->string, "ttl") == 0) {
			if (seen_ttl)
				st = KNOCKREQ_INVALID;	/* duplicate key */
			else {
				seen_ttl = true;
				st = parse_ttl(it, &r);
			}
		} else
			st = KNOCKREQ_INVALID;		/* unknown field */
	}
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
