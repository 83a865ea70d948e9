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
