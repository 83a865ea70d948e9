/*
 * khttp: requests to the knock endpoint with libcurl. See khttp.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "khttp.h"
#include "ktext.h"

#define KHTTP_MAX_BODY		16384	/* more than any knocker answer */
#define KHTTP_MAX_KEY_HEADER	1100
#define KHTTP_MAX_RETRY_AFTER	86400

struct xfer {
	char			 body[KHTTP_MAX_BODY];
	size_t			 len;
	int			 overflow;
	long			 retry_after;
	volatile sig_atomic_t	*stop;
};

const char *
kfam_name(enum kfam fam)
{
	switch (fam) {
	case KFAM_V4:
		return "IPv4";
	case KFAM_V6:
		return "IPv6";
	case KFAM_ANY:
		break;
	}
	return "any";
}

int
khttp_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
khttp_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Removes one pair of brackets around an IPv6 literal and any zone id.
   Writes the bare address to out. 0, or -1 when it does not fit. */
static int
strip_brackets(const char *in, size_t inlen, char *out, size_t outsz)
{
	char *pct;

	if (inlen >= 2 && in[0] == '[' && in[inlen - 1] == ']') {
		in++;
		inlen -= 2;
	}
	if (inlen >= outsz)
		return -1;
	memcpy(out, in, inlen);
	out[inlen] = '\0';
	if ((pct = strchr(out, '%')) != NULL)
		*pct = '\0';
	return 0;
}

/* KFAM_V4 or KFAM_V6 for an address literal, KFAM_ANY for anything else. */
static enum kfam
literal_family(const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, buf) == 1)
		return KFAM_V4;
	if (inet_pton(AF_INET6, addr, buf) == 1)
		return KFAM_V6;
	return KFAM_ANY;
}

int
khttp_check_resolve(const char *spec, char *err, size_t errsz)
{
	const char *c1, *c2, *p, *end;
	const char *errstr = NULL;
	char port[8], addr[INET6_ADDRSTRLEN + 2];

	if ((c1 = strchr(spec, ':')) == NULL || c1 == spec ||
	    (c2 = strchr(c1 + 1, ':')) == NULL || c2[1] == '\0')
		goto bad;
	if ((size_t)(c2 - c1 - 1) >= sizeof port || c2 == c1 + 1)
		goto bad;
	memcpy(port, c1 + 1, (size_t)(c2 - c1 - 1));
	port[c2 - c1 - 1] = '\0';
	(void)strtonum(port, 1, 65535, &errstr);
	if (errstr != NULL)
		goto bad;
	for (p = c2 + 1; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		if (strip_brackets(p, (size_t)(end - p), addr, sizeof addr) == -1 ||
		    literal_family(addr) == KFAM_ANY)
			goto bad;
		if (*end == ',' && end[1] == '\0')
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errsz, "--resolve wants HOST:PORT:ADDRESS[,ADDRESS...], got '%s'",
	    spec);
	return -1;
}

static int
is_loopback_host(const char *host)
{
	unsigned char a[sizeof(struct in6_addr)];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0))
		return 1;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, &in6addr_loopback, sizeof(struct in6_addr)) == 0;
	return 0;
}

