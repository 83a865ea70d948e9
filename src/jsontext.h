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

/* Given a text cJSON accepted whose value is an object, true if the value
   of its member number index (0-based, in document order, as cJSON keeps
   its children) is written as an integer: digits, maybe a leading '-',
   no fraction and no exponent ("60", not "60.0" or "6e1"). */
bool jsontext_member_is_integer(const char *s, size_t len, size_t index);

#endif
