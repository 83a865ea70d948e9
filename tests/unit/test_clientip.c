#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientip.h"
#include "ipmap.h"
#include "ipnet.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* trusted proxy sets used by the table */
static const char *const trust_local[] = { "127.0.0.1", "::1", NULL };
static const char *const trust_cidr[] = { "10.0.0.0/8", "2001:db8::/64", NULL };
static const char *const trust_none[] = { NULL };

static const struct {
	const char *name;
	const char *remote;
	const char *xff;
	const char *const *trusted;	/* NULL: no map at all */
	const char *want;		/* NULL: no client (-1) */
} cases[] = {
	{ "untrusted peer, no xff", "198.51.100.1", NULL, trust_local, "198.51.100.1" },
	{ "untrusted peer ignores xff", "198.51.100.1", "203.0.113.7", trust_local,
	    "198.51.100.1" },
	{ "untrusted peer ignores bad xff", "198.51.100.1", "garbage,,", trust_local,
	    "198.51.100.1" },
	{ "no trusted map: peer is client", "127.0.0.1", "203.0.113.7", NULL,
	    "127.0.0.1" },
	{ "empty trusted map: peer is client", "127.0.0.1", "203.0.113.7", trust_none,
	    "127.0.0.1" },
	{ "trusted peer, one hop", "127.0.0.1", "203.0.113.7", trust_local,
	    "203.0.113.7" },
	{ "trusted peer, spaces around hop", "127.0.0.1", " \t203.0.113.7 ", trust_local,
	    "203.0.113.7" },
	{ "chain skips trusted hops from the right", "127.0.0.1",
	    "1.1.1.1, 203.0.113.7, 127.0.0.1", trust_local, "203.0.113.7" },
	{ "chain without spaces", "127.0.0.1", "1.1.1.1,203.0.113.7", trust_local,
	    "203.0.113.7" },
	{ "only trusted hops", "127.0.0.1", "127.0.0.1, ::1", trust_local, NULL },
	{ "trusted peer, missing xff", "127.0.0.1", NULL, trust_local, NULL },
	{ "trusted peer, empty xff", "127.0.0.1", "", trust_local, NULL },
	{ "trusted peer, blank xff", "127.0.0.1", "  ", trust_local, NULL },
	{ "empty element in the middle", "127.0.0.1", "1.1.1.1,,2.2.2.2", trust_local,
	    NULL },
	{ "blank element in the middle", "127.0.0.1", "1.1.1.1, ,2.2.2.2", trust_local,
	    NULL },
	{ "trailing comma", "127.0.0.1", "1.1.1.1,", trust_local, NULL },
	{ "leading comma", "127.0.0.1", ",1.1.1.1", trust_local, NULL },
	{ "malformed element", "127.0.0.1", "1.1.1.1, bogus", trust_local, NULL },
	{ "malformed element left of client", "127.0.0.1", "bogus, 1.1.1.1",
	    trust_local, NULL },
	{ "element with a port", "127.0.0.1", "203.0.113.7:1234", trust_local, NULL },
	{ "element in brackets", "127.0.0.1", "[2001:db8::7]", trust_local, NULL },
	{ "element in brackets with port", "127.0.0.1", "[2001:db8::7]:443",
	    trust_local, NULL },
	{ "element with a CIDR", "127.0.0.1", "203.0.113.0/24", trust_local, NULL },
	{ "element with a zone id", "127.0.0.1", "fe80::1%eth0", trust_local, NULL },
	{ "element \"unknown\"", "127.0.0.1", "unknown", trust_local, NULL },
	{ "space inside element", "127.0.0.1", "1.1.1.1 2.2.2.2", trust_local, NULL },
	{ "over-long element", "127.0.0.1",
	    "0000000000000000000000000000000000000000000000000000000000000000001.1.1.1",
	    trust_local, NULL },
	{ "IPv6 client", "127.0.0.1", "2001:db8::7", trust_local, "2001:db8::7" },
	{ "v4-mapped hop is IPv4", "127.0.0.1", "::ffff:203.0.113.7", trust_local,
	    "203.0.113.7" },
	{ "v4-mapped peer treated as 127.0.0.1", "::ffff:127.0.0.1", "203.0.113.7",
	    trust_local, "203.0.113.7" },
	{ "v4-mapped untrusted peer becomes IPv4", "::ffff:198.51.100.1", NULL,
	    trust_local, "198.51.100.1" },
	{ "IPv6 peer ::1", "::1", "203.0.113.7", trust_local, "203.0.113.7" },
	{ "IPv6 peer ::2 untrusted", "::2", "203.0.113.7", trust_local, "::2" },
	{ "trusted CIDR peer", "10.9.8.7", "203.0.113.7, 10.1.1.1", trust_cidr,
	    "203.0.113.7" },
	{ "trusted IPv6 CIDR peer", "2001:db8::5", "2001:db8:1::1, 2001:db8::9",
	    trust_cidr, "2001:db8:1::1" },
	{ "peer outside trusted CIDR", "11.0.0.1", "203.0.113.7", trust_cidr,
	    "11.0.0.1" },
	{ "NULL remote_addr", NULL, "203.0.113.7", trust_local, NULL },
	{ "empty remote_addr", "", NULL, trust_local, NULL },
	{ "malformed remote_addr", "localhost", NULL, trust_local, NULL },
	{ "remote_addr with port", "127.0.0.1:80", NULL, trust_local, NULL },
	{ "remote_addr CIDR", "127.0.0.0/8", NULL, trust_local, NULL },
};

