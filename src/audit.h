/*
 * audit: the audit trail, one parseable line per knock outcome, status
 * call, admin action, config reload and store failure, written through
 * log.c (module "audit") to the configured log target:
 *
 *   event=<knock|status|admin|reload|store> result=<R> client=<addr|->
 *       key=<name|-> status=<http status|-> [reason=<word>] [name=value...]
 *
 * The five first fields are always there, in this order. key is the key's
 * name from the config, never the key: a wrong or missing key logs key=-
 * and reason=bad_key. result comes from the status unless given: 2xx ok,
 * 401/403 denied, 429 limited, other 4xx invalid, 5xx error. Lines with
 * result ok go out at info, every other at warn.
 * A value made only of [A-Za-z0-9._:/@+,-] is written bare; any other
 * (empty, spaces, quotes, control bytes, non-ASCII) in double quotes with
 * \" \\ and \xHH escapes, so no value can add a field or a line. Values
 * are cut at AUDIT_VALUE_MAX bytes.
 * Every pointer is borrowed for the call; every string may be NULL ("-").
 */
#ifndef KNOCKER_AUDIT_H
#define KNOCKER_AUDIT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "compiler.h"

#define AUDIT_VALUE_MAX 160
#define AUDIT_MAX_EXTRA 4
#define AUDIT_LINE_MAX 1000

struct audit_kv {
	const char	*name;		/* a fixed word; NULL ends the list */
	const char	*value;		/* escaped as above; NULL: "-" */
};

struct audit_record {
	const char	*event;		/* "knock", "status", "admin", "reload", "store" */
	const char	*result;	/* NULL: from status */
	const char	*client;	/* canonical client address */
	const char	*key;		/* the key's NAME */
	int		 status;	/* HTTP status; 0: none ("-") */
	const char	*reason;	/* a fixed word; NULL: no reason field */
	struct audit_kv	 extra[AUDIT_MAX_EXTRA];
};

/* The line for r, without the log prefix or newline, into buf (always
   NUL-terminated, cut to fit). Returns strlen(buf). */
size_t audit_format(const struct audit_record *r, char *buf, size_t size) KN_NONNULL(1, 2);

/* "ok", "denied", "limited", "invalid" or "error" for an HTTP status. */
const char *audit_result(int status);

/* Formats r and logs it (info when its result is "ok", else warn). */
void audit_log(const struct audit_record *r) KN_NONNULL(1);

/* A POST /knock answer. entry (the whitelisted range) and ttl (seconds,
   < 0: none) only for an accepted knock. */
void audit_knock(const char *client, const char *key, int status, const char *reason,
    const char *entry, int64_t ttl);

/* A GET /knock answer (status call). */
void audit_status(const char *client, const char *key, int status, const char *reason);

/* An admin action through the API (GET/DELETE …/entries) or knockerctl
   (client "-" or "local"): action a word such as "list", "revoke", "flush",
   "add"; target what it acted on (an entry, "key:NAME", "all"; NULL: none);
   count how many entries it touched (< 0: none). */
void audit_admin(const char *client, const char *key, int status, const char *reason,
    const char *action, const char *target, long long count);

/* The same for knockerctl on the server: client "local", no key, no
   status; result ok, or error with reason store_failed. */
void audit_admin_local(bool ok, const char *action, const char *target, long long count);
/* A configuration reload: ok true, or false with reason a word
   ("invalid", "unreadable") and detail the first error (a message from the
   config checks; quoted). file is the config file. */
void audit_reload(bool ok, const char *file, const char *reason, const char *detail);

/* A store failure: op the operation ("add", "refresh", "cleanup",
   "lookup", ...), reason a word ("busy", "failed", ...); client/key the
   request's, if one caused it (NULL: "-"); suppressed, when > 0, how many
   such failures the caller left out of the log since its last line
   (field "suppressed"). */
void audit_store(const char *op, const char *reason, const char *client, const char *key,
    long long suppressed);

#endif
