/*
 * testconf: a struct conf from a JSON text, for unit tests. Errors are
 * printed as TAP diagnostics. Returns NULL if the text is refused; the
 * caller frees the result with conf_free.
 */
#ifndef KNOCKER_TESTCONF_H
#define KNOCKER_TESTCONF_H

#include "conf.h"

struct conf *testconf_parse(const char *json);

#endif
