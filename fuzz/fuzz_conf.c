/* Fuzz target: the config file parser (conf_parse). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "conf.h"
#include "errlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = ERRLIST_INIT, warns = ERRLIST_INIT;
	struct conf *c;

	c = conf_parse((const char *)data, size, "fuzz.json", &errs, &warns);
	/* A config is either refused with a reason or accepted whole. */
	if ((c == NULL) != (errs.count > 0 || errs.oom))
		abort();
	if (c != NULL && (c->nkeys == 0 || c->storage_path == NULL || c->storage_path[0] != '/'))
		abort();
	conf_free(c);
	errlist_free(&errs);
	errlist_free(&warns);
	return 0;
}
