#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include <cjson/cJSON.h>

#include "admin.h"
#include "reply.h"
#include "store.h"

/* The original's messages, word for word (clients match on them). */
#define MSG_TOO_LARGE	"Request body too large."
#define MSG_NOT_JSON	"Request body must be JSON."
#define MSG_MALFORMED	"Malformed JSON request body."
#define MSG_NO_REMOTE	"API key lacks remote whitelist permission."
#define MSG_TOO_BROAD	"CIDR range too broad. Maximum 65536 addresses allowed."
#define MSG_TTL_LARGE	"TTL too large. Maximum allowed is 315360000 seconds (10 years)."
#define MSG_RATE	"Too many knock attempts."
/* Ours: the store's lock was held past its deadline; try again. */
#define MSG_BUSY	REPLY_MSG_UNAVAILABLE

void
reply_reset(struct response *resp)
{
	resp->status = 500;
	resp->content_type = NULL;
	resp->nheaders = 0;
	resp->body_len = 0;
	resp->body[0] = '\0';
	resp->long_body = NULL;
}

void
reply_release(struct response *resp)
{
	free(resp->long_body);
	resp->long_body = NULL;
}

const char *
reply_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

void
reply_header(struct response *resp, const char *name, const char *fmt, ...)
{
	struct response_header *h;
	va_list ap;

	if (resp->nheaders >= REPLY_MAX_HEADERS)
		return;
	h = &resp->headers[resp->nheaders++];
	h->name = name;
	va_start(ap, fmt);
	vsnprintf(h->value, sizeof(h->value), fmt, ap);
	va_end(ap);
}

static void body_printf(struct response *resp, const char *fmt, ...) KN_PRINTF(2, 3);

/* Appends to the body; a text that does not fit is cut. */
static void
body_printf(struct response *resp, const char *fmt, ...)
{
	size_t room = sizeof(resp->body) - resp->body_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(resp->body + resp->body_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		resp->body_len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Appends s to the body as the inside of a JSON string. */
static void
body_put_json_string(struct response *resp, const char *s)
{
	char esc[8];
	size_t room, n;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			esc[2] = '\0';
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = '\0';
		}
		n = strlen(esc);
		room = sizeof(resp->body) - resp->body_len;
		if (n >= room)
			return;
		memcpy(resp->body + resp->body_len, esc, n);
		resp->body_len += n;
	}
	resp->body[resp->body_len] = '\0';
}

static void
json_answer(struct response *resp, int status)
{
	resp->status = status;
	resp->content_type = "application/json";
	resp->body_len = 0;
	resp->body[0] = '\0';
}

void
reply_error(struct response *resp, int status, const char *msg)
{
	json_answer(resp, status);
	body_printf(resp, "{\"error\":\"");
	body_put_json_string(resp, msg);
	body_printf(resp, "\"}");
}

void
reply_method_not_allowed(struct response *resp, const char *allow)
{
	reply_error(resp, 405, "Method not allowed.");
	reply_header(resp, "Allow", "%s", allow);
}

void
reply_status_ok(struct response *resp)
{
	json_answer(resp, 200);
	body_printf(resp, "{\"status\":\"ok\"}");
}

void
reply_cors(struct response *resp, const char *origin)
{
	reply_header(resp, "Access-Control-Allow-Origin", "%s", origin);
}

void
reply_cors_preflight(struct response *resp, const char *methods)
{
	resp->status = 204;
	reply_header(resp, "Access-Control-Allow-Methods", "%s", methods);
	reply_header(resp, "Access-Control-Allow-Headers", "X-Api-Key, Content-Type");
	reply_header(resp, "Access-Control-Max-Age", "600");
}

void
reply_verify(struct response *resp, bool allow, bool authorizer)
{
	resp->status = allow ? 200 : 401;
	if (allow || !authorizer)
		return;
	resp->content_type = "text/plain; charset=utf-8";
	body_printf(resp, "401 Unauthorized: this address is not whitelisted. Knock first.\n");
}

int
reply_knock_error(const struct knock_decision *d, const char **msg)
{
	switch (d->verdict) {
	case KNOCK_BAD_KEY:
		*msg = REPLY_MSG_BAD_KEY;
		return 401;
	case KNOCK_TOO_LARGE:
		*msg = MSG_TOO_LARGE;
		return 413;
	case KNOCK_UNREADABLE:
		*msg = MSG_MALFORMED;
		return 400;
	case KNOCK_NOT_JSON:
		*msg = MSG_NOT_JSON;
		return 415;
	case KNOCK_BAD_BODY:
		*msg = knockreq_error(d->body_status != KNOCKREQ_OK ? d->body_status : KNOCKREQ_INVALID);
		return 400;
	case KNOCK_NO_REMOTE:
		*msg = MSG_NO_REMOTE;
		return 403;
	case KNOCK_TOO_BROAD:
		*msg = MSG_TOO_BROAD;
		return 400;
	case KNOCK_TTL_LARGE:
		*msg = MSG_TTL_LARGE;
		return 400;
	case KNOCK_STORE_BUSY:
		*msg = MSG_BUSY;
		return 503;
	case KNOCK_STORE_FAILED:
	case KNOCK_ACCEPT:	/* a caller bug: never answer 200 by mistake */
	default:
		*msg = REPLY_MSG_PERSIST;
		return 500;
	}
}

