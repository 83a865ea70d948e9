/*
 * Fuzz target: the config file parser (conf_parse), on the raw bytes of a
 * config file.
 *
 * Oracles (abort() when broken):
 * - a config is either refused with at least one message, or accepted with
 *   no error message at all;
 * - every message starts with the file name ("fuzz.json: ...");
 * - an accepted config holds what the contract promises: >= 1 key, each with a
 *   non-empty unique secret and 1 <= max_ttl <= CONF_MAX_TTL, an absolute
 *   storage path, excluded paths in normalized form, host names normalized,
 *   rate-limit values in range, defaults filled in;
 * - no message (error or warning) contains an API key: every "key" string
 *   of the input (read independently with cJSON) that is long enough to be
 *   recognizable and occurs only once in the input must not show up, unless
 *   it still shows up with the key blanked out (then it is message text the
 *   fuzzer copied into the key).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "conf.h"
#include "errlist.h"
#include "urlpath.h"

#define FUZZ_NAME	"fuzz.json"
/* A key shorter than this could appear in a message by chance. */
#define PROBE_MIN	12
/* Messages show at most 48 bytes of a value: probe a prefix of that. */
#define PROBE_MAX	40

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
count_occurrences(const uint8_t *hay, size_t hlen, const char *needle, size_t nlen)
{
	size_t i, n = 0;

	if (nlen == 0 || nlen > hlen)
		return 0;
	for (i = 0; i + nlen <= hlen; i++)
		if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, nlen) == 0)
			n++;
	return n;
}

static void
check_messages_named(const struct errlist *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (strncmp(l->msg[i], FUZZ_NAME ": ", sizeof(FUZZ_NAME ": ") - 1) != 0)
			abort();
}

/* True if a message in l contains probe[0..plen). */
static bool
messages_contain(const struct errlist *l, const char *probe, size_t plen)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		if (count_occurrences((const uint8_t *)l->msg[i], strlen(l->msg[i]), probe, plen) > 0)
			return true;
	return false;
}

/* The probe was found in a message. It leaked from the key if, with the
   key's text blanked out in the input (same length, same validity), the
   messages no longer contain it; otherwise it is text knocker writes
   anyway (the fuzzer does copy message text into inputs). */
static void
check_leak(const uint8_t *data, size_t size, const char *probe, size_t plen)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c;
	uint8_t *copy, *at = NULL;
	size_t i;

	if ((copy = malloc(size)) == NULL)
		abort();
	memcpy(copy, data, size);
	for (i = 0; i + plen <= size && at == NULL; i++)
		if (memcmp(copy + i, probe, plen) == 0)
			at = copy + i;
	if (at == NULL)
		abort();
	for (i = 0; i < plen; i++)
		if (at[i] > 0x20 && at[i] < 0x7f)
			at[i] = 'Z';
	c = conf_parse((const char *)copy, size, FUZZ_NAME, &errs, &warns);
	if (!messages_contain(&errs, probe, plen) && !messages_contain(&warns, probe, plen))
		abort();	/* an API key was shown in a message */
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);
	free(copy);
}

/* Reads the input with cJSON on its own and checks that no "key" value of
   api_keys[] leaks into a message. */
static void
check_keys_not_shown(const uint8_t *data, size_t size, const struct errlist *errs,
    const struct errlist *warns)
{
	const cJSON *keys, *k, *v;
	cJSON *root;
	size_t len;

	if ((root = cJSON_ParseWithLength((const char *)data, size)) == NULL)
		return;
	keys = cJSON_GetObjectItemCaseSensitive(root, "api_keys");
	if (cJSON_IsArray(keys)) {
		cJSON_ArrayForEach(k, keys) {
			v = cJSON_GetObjectItemCaseSensitive(k, "key");
			if (!cJSON_IsString(v) || v->valuestring == NULL)
				continue;
			len = strlen(v->valuestring);
			if (len < PROBE_MIN)
				continue;
			if (len > PROBE_MAX)
				len = PROBE_MAX;
			/* Only a probe that occurs once in the input (as this key)
			   can only have come from the key. */
			if (count_occurrences(data, size, v->valuestring, len) != 1)
				continue;
			if (messages_contain(errs, v->valuestring, len) ||
			    messages_contain(warns, v->valuestring, len))
				check_leak(data, size, v->valuestring, len);
		}
	}
	cJSON_Delete(root);
}

static void
check_path(const char *p)
{
	char norm[URLPATH_MAX];

	if (p == NULL || p[0] != '/' || urlpath_normalize(p, norm, sizeof(norm)) != 0 ||
	    strcmp(norm, p) != 0)
		abort();
}

static void
check_conf(const struct conf *c)
{
	char host[HOST_MAX];
	size_t i, j;

	if (c->nkeys == 0 || c->keys == NULL || c->storage_path == NULL ||
	    c->storage_path[0] != '/' || c->trusted_proxies == NULL ||
	    c->always_allowed == NULL || c->cors_origin == NULL || c->log_target == NULL ||
	    c->path == NULL || strcmp(c->path, FUZZ_NAME) != 0)
		abort();
	for (i = 0; i < c->nkeys; i++) {
		const struct conf_api_key *k = &c->keys[i];

		if (k->name == NULL || k->key == NULL || k->key_len == 0 ||
		    strlen(k->key) != k->key_len || k->max_ttl < 1 || k->max_ttl > CONF_MAX_TTL)
			abort();
		for (j = 0; j < i; j++)
			if (c->keys[j].key_len == k->key_len &&
			    memcmp(c->keys[j].key, k->key, k->key_len) == 0)
				abort();
	}
	for (i = 0; i < c->nexcluded; i++)
		check_path(c->excluded_paths[i]);
	for (i = 0; i < c->nhost_paths; i++) {
		const struct conf_host_paths *hp = &c->host_paths[i];

		if (hp->host == NULL)
			abort();
		if (strcmp(hp->host, "*") != 0 &&
		    (host_normalize(hp->host, host, sizeof(host)) != 0 || strcmp(host, hp->host) != 0)) {
			/* A bare IPv6 host is stored without brackets. */
			char br[HOST_MAX + 3];

			if (strlen(hp->host) + 3 > sizeof(br))
				abort();
			br[0] = '[';
			memcpy(br + 1, hp->host, strlen(hp->host));
			br[strlen(hp->host) + 1] = ']';
			br[strlen(hp->host) + 2] = '\0';
			if (host_normalize(br, host, sizeof(host)) != 0 || strcmp(host, hp->host) != 0)
				abort();
		}
		for (j = 0; j < i; j++)
			if (strcmp(c->host_paths[j].host, hp->host) == 0)
				abort();
		for (j = 0; j < hp->npaths; j++)
			check_path(hp->paths[j]);
	}
	if (c->cleanup_interval < 1 || c->max_entries < 1 || c->rl_window < 1 ||
	    c->rl_success < 0 || c->rl_failure < 0)
		abort();
	if (strcmp(c->log_target, "stderr") != 0 && strcmp(c->log_target, "syslog") != 0 &&
	    c->log_target[0] != '/')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c;

	c = conf_parse((const char *)data, size, FUZZ_NAME, &errs, &warns);
	/* A config is either refused with a reason or accepted whole. */
	if ((c == NULL) != (errs.count > 0 || errs.oom))
		abort();
	check_messages_named(&errs);
	check_messages_named(&warns);
	if (c != NULL)
		check_conf(c);
	check_keys_not_shown(data, size, &errs, &warns);
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);
	return 0;
}