static struct ipmap *
make_trusted(const char *const *list)
{
	struct ipmap *m;
	struct ipnet n;

	if ((m = ipmap_new()) == NULL)
		goto fail;
	for (; *list != NULL; list++)
		if (ipnet_parse(*list, &n) == -1 || ipmap_put(m, &n, 1) == -1)
			goto fail;
	return m;
fail:
	printf("Bail out! cannot build trusted set\n");
	exit(1);
}

/* "h1, h2, ..., hN" with hop i = 198.51.100.i */
static void
make_chain(char *buf, size_t size, int hops)
{
	size_t o = 0;
	int i, r;

	buf[0] = '\0';
	for (i = 1; i <= hops; i++) {
		r = snprintf(buf + o, size - o, "%s198.51.100.%d",
		    i > 1 ? ", " : "", i);
		if (r < 0 || (size_t)r >= size - o) {
			printf("Bail out! chain buffer too small\n");
			exit(1);
		}
		o += (size_t)r;
	}
}

static void
test_table(void)
{
	char buf[IPNET_STRLEN];
	struct ipmap *trusted;
	struct ipnet client;
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		trusted = cases[i].trusted ? make_trusted(cases[i].trusted) : NULL;
		memset(&client, 0, sizeof(client));
		r = clientip_resolve(cases[i].remote, cases[i].xff, trusted, &client);
		if (cases[i].want == NULL)
			tap_is_int(r, -1, "clientip_resolve should find no client: %s",
			    cases[i].name);
		else if (tap_is_int(r, 0, "clientip_resolve should find a client: %s",
		    cases[i].name))
			tap_is_str(ipnet_format(&client, buf, sizeof(buf)),
			    cases[i].want, "clientip_resolve should give %s: %s",
			    cases[i].want, cases[i].name);
		ipmap_free(trusted);
	}
}

static void
test_hop_limit(void)
{
	char xff[4096], buf[IPNET_STRLEN];
	struct ipmap *trusted = make_trusted(trust_local);
	struct ipnet client;
	int r;

	make_chain(xff, sizeof(xff), CLIENTIP_MAX_HOPS);
	r = clientip_resolve("127.0.0.1", xff, trusted, &client);
	if (tap_is_int(r, 0, "clientip_resolve should accept %d hops",
	    CLIENTIP_MAX_HOPS))
		tap_is_str(ipnet_format(&client, buf, sizeof(buf)), "198.51.100.20",
		    "clientip_resolve with %d hops should give the rightmost",
		    CLIENTIP_MAX_HOPS);
	make_chain(xff, sizeof(xff), CLIENTIP_MAX_HOPS + 1);
	tap_is_int(clientip_resolve("127.0.0.1", xff, trusted, &client), -1,
	    "clientip_resolve should reject %d hops", CLIENTIP_MAX_HOPS + 1);
	make_chain(xff, sizeof(xff), 100);
	tap_is_int(clientip_resolve("127.0.0.1", xff, trusted, &client), -1,
	    "clientip_resolve should reject 100 hops");
	ipmap_free(trusted);
}

int
main(void)
{
	test_table();
	test_hop_limit();
	return tap_done();
}
