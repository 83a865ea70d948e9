/*
 * reload: keeps a FastCGI worker on the current config file (live reload,
 * README "Reload").
 *
 * Between requests the worker calls reload_tick: at most once a second by
 * the app's clock (or at once when forced: SIGHUP) it checks the file with
 * confwatch. A changed file is loaded and put through the checks a worker
 * makes at start (conf_load, a usable storage directory, a log target that
 * opens); one that fails them is refused: every problem is logged, the
 * config in force stays, and the same file is not tried again until it
 * changes or the next SIGHUP. One that passes replaces the config in force:
 * the app is switched over (app_reconfigure), the log is opened again with
 * its target and level (so a SIGHUP after logrotate moves to the new file),
 * and the old config is freed. A file that vanished keeps the config in
 * force (logged once). Every reload and refusal is counted and has its
 * audit line (app_note_reload: event=reload result=ok|error).
 *
 * The struct owns the config in force and borrows the app, whose conf
 * points to it.
 */
#ifndef KNOCKER_RELOAD_H
#define KNOCKER_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app.h"
#include "compiler.h"
#include "conf.h"
#include "confwatch.h"

struct reload {
	struct confwatch	 watch;
	struct confwatch_id	 first;		/* observed by reload_init */
	struct conf		*conf;		/* owned; the config in force */
	struct app		*app;		/* borrowed */
	int64_t			 last_check;	/* app clock */
};

/* Observes path: call before the first conf_load_hash of it. Returns 0,
   or -1 on OOM. */
KN_NODISCARD KN_NONNULL(1, 2)
int reload_init(struct reload *r, const char *path);

/* Hands over the config loaded at start (owned from now on; hash from
   conf_load_hash) and the app built on it (borrowed). */
KN_NONNULL(1, 2, 4)
void reload_start(struct reload *r, struct conf *conf, uint64_t hash, struct app *app);

/* Frees the config in force (the app must not use it any more). */
void reload_fini(struct reload *r);

/* Between requests: checks the file when a second has passed since the
   last check (always when force), and applies a change. Returns 1 when a
   new config took effect, 0 when nothing changed, -1 when a change was
   refused (logged). */
KN_NONNULL(1)
int reload_tick(struct reload *r, bool force);

/* What a worker needs of whitelist.storage_path at start and at a
   reload: its directory exists and is searchable (else no verify could
   read the whitelist). Not writable is no reason to refuse: verifies
   still answer and knocks fail with 500 (`knocker -t` insists on
   writable). Returns 0, or -1 with one line in err. */
KN_NONNULL(1, 2)
int reload_check_storage_dir(const char *storage_path, char *err, size_t size);

#endif