/* Host (unbracketed) and port of url. 0 or -1. */
static int
url_host_port(const char *url, char *host, size_t hostsz, char *port, size_t portsz)
{
	CURLU *u;
	char *h = NULL, *p = NULL;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if (strip_brackets(h, strlen(h), host, hostsz) == -1 ||
	    strlcpy(port, p, portsz) >= portsz)
		goto out;
	rc = 0;
out:
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

int
khttp_check_url(const char *in, char *out, size_t outsz, int *cleartext, char *err,
    size_t errsz)
{
	CURLU *u;
	CURLUcode uc;
	char *scheme = NULL, *full = NULL, *h = NULL;
	char host[256];
	int rc = -1;

	*cleartext = 0;
	if ((u = curl_url()) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	uc = curl_url_set(u, CURLUPART_URL, in, CURLU_DEFAULT_SCHEME | CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(err, errsz, "bad URL '%s': %s", in, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		snprintf(err, errsz, "bad URL '%s'", in);
		goto out;
	}
	if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0) {
		snprintf(err, errsz, "bad URL '%s': only http:// and https:// are supported", in);
		goto out;
	}
	if (strlcpy(out, full, outsz) >= outsz) {
		snprintf(err, errsz, "URL too long");
		goto out;
	}
	if (strcasecmp(scheme, "http") == 0 &&
	    (strip_brackets(h, strlen(h), host, sizeof host) == -1 || !is_loopback_host(host)))
		*cleartext = 1;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(full);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

int
khttp_knock_url(char *url, size_t urlsz, char *err, size_t errsz)
{
	CURLU *u;
	char *path = NULL, *full = NULL, *np = NULL;
	const char *last;
	size_t n;
	int rc = -1;

	if ((u = curl_url()) == NULL) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		snprintf(err, errsz, "bad URL '%s'", url);
		goto out;
	}
	n = strlen(path);		/* libcurl gives at least "/" */
	if (n > 0 && path[n - 1] == '/')
		n--;
	for (last = path + n; last > path && last[-1] != '/'; last--)
		;
	if ((size_t)(path + n - last) == 5 && strncmp(last, "knock", 5) == 0) {
		rc = 0;		/* already the endpoint */
		goto out;
	}
	if (asprintf(&np, "%.*s/knock", (int)n, path) == -1) {
		np = NULL;
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_PATH, np, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		snprintf(err, errsz, "bad URL '%s'", url);
		goto out;
	}
	if (strlcpy(url, full, urlsz) >= urlsz) {
		snprintf(err, errsz, "URL too long");
		goto out;
	}
	rc = 0;
out:
	free(np);
	curl_free(path);
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

/* Families listed for host:port in a --resolve list: bit 1 IPv4, bit 2
   IPv6; 0 when no entry matches. */
static int
resolve_families(const struct curl_slist *resolve, const char *host, const char *port)
{
	const struct curl_slist *it;
	char addr[INET6_ADDRSTRLEN + 2];
	size_t hl = strlen(host), pl = strlen(port);
	int mask;

	for (it = resolve; it != NULL; it = it->next) {
		const char *s = it->data, *p, *end;

		if (strncasecmp(s, host, hl) != 0 || s[hl] != ':' ||
		    strncmp(s + hl + 1, port, pl) != 0 || s[hl + 1 + pl] != ':')
			continue;
		mask = 0;
		for (p = s + hl + pl + 2; *p != '\0'; p = *end == ',' ? end + 1 : end) {
			end = p + strcspn(p, ",");
			if (strip_brackets(p, (size_t)(end - p), addr, sizeof addr) == -1)
				continue;
			switch (literal_family(addr)) {
			case KFAM_V4:
				mask |= 1;
				break;
			case KFAM_V6:
				mask |= 2;
				break;
			case KFAM_ANY:
				break;
			}
		}
		return mask;
	}
	return 0;
}

int
khttp_families(const char *url, enum kfam want, const struct curl_slist *resolve,
    enum kfam out[2], char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], port[8];
	enum kfam lit;
	int mask = 0, n = 0;

	if (url_host_port(url, host, sizeof host, port, sizeof port) == -1) {
		snprintf(err, errsz, "bad URL '%s'", url);
		return -1;
	}
	lit = literal_family(host);
	if (lit != KFAM_ANY) {
		if (want != KFAM_ANY && want != lit) {
			snprintf(err, errsz, "-%d cannot be used: the URL's host %s is an %s address",
			    (int)want, host, kfam_name(lit));
			return -1;
		}
		out[0] = lit;
		return 1;
	}
	if (want != KFAM_ANY) {
		out[0] = want;
		return 1;
	}
	if ((mask = resolve_families(resolve, host, port)) == 0) {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_ADDRCONFIG;
		if (getaddrinfo(host, port, &hints, &res) == 0) {
			for (ai = res; ai != NULL; ai = ai->ai_next)
				mask |= ai->ai_family == AF_INET ? 1 :
				    ai->ai_family == AF_INET6 ? 2 : 0;
			freeaddrinfo(res);
		}
	}
	if (mask & 1)
		out[n++] = KFAM_V4;
	if (mask & 2)
		out[n++] = KFAM_V6;
	if (n == 0)
		out[n++] = KFAM_ANY;
	return n;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;

	if (n > sizeof x->body - 1 - x->len) {
		x->overflow = 1;
		n = sizeof x->body - 1 - x->len;
	}
	memcpy(x->body + x->len, ptr, n);
	x->len += n;
	x->body[x->len] = '\0';
	return size * nmemb;	/* keep reading; an overflowing answer is rejected later */
}

static void
parse_retry_after(struct xfer *x, const char *v)
{
	const char *errstr = NULL;
	char val[64];
	size_t n;
	long long secs;
	time_t when;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\r\n");
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof val)
		return;
	memcpy(val, v, n);
	val[n] = '\0';
	secs = strtonum(val, 0, KHTTP_MAX_RETRY_AFTER, &errstr);
	if (errstr == NULL) {
		x->retry_after = (long)secs;
		return;
	}
	if ((when = curl_getdate(val, NULL)) != -1) {
		time_t now = time(NULL);
		x->retry_after = when > now ? (long)(when - now) : 0;
		if (x->retry_after > KHTTP_MAX_RETRY_AFTER)
			x->retry_after = KHTTP_MAX_RETRY_AFTER;
	}
}

static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	char line[128];

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		x->retry_after = -1;	/* a new response (after 100 Continue) */
		return n;
	}
	if (n > sizeof name - 1 && n < sizeof line &&
	    strncasecmp(ptr, name, sizeof name - 1) == 0) {
		memcpy(line, ptr, n);
		line[n] = '\0';
		parse_retry_after(x, line + sizeof name - 1);
	}
	return n;
}

