#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "adminreq.h"
#include "ipnet.h"
#include "jsontext.h"

const char *
adminreq_error(enum adminreq_status st)
{
	switch (st) {
	case ADMINREQ_OK:
		return NULL;
	case ADMINREQ_EMPTY:
		return "Request body required: {\"entry\":\"...\"}, {\"key\":\"...\"} or "
		    "{\"all\":true}.";
	case ADMINREQ_MALFORMED:
		return "Malformed JSON request body.";
	case ADMINREQ_NOT_OBJECT:
		return "Request body must be a JSON object.";
	case ADMINREQ_UNKNOWN_FIELD:
		return "Unknown field in request body (expected entry, key or all).";
	case ADMINREQ_DUPLICATE:
		return "Duplicate field in request body.";
	case ADMINREQ_NOT_ONE:
		return "Give exactly one of entry, key or all.";
	case ADMINREQ_BAD_ENTRY:
		return "entry must be an IP address or CIDR.";
	case ADMINREQ_BAD_KEY:
		return "key must be a key name (1 to 64 bytes).";
	case ADMINREQ_BAD_ALL:
		return "all must be true.";
	}
	return "Invalid request body.";
}

enum adminreq_status
adminreq_parse(const char *body, size_t len, struct adminreq *out)
{
	static const char *const names[] = { "entry", "key", "all" };
	const cJSON *seen[3] = { NULL, NULL, NULL };
	enum adminreq_status st = ADMINREQ_OK;
	const cJSON *it;
	cJSON *root;
	size_t i, given = 0;

	if (len == 0)
		return ADMINREQ_EMPTY;
	if (body == NULL || memchr(body, '\0', len) != NULL ||
	    (root = cJSON_ParseWithLength(body, len)) == NULL)
		return ADMINREQ_MALFORMED;
	if (jsontext_find_nul_escape(body, len, NULL)) {
		st = ADMINREQ_MALFORMED;
		goto done;
	}
	if (!cJSON_IsObject(root)) {
		st = ADMINREQ_NOT_OBJECT;
		goto done;
	}
	cJSON_ArrayForEach(it, root) {
		for (i = 0; i < 3; i++)
			if (it->string != NULL && strcmp(it->string, names[i]) == 0)
				break;
		if (i == 3) {
			st = ADMINREQ_UNKNOWN_FIELD;
			goto done;
		}
		if (seen[i] != NULL) {
			st = ADMINREQ_DUPLICATE;
			goto done;
		}
		seen[i] = it;
		given++;
	}
	if (given != 1) {
		st = ADMINREQ_NOT_ONE;
		goto done;
	}
	memset(out, 0, sizeof(*out));
	if (seen[0] != NULL) {
		out->match.by = STORE_MATCH_ENTRY;
		if (!cJSON_IsString(seen[0]) || seen[0]->valuestring == NULL ||
		    ipnet_parse(seen[0]->valuestring, &out->match.entry) == -1)
			st = ADMINREQ_BAD_ENTRY;
	} else if (seen[1] != NULL) {
		out->match.by = STORE_MATCH_KEY;
		if (!cJSON_IsString(seen[1]) || seen[1]->valuestring == NULL ||
		    seen[1]->valuestring[0] == '\0' ||
		    strlcpy(out->name, seen[1]->valuestring, sizeof(out->name)) >= sizeof(out->name))
			st = ADMINREQ_BAD_KEY;
		else
			out->match.key = out->name;
	} else {
		out->match.by = STORE_MATCH_ALL;
		if (!cJSON_IsTrue(seen[2]))
			st = ADMINREQ_BAD_ALL;
	}
done:
	cJSON_Delete(root);
	return st;
}
