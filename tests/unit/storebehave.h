/*
 * storebehave: the store behaviour every backend must show (store.h), as
 * TAP checks. Run by test_store (file backend) and test_store_redis (Redis
 * backend) against their own stores.
 */
#ifndef KNOCKER_STOREBEHAVE_H
#define KNOCKER_STOREBEHAVE_H

#include <stdint.h>
#include "store.h"

/* Makes an empty-or-shared store of the backend under test: every store
   made by one run shares the same whitelist (two workers, two nodes). */
typedef struct store *(*storebehave_make)(int64_t max_entries, void *ctx);

/* Runs the table; tag prefixes every test name. The whitelist must be
   empty at the start; it is empty again at the end. settle_ms: how long a
   revoke may take to reach another store's allowed path (the backend's
   bound; 0 when it is immediate). */
void storebehave_run(const char *tag, storebehave_make make, void *ctx, int settle_ms);

#endif
