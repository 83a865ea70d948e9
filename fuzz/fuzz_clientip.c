/*
 * Fuzz target: addresses, CIDRs and X-Forwarded-For. The input is
 * REMOTE_ADDR, a newline, then the X-Forwarded-For value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientip.h"
#include "ipmap.h"
#include "ipnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const char *s, size_t len)
{
	struct ipnet n, again;
	char text[IPNET_STRLEN];

	if (ipnet_parse_len(s, len, &n) != 0)
		return;
	ipnet_format(&n, text, sizeof(text));
	/* The canonical form parses back to the same network. */
	if (ipnet_parse(text, &again) != 0 || memcmp(&n, &again, sizeof(n)) != 0)
		abort();
	if (!ipnet_contains(&n, &n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipmap *trusted;
	struct ipnet client, t;
	char *buf, *nl;

	if (trusted == NULL) {
		trusted = ipmap_new();
		if (trusted == NULL || ipnet_parse("127.0.0.1", &t) != 0 || ipmap_put(trusted, &t, 0) != 0 ||
		    ipnet_parse("10.0.0.0/8", &t) != 0 || ipmap_put(trusted, &t, 0) != 0 ||
		    ipnet_parse("::1", &t) != 0 || ipmap_put(trusted, &t, 0) != 0)
			abort();
	}
	round_trip((const char *)data, size);
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = strchr(buf, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (clientip_resolve(buf, nl != NULL ? nl + 1 : NULL, trusted, &client) == 0) {
		/* The client is never a trusted proxy when the peer was trusted. */
		if (ipnet_parse_addr(buf, &t) == 0 && ipmap_lookup(trusted, &t, NULL) &&
		    ipmap_lookup(trusted, &client, NULL))
			abort();
		if (!ipnet_is_host(&client))
			abort();
	}
	free(buf);
	return 0;
}
