#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipnet.h"
#include "nftrules.h"

/* Elements per "add element" command: keeps lines readable. */
#define ELEMS_PER_CMD 256

static void nftbuf_add(struct nftbuf *b, const char *fmt, ...) KN_PRINTF(2, 3);

static void
nftbuf_add(struct nftbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *s;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s != NULL ? b->s + b->len : NULL,
		    b->s != NULL ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		if ((s = realloc(b->s, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

void
nftbuf_free(struct nftbuf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void
nftrules_timeout(int64_t ms, char *buf, size_t size)
{
	static const struct { int64_t ms; const char *unit; } parts[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" } };
	size_t i, o = 0;
	int n;

	buf[0] = '\0';
	if (ms < 1)
		ms = 1;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (ms / parts[i].ms == 0)
			continue;
		n = snprintf(buf + o, size - o, "%" PRId64 "%s", ms / parts[i].ms, parts[i].unit);
		if (n < 0 || (size_t)n >= size - o)
			return;
		o += (size_t)n;
		ms %= parts[i].ms;
	}
}

/* The ports of one protocol: "22", "{ 22, 6000-6010 }", or "" if none. */
static void
add_ports(struct nftbuf *b, const struct conf_firewall *fw, enum conf_fw_proto proto)
{
	const char *sep = "";
	size_t i, n = 0;

	for (i = 0; i < fw->nports; i++)
		if (fw->ports[i].proto == proto)
			n++;
	if (n > 1)
		nftbuf_add(b, "{ ");
	for (i = 0; i < fw->nports; i++) {
		if (fw->ports[i].proto != proto)
			continue;
		nftbuf_add(b, "%s%u", sep, (unsigned)fw->ports[i].lo);
		sep = ", ";
		if (fw->ports[i].hi != fw->ports[i].lo)
			nftbuf_add(b, "-%u", (unsigned)fw->ports[i].hi);
	}
	if (n > 1)
		nftbuf_add(b, " }");
}

static void
add_guard_rule(struct nftbuf *b, const struct conf_firewall *fw, enum conf_fw_proto proto)
{
	size_t i;

	for (i = 0; i < fw->nports && fw->ports[i].proto != proto; i++)
		continue;
	if (i == fw->nports)
		return;
	nftbuf_add(b, "\t\t%s%s dport ", fw->docker ? "fib daddr type local " : "",
	    proto == CONF_FW_TCP ? "tcp" : "udp");
	add_ports(b, fw, proto);
	nftbuf_add(b, " jump check\n");
}

/* "add element inet T NAME { a timeout t, ... }" lines for s; elements
   already expired at now_ms are left out. */
static void
add_elements(struct nftbuf *b, const char *table, const char *name, const struct fwset *s,
    int64_t now_ms)
{
	char addr[IPNET_STRLEN], tmo[64];
	size_t i, in_cmd = 0;
	int64_t left;

	for (i = 0; i < s->n; i++) {
		tmo[0] = '\0';
		if (s->v[i].expires != FWSET_FOREVER) {
			if (s->v[i].expires > INT64_MAX / 1000 ||
			    s->v[i].expires * 1000 - now_ms > NFTRULES_MAX_TIMEOUT_MS)
				left = NFTRULES_MAX_TIMEOUT_MS;
			else
				left = s->v[i].expires * 1000 - now_ms;
			if (left <= 0)
				continue;
			memcpy(tmo, " timeout ", 9);
			nftrules_timeout(left, tmo + 9, sizeof(tmo) - 9);
		}
		if (in_cmd == 0)
			nftbuf_add(b, "add element inet %s %s { ", table, name);
		else
			nftbuf_add(b, ", ");
		nftbuf_add(b, "%s%s", ipnet_format(&s->v[i].net, addr, sizeof(addr)), tmo);
		if (++in_cmd == ELEMS_PER_CMD) {
			nftbuf_add(b, " }\n");
			in_cmd = 0;
		}
	}
	if (in_cmd > 0)
		nftbuf_add(b, " }\n");
}

static void
add_set(struct nftbuf *b, const char *name, const char *type, bool timeout)
{
	nftbuf_add(b, "\tset %s {\n\t\ttype %s\n\t\tflags interval%s\n\t}\n", name, type,
	    timeout ? ",timeout" : "");
}

int
nftrules_table(struct nftbuf *b, const struct conf_firewall *fw,
    const struct nftrules_sets *sets, int64_t now_ms)
{
	const char *t = fw->table;

	nftbuf_add(b, "add table inet %s\ndelete table inet %s\n", t, t);
	nftbuf_add(b, "table inet %s {\n\tcomment \"%s\"\n", t, NFTRULES_OWNER);
	add_set(b, "allow4", "ipv4_addr", true);
	add_set(b, "allow6", "ipv6_addr", true);
	add_set(b, "always4", "ipv4_addr", false);
	add_set(b, "always6", "ipv6_addr", false);
	nftbuf_add(b, "\tchain guard {\n\t\ttype filter hook %s; policy accept;\n",
	    fw->docker ? "prerouting priority mangle" : "input priority filter");
	add_guard_rule(b, fw, CONF_FW_TCP);
	add_guard_rule(b, fw, CONF_FW_UDP);
	nftbuf_add(b, "\t}\n"
	    "\tchain check {\n"
	    "\t\tiif \"lo\" accept\n"
	    "\t\tip saddr @always4 accept\n"
	    "\t\tip6 saddr @always6 accept\n"
	    "\t\tip saddr @allow4 accept\n"
	    "\t\tip6 saddr @allow6 accept\n"
	    "\t\tcounter drop\n"
	    "\t}\n"
	    "}\n");
	add_elements(b, t, "always4", &sets->always4, now_ms);
	add_elements(b, t, "always6", &sets->always6, now_ms);
	add_elements(b, t, "allow4", &sets->allow4, now_ms);
	add_elements(b, t, "allow6", &sets->allow6, now_ms);
	return b->oom ? -1 : 0;
}

int
nftrules_sync(struct nftbuf *b, const struct conf_firewall *fw,
    const struct fwset *allow4, const struct fwset *allow6, int64_t now_ms)
{
	nftbuf_add(b, "flush set inet %s allow4\nflush set inet %s allow6\n", fw->table, fw->table);
	add_elements(b, fw->table, "allow4", allow4, now_ms);
	add_elements(b, fw->table, "allow6", allow6, now_ms);
	return b->oom ? -1 : 0;
}
