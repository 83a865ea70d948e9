#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "ipnet.h"
#include "wlmeta.h"

void
wlmeta_init(struct wlmeta *m)
{
	memset(m, 0, sizeof(*m));
}

void
wlmeta_free(struct wlmeta *m)
{
	if (m == NULL)
		return;
	free(m->v);
	wlmeta_init(m);
}

static int
wlmeta_cmp(const struct ipnet *a, const struct ipnet *b)
{
	return memcmp(a, b, sizeof(*a));
}

/* Index of net, or of where it would go; *found says which. */
static size_t
wlmeta_find(const struct wlmeta *m, const struct ipnet *net, bool *found)
{
	size_t lo = 0, hi = m->n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = wlmeta_cmp(&m->v[mid].net, net);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct store_meta *
wlmeta_get(const struct wlmeta *m, const struct ipnet *net)
{
	bool found;
	size_t i = wlmeta_find(m, net, &found);

	return found ? &m->v[i].meta : NULL;
}

int
wlmeta_set(struct wlmeta *m, const struct ipnet *net, const struct store_meta *meta)
{
	bool found;
	size_t i = wlmeta_find(m, net, &found);

	if (meta == NULL) {
		if (found) {
			memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
			m->n--;
		}
		return 0;
	}
	if (!found) {
		if (m->n == m->cap) {
			size_t cap = m->cap > 0 ? m->cap * 2 : 16;
			struct wlmeta_rec *v = reallocarray(m->v, cap, sizeof(*v));

			if (v == NULL)
				return -1;
			m->v = v;
			m->cap = cap;
		}
		memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(m->v[0]));
		m->n++;
		m->v[i].net = *net;
	}
	m->v[i].meta = *meta;
	return 0;
}

size_t
wlmeta_retain(struct wlmeta *m, bool (*keep)(void *ctx, const struct ipnet *net), void *ctx)
{
	size_t i, j = 0, gone;

	for (i = 0; i < m->n; i++)
		if (keep(ctx, &m->v[i].net))
			m->v[j++] = m->v[i];
	gone = m->n - j;
	m->n = j;
	return gone;
}

/* A string field: copied when it is a string that fits, else "". */
static void
wlmeta_str(const cJSON *obj, const char *name, char *dst, size_t size)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);

	dst[0] = '\0';
	if (cJSON_IsString(f) && f->valuestring != NULL && strlen(f->valuestring) < size)
		(void)strlcpy(dst, f->valuestring, size);
}

static void
wlmeta_rec_of(const cJSON *obj, struct store_meta *meta)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "knocked_at");
	struct ipnet client;
	char text[IPNET_STRLEN];

	memset(meta, 0, sizeof(*meta));
	wlmeta_str(obj, "key", meta->key, sizeof(meta->key));
	wlmeta_str(obj, "client", meta->client, sizeof(meta->client));
	/* Only an address, in its canonical form. */
	if (meta->client[0] != '\0') {
		if (ipnet_parse_addr(meta->client, &client) == 0 &&
		    strlen(ipnet_format(&client, text, sizeof(text))) < sizeof(meta->client))
			(void)strlcpy(meta->client, text, sizeof(meta->client));
		else
			meta->client[0] = '\0';
	}
	/* 2^53: beyond it a double no longer holds every integer. */
	if (cJSON_IsNumber(t) && t->valuedouble >= 0 && t->valuedouble <= 9007199254740992.0)
		meta->knocked_at = (int64_t)t->valuedouble;
}

int
wlmeta_parse(const char *buf, size_t len, struct wlmeta *m)
{
	const cJSON *it;
	cJSON *root;

	m->n = 0;
	if ((root = cJSON_ParseWithLength(buf, len)) == NULL)
		return -1;
	if (!cJSON_IsObject(root))
		goto fail;
	cJSON_ArrayForEach(it, root) {
		struct store_meta meta;
		struct ipnet net;

		if (it->string == NULL || ipnet_parse(it->string, &net) == -1 ||
		    !cJSON_IsObject(it))
			continue;
		wlmeta_rec_of(it, &meta);
		if (wlmeta_set(m, &net, &meta) == -1)
			goto fail;
	}
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	m->n = 0;
	return -1;
}

int
wlmeta_format(const struct wlmeta *m, char **out, size_t *len)
{
	char text[IPNET_STRLEN];
	cJSON *root, *rec;
	size_t i;

	*out = NULL;
	*len = 0;
	if ((root = cJSON_CreateObject()) == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		const struct store_meta *meta = &m->v[i].meta;

		if ((rec = cJSON_CreateObject()) == NULL)
			goto fail;
		if (!cJSON_AddItemToObject(root, ipnet_format(&m->v[i].net, text, sizeof(text)),
		    rec)) {
			cJSON_Delete(rec);
			goto fail;
		}
		if (cJSON_AddStringToObject(rec, "key", meta->key) == NULL ||
		    cJSON_AddNumberToObject(rec, "knocked_at", (double)meta->knocked_at) == NULL ||
		    cJSON_AddStringToObject(rec, "client", meta->client) == NULL)
			goto fail;
	}
	if ((*out = cJSON_PrintUnformatted(root)) == NULL)
		goto fail;
	*len = strlen(*out);
	cJSON_Delete(root);
	return 0;
fail:
	cJSON_Delete(root);
	return -1;
}
