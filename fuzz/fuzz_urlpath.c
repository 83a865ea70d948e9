/*
 * Fuzz target: request path and Host normalization (urlpath_normalize,
 * urlpath_has_prefix, host_normalize) on the bytes as one C string.
 *
 * Oracles (abort() when broken):
 * - a normalized path starts with "/", has no "//", no "." or ".." segment
 *   (neither "/./", "/../" inside nor "/." or "/.." at the end), and equals
 *   what a reference normalizer written here from the contract produces (drop
 *   ?query/#fragment, percent-decode, split at "/", resolve "." and ".."
 *   with a stack, never above "/", keep a trailing "/");
 * - normalizing is idempotent when the result has nothing the second pass
 *   would treat specially ('%', '?', '#');
 * - a path matches itself as a prefix, and a prefix only on whole segments;
 * - a normalized host is non-empty, lower-case, without a trailing port;
 *   it contains ':' only when it is an IPv6 address; and normalizing a
 *   normalized name (bracketed again if IPv6) changes nothing.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference shares no code with src/urlpath.c on purpose (a shared
   bug would agree with itself). */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reference: 0 and out (malloc'ed), or -1 where the contract says "error".
   *declen: the length of the percent-decoded path. */
static int
ref_normalize(const char *raw, char **out, size_t *declen)
{
	size_t len, i, o = 0, nseg = 0, k;
	char *dec, *res, **seg;
	bool trailing;
	int hi, lo;

	*out = NULL;
	*declen = 0;
	if (raw[0] != '/')
		return -1;
	len = strcspn(raw, "?#");
	if (len > URLPATH_MAX)
		return -1;
	if ((dec = malloc(len + 1)) == NULL)
		abort();
	for (i = 0; i < len; i++) {
		if (raw[i] != '%') {
			dec[o++] = raw[i];
			continue;
		}
		if (i + 2 >= len) {
			free(dec);
			return -1;
		}
		hi = hexval(raw[i + 1]);
		lo = hexval(raw[i + 2]);
		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(dec);
			return -1;
		}
		dec[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	dec[o] = '\0';
	*declen = o;
	/* split at '/' (empty pieces are collapsed "//") and resolve */
	if ((seg = calloc(o + 1, sizeof(*seg))) == NULL)
		abort();
	trailing = o > 0 && dec[o - 1] == '/';
	for (char *p = dec, *q; *p != '\0'; p = q) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != '/'; q++)
			continue;
		trailing = false;
		if (*q == '/') {
			*q++ = '\0';
			trailing = true;	/* provisional: a later segment resets it */
		}
		if (strcmp(p, ".") == 0) {
			trailing = true;
			continue;
		}
		if (strcmp(p, "..") == 0) {
			if (nseg > 0)
				nseg--;
			trailing = true;
			continue;
		}
		seg[nseg++] = p;
	}
	if ((res = malloc(o + 3)) == NULL)
		abort();
	k = 0;
	res[k++] = '/';
	for (i = 0; i < nseg; i++) {
		if (i > 0)
			res[k++] = '/';
		memcpy(res + k, seg[i], strlen(seg[i]));
		k += strlen(seg[i]);
	}
	if (trailing && nseg > 0)
		res[k++] = '/';
	res[k] = '\0';
	free(seg);
	free(dec);
	*out = res;
	return 0;
}

static void
check_path(const char *in)
{
	char out[URLPATH_MAX], again[URLPATH_MAX], *want = NULL;
	size_t n, declen;
	int r, rr;

	r = urlpath_normalize(in, out, sizeof(out));
	rr = ref_normalize(in, &want, &declen);
	if (r == 0) {
		n = strlen(out);
		if (out[0] != '/' || strstr(out, "//") != NULL || strstr(out, "/./") != NULL ||
		    strstr(out, "/../") != NULL)
			abort();
		if ((n >= 2 && strcmp(out + n - 2, "/.") == 0) ||
		    (n >= 3 && strcmp(out + n - 3, "/..") == 0))
			abort();
		/* Fits, so the reference (which has no size limit) must agree. */
		if (rr != 0 || strcmp(out, want) != 0)
			abort();
		/* Normalizing twice changes nothing (unless a decoded '%' forms
		   a new escape, or a decoded '?'/'#' starts a query). */
		if (strpbrk(out, "%?#") == NULL &&
		    (urlpath_normalize(out, again, sizeof(again)) != 0 || strcmp(out, again) != 0))
			abort();
		if (!urlpath_has_prefix(out, out))
			abort();
		if (!urlpath_has_prefix(out, "/"))
			abort();
	} else if (rr == 0 && declen < sizeof(out)) {
		/* The result and every intermediate step are no longer than the
		   decoded path: only a decoded path that cannot fit in out (with its
		   NUL) may fail where the reference succeeds. */
		abort();
	}
	free(want);
}

static void
check_prefix(const char *in)
{
	const char *sep = strchr(in, '\n');
	char path[URLPATH_MAX], prefix[URLPATH_MAX];
	size_t plen;
	bool m;

	/* "path\nprefix": both normalized first, as knocker uses them */
	if (sep == NULL || (size_t)(sep - in) >= sizeof(path))
		return;
	memcpy(path, in, (size_t)(sep - in));
	path[sep - in] = '\0';
	if (urlpath_normalize(path, prefix, sizeof(prefix)) != 0)
		return;
	memcpy(path, prefix, strlen(prefix) + 1);
	if (urlpath_normalize(sep + 1, prefix, sizeof(prefix)) != 0)
		return;
	m = urlpath_has_prefix(path, prefix);
	plen = strlen(prefix);
	if (m != (strncmp(path, prefix, plen) == 0 &&
	    (prefix[plen - 1] == '/' || path[plen] == '\0' || path[plen] == '/')))
		abort();
}

static void
check_host(const char *in)
{
	char host[HOST_MAX], again[HOST_MAX], br[HOST_MAX + 3];
	unsigned char v6[16];
	size_t i, n;
	bool is_v6;

	if (host_normalize(in, host, sizeof(host)) != 0)
		return;
	n = strlen(host);
	if (n == 0)
		abort();
	for (i = 0; i < n; i++)
		if (host[i] >= 'A' && host[i] <= 'Z')
			abort();
	is_v6 = inet_pton(AF_INET6, host, v6) == 1;
	if (strchr(host, ':') != NULL && !is_v6)
		abort();
	if (strpbrk(host, "[]/ \t\r\n") != NULL)
		abort();
	if (is_v6) {
		br[0] = '[';
		memcpy(br + 1, host, n);
		br[n + 1] = ']';
		br[n + 2] = '\0';
		if (host_normalize(br, again, sizeof(again)) != 0 || strcmp(host, again) != 0)
			abort();
	} else if (host[n - 1] != '.' &&
	    (host_normalize(host, again, sizeof(again)) != 0 || strcmp(host, again) != 0)) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	check_path(in);
	check_prefix(in);
	check_host(in);
	free(in);
	return 0;
}
