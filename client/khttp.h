/*
 * khttp: the knock client's HTTP side (libcurl). One request per address
 * family; the answers of POST/GET /knock are parsed into struct kresult.
 * Contract of the endpoint: docs/API.md ("POST /knock", "GET /knock").
 *
 * Nothing here prints anything or exits; the API key is never copied into
 * a result or a message, and the header buffers holding it are wiped.
 */
#ifndef KNOCK_KHTTP_H
#define KNOCK_KHTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

/* Exit statuses of knock(1); documented in knock.1 and docs/CLIENTS.md. */
enum kexit {
	KEXIT_OK = 0,
	KEXIT_SERVER = 1,		/* any other error answer, or not knocker */
	KEXIT_USAGE = 2,
	KEXIT_CONFIG = 3,		/* config or key file unusable */
	KEXIT_NETWORK = 4,		/* DNS, connect, TLS, timeout */
	KEXIT_UNAUTHORIZED = 5,		/* 401: bad or missing key */
	KEXIT_FORBIDDEN = 6,		/* 403: key may not use --ip */
	KEXIT_RATELIMIT = 7,		/* 429 */
	KEXIT_NOT_WHITELISTED = 8,	/* status: answered, but not whitelisted */
	KEXIT_LEAK = 9,			/* check: a forged request was let through */
	KEXIT_ALLOWED = 10		/* check: the plain request is already allowed */
};

enum kfam { KFAM_ANY = 0, KFAM_V4 = 4, KFAM_V6 = 6 };

/* "IPv4", "IPv6" or "any". Static string. */
const char *kfam_name(enum kfam fam);

struct khttp_opts {
	const char		*url;		/* knock endpoint; borrowed */
	const char		*key;		/* API key (secret); borrowed */
	struct curl_slist	*resolve;	/* HOST:PORT:ADDR[,ADDR] list; borrowed, may be NULL */
	const char		*cacert;	/* CA bundle; may be NULL */
	long			 timeout;	/* whole request, seconds (> 0) */
	volatile sig_atomic_t	*stop;		/* abort transfers once *stop != 0; may be NULL */
	int			 https_assumed;	/* the user gave no scheme: hint at http:// on TLS errors */
};

struct kresult {
	enum kfam	fam;		/* the family this request was limited to */
	int		exit;		/* enum kexit: KEXIT_OK when the answer was a valid 200 */
	long		http_status;	/* 0 when no HTTP answer arrived */
	char		error[256];	/* server's "error" text or the transport error; "" on success */
	long		retry_after;	/* seconds from Retry-After, -1 when absent */
	char		peer[64];	/* address connected to, "" if unknown */
	char		hint[300];	/* what to do, when khttp knows better than kreport; "" */
	long		requested_ttl;	/* POST: the ttl asked for, 0 when none */
	/* POST /knock */
	char		entry[128];	/* whitelisted_entry */
	/* GET /knock */
	char		client_ip[64];
	int		whitelisted;	/* 1, 0; -1 when not a status answer */
	/* both; -1 when absent or null */
	int64_t		expires_at;
	int64_t		expires_in;
};

/* Initializes libcurl (call once, before anything else). 0 or -1. */
int khttp_global_init(void);
void khttp_global_cleanup(void);

/*
 * Which families to knock over for url: want (from -4/-6) if not
 * KFAM_ANY; for an IP-literal host its own family; otherwise the families
 * of the host's addresses, taken from a matching entry of resolve (if any)
 * or getaddrinfo (AI_ADDRCONFIG), IPv4 first. When the host cannot be
 * resolved, one KFAM_ANY entry (libcurl will then report the failure).
 * Writes 1 or 2 families to out and returns the count, or -1 with a
 * message in err (a -4/-6 that contradicts a literal host, a bad URL).
 */
int khttp_families(const char *url, enum kfam want, const struct curl_slist *resolve,
    enum kfam out[2], char *err, size_t errsz);

/*
 * Normalizes a URL given by the user: adds "https://" when the scheme is
 * missing, rejects schemes other than http/https. Writes the result to
 * out. Sets *cleartext when the key would travel unencrypted to a host
 * that is not a loopback address. 0 or -1 with a message in err.
 */
int khttp_check_url(const char *in, char *out, size_t outsz, int *cleartext,
    char *err, size_t errsz);

/*
 * Makes a base URL a knock endpoint: when the last segment of url's path
 * (a trailing '/' aside) is not "knock", appends "knock" to the path
 * ("https://h" and "https://h/" -> "https://h/knock", "https://h/.knocker/"
 * -> "https://h/.knocker/knock"). url holds a URL khttp_check_url wrote;
 * it is rewritten in place. 0, or -1 with a message in err.
 */
int khttp_knock_url(char *url, size_t urlsz, char *err, size_t errsz);

/*
 * Validates a --resolve argument "HOST:PORT:ADDR[,ADDR...]" (addresses
 * IPv4 or IPv6, optionally in brackets). 0 or -1 with a message in err.
 */
int khttp_check_resolve(const char *spec, char *err, size_t errsz);

/* POST /knock over fam. ip (may be NULL) and ttl (0 = none) form the
   JSON body. Fills r completely. */
void khttp_knock(const struct khttp_opts *o, enum kfam fam, const char *ip, long ttl,
    struct kresult *r);

/* GET /knock (status) over fam. Fills r completely. */
void khttp_status(const struct khttp_opts *o, enum kfam fam, struct kresult *r);

/*
 * GET o->url over fam without the API key (o->key is not used and may be
 * NULL), sending the extra request headers hdrs ("Name: value" lines,
 * passed to libcurl as they are; "Host: x" replaces the Host header; may
 * be NULL). The body is read and dropped. Sets r->exit (KEXIT_OK when any
 * HTTP answer came, else KEXIT_NETWORK with r->error), r->http_status and
 * r->peer.
 */
void khttp_probe(const struct khttp_opts *o, enum kfam fam, const struct curl_slist *hdrs,
    struct kresult *r);

#endif
