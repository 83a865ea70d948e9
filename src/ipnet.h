/*
 * ipnet: IPv4/IPv6 addresses and CIDR networks.
 *
 * An address is a network whose prefix is the full length (32 or 128).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is always converted to IPv4, also for
 * CIDRs of prefix >= 96 (::ffff:10.0.0.0/104 is 10.0.0.0/8).
 * Parsing is strict: inet_pton forms only, no zone ids, no whitespace,
 * prefix as plain decimal without sign or leading zeros.
 * No function here allocates; all structs are caller-owned values.
 */
#ifndef KNOCKER_IPNET_H
#define KNOCKER_IPNET_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Longest text form: an IPv6 address (INET6_ADDRSTRLEN includes NUL) + "/128". */
#define IPNET_STRLEN (46 + 4)

struct ipnet {
	uint8_t family;		/* 4 or 6 (not AF_*: keeps the struct small and hashable) */
	uint8_t prefix;		/* 0..32 for IPv4, 0..128 for IPv6 */
	uint8_t addr[16];	/* network byte order; IPv4 uses addr[0..3], rest zero;
				   bits past prefix are always zero */
};

/* Parse a single address (no "/len"). Returns 0, or -1 if s is not one. */
int ipnet_parse_addr(const char *s, struct ipnet *out);

/* Parse an address or CIDR. Host bits are cleared. Returns 0 or -1. */
int ipnet_parse(const char *s, struct ipnet *out);

/* Like ipnet_parse for the first len bytes of s (need not be NUL-terminated). */
int ipnet_parse_len(const char *s, size_t len, struct ipnet *out);

/* True if addr (any prefix) lies inside net: same family, net->prefix <= addr->prefix,
   and the first net->prefix bits equal. */
bool ipnet_contains(const struct ipnet *net, const struct ipnet *addr);

/* True if n is a single address (/32 or /128). */
bool ipnet_is_host(const struct ipnet *n);

/* Canonical text: inet_ntop form; "/len" only when not a single address.
   buf must hold IPNET_STRLEN bytes. Returns buf. */
char *ipnet_format(const struct ipnet *n, char *buf, size_t size);

/* The same text written at p, which has room for IPNET_STRLEN bytes, with
   no NUL; returns its length (0 if n is not IPv4 or IPv6). */
size_t ipnet_put(const struct ipnet *n, char *p);

/* Copy of n with bits past prefix cleared to the given shorter prefix
   (prefix <= n->prefix). */
void ipnet_mask(const struct ipnet *n, unsigned prefix, struct ipnet *out);

#endif