static int
xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const struct xfer *x = ud;

	return (x->stop != NULL && *x->stop) ? 1 : 0;
}

/* An integer field: 0 <= v <= 2^53, integral. null gives -1 when
   allow_null. 0, or -1 when missing or malformed. */
static int
json_int(const cJSON *obj, const char *name, int allow_null, int64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	double d;

	if (it == NULL)
		return -1;
	if (cJSON_IsNull(it) && allow_null) {
		*out = -1;
		return 0;
	}
	if (!cJSON_IsNumber(it))
		return -1;
	d = it->valuedouble;
	if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int
json_str(const cJSON *obj, const char *name, char *out, size_t outsz)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsString(it) || it->valuestring == NULL || it->valuestring[0] == '\0' ||
	    strlen(it->valuestring) >= outsz)
		return -1;
	ktext_safe_copy(out, outsz, it->valuestring);
	return 0;
}

static int
exit_for_status(long status)
{
	switch (status) {
	case 401:
		return KEXIT_UNAUTHORIZED;
	case 403:
		return KEXIT_FORBIDDEN;
	case 429:
		return KEXIT_RATELIMIT;
	default:
		return KEXIT_SERVER;
	}
}

static void
parse_answer(CURL *c, struct xfer *x, int post, struct kresult *r)
{
	cJSON *j = NULL;
	char *loc = NULL;
	int64_t v;

	j = x->overflow ? NULL : cJSON_ParseWithLength(x->body, x->len);
	if (r->http_status != 200) {
		r->exit = exit_for_status(r->http_status);
		if (r->http_status == 429)
			r->retry_after = x->retry_after;
		if (cJSON_IsObject(j) && json_str(j, "error", r->error, sizeof r->error) == 0)
			goto out;
		if (r->http_status >= 300 && r->http_status < 400 &&
		    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != NULL) {
			char safe[200];
			ktext_safe_copy(safe, sizeof safe, loc);
			snprintf(r->error, sizeof r->error,
			    "redirected to %s; use that URL", safe);
		} else {
			snprintf(r->error, sizeof r->error, "not an answer from knocker");
		}
		goto out;
	}
	r->exit = KEXIT_SERVER;
	if (!cJSON_IsObject(j))
		goto bad;
	if (post) {
		if (json_str(j, "whitelisted_entry", r->entry, sizeof r->entry) == -1 ||
		    json_int(j, "expires_at", 0, &r->expires_at) == -1 ||
		    json_int(j, "expires_in_seconds", 0, &r->expires_in) == -1)
			goto bad;
	} else {
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "whitelisted");

		if (json_str(j, "client_ip", r->client_ip, sizeof r->client_ip) == -1 ||
		    !cJSON_IsBool(w) ||
		    json_int(j, "expires_at", 1, &r->expires_at) == -1 ||
		    json_int(j, "expires_in_seconds", 1, &v) == -1)
			goto bad;
		r->expires_in = v;
		r->whitelisted = cJSON_IsTrue(w) ? 1 : 0;
	}
	r->exit = KEXIT_OK;
	goto out;
