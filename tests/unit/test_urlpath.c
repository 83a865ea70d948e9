#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "urlpath.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* urlpath_normalize: raw -> normalized (NULL: must be rejected) */
static const struct {
	const char *raw;
	const char *want;
} norm_cases[] = {
	{ "/", "/" },
	{ "/a", "/a" },
	{ "/a/b", "/a/b" },
	{ "/a//b", "/a/b" },
	{ "//a///b//", "/a/b/" },
	{ "/a/./b/../c", "/a/c" },
	{ "/../../x", "/x" },
	{ "/..", "/" },
	{ "/.", "/" },
	{ "/a/..", "/" },
	{ "/a/.", "/a/" },
	{ "/a/b/..", "/a/" },
	{ "/a/b/../", "/a/" },
	{ "/a/../../../b", "/b" },
	{ "/...", "/..." },
	{ "/..a/.b", "/..a/.b" },
	{ "/%2e%2e/private", "/private" },
	{ "/%2E%2E/private", "/private" },
	{ "/public/%2e%2e/private", "/private" },
	{ "/public/%2e/x", "/public/x" },
	{ "/a%2Fb", "/a/b" },
	{ "/a%2fb", "/a/b" },
	{ "/health%2F..%2Fadmin", "/admin" },
	{ "/a%20b", "/a b" },
	{ "/%41%42c", "/ABc" },
	{ "/a+b", "/a+b" },
	{ "/health?x", "/health" },
	{ "/health?x=/../admin", "/health" },
	{ "/health#frag", "/health" },
	{ "/health/?q#f", "/health/" },
	{ "/p?%zz", "/p" },
	{ "/?", "/" },
	{ "/static/", "/static/" },
	{ "/static/x/", "/static/x/" },
	{ "/%3F", "/?" },
	/* rejects */
	{ "", NULL },
	{ "a/b", NULL },
	{ "health", NULL },
	{ "?x", NULL },
	{ "%2Fa", NULL },
	{ " /a", NULL },
	{ "/%zz", NULL },
	{ "/%4", NULL },
	{ "/%", NULL },
	{ "/a%4g", NULL },
	{ "/%00", NULL },
	{ "/a%00b", NULL },
};

/* urlpath_has_prefix */
static const struct {
	const char *path;
	const char *prefix;
	bool want;
} prefix_cases[] = {
	{ "/health", "/health", true },
	{ "/health/x", "/health", true },
	{ "/health/", "/health", true },
	{ "/healthz", "/health", false },
	{ "/heal", "/health", false },
	{ "/x/health", "/health", false },
	{ "/", "/", true },
	{ "/anything/at/all", "/", true },
	{ "/static/x", "/static/", true },
	{ "/static/", "/static/", true },
	{ "/static", "/static/", false },
	{ "/staticx", "/static/", false },
	{ "/a", "", false },
	{ "/Health", "/health", false },
};

/* host_normalize */
static const struct {
	const char *raw;
	const char *want;
} host_cases[] = {
	{ "example.org", "example.org" },
	{ "Example.ORG:8080", "example.org" },
	{ "example.org.", "example.org" },
	{ "example.org.:443", "example.org" },
	{ "example.org:", "example.org" },
	{ "media.example.org", "media.example.org" },
	{ "localhost", "localhost" },
	{ "127.0.0.1:8080", "127.0.0.1" },
	{ "[::1]:80", "::1" },
	{ "[::1]", "::1" },
	{ "[2001:DB8::1]:443", "2001:db8::1" },
	{ "my_host-1", "my_host-1" },
	/* rejects */
	{ "", NULL },
	{ ".", NULL },
	{ ":80", NULL },
	{ "[::1", NULL },
	{ "[]", NULL },
	{ "[::1]x", NULL },
	{ "[::1]:8x", NULL },
	{ "[example.org]", NULL },
	{ "::1", NULL },
	{ "example.org:80:81", NULL },
	{ "example.org:123456", NULL },
	{ "example.org:http", NULL },
	{ "exa mple.org", NULL },
	{ "example.org/x", NULL },
	{ "user@example.org", NULL },
	{ " example.org", NULL },
};

