/* Fuzz target: the POST /knock body and its Content-Type. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "knockreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knockreq r;
	enum knockreq_status st;
	char ct[256];
	size_t n;

	memset(&r, 0, sizeof(r));
	st = knockreq_parse((const char *)data, size, &r);
	if (st == KNOCKREQ_OK) {
		if (r.has_ttl && r.ttl < 1)
			abort();
		if (knockreq_error(st) != NULL)
			abort();
	} else if (knockreq_error(st) == NULL) {
		abort();
	}
	n = size < sizeof(ct) - 1 ? size : sizeof(ct) - 1;
	memcpy(ct, data, n);
	ct[n] = '\0';
	(void)knockreq_is_json_type(ct);
	return 0;
}
