/*
 * testconf: a struct conf from a JSON text, for unit tests. Errors are
 * printed as TAP diagnostics. Returns NULL if the text is refused; the
 * caller frees the result with conf_free.
 */
#ifndef KNOCKER_TESTCONF_H
#define KNOCKER_TESTCONF_H

#include <sys/types.h>

#include "conf.h"
#include "ipnet.h"

struct conf *testconf_parse(const char *json);

/* A request body in memory, for struct request's read_body/body_ctx. */
struct mem_body {
	const char	*data;
	size_t		 len, pos;
};

ssize_t mem_read(void *ctx, char *buf, size_t size);

/* The network s (an address or CIDR); exits the test with "Bail out!"
   when s does not parse (a typo in the test, not a result). */
struct ipnet test_net(const char *s);

#endif
