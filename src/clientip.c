#include "config.h"

#include <string.h>

#include "clientip.h"

static bool
clientip_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses one X-Forwarded-For element s[0..len) (spaces already trimmed) as
   a single address: no CIDR, no port, no brackets. */
static int
clientip_parse_hop(const char *s, size_t len, struct ipnet *out)
{
	char buf[IPNET_STRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return ipnet_parse_addr(buf, out);
}

static bool
clientip_trusted(const struct ipmap *trusted, const struct ipnet *a)
{
	return trusted != NULL && ipmap_lookup(trusted, a, NULL) == 1;
}

int
clientip_resolve(const char *remote_addr, const char *xff,
    const struct ipmap *trusted, struct ipnet *client)
{
	struct ipnet peer, hop[CLIENTIP_MAX_HOPS];
	const char *p, *start, *end;
	size_t n = 0;

	if (remote_addr == NULL || client == NULL)
		return -1;
	if (ipnet_parse_addr(remote_addr, &peer) == -1)
		return -1;
	if (!clientip_trusted(trusted, &peer)) {
		*client = peer;
		return 0;
	}
	if (xff == NULL)
		return -1;

	/* Parse the whole chain first: any bad or empty element, or more than
	   CLIENTIP_MAX_HOPS of them, makes the header unusable. */
	for (p = xff;; p++) {
		start = p;
		p += strcspn(p, ",");
		end = p;
		while (start < end && clientip_is_space(*start))
			start++;
		while (end > start && clientip_is_space(end[-1]))
			end--;
		if (n == CLIENTIP_MAX_HOPS)
			return -1;
		if (clientip_parse_hop(start, (size_t)(end - start), &hop[n]) == -1)
			return -1;
		n++;
		if (*p == '\0')
			break;
	}

	/* from the right: the first hop that is not a trusted proxy */
	while (n > 0) {
		n--;
		if (!clientip_trusted(trusted, &hop[n])) {
			*client = hop[n];
			return 0;
		}
	}
	return -1;
}