bad:
	snprintf(r->error, sizeof r->error,
	    "not an answer from knocker");
out:
	cJSON_Delete(j);
}

/* Wipes the strings of a header list before freeing it (one holds the key). */
static void
free_headers(struct curl_slist *h)
{
	struct curl_slist *it;

	for (it = h; it != NULL; it = it->next)
		explicit_bzero(it->data, strlen(it->data));
	curl_slist_free_all(h);
}

static void
result_reset(struct kresult *r, enum kfam fam)
{
	memset(r, 0, sizeof *r);
	r->fam = fam;
	r->retry_after = -1;
	r->whitelisted = -1;
	r->expires_at = -1;
	r->expires_in = -1;
}

/*
 * One request to o->url over fam with the header list hdrs; a POST of body
 * when body is not NULL, else a GET. The answer lands in x. Returns the
 * handle (the caller cleans it up) with r->http_status set once an HTTP
 * answer arrived; otherwise NULL with r->exit and r->error set.
 */
static CURL *
transfer(const struct khttp_opts *o, enum kfam fam, const struct curl_slist *hdrs,
    const char *body, struct xfer *x, struct kresult *r)
{
	CURL *c;
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE];
	char *ip = NULL;
	long ipres;

	r->exit = KEXIT_NETWORK;
	errbuf[0] = '\0';
	if ((c = curl_easy_init()) == NULL) {
		snprintf(r->error, sizeof r->error, "out of memory");
		return NULL;
	}
	ipres = fam == KFAM_V4 ? CURL_IPRESOLVE_V4 :
	    fam == KFAM_V6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER;
	if (curl_easy_setopt(c, CURLOPT_URL, o->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_IPRESOLVE, ipres) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "knock/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->timeout < 10 ? o->timeout : 10L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xferinfo_cb) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_XFERINFODATA, x) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROGRESS, o->stop != NULL ? 0L : 1L) != CURLE_OK)
		goto setopt;
	if (o->resolve != NULL && curl_easy_setopt(c, CURLOPT_RESOLVE, o->resolve) != CURLE_OK)
		goto setopt;
	if (o->cacert != NULL && curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert) != CURLE_OK)
		goto setopt;
	if (body != NULL) {
		if (curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK)
			goto setopt;
	} else if (curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) != CURLE_OK)
		goto setopt;

	rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);	/* errbuf goes out of scope */
	if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != NULL)
		ktext_safe_copy(r->peer, sizeof r->peer, ip);
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			snprintf(r->error, sizeof r->error, "interrupted");
		else
			ktext_safe_copy(r->error, sizeof r->error,
			    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		/* "wrong version number": most likely TLS spoken to a plain-http port */
		if (rc == CURLE_SSL_CONNECT_ERROR && o->https_assumed &&
		    strncmp(o->url, "https://", 8) == 0)
			snprintf(r->hint, sizeof r->hint, "No scheme was given, so https:// was "
			    "assumed; if the server speaks plain http, use http://%.200s.",
			    o->url + 8);
		goto fail;
	}
	if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->http_status) != CURLE_OK) {
		snprintf(r->error, sizeof r->error, "no HTTP answer");
		goto fail;
	}
	return c;
