/*
 * Fuzz target: the POST /knock body (knockreq_parse) and, on the same bytes
 * taken as a C string, the Content-Type check (knockreq_is_json_type).
 *
 * Oracles (abort() when broken):
 * - every status but OK has the contract's error text, OK has none;
 * - *out is filled on OK only (left untouched otherwise);
 * - an accepted body is a JSON object (read independently with cJSON) with
 *   at most the fields ip_address and ttl, each at most once; has_ip and
 *   has_ttl say which were present; the ip is canonical and is what the
 *   field's text parses to; the ttl is >= 1 and is the field's value;
 * - a body that is not JSON at all is MALFORMED; JSON but not an object is
 *   NOT_OBJECT;
 * - knockreq_is_json_type agrees with a reference written from its header
 *   comment ("application/json" in any case, optional spaces/tabs around
 *   it, then the end or ";").
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ipnet.h"
#include "knockreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
ref_is_json_type(const char *s)
{
	static const char t[] = "application/json";
	size_t i = 0, j;

	while (s[i] == ' ' || s[i] == '\t')
		i++;
	for (j = 0; j < sizeof(t) - 1; j++, i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != t[j])
			return false;
	}
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	return s[i] == '\0' || s[i] == ';';
}

static void
check_ok(const char *z, const struct knockreq *r)
{
	const cJSON *it, *ip = NULL, *ttl = NULL;
	struct ipnet want;
	cJSON *root;
	double d;

	root = cJSON_Parse(z);
	if (root == NULL || !cJSON_IsObject(root))
		abort();
	cJSON_ArrayForEach(it, root) {
		if (it->string == NULL)
			abort();
		if (strcmp(it->string, "ip_address") == 0 && ip == NULL)
			ip = it;
		else if (strcmp(it->string, "ttl") == 0 && ttl == NULL)
			ttl = it;
		else
			abort();	/* unknown or duplicate field accepted */
	}
	if (r->has_ip != (ip != NULL) || r->has_ttl != (ttl != NULL))
		abort();
	if (ip != NULL) {
		if (!cJSON_IsString(ip) || ipnet_parse(ip->valuestring, &want) != 0 ||
		    memcmp(&want, &r->ip, sizeof(want)) != 0)
			abort();
	}
	if (ttl != NULL) {
		if (!cJSON_IsNumber(ttl) || r->ttl < 1)
			abort();
		d = ttl->valuedouble;
		if (d < 9223372036854775808.0 ? (double)r->ttl != d : r->ttl != INT64_MAX)
			abort();
	}
	cJSON_Delete(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knockreq r, sentinel;
	enum knockreq_status st;
	cJSON *root;
	char *z;

	if ((z = malloc(size + 1)) == NULL)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';

	memset(&sentinel, 0xa5, sizeof(sentinel));
	memcpy(&r, &sentinel, sizeof(r));
	st = knockreq_parse((const char *)data, size, &r);
	if ((st == KNOCKREQ_OK) != (knockreq_error(st) == NULL))
		abort();
	if (st != KNOCKREQ_OK && memcmp(&r, &sentinel, sizeof(r)) != 0)
		abort();
	if (st == KNOCKREQ_OK)
		check_ok(z, &r);
	/* Whole input as the body, no NUL inside: cJSON decides the classes. */
	if (memchr(data, '\0', size) == NULL) {
		root = cJSON_ParseWithLengthOpts(z, size + 1, NULL, 1);
		if (root == NULL && st != KNOCKREQ_MALFORMED)
			abort();
		if (root != NULL && !cJSON_IsObject(root) && st != KNOCKREQ_NOT_OBJECT)
			abort();
		if (root != NULL && cJSON_IsObject(root) &&
		    (st == KNOCKREQ_MALFORMED || st == KNOCKREQ_NOT_OBJECT))
			abort();
		cJSON_Delete(root);
	} else if (st != KNOCKREQ_MALFORMED) {
		abort();
	}

	if (knockreq_is_json_type(z) != ref_is_json_type(z))
		abort();
	free(z);
	return 0;
}
