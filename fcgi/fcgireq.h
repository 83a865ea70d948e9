/*
 * fcgireq: maps a FastCGI/CGI parameter list onto struct request, and a
 * struct response back onto "Status:", headers and body. No I/O here
 * except through the callbacks the caller passes.
 */
#ifndef KNOCKER_FCGIREQ_H
#define KNOCKER_FCGIREQ_H

#include <stddef.h>
#include "app.h"

/* Fills req from envp ("NAME=value" strings, NULL-terminated). req keeps
   pointers into envp: they are valid only while envp is.
   A repeated name is handled per meaning:
   - HTTP_X_FORWARDED_FOR, HTTP_X_API_KEY, HTTP_X_ORIGINAL_URI,
     HTTP_X_FORWARDED_URI, HTTP_X_FORWARDED_HOST: ambiguous, so treated as
     absent, even when the values are equal. Repeated or conflicting values
     of a header knocker trusts are no value (deny). This matters because
     the servers do not merge repeated header lines: nginx sends each
     X-Forwarded-For line as its own param, and lighttpd sends both
     "X-Forwarded-For" and "X_Forwarded_For" as HTTP_X_FORWARDED_FOR, so
     joining them would let a client's underscore header become the
     rightmost (trusted) element. Consequence: a request carrying two
     X-Forwarded-For lines has no client IP behind a trusted proxy and is
     denied; a proxy must send one line (comma-separated list).
   - anything else: the first wins (as FCGX_GetParam; Apache sends
     FCGI_ROLE twice).
   The role is AUTHORIZER when FCGI_ROLE=AUTHORIZER or FCGI_APACHE_ROLE is
   set. read_body/body_ctx are left NULL for the caller to set. */
void fcgireq_from_env(const char *const *envp, struct request *req);

/* Formats resp as a CGI answer (Status line, headers, blank line, body)
   into buf. Returns the length, or 0 if it does not fit (callers treat
   that as an internal error; it cannot happen with struct response's
   bounded fields and a buffer of FCGIREQ_OUT_MAX). A long_body is left
   out: the caller sends it after the head. */
#define FCGIREQ_OUT_MAX 4096
size_t fcgireq_format(const struct response *resp, char *buf, size_t size);

#endif