setopt:
	snprintf(r->error, sizeof r->error, "libcurl lacks a needed feature");
fail:
	curl_easy_cleanup(c);
	return NULL;
}

static void
perform(const struct khttp_opts *o, enum kfam fam, const char *body, struct kresult *r)
{
	struct xfer *x = NULL;
	struct curl_slist *hdrs = NULL, *tmp;
	CURL *c = NULL;
	char keyhdr[KHTTP_MAX_KEY_HEADER];
	int n;

	result_reset(r, fam);
	r->exit = KEXIT_NETWORK;
	if ((x = calloc(1, sizeof *x)) == NULL)
		goto oom;
	x->retry_after = -1;
	x->stop = o->stop;

	n = snprintf(keyhdr, sizeof keyhdr, "X-Api-Key: %s", o->key);
	if (n < 0 || (size_t)n >= sizeof keyhdr) {
		explicit_bzero(keyhdr, sizeof keyhdr);
		r->exit = KEXIT_CONFIG;
		snprintf(r->error, sizeof r->error, "API key too long");
		goto out;
	}
	tmp = curl_slist_append(hdrs, keyhdr);
	explicit_bzero(keyhdr, sizeof keyhdr);
	if (tmp == NULL)
		goto oom;
	hdrs = tmp;
	/* An empty value removes curl's default form content type. */
	if ((tmp = curl_slist_append(hdrs, body != NULL && body[0] != '\0' ?
	    "Content-Type: application/json" : "Content-Type:")) == NULL)
		goto oom;
	hdrs = tmp;
	if ((tmp = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto oom;
	hdrs = tmp;

	if ((c = transfer(o, fam, hdrs, body, x, r)) != NULL)
		parse_answer(c, x, body != NULL, r);
	goto out;
oom:
	snprintf(r->error, sizeof r->error, "out of memory");
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	free_headers(hdrs);
	free(x);
}

void
khttp_probe(const struct khttp_opts *o, enum kfam fam, const struct curl_slist *hdrs,
    struct kresult *r)
{
	struct xfer *x;
	CURL *c;

	result_reset(r, fam);
	if ((x = calloc(1, sizeof *x)) == NULL) {
		r->exit = KEXIT_NETWORK;
		snprintf(r->error, sizeof r->error, "out of memory");
		return;
	}
	x->retry_after = -1;
	x->stop = o->stop;
	if ((c = transfer(o, fam, hdrs, NULL, x, r)) != NULL) {
		r->exit = KEXIT_OK;
		curl_easy_cleanup(c);
	}
	free(x);
}

void
khttp_knock(const struct khttp_opts *o, enum kfam fam, const char *ip, long ttl,
    struct kresult *r)
{
	cJSON *obj = NULL;
	char *body = NULL;

	if (ip != NULL || ttl > 0) {
		if ((obj = cJSON_CreateObject()) == NULL ||
		    (ip != NULL && cJSON_AddStringToObject(obj, "ip_address", ip) == NULL) ||
		    (ttl > 0 && cJSON_AddNumberToObject(obj, "ttl", (double)ttl) == NULL) ||
		    (body = cJSON_PrintUnformatted(obj)) == NULL) {
			result_reset(r, fam);
			r->exit = KEXIT_NETWORK;
			snprintf(r->error, sizeof r->error, "out of memory");
			goto out;
		}
	}
	perform(o, fam, body != NULL ? body : "", r);
	r->requested_ttl = ttl > 0 ? ttl : 0;
out:
	cJSON_free(body);
	cJSON_Delete(obj);
}

void
khttp_status(const struct khttp_opts *o, enum kfam fam, struct kresult *r)
{
	perform(o, fam, NULL, r);
}
