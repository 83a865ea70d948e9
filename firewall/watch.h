/*
 * watch: notices changes to one file through inotify on its directory, so
 * a replace by rename (how the store writes the whitelist), an edit in
 * place, a removal and a re-creation are all seen.
 */
#ifndef KNOCKER_WATCH_H
#define KNOCKER_WATCH_H

#include <stdbool.h>
#include "compiler.h"

struct watch;

/* Watches path (its directory must exist). Returns a new watch, or NULL
   with errno set. */
KN_NODISCARD KN_NONNULL(1)
struct watch *watch_open(const char *path);
/* NULL is fine. */
void watch_close(struct watch *w);

/* The descriptor to poll for POLLIN. */
int watch_fd(const struct watch *w);

/* Reads the pending events. Returns 1 if the file may have changed, 0 if
   not, -1 on error (errno set). If the directory itself went away or was
   moved, the watch is re-armed on the path's directory when it exists
   again (call watch_rearm on a timer) and 1 is returned. */
KN_NODISCARD KN_NONNULL(1)
int watch_read(struct watch *w);

/* Re-arms a watch whose directory was lost. Returns 1 if it was re-armed
   now (the file may have changed meanwhile), 0 if nothing to do or the
   directory is still missing. */
KN_NODISCARD KN_NONNULL(1)
int watch_rearm(struct watch *w);

#endif
