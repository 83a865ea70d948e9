/* Fuzz target: request path and Host normalization, with invariants. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, out[URLPATH_MAX], again[URLPATH_MAX], host[HOST_MAX];
	size_t i;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (urlpath_normalize(in, out, sizeof(out)) == 0) {
		if (out[0] != '/' || strstr(out, "//") != NULL || strstr(out, "/./") != NULL ||
		    strstr(out, "/../") != NULL)
			abort();
		/* Normalizing twice changes nothing (unless a decoded '%' forms a new escape). */
		if (strchr(out, '%') == NULL && strchr(out, '?') == NULL && strchr(out, '#') == NULL &&
		    (urlpath_normalize(out, again, sizeof(again)) != 0 || strcmp(out, again) != 0))
			abort();
		if (!urlpath_has_prefix(out, out))
			abort();
	}
	if (host_normalize(in, host, sizeof(host)) == 0) {
		for (i = 0; host[i] != '\0'; i++)
			if (isupper((unsigned char)host[i]))
				abort();
		if (host[0] == '\0')
			abort();
	}
	free(in);
	return 0;
}
