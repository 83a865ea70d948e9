/* knocker-firewall's pure parts: fwset (flattening overlapping entries)
   and nftrules (the text given to libnftables, which -n prints). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fwset.h"
#include "ipmap.h"
#include "ipnet.h"
#include "nftrules.h"
#include "tap.h"

#define NOW 1800000000LL	/* unix seconds */

static struct ipmap *
map_of(const char *const *keys, const int64_t *values, size_t n)
{
	struct ipmap *m = ipmap_new();
	struct ipnet net;
	size_t i;

	for (i = 0; m != NULL && i < n; i++)
		if (ipnet_parse(keys[i], &net) != 0 || ipmap_put(m, &net, values[i]) != 0) {
			printf("Bail out! bad test key %s\n", keys[i]);
			exit(1);
		}
	return m;
}

/* "net@expires-NOW net@..." for comparison. */
static const char *
show_set(const struct fwset *s)
{
	static char buf[4096];
	char a[IPNET_STRLEN];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < s->n && o < sizeof(buf) - 80; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s@%lld", i ? " " : "",
		    ipnet_format(&s->v[i].net, a, sizeof(a)),
		    s->v[i].expires == FWSET_FOREVER ? -1LL : (long long)(s->v[i].expires - NOW));
	return buf;
}

static void
test_fwset(void)
{
	static const struct {
		const char	*name;
		const char	*keys[4];
		int64_t		 left[4];	/* seconds after NOW */
		size_t		 n;
		const char	*want4, *want6;
	} t[] = {
		{ "one host", { "192.0.2.7" }, { 60 }, 1, "192.0.2.7@60", "" },
		{ "expired entries are left out", { "192.0.2.7", "192.0.2.8" }, { 0, -5 }, 2, "", "" },
		{ "disjoint entries stay as they are", { "198.51.100.0/24", "192.0.2.7", "2001:db8::/64" },
		  { 60, 30, 90 }, 3, "192.0.2.7@30 198.51.100.0/24@60", "2001:db8::/64@90" },
		{ "an inner entry expiring first merges into the outer",
		  { "192.0.2.0/24", "192.0.2.7" }, { 60, 30 }, 2, "192.0.2.0/24@60", "" },
		{ "an inner entry expiring at the same time merges",
		  { "192.0.2.0/24", "192.0.2.7" }, { 60, 60 }, 2, "192.0.2.0/24@60", "" },
		{ "an inner entry outliving the outer splits it",
		  { "192.0.2.0/29", "192.0.2.6" }, { 30, 60 }, 2,
		  "192.0.2.0/30@30 192.0.2.4/31@30 192.0.2.6@60 192.0.2.7@30", "" },
		{ "an expired outer entry leaves the inner one",
		  { "192.0.2.0/24", "192.0.2.7" }, { -1, 60 }, 2, "192.0.2.7@60", "" },
		{ "/0 with a longer-lived host",
		  { "0.0.0.0/0", "128.0.0.1" }, { 10, 20 }, 2, "0.0.0.0/1@10 128.0.0.0@10 "
		  "128.0.0.1@20 128.0.0.2/31@10", NULL },
		{ "IPv6 nested", { "2001:db8::/126", "2001:db8::3" }, { 10, 20 }, 2, "",
		  "2001:db8::/127@10 2001:db8::2@10 2001:db8::3@20" },
	};
	struct fwset s4 = { NULL, 0, 0 }, s6 = { NULL, 0, 0 };
	struct ipmap *m;
	int64_t v[4];
	size_t i, j;
	const char *got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (j = 0; j < t[i].n; j++)
			v[j] = NOW + t[i].left[j];
		m = map_of(t[i].keys, v, t[i].n);
		if (!tap_ok(fwset_build(m, NOW, false, &s4, &s6) == 0, "fwset: %s: builds", t[i].name))
			continue;
		got = show_set(&s4);
		/* "/0 with a host": only the start and the host's neighbourhood matter. */
		if (t[i].want6 == NULL)
			tap_ok(strncmp(got, "0.0.0.0/1@10 ", 13) == 0 &&
			    strstr(got, " 128.0.0.0@10 128.0.0.1@20 128.0.0.2/31@10 ") != NULL &&
			    s4.n == 33 ? 1 : (tap_diag("%s", got), 0), "fwset: %s: IPv4 (%zu elements)", t[i].name, s4.n);
		else {
			tap_is_str(got, t[i].want4, "fwset: %s: IPv4", t[i].name);
			tap_is_str(show_set(&s6), t[i].want6, "fwset: %s: IPv6", t[i].name);
		}
		ipmap_free(m);
	}
	{
		static const char *const keys[] = { "192.0.2.0/24", "192.0.2.9", "::1" };
		static const int64_t zeros[] = { 0, 0, 0 };

		m = map_of(keys, zeros, 3);
		tap_ok(fwset_build(m, NOW, true, &s4, &s6) == 0, "fwset: forever builds");
		tap_is_str(show_set(&s4), "192.0.2.0/24@-1", "fwset: forever: nested entries merge");
		tap_is_str(show_set(&s6), "::1@-1", "fwset: forever: IPv6");
		ipmap_free(m);
	}
	fwset_clear(&s4);
	fwset_clear(&s6);
}

