/*
 * Fuzz target: the DELETE <prefix>/entries body (adminreq_parse).
 *
 * Oracles (abort() when broken):
 * - every status but OK has an error text, OK has none;
 * - OK only for a JSON object (read independently with cJSON) with exactly
 *   one member, named entry, key or all; entry is canonical and is what
 *   the member's text parses to; key is the member's string (1..64 bytes)
 *   and match.key points at it; all is true;
 * - a body that is not JSON at all is MALFORMED (or EMPTY when empty);
 *   JSON but not an object is NOT_OBJECT (unless it holds a \u0000).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "adminreq.h"
#include "ipnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct adminreq out;
	enum adminreq_status st;
	const cJSON *f;
	struct ipnet n;
	cJSON *ref;

	st = adminreq_parse((const char *)data, size, &out);
	if ((st == ADMINREQ_OK) != (adminreq_error(st) == NULL))
		abort();
	if (size == 0) {
		if (st != ADMINREQ_EMPTY)
			abort();
		return 0;
	}
	ref = memchr(data, '\0', size) != NULL ? NULL :
	    cJSON_ParseWithLength((const char *)data, size);
	if (ref == NULL) {
		if (st != ADMINREQ_MALFORMED)
			abort();
		return 0;
	}
	if (!cJSON_IsObject(ref) && st != ADMINREQ_NOT_OBJECT && st != ADMINREQ_MALFORMED)
		abort();
	if (st == ADMINREQ_OK) {
		if (!cJSON_IsObject(ref) || cJSON_GetArraySize(ref) != 1)
			abort();
		f = ref->child;
		switch (out.match.by) {
		case STORE_MATCH_ENTRY:
			if (strcmp(f->string, "entry") != 0 || !cJSON_IsString(f) ||
			    ipnet_parse(f->valuestring, &n) != 0 ||
			    memcmp(&n, &out.match.entry, sizeof(n)) != 0 || out.match.key != NULL)
				abort();
			break;
		case STORE_MATCH_KEY:
			if (strcmp(f->string, "key") != 0 || !cJSON_IsString(f) ||
			    out.match.key != out.name || strcmp(out.name, f->valuestring) != 0 ||
			    strlen(out.name) == 0 || strlen(out.name) > 64)
				abort();
			break;
		case STORE_MATCH_ALL:
			if (strcmp(f->string, "all") != 0 || !cJSON_IsTrue(f) ||
			    out.match.key != NULL)
				abort();
			break;
		default:
			abort();
		}
	}
	cJSON_Delete(ref);
	return 0;
}
