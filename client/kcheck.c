/*
 * kcheck: "knocker-knock check", probing a deployment with forged headers. See
 * kcheck.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "kcheck.h"

#define KCHECK_MAX_PATH	512
#define KCHECK_MAX_HOST	255

/* Headers that name the client's address, as proxies and real-IP modules
   read them; the underscore spellings reach CGI/FastCGI programs under the
   same HTTP_* name on several servers. */
static const char *const ip_headers[] = {
	"X-Forwarded-For", "X_Forwarded_For", "X-Real-IP", "X_Real_IP",
	"Forwarded", "True-Client-IP", "X-Client-IP", "CF-Connecting-IP"
};
/* Addresses an allow rule or a trusted-proxy list often covers. */
static const char *const default_ips[] = {
	"127.0.0.1", "::1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "192.168.1.10",
	"100.64.0.1", "169.254.1.1", "fd00::1", "fe80::1"
};
/* Headers that name the original URI for forward-auth callers. */
static const char *const uri_headers[] = {
	"X-Original-URI", "X_Original_URI", "X-Forwarded-Uri", "X_Forwarded_Uri",
	"X-Original-URL", "X-Rewrite-URL"
};
static const char *const default_excluded[] = {
	"/health", "/healthz", "/ping", "/status", "/robots.txt", "/favicon.ico",
	"/.well-known/acme-challenge/x"
};
static const char *const default_hosts[] = { "localhost", "127.0.0.1" };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

enum verdict { V_DENIED, V_ALLOWED, V_OTHER, V_NOANSWER };

struct probe {
	char			 label[KCHECK_MAX_PATH + KCHECK_MAX_HOST + 64];
	struct curl_slist	*hdrs;
};

struct plist {
	struct probe	*p;
	size_t		 n, cap;
	int		 oom;
};

static int
printable_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
kcheck_valid_path(const char *s, char *err, size_t errsz)
{
	if (s[0] != '/' || strlen(s) > KCHECK_MAX_PATH || !printable_ascii(s)) {
		snprintf(err, errsz, "--excluded wants a path starting with '/' (no spaces, "
		    "at most %d characters)", KCHECK_MAX_PATH);
		return -1;
	}
	return 0;
}

int
kcheck_valid_host(const char *s, char *err, size_t errsz)
{
	size_t n = strlen(s);

	if (n == 0 || n > KCHECK_MAX_HOST || strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]_") != n) {
		snprintf(err, errsz, "--host wants a host name (optionally with :PORT), got '%s'",
		    printable_ascii(s) ? s : "?");
		return -1;
	}
	return 0;
}

int
kcheck_valid_ip(const char *s, char *err, size_t errsz)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, s, a) != 1 && inet_pton(AF_INET6, s, a) != 1) {
		snprintf(err, errsz, "--spoof-ip wants an IPv4 or IPv6 address, got '%s'",
		    printable_ascii(s) ? s : "?");
		return -1;
	}
	return 0;
}

/* Adds a probe of one or two headers ("Name: value"); h2 may be NULL. */
static void
plist_add(struct plist *l, const char *h1, const char *h2)
{
	struct probe *np, *p;
	struct curl_slist *tmp;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 128 : l->cap * 2;

		if ((np = reallocarray(l->p, cap, sizeof *np)) == NULL) {
			l->oom = 1;
			return;
		}
		l->p = np;
		l->cap = cap;
	}
	p = &l->p[l->n];
	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s%s%s", h1, h2 != NULL ? " + " : "",
	    h2 != NULL ? h2 : "");
	if ((tmp = curl_slist_append(NULL, h1)) == NULL)
		goto oom;
	p->hdrs = tmp;
	if (h2 != NULL) {
		if ((tmp = curl_slist_append(p->hdrs, h2)) == NULL)
			goto oom;
		p->hdrs = tmp;
	}
	l->n++;
	return;
oom:
	curl_slist_free_all(p->hdrs);
	l->oom = 1;
}

static void
plist_free(struct plist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		curl_slist_free_all(l->p[i].hdrs);
	free(l->p);
}

static void
add_ip_probes(struct plist *l, const char *ip)
{
	char h[KCHECK_MAX_PATH + 64];
	size_t i;

	for (i = 0; i < NELEM(ip_headers); i++) {
		if (strcmp(ip_headers[i], "Forwarded") == 0)
			snprintf(h, sizeof h, strchr(ip, ':') != NULL ? "Forwarded: for=\"[%s]\"" :
			    "Forwarded: for=%s", ip);
		else
			snprintf(h, sizeof h, "%s: %s", ip_headers[i], ip);
		plist_add(l, h, NULL);
	}
}