static void
test_normalize(void)
{
	char out[URLPATH_MAX + 1];
	size_t i;
	int r;

	for (i = 0; i < NELEM(norm_cases); i++) {
		r = urlpath_normalize(norm_cases[i].raw, out, sizeof(out));
		if (norm_cases[i].want == NULL) {
			tap_is_int(r, -1, "urlpath_normalize should reject \"%s\"",
			    norm_cases[i].raw);
			continue;
		}
		if (tap_is_int(r, 0, "urlpath_normalize should accept \"%s\"",
		    norm_cases[i].raw))
			tap_is_str(out, norm_cases[i].want,
			    "urlpath_normalize(\"%s\") should be \"%s\"",
			    norm_cases[i].raw, norm_cases[i].want);
	}
	tap_is_int(urlpath_normalize(NULL, out, sizeof(out)), -1,
	    "urlpath_normalize should reject NULL");
}

static void
test_normalize_lengths(void)
{
	char *raw, out[URLPATH_MAX + 1], small[6];

	raw = malloc(URLPATH_MAX + 2);
	if (raw == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	/* exactly URLPATH_MAX bytes: fits */
	memset(raw, 'a', URLPATH_MAX);
	raw[0] = '/';
	raw[URLPATH_MAX] = '\0';
	tap_is_int(urlpath_normalize(raw, out, sizeof(out)), 0,
	    "urlpath_normalize should accept a %d-byte path", URLPATH_MAX);
	tap_is_int(strlen(out), URLPATH_MAX, "and keep all %d bytes", URLPATH_MAX);
	/* one more: over-long */
	raw[URLPATH_MAX] = 'a';
	raw[URLPATH_MAX + 1] = '\0';
	tap_is_int(urlpath_normalize(raw, out, sizeof(out)), -1,
	    "urlpath_normalize should reject a %d-byte path", URLPATH_MAX + 1);
	/* a long query does not count */
	memcpy(raw, "/ok?", 4);
	tap_is_int(urlpath_normalize(raw, out, sizeof(out)), 0,
	    "urlpath_normalize should accept a short path with a long query");
	tap_is_str(out, "/ok", "and drop the query");
	free(raw);

	tap_is_int(urlpath_normalize("/abcd", small, sizeof(small)), 0,
	    "urlpath_normalize should fit \"/abcd\" in 6 bytes");
	tap_is_int(urlpath_normalize("/abcde", small, sizeof(small)), -1,
	    "urlpath_normalize should reject \"/abcde\" for 6 bytes");
	tap_is_int(urlpath_normalize("/abcd/", small, sizeof(small)), -1,
	    "urlpath_normalize should reject \"/abcd/\" for 6 bytes");
	tap_is_int(urlpath_normalize("/ab/c", small, sizeof(small)), 0,
	    "urlpath_normalize should fit \"/ab/c\" in 6 bytes");
	tap_is_int(urlpath_normalize("/ab/cd", small, sizeof(small)), -1,
	    "urlpath_normalize should reject \"/ab/cd\" for 6 bytes");
}

static void
test_has_prefix(void)
{
	size_t i;

	for (i = 0; i < NELEM(prefix_cases); i++)
		tap_ok(urlpath_has_prefix(prefix_cases[i].path, prefix_cases[i].prefix)
		    == prefix_cases[i].want,
		    "urlpath_has_prefix(\"%s\", \"%s\") should be %s",
		    prefix_cases[i].path, prefix_cases[i].prefix,
		    prefix_cases[i].want ? "true" : "false");
}

static void
test_host(void)
{
	char out[HOST_MAX + 1], big[HOST_MAX + 10], small[4];
	size_t i;
	int r;

	for (i = 0; i < NELEM(host_cases); i++) {
		r = host_normalize(host_cases[i].raw, out, sizeof(out));
		if (host_cases[i].want == NULL) {
			tap_is_int(r, -1, "host_normalize should reject \"%s\"",
			    host_cases[i].raw);
			continue;
		}
		if (tap_is_int(r, 0, "host_normalize should accept \"%s\"",
		    host_cases[i].raw))
			tap_is_str(out, host_cases[i].want,
			    "host_normalize(\"%s\") should be \"%s\"",
			    host_cases[i].raw, host_cases[i].want);
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_is_int(host_normalize(big, out, sizeof(out)), -1,
	    "host_normalize should reject a %zu-byte host", sizeof(big) - 1);
	big[HOST_MAX] = '\0';
	tap_is_int(host_normalize(big, out, sizeof(out)), 0,
	    "host_normalize should accept a %d-byte host", HOST_MAX);
	tap_is_int(host_normalize("abcd", small, sizeof(small)), -1,
	    "host_normalize should reject a result too big for out");
	tap_is_int(host_normalize("abc", small, sizeof(small)), 0,
	    "host_normalize should fit \"abc\" in 4 bytes");
}

int
main(void)
{
	test_normalize();
	test_normalize_lengths();
	test_has_prefix();
	test_host();
	return tap_done();
}
