#include "config.h"

#include <string.h>

#include "jsontext.h"

bool
jsontext_find_nul_escape(const char *s, size_t len, size_t *at)
{
	bool in_str = false;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!in_str) {
			in_str = s[i] == '"';
			continue;
		}
		if (s[i] == '"') {
			in_str = false;
		} else if (s[i] == '\\' && i + 1 < len) {
			if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0) {
				if (at != NULL)
					*at = i;
				return true;
			}
			i++;
		}
	}
	return false;
}

static size_t
skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* s[i] is the opening quote; returns the index after the closing one. */
static size_t
skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* Returns the index after the value starting at s[i]. */
static size_t
skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	if (i < len && s[i] == '"')
		return skip_string(s, len, i);
	while (i < len) {
		if (s[i] == '"') {
			i = skip_string(s, len, i);
			continue;
		}
		if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']') {
			if (depth == 0)
				break;		/* the end of the enclosing object */
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (s[i] == ',' || s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\n' || s[i] == '\r'))
			break;
		i++;
	}
	return i;
}

bool
jsontext_member_is_integer(const char *s, size_t len, size_t index)
{
	size_t i = skip_ws(s, len, 0), m, start;

	if (i >= len || s[i] != '{')
		return false;
	i++;
	for (m = 0;; m++) {
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != '"')
			return false;
		i = skip_ws(s, len, skip_string(s, len, i));
		if (i >= len || s[i] != ':')
			return false;
		i = skip_ws(s, len, i + 1);
		if (m == index)
			break;
		i = skip_ws(s, len, skip_value(s, len, i));
		if (i >= len || s[i] != ',')
			return false;
		i++;
	}
	if (i < len && s[i] == '-')
		i++;
	start = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > start && (i == len || (s[i] != '.' && s[i] != 'e' && s[i] != 'E'));
}
