/*
 * errlist: a caller-owned list of formatted messages (config problems,
 * warnings). Messages are copied in; errlist_free releases them.
 */
#ifndef KNOCKER_ERRLIST_H
#define KNOCKER_ERRLIST_H

#include <stddef.h>

struct errlist {
	char	**msg;
	size_t	  count;
	int	  oom;		/* set if a message could not be stored */
};

#define ERRLIST_INIT { NULL, 0, 0 }

/* Appends a printf-formatted message. Never fails visibly: on allocation
   failure it sets l->oom (callers treat oom as an error too). */
void errlist_add(struct errlist *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees every message and resets to empty; the struct itself is the caller's. */
void errlist_free(struct errlist *l);

#endif
