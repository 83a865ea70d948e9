/*
 * fcgireq: maps a FastCGI/CGI parameter list onto struct request, and a
 * struct response back onto "Status:", headers and body. No I/O here
 * except through the callbacks the caller passes.
 */
#ifndef KNOCKER_FCGIREQ_H
#define KNOCKER_FCGIREQ_H

#include <stddef.h>
#include "app.h"

/* Fills req from envp ("NAME=value" strings, NULL-terminated). The first
   occurrence of a name wins (as FCGX_GetParam does; Apache sends FCGI_ROLE
   twice). req keeps pointers into envp: they are valid only while envp is.
   The role is AUTHORIZER when FCGI_ROLE=AUTHORIZER or FCGI_APACHE_ROLE is
   set. read_body/body_ctx are left NULL for the caller to set. */
void fcgireq_from_env(const char *const *envp, struct request *req);

/* Formats resp as a CGI answer (Status line, headers, blank line, body)
   into buf. Returns the length, or 0 if it does not fit (callers treat
   that as an internal error; it cannot happen with struct response's
   bounded fields and a buffer of FCGIREQ_OUT_MAX). */
#define FCGIREQ_OUT_MAX 4096
size_t fcgireq_format(const struct response *resp, char *buf, size_t size);

#endif
