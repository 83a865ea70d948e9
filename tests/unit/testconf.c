#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "tap.h"
#include "testconf.h"

struct conf *
testconf_parse(const char *json)
{
	struct errlist errs = ERRLIST_INIT;
	struct conf *c = conf_parse(json, strlen(json), "test.json", &errs, NULL);
	size_t i;

	for (i = 0; i < errs.count; i++)
		tap_diag("config: %s", errs.msg[i]);
	errlist_free(&errs);
	return c;
}

ssize_t
mem_read(void *ctx, char *buf, size_t size)
{
	struct mem_body *m = ctx;
	size_t n = m->len - m->pos;

	if (n > size)
		n = size;
	memcpy(buf, m->data + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct ipnet
test_net(const char *s)
{
	struct ipnet n;

	if (ipnet_parse(s, &n) == -1) {
		printf("Bail out! bad test address %s\n", s);
		exit(1);
	}
	return n;
}
