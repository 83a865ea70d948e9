/*
 * jsontext: checks on raw JSON text that cJSON does not make.
 * Pure functions; nothing allocated.
 */
#ifndef KNOCKER_JSONTEXT_H
#define KNOCKER_JSONTEXT_H

#include <stdbool.h>
#include <stddef.h>

/* cJSON silently cuts a string at a "\u0000" escape. Given a text cJSON
   accepted, returns true if a string in it holds that escape, with the
   byte offset of its backslash in *at (at may be NULL). */
bool jsontext_find_nul_escape(const char *s, size_t len, size_t *at);

#endif
