/*
 * Fuzz target: the entry metadata file (wlmeta_parse), untrusted bytes
 * read from "<storage_path>.meta".
 *
 * Oracles (abort() when broken):
 * - a text cJSON does not read as an object is refused (-1), an object is
 *   accepted (0): the metadata never makes the store fail on a bad member;
 * - every record is sorted, unique, canonical (its entry's text parses
 *   back to it), its strings NUL-terminated and in bounds, its client empty
 *   or a canonical address, knocked_at >= 0;
 * - formatting and parsing again gives the same records (round trip).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ipnet.h"
#include "wlmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_records(const struct wlmeta *m)
{
	char text[IPNET_STRLEN];
	struct ipnet back;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct wlmeta_rec *r = &m->v[i];

		if (i > 0 && memcmp(&m->v[i - 1].net, &r->net, sizeof(r->net)) >= 0)
			abort();
		if (ipnet_parse(ipnet_format(&r->net, text, sizeof(text)), &back) != 0 ||
		    memcmp(&back, &r->net, sizeof(back)) != 0)
			abort();
		if (memchr(r->meta.key, '\0', sizeof(r->meta.key)) == NULL ||
		    memchr(r->meta.client, '\0', sizeof(r->meta.client)) == NULL ||
		    r->meta.knocked_at < 0)
			abort();
		if (r->meta.client[0] != '\0' &&
		    (ipnet_parse_addr(r->meta.client, &back) != 0 ||
		    strcmp(ipnet_format(&back, text, sizeof(text)), r->meta.client) != 0))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wlmeta m, again;
	cJSON *ref;
	size_t len;
	char *out;
	int r, is_obj;

	ref = cJSON_ParseWithLength((const char *)data, size);
	is_obj = ref != NULL && cJSON_IsObject(ref);
	cJSON_Delete(ref);

	wlmeta_init(&m);
	r = wlmeta_parse((const char *)data, size, &m);
	if ((r == 0) != (is_obj != 0))
		abort();
	if (r == 0) {
		check_records(&m);
		if (wlmeta_format(&m, &out, &len) != 0)
			abort();
		wlmeta_init(&again);
		/* key names cJSON cut at a \u0000 may differ: compare entries
		   and times, the rest is checked above. */
		if (wlmeta_parse(out, len, &again) != 0 || again.n != m.n)
			abort();
		for (len = 0; len < m.n; len++)
			if (memcmp(&again.v[len].net, &m.v[len].net, sizeof(m.v[0].net)) != 0 ||
			    again.v[len].meta.knocked_at != m.v[len].meta.knocked_at ||
			    strcmp(again.v[len].meta.key, m.v[len].meta.key) != 0 ||
			    strcmp(again.v[len].meta.client, m.v[len].meta.client) != 0)
				abort();
		free(out);
		wlmeta_free(&again);
	}
	wlmeta_free(&m);
	return 0;
}
