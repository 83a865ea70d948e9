/* Fuzz target: the whitelist file reader, and the write/read round trip. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipmap.h"
#include "wlfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipmap *m = ipmap_new(), *again = ipmap_new();
	struct ipnet net;
	int64_t v, w;
	size_t pos = 0, len = 0;
	char *text = NULL;

	if (m == NULL || again == NULL)
		abort();
	if (wlfile_parse((const char *)data, size, m, NULL) == 0) {
		/* Every entry with a value > INT64_MIN is written (the format
		   keeps values > now) and reads back the same; nothing else does. */
		size_t kept = 0;

		if (wlfile_format(m, INT64_MIN, &text, &len) != 0)
			abort();
		if (strlen(text) != len || wlfile_parse(text, len, again, NULL) != 0)
			abort();
		while (ipmap_next(m, &pos, &net, &v)) {
			if (v == INT64_MIN)
				continue;
			kept++;
			if (ipmap_get(again, &net, &w) != 1 || w != v)
				abort();
		}
		if (ipmap_count(again) != kept)
			abort();
		free(text);
	}
	ipmap_free(m);
	ipmap_free(again);
	return 0;
}