void
reply_knock_refused(struct response *resp, const struct knock_decision *d)
{
	const char *msg;
	int status = reply_knock_error(d, &msg);

	reply_error(resp, status, msg);
}

void
reply_rate_limited(struct response *resp, int64_t retry_after)
{
	reply_error(resp, 429, MSG_RATE);
	reply_header(resp, "Retry-After", "%" PRId64, retry_after);
}

void
reply_knock_ok(struct response *resp, const struct ipnet *entry, int64_t expires_at, int64_t ttl)
{
	char text[IPNET_STRLEN];

	ipnet_format(entry, text, sizeof(text));
	json_answer(resp, 200);
	body_printf(resp, "{\"whitelisted_entry\":\"%s\",\"expires_at\":%" PRId64
	    ",\"expires_in_seconds\":%" PRId64 "}", text, expires_at, ttl);
}

void
reply_knock_status(struct response *resp, const struct ipnet *client, bool whitelisted,
    bool has_expiry, int64_t expires_at, int64_t seconds_left)
{
	char text[IPNET_STRLEN];

	ipnet_format(client, text, sizeof(text));
	json_answer(resp, 200);
	if (has_expiry)
		body_printf(resp, "{\"client_ip\":\"%s\",\"whitelisted\":%s,\"expires_at\":%" PRId64
		    ",\"expires_in_seconds\":%" PRId64 "}", text, whitelisted ? "true" : "false",
		    expires_at, seconds_left);
	else
		body_printf(resp, "{\"client_ip\":\"%s\",\"whitelisted\":%s,\"expires_at\":null,"
		    "\"expires_in_seconds\":null}", text, whitelisted ? "true" : "false");
}

/* --- /entries -------------------------------------------------------------- */

static cJSON *
entry_json(const struct store_entry *e, int64_t now, bool with_client)
{
	char text[IPNET_STRLEN];
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (cJSON_AddStringToObject(o, "entry", ipnet_format(&e->net, text, sizeof(text))) == NULL ||
	    cJSON_AddNumberToObject(o, "expires_at", (double)e->expires_at) == NULL ||
	    cJSON_AddNumberToObject(o, "expires_in_seconds", (double)(e->expires_at - now)) == NULL ||
	    (e->meta.key[0] != '\0' ? cJSON_AddStringToObject(o, "key", e->meta.key) :
	    cJSON_AddNullToObject(o, "key")) == NULL ||
	    (e->meta.knocked_at > 0 ?
	    cJSON_AddNumberToObject(o, "knocked_at", (double)e->meta.knocked_at) :
	    cJSON_AddNullToObject(o, "knocked_at")) == NULL ||
	    (with_client && (e->meta.client[0] != '\0' ?
	    cJSON_AddStringToObject(o, "client", e->meta.client) :
	    cJSON_AddNullToObject(o, "client")) == NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *
reply_entries_json(const struct store_entry *v, size_t n, int64_t now, bool with_client,
    size_t *len)
{
	cJSON *root, *arr, *o;
	char *out = NULL;
	size_t i;

	*len = 0;
	if ((root = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((arr = cJSON_AddArrayToObject(root, "entries")) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		if ((o = entry_json(&v[i], now, with_client)) == NULL)
			goto done;
		if (!cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto done;
		}
	}
	if ((out = cJSON_PrintUnformatted(root)) != NULL)
		*len = strlen(out);
done:
	cJSON_Delete(root);
	return out;
}

int
reply_entries(struct response *resp, const struct store_entry *v, size_t n, int64_t now)
{
	size_t len;
	char *text = reply_entries_json(v, n, now, false, &len);

	if (text == NULL) {
		reply_error(resp, 500, "Out of memory.");
		return -1;
	}
	json_answer(resp, 200);
	reply_release(resp);
	resp->long_body = text;
	resp->body_len = len;
	return 0;
}

void
reply_revoked(struct response *resp, size_t n)
{
	json_answer(resp, 200);
	body_printf(resp, "{\"revoked\":%zu}", n);
}

void
reply_admin_refused(struct response *resp, const struct admin_decision *d)
{
	switch (d->verdict) {
	case ADMIN_BAD_KEY:
		reply_error(resp, 401, REPLY_MSG_BAD_KEY);
		return;
	case ADMIN_FORBIDDEN:
		reply_error(resp, 403, REPLY_MSG_NOT_ADMIN);
		return;
	case ADMIN_TOO_LARGE:
		reply_error(resp, 413, MSG_TOO_LARGE);
		return;
	case ADMIN_UNREADABLE:
		reply_error(resp, 400, MSG_MALFORMED);
		return;
	case ADMIN_NOT_JSON:
		reply_error(resp, 415, MSG_NOT_JSON);
		return;
	case ADMIN_BAD_BODY:
		reply_error(resp, 400, adminreq_error(d->body_status));
		return;
	case ADMIN_LIST:
	case ADMIN_REVOKE:
		break;
	}
	reply_error(resp, 500, REPLY_MSG_PERSIST);
}
