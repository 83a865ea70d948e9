/*
 * knockreq: the POST /knock request body (untrusted; fuzzed).
 * An object holding only "ip_address" (string, <= 100 chars, IP or CIDR)
 * and/or "ttl" (positive integer seconds); null stands for "not given".
 * Parsed with cJSON after the caller has capped the size (APP_MAX_BODY).
 * The statuses and their messages follow FarisZR/knocker's, which its
 * clients match on; one difference: a duplicate field or a \u0000 escape
 * (anywhere) is refused as KNOCKREQ_INVALID, where the original takes the
 * last value or reads the escape as part of the string.
 */
#ifndef KNOCKER_KNOCKREQ_H
#define KNOCKER_KNOCKREQ_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "ipnet.h"

#define KNOCKREQ_MAX_IP_LEN 100

enum knockreq_status {
	KNOCKREQ_OK = 0,
	KNOCKREQ_MALFORMED,	/* not JSON at all (incl. empty, a NUL byte, trailing garbage) */
	KNOCKREQ_NOT_OBJECT,	/* JSON, but not an object */
	KNOCKREQ_INVALID,	/* unknown or duplicate field, a \u0000 escape */
	KNOCKREQ_BAD_TTL,	/* ttl not an integer literal (60.0, 6e1 are not), or <= 0 */
	KNOCKREQ_BAD_IP,	/* ip_address is not a string, or not an IP or CIDR */
	KNOCKREQ_IP_TOO_LONG	/* ip_address is over KNOCKREQ_MAX_IP_LEN characters */
};

struct knockreq {
	bool		has_ip;
	struct ipnet	ip;	/* canonical (host bits cleared, v4-mapped -> v4) */
	bool		has_ttl;
	int64_t		ttl;	/* >= 1; values beyond INT64_MAX saturate to it */
};

/* Parses body[0..len) (need not be NUL-terminated). On KNOCKREQ_OK fills *out
   (untouched otherwise). Malformed, then not an object; then every field is
   checked and, of the problems found, the first of BAD_TTL, IP_TOO_LONG,
   BAD_IP, INVALID is returned, whatever the fields' order in the body. */
enum knockreq_status knockreq_parse(const char *body, size_t len, struct knockreq *out);

/* The documented error text (docs/API.md) for a status (KNOCKREQ_OK -> NULL). */
const char *knockreq_error(enum knockreq_status st);

/* True if a Content-Type header value is application/json (any case,
   parameters such as "; charset=utf-8" allowed). NULL -> false. */
bool knockreq_is_json_type(const char *content_type);

#endif
