#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <bsd/stdlib.h>

#include "errlist.h"

void
errlist_add(struct errlist *l, const char *fmt, ...)
{
	va_list ap;
	char *msg, **grown;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		l->oom = 1;
		return;
	}
	grown = reallocarray(l->msg, l->count + 1, sizeof(*l->msg));
	if (grown == NULL) {
		free(msg);
		l->oom = 1;
		return;
	}
	l->msg = grown;
	l->msg[l->count++] = msg;
}

void
errlist_free(struct errlist *l)
{
	size_t i;

	for (i = 0; i < l->count; i++)
		free(l->msg[i]);
	free(l->msg);
	l->msg = NULL;
	l->count = 0;
	l->oom = 0;
}
