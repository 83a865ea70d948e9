/*
 * adminreq: the DELETE <prefix>/entries request body (untrusted; fuzzed by
 * fuzz/fuzz_adminreq.c). Exactly one of
 *   {"entry":"<IP or CIDR>"}   that entry (canonical: host bits cleared),
 *   {"key":"<key name>"}       every entry that key made,
 *   {"all":true}               every entry.
 * Parsed with cJSON after the caller capped the size. Nothing allocated
 * survives the call.
 */
#ifndef KNOCKER_ADMINREQ_H
#define KNOCKER_ADMINREQ_H

#include <stddef.h>
#include "compiler.h"
#include "store.h"

enum adminreq_status {
	ADMINREQ_OK = 0,
	ADMINREQ_EMPTY,		/* no body */
	ADMINREQ_MALFORMED,	/* not JSON, or a \u0000 escape */
	ADMINREQ_NOT_OBJECT,	/* JSON, but not an object */
	ADMINREQ_UNKNOWN_FIELD,	/* a field other than entry, key, all */
	ADMINREQ_DUPLICATE,	/* a field given twice */
	ADMINREQ_NOT_ONE,	/* none or several of entry, key, all */
	ADMINREQ_BAD_ENTRY,	/* entry not a string holding an IP or CIDR */
	ADMINREQ_BAD_KEY,	/* key not a string of 1..64 bytes */
	ADMINREQ_BAD_ALL	/* all not true */
};

/* What to revoke. key points into name. */
struct adminreq {
	struct store_match	match;
	char			name[65];
};

/* Parses body[0..len) (need not be NUL-terminated). On ADMINREQ_OK fills
   *out (out->match.key points to out->name for STORE_MATCH_KEY, else
   NULL); otherwise *out is unspecified. */
KN_NODISCARD KN_NONNULL(3)
enum adminreq_status adminreq_parse(const char *body, size_t len, struct adminreq *out);

/* The answer's error text for a status (ADMINREQ_OK -> NULL). */
const char *adminreq_error(enum adminreq_status st);

#endif