static void
test_timeout(void)
{
	static const struct { int64_t ms; const char *want; } t[] = {
		{ 1, "1ms" }, { 0, "1ms" }, { -5, "1ms" }, { 1000, "1s" }, { 1500, "1s500ms" },
		{ 3600000, "1h" }, { 3599500, "59m59s500ms" }, { 86400000LL * 3650, "3650d" },
		{ 86400000LL + 3723004, "1d1h2m3s4ms" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		nftrules_timeout(t[i].ms, buf, sizeof(buf));
		tap_is_str(buf, t[i].want, "nftrules_timeout(%lld)", (long long)t[i].ms);
	}
}

static const char table_input[] =
	"add table inet knocker\n"
	"delete table inet knocker\n"
	"table inet knocker {\n"
	"\tcomment \"managed by knocker-firewall\"\n"
	"\tset allow4 {\n\t\ttype ipv4_addr\n\t\tflags interval,timeout\n\t}\n"
	"\tset allow6 {\n\t\ttype ipv6_addr\n\t\tflags interval,timeout\n\t}\n"
	"\tset always4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n"
	"\tset always6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n"
	"\tchain guard {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\ttcp dport { 22, 6000-6010 } jump check\n"
	"\t\tudp dport 51820 jump check\n"
	"\t}\n"
	"\tchain check {\n"
	"\t\tiif \"lo\" accept\n"
	"\t\tip saddr @always4 accept\n"
	"\t\tip6 saddr @always6 accept\n"
	"\t\tip saddr @allow4 accept\n"
	"\t\tip6 saddr @allow6 accept\n"
	"\t\tcounter drop\n"
	"\t}\n"
	"}\n"
	"add element inet knocker always4 { 203.0.113.0/24 }\n"
	"add element inet knocker always6 { 2001:db8:1::/48 }\n"
	"add element inet knocker allow4 { 192.0.2.7 timeout 59m59s500ms }\n"
	"add element inet knocker allow6 { 2001:db8::/64 timeout 9s500ms }\n";

static void
test_table(void)
{
	struct conf_fw_port ports[] = { { 22, 22, CONF_FW_TCP }, { 51820, 51820, CONF_FW_UDP },
	    { 6000, 6010, CONF_FW_TCP } };
	struct conf_firewall fw;
	struct nftrules_sets s;
	struct nftbuf b = { NULL, 0, 0, false };
	struct ipmap *allow, *always;
	static const char *const akeys[] = { "192.0.2.7", "2001:db8::/64", "198.51.100.1" };
	static const char *const kkeys[] = { "203.0.113.0/24", "2001:db8:1::/48" };
	const int64_t avals[] = { NOW + 3600, NOW + 10, NOW - 1 }, kvals[] = { 0, 0 };
	const int64_t now_ms = NOW * 1000 + 500;
	const char *p;

	memset(&fw, 0, sizeof(fw));
	memset(&s, 0, sizeof(s));
	fw.present = true;
	strcpy(fw.table, "knocker");
	fw.ports = ports;
	fw.nports = 3;
	allow = map_of(akeys, avals, 3);
	always = map_of(kkeys, kvals, 2);
	if (fwset_build(allow, NOW, false, &s.allow4, &s.allow6) != 0 ||
	    fwset_build(always, 0, true, &s.always4, &s.always6) != 0) {
		printf("Bail out! fwset_build failed\n");
		exit(1);
	}
	tap_ok(nftrules_table(&b, &fw, &s, now_ms) == 0, "nftrules_table: builds");
	tap_is_str(b.s, table_input, "nftrules_table: input hook, ports, sets and elements");
	nftbuf_free(&b);

	fw.docker = true;
	tap_ok(nftrules_table(&b, &fw, &s, now_ms) == 0, "nftrules_table docker: builds");
	tap_ok(b.s != NULL && strstr(b.s, "\t\ttype filter hook prerouting priority mangle; "
	    "policy accept;\n\t\tfib daddr type local tcp dport { 22, 6000-6010 } jump check\n"
	    "\t\tfib daddr type local udp dport 51820 jump check\n") != NULL,
	    "nftrules_table docker: prerouting at mangle (-150, before dstnat), local destinations");
	tap_ok(b.s != NULL && strstr(b.s, "hook input") == NULL, "nftrules_table docker: no input hook");
	nftbuf_free(&b);

	/* Only TCP ports: no udp rule at all. */
	fw.docker = false;
	fw.nports = 1;
	tap_ok(nftrules_table(&b, &fw, &s, now_ms) == 0 && strstr(b.s, "udp") == NULL &&
	    strstr(b.s, "\t\ttcp dport 22 jump check\n") != NULL, "nftrules_table: one tcp port, no udp rule");
	nftbuf_free(&b);

	tap_ok(nftrules_sync(&b, &fw, &s.allow4, &s.allow6, now_ms) == 0, "nftrules_sync: builds");
	tap_is_str(b.s, "flush set inet knocker allow4\nflush set inet knocker allow6\n"
	    "add element inet knocker allow4 { 192.0.2.7 timeout 59m59s500ms }\n"
	    "add element inet knocker allow6 { 2001:db8::/64 timeout 9s500ms }\n",
	    "nftrules_sync: flush and refill in one batch");
	nftbuf_free(&b);

	/* An element that ran out between build and format is left out. */
	tap_ok(nftrules_sync(&b, &fw, &s.allow4, &s.allow6, (NOW + 10) * 1000) == 0 &&
	    strstr(b.s, "2001:db8::/64") == NULL && strstr(b.s, "192.0.2.7 timeout 59m50s") != NULL,
	    "nftrules_sync: elements expired by now_ms are left out, the others count down");
	nftbuf_free(&b);

	/* Many elements: split into commands of 256. */
	{
		char key[32];
		struct ipnet net;
		size_t i, cmds = 0;
		struct ipmap *big = ipmap_new();

		for (i = 0; i < 600; i++) {
			snprintf(key, sizeof(key), "198.51.%zu.%zu", 100 + i / 250, i % 250);
			if (ipnet_parse(key, &net) != 0 || ipmap_put(big, &net, NOW + 60) != 0)
				break;
		}
		tap_ok(fwset_build(big, NOW, false, &s.allow4, &s.allow6) == 0 && s.allow4.n == 600,
		    "fwset: 600 hosts give 600 elements");
		tap_ok(nftrules_sync(&b, &fw, &s.allow4, &s.allow6, NOW * 1000) == 0, "nftrules_sync: 600 elements");
		for (p = b.s; p != NULL && (p = strstr(p, "add element")) != NULL; p++)
			cmds++;
		tap_is_int((int64_t)cmds, 3, "nftrules_sync: 600 elements in 3 commands");
		nftbuf_free(&b);
		ipmap_free(big);
	}
	fwset_clear(&s.allow4);
	fwset_clear(&s.allow6);
	fwset_clear(&s.always4);
	fwset_clear(&s.always6);
	ipmap_free(allow);
	ipmap_free(always);
}

int
main(void)
{
	test_fwset();
	test_timeout();
	test_table();
	return tap_done();
}
