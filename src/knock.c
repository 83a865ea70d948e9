#include "config.h"

#include <string.h>

#include "ctcmp.h"
#include "knock.h"

/* The store's result for "lock held past its deadline" (STORE_BUSY in the
   store module's enum store_result). */
#define KNOCK_STORE_BUSY_RESULT (-2)

const struct conf_api_key *
knock_find_key(const struct conf *conf, const char *given)
{
	const struct conf_api_key *found = NULL;
	size_t i, given_len;

	if (given == NULL || *given == '\0')
		return NULL;
	given_len = strlen(given);
	for (i = 0; i < conf->nkeys; i++) {
		bool eq = ct_equal(given, given_len, conf->keys[i].key, conf->keys[i].key_len);

		if (eq && found == NULL)
			found = &conf->keys[i];
	}
	return found;
}

/*
 * IPv6 prefixes whose addresses carry an IPv4 address. Behind a translator
 * (NAT64, SIIT) such a prefix stands for the IPv4 Internet, so a range that
 * overlaps one is held to the IPv4 limit: 65536 addresses, i.e. /112 or
 * longer (in every RFC 6052 layout a /112 fixes at least 16 bits of the
 * embedded IPv4 address).
 *
 * 2002::/16 (6to4) needs nothing extra: the IPv4 address is bits 16-47,
 * so any range allowed at all (/64 or longer) lies inside one
 * 2002:AABB:CCDD::/48 and names one IPv4 host's site.
 */
static const struct ipnet embeds_ipv4[] = {
	/* 64:ff9b::/96, RFC 6052 well-known NAT64 prefix */
	{ 6, 96, { 0x00, 0x64, 0xff, 0x9b } },
	/* 64:ff9b:1::/48, RFC 8215 local-use translation prefixes */
	{ 6, 48, { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 } },
	/* ::/96, IPv4-compatible (RFC 4291, deprecated) */
	{ 6, 96, { 0 } },
	/* ::ffff:0:0/96, IPv4-mapped: ipnet turns /96 and longer into IPv4,
	   a shorter range stays IPv6 */
	{ 6, 96, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } },
	/* ::ffff:0:0:0/96, IPv4-translated (RFC 2765, SIIT) */
	{ 6, 96, { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } },
	/* 2001::/32, Teredo: a /64 holds every client of one server */
	{ 6, 32, { 0x20, 0x01 } },
};

bool
knock_range_too_broad(const struct ipnet *n)
{
	size_t i;

	if (n->family == 4)
		return n->prefix < 16;
	if (n->prefix < 64)
		return true;
	if (n->prefix >= 112)
		return false;
	for (i = 0; i < sizeof(embeds_ipv4) / sizeof(embeds_ipv4[0]); i++)
		if (ipnet_contains(&embeds_ipv4[i], n) || ipnet_contains(n, &embeds_ipv4[i]))
			return true;
	return false;
}

struct knock_decision
knock_decide(const struct knock_facts *f)
{
	struct knock_decision d;
	struct knockreq kr;
	const struct knock_body *b = f->body;

	memset(&d, 0, sizeof(d));
	memset(&kr, 0, sizeof(kr));
	d.key = f->key;
	if (f->key == NULL || b == NULL) {
		d.verdict = KNOCK_BAD_KEY;
		return d;
	}
	switch (b->state) {
	case KNOCK_BODY_TOO_LARGE:
		d.verdict = KNOCK_TOO_LARGE;
		return d;
	case KNOCK_BODY_BAD_LENGTH:
		d.verdict = KNOCK_BAD_BODY;
		d.body_status = KNOCKREQ_INVALID;
		return d;
	case KNOCK_BODY_UNREADABLE:
		d.verdict = KNOCK_UNREADABLE;
		return d;
	case KNOCK_BODY_OK:
		break;
	}
	if (b->len > 0) {
		if (!knockreq_is_json_type(f->content_type)) {
			d.verdict = KNOCK_NOT_JSON;
			return d;
		}
		d.body_status = knockreq_parse(b->buf, b->len, &kr);
		if (d.body_status != KNOCKREQ_OK) {
			d.verdict = KNOCK_BAD_BODY;
			return d;
		}
	}
	if (kr.has_ip && !f->key->allow_remote_whitelist)
		d.verdict = KNOCK_NO_REMOTE;
	else if (kr.has_ip && knock_range_too_broad(&kr.ip))
		d.verdict = KNOCK_TOO_BROAD;
	else if (kr.has_ttl && kr.ttl > CONF_MAX_TTL)
		d.verdict = KNOCK_TTL_LARGE;
	else {
		d.verdict = KNOCK_ACCEPT;
		d.entry = kr.has_ip ? kr.ip : *f->client;
		d.ttl = f->key->max_ttl;
		if (kr.has_ttl && kr.ttl < d.ttl)
			d.ttl = kr.ttl;
	}
	return d;
}

enum knock_verdict
knock_store_verdict(int store_result)
{
	if (store_result == 0)
		return KNOCK_ACCEPT;
	if (store_result == KNOCK_STORE_BUSY_RESULT)
		return KNOCK_STORE_BUSY;
	return KNOCK_STORE_FAILED;
}