static int
seen(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static void
build_probes(const struct kcheck_cfg *c, const char *peer, struct plist *l)
{
	const char *const *ex = c->nexcluded > 0 ? c->excluded : default_excluded;
	size_t nex = c->nexcluded > 0 ? c->nexcluded : NELEM(default_excluded);
	const char *hosts[NELEM(default_hosts) + KCHECK_MAX_LIST];
	char h1[KCHECK_MAX_PATH + 64], h2[KCHECK_MAX_PATH + 64];
	size_t i, j, nh = 0;

	for (i = 0; i < NELEM(default_ips); i++)
		add_ip_probes(l, default_ips[i]);
	/* the server's own address: "the machine itself" is often allowed */
	if (peer[0] != '\0' && !seen(default_ips, NELEM(default_ips), peer))
		add_ip_probes(l, peer);
	for (i = 0; i < c->nspoof; i++)
		if (!seen(default_ips, NELEM(default_ips), c->spoof[i]) &&
		    strcmp(c->spoof[i], peer) != 0 && !seen(c->spoof, i, c->spoof[i]))
			add_ip_probes(l, c->spoof[i]);

	for (i = 0; i < NELEM(uri_headers); i++) {
		for (j = 0; j < nex; j++) {
			snprintf(h1, sizeof h1, "%s: %s", uri_headers[i], ex[j]);
			plist_add(l, h1, NULL);
		}
		if (!seen(ex, nex, "/")) {
			snprintf(h1, sizeof h1, "%s: /", uri_headers[i]);
			plist_add(l, h1, NULL);
		}
	}

	for (i = 0; i < NELEM(default_hosts); i++)
		hosts[nh++] = default_hosts[i];
	for (i = 0; i < c->nhosts; i++)
		if (!seen(hosts, nh, c->hosts[i]))
			hosts[nh++] = c->hosts[i];
	for (i = 0; i < nh; i++) {
		snprintf(h1, sizeof h1, "Host: %s", hosts[i]);
		plist_add(l, h1, NULL);
		snprintf(h1, sizeof h1, "X-Forwarded-Host: %s", hosts[i]);
		plist_add(l, h1, NULL);
		snprintf(h1, sizeof h1, "X_Forwarded_Host: %s", hosts[i]);
		plist_add(l, h1, NULL);
		/* per-host exclusions: the host and an excluded path together */
		for (j = 0; j < nex; j++) {
			snprintf(h1, sizeof h1, "Host: %s", hosts[i]);
			snprintf(h2, sizeof h2, "X-Original-URI: %s", ex[j]);
			plist_add(l, h1, h2);
			snprintf(h1, sizeof h1, "X-Forwarded-Host: %s", hosts[i]);
			snprintf(h2, sizeof h2, "X-Forwarded-Uri: %s", ex[j]);
			plist_add(l, h1, h2);
			snprintf(h1, sizeof h1, "X_Forwarded_Host: %s", hosts[i]);
			snprintf(h2, sizeof h2, "X_Forwarded_Uri: %s", ex[j]);
			plist_add(l, h1, h2);
		}
	}
}

static enum verdict
classify(const struct kresult *r, long denial)
{
	if (r->exit != KEXIT_OK)
		return V_NOANSWER;
	if (r->http_status == denial || r->http_status == 401 || r->http_status == 403)
		return V_DENIED;
	if (r->http_status >= 200 && r->http_status < 300)
		return V_ALLOWED;
	return V_OTHER;
}

static const char *
verdict_word(enum verdict v)
{
	switch (v) {
	case V_DENIED:
		return "denied";
	case V_ALLOWED:
		return "allowed";
	case V_OTHER:
		return "other";
	case V_NOANSWER:
		break;
	}
	return "no-answer";
}

static void
print_line(const struct probe *p, const struct kresult *r, enum verdict v)
{
	switch (v) {
	case V_DENIED:
		printf("OK    denied   HTTP %ld  %s\n", r->http_status, p->label);
		break;
	case V_ALLOWED:
		printf("LEAK  allowed  HTTP %ld  %s\n", r->http_status, p->label);
		break;
	case V_OTHER:
		printf("ODD   answered HTTP %ld  %s (not the denial: look at it)\n",
		    r->http_status, p->label);
		break;
	case V_NOANSWER:
		printf("ODD   no answer          %s (%s)\n", p->label, r->error);
		break;
	}
}

int
kcheck_run(const struct kcheck_cfg *c)
{
	struct plist l;
	struct kresult base, r;
	cJSON *root = NULL, *arr = NULL, *it;
	char *s;
	size_t i, n[4] = { 0, 0, 0, 0 };
	enum verdict v;
	int rc;

	memset(&l, 0, sizeof l);
	khttp_probe(&c->http, c->fam, NULL, &base);
	if (base.exit != KEXIT_OK) {
		fprintf(stderr, "knocker-knock: check: network error: %s. Check the URL and your network "
		    "connection.\n", base.error);
		return KEXIT_NETWORK;
	}
	if (base.http_status >= 200 && base.http_status < 300) {
		fprintf(stderr, "knocker-knock: check: the plain request, without a knock and without "
		    "forged headers, is already allowed (HTTP %ld). Either this machine's "
		    "address is whitelisted or always allowed, or the deployment lets everyone "
		    "through (fails open); knocker-knock check cannot tell which. Run it from a machine "
		    "that has not knocked (or revoke this address first).\n", base.http_status);
		rc = KEXIT_ALLOWED;
		goto json_only;
	}
	build_probes(c, base.peer, &l);
	if (l.oom) {
		fprintf(stderr, "knocker-knock: check: out of memory\n");
		rc = KEXIT_SERVER;
		goto out;
	}
	if (!c->json) {
		printf("knocker-knock check: %s\n", c->http.url);
		printf("plain request without a knock: denied (HTTP %ld)%s\n", base.http_status,
		    base.http_status == 401 || base.http_status == 403 ? "" :
		    "; taking this answer as the denial");
		fflush(stdout);
	} else if ((root = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_CreateArray()) == NULL) {
		cJSON_Delete(root);
		root = NULL;
	}
	for (i = 0; i < l.n; i++) {
		if (c->http.stop != NULL && *c->http.stop) {
			fprintf(stderr, "knocker-knock: check: interrupted\n");
			rc = 130;
			goto out;
		}
		khttp_probe(&c->http, c->fam, l.p[i].hdrs, &r);
		v = classify(&r, base.http_status);
		n[v]++;
		if (!c->json) {
			print_line(&l.p[i], &r, v);
		} else if (arr != NULL && (it = cJSON_CreateObject()) != NULL) {
			cJSON_AddItemToArray(arr, it);
			cJSON_AddStringToObject(it, "probe", l.p[i].label);
			if (r.exit == KEXIT_OK)
				cJSON_AddNumberToObject(it, "http_status", (double)r.http_status);
			else
				cJSON_AddNullToObject(it, "http_status");
			cJSON_AddStringToObject(it, "verdict", verdict_word(v));
		}
	}
	rc = n[V_ALLOWED] > 0 ? KEXIT_LEAK : n[V_OTHER] + n[V_NOANSWER] > 0 ? KEXIT_SERVER :
	    KEXIT_OK;
	if (!c->json) {
		if (rc == KEXIT_LEAK)
			printf("knocker-knock check: LEAK: %zu of %zu forged requests were let through "
			    "(the LEAK lines): this deployment lets people in without a knock.\n",
			    n[V_ALLOWED], l.n);
		else if (rc == KEXIT_SERVER)
			printf("knocker-knock check: no forged request was let through, but %zu of %zu "
			    "were answered otherwise than with the denial (the ODD lines).\n",
			    n[V_OTHER] + n[V_NOANSWER], l.n);
		else
			printf("knocker-knock check: OK: all %zu forged requests were denied.\n", l.n);
	}
json_only:
	if (c->json) {
		if (root == NULL && (root = cJSON_CreateObject()) == NULL)
			goto out;
		cJSON_AddStringToObject(root, "command", "check");
		cJSON_AddStringToObject(root, "url", c->http.url);
		cJSON_AddNumberToObject(root, "exit_code", rc);
		cJSON_AddNumberToObject(root, "plain_http_status", (double)base.http_status);
		cJSON_AddNumberToObject(root, "denied", (double)n[V_DENIED]);
		cJSON_AddNumberToObject(root, "leaked", (double)n[V_ALLOWED]);
		cJSON_AddNumberToObject(root, "other", (double)(n[V_OTHER] + n[V_NOANSWER]));
		if (arr != NULL) {
			cJSON_AddItemToObject(root, "probes", arr);
			arr = NULL;
		}
		if ((s = cJSON_PrintUnformatted(root)) != NULL) {
			printf("%s\n", s);
			cJSON_free(s);
		}
	}
out:
	cJSON_Delete(arr);
	cJSON_Delete(root);
	plist_free(&l);
	return rc;
}
