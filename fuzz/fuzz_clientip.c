/*
 * Fuzz target: addresses, CIDRs and X-Forwarded-For. The input is
 * REMOTE_ADDR, a newline, then the X-Forwarded-For value (no newline: no
 * X-Forwarded-For header at all). The trusted proxies are 127.0.0.1,
 * 10.0.0.0/8, ::1 and 2001:db8:1::/48.
 *
 * Oracles (abort() when broken):
 * - ipnet: whatever ipnet_parse_len accepts is in canonical form (family 4
 *   or 6, prefix in range, host bits and unused bytes zero, never an
 *   IPv4-mapped IPv6 network of prefix >= 96); ipnet_format of it parses
 *   back to the same struct; ipnet_parse on the NUL-terminated text agrees
 *   with ipnet_parse_len; ipnet_parse_addr accepts exactly the full-length
 *   results of ipnet_parse without a "/"; masking keeps containment;
 * - clientip_resolve agrees with a reference model written here from
 *   the contract (split the chain, trim spaces/tabs, refuse any bad or empty
 *   element and more than 20 of them, walk from the right skipping trusted
 *   hops); the client is always a single address, never a trusted proxy
 *   when the peer was trusted.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientip.h"
#include "ipmap.h"
#include "ipnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const trusted_text[] = {
	"127.0.0.1", "10.0.0.0/8", "::1", "2001:db8:1::/48"
};

static bool
canonical(const struct ipnet *n)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned max, i, bit;

	if (n->family != 4 && n->family != 6)
		return false;
	max = n->family == 4 ? 32 : 128;
	if (n->prefix > max)
		return false;
	for (i = n->prefix; i < 128; i++) {
		bit = (unsigned)(n->addr[i / 8] >> (7 - i % 8)) & 1u;
		if (bit != 0)
			return false;
	}
	if (n->family == 6 && n->prefix >= 96 && memcmp(n->addr, mapped, sizeof(mapped)) == 0)
		return false;
	return true;
}

static void
check_ipnet(const char *s, size_t len)
{
	struct ipnet n, again, a, m;
	char text[IPNET_STRLEN], *z;
	int r;

	r = ipnet_parse_len(s, len, &n);
	if ((z = malloc(len + 1)) == NULL)
		abort();
	memcpy(z, s, len);
	z[len] = '\0';
	/* With no NUL inside, the C-string parser must agree. */
	if (memchr(s, '\0', len) == NULL) {
		if ((ipnet_parse(z, &again) == 0) != (r == 0))
			abort();
		if (r == 0 && memcmp(&n, &again, sizeof(n)) != 0)
			abort();
		if (ipnet_parse_addr(z, &a) == 0 &&
		    (r != 0 || memchr(s, '/', len) != NULL || memcmp(&a, &n, sizeof(a)) != 0 ||
		    !ipnet_is_host(&a)))
			abort();
	}
	free(z);
	if (r != 0)
		return;
	if (!canonical(&n))
		abort();
	ipnet_format(&n, text, sizeof(text));
	/* The canonical form parses back to the same network. */
	if (text[0] == '\0' || ipnet_parse(text, &again) != 0 || memcmp(&n, &again, sizeof(n)) != 0)
		abort();
	if (!ipnet_contains(&n, &n))
		abort();
	ipnet_mask(&n, n.prefix / 2, &m);
	if (!canonical(&m) || !ipnet_contains(&m, &n) ||
	    (m.prefix != n.prefix && ipnet_contains(&n, &m)))
		abort();
}

static bool
ref_trusted(const struct ipnet *trusted, size_t nt, const struct ipnet *a)
{
	size_t i;

	for (i = 0; i < nt; i++)
		if (ipnet_contains(&trusted[i], a))
			return true;
	return false;
}

/* The contract, written out plainly: 0 and *client, or -1 (no client). */
static int
ref_resolve(const char *remote, const char *xff, const struct ipnet *trusted, size_t nt,
    struct ipnet *client)
{
	struct ipnet peer, hops[CLIENTIP_MAX_HOPS + 1];
	char elem[128];
	size_t n = 0, i, b, e, len;

	if (ipnet_parse_addr(remote, &peer) != 0)
		return -1;
	if (!ref_trusted(trusted, nt, &peer)) {
		*client = peer;
		return 0;
	}
	if (xff == NULL)
		return -1;
	len = strlen(xff);
	b = 0;
	for (;;) {
		for (e = b; e < len && xff[e] != ','; e++)
			continue;
		/* element xff[b..e), trimmed of spaces and tabs */
		i = e;
		while (b < i && (xff[b] == ' ' || xff[b] == '\t'))
			b++;
		while (i > b && (xff[i - 1] == ' ' || xff[i - 1] == '\t'))
			i--;
		if (i == b || i - b >= sizeof(elem) || n > CLIENTIP_MAX_HOPS - 1)
			return -1;
		memcpy(elem, xff + b, i - b);
		elem[i - b] = '\0';
		if (ipnet_parse_addr(elem, &hops[n]) != 0)
			return -1;
		n++;
		if (e == len)
			break;
		b = e + 1;
	}
	while (n-- > 0)
		if (!ref_trusted(trusted, nt, &hops[n])) {
			*client = hops[n];
			return 0;
		}
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipmap *trusted;
	static struct ipnet tnets[sizeof(trusted_text) / sizeof(trusted_text[0])];
	const size_t nt = sizeof(tnets) / sizeof(tnets[0]);
	struct ipnet client, want, peer;
	char *buf, *nl;
	size_t i;
	int r, rr;

	if (trusted == NULL) {
		if ((trusted = ipmap_new()) == NULL)
			abort();
		for (i = 0; i < nt; i++)
			if (ipnet_parse(trusted_text[i], &tnets[i]) != 0 ||
			    ipmap_put(trusted, &tnets[i], 0) != 0)
				abort();
	}
	check_ipnet((const char *)data, size);
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	nl = strchr(buf, '\n');
	if (nl != NULL) {
		*nl = '\0';
		/* each part on its own through the address parsers too */
		check_ipnet(buf, strlen(buf));
		check_ipnet(nl + 1, strlen(nl + 1));
	}
	memset(&client, 0, sizeof(client));
	memset(&want, 0, sizeof(want));
	r = clientip_resolve(buf, nl != NULL ? nl + 1 : NULL, trusted, &client);
	rr = ref_resolve(buf, nl != NULL ? nl + 1 : NULL, tnets, nt, &want);
	if (r != rr)
		abort();
	if (r == 0) {
		if (memcmp(&client, &want, sizeof(client)) != 0 || !ipnet_is_host(&client) ||
		    !canonical(&client))
			abort();
		/* The client is never a trusted proxy when the peer was trusted. */
		if (ipnet_parse_addr(buf, &peer) == 0 && ref_trusted(tnets, nt, &peer) &&
		    ref_trusted(tnets, nt, &client))
			abort();
	}
	free(buf);
	return 0;
}
