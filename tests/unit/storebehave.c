#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ipmap.h"
#include "ipnet.h"
#include "store.h"
#include "storebehave.h"
#include "tap.h"
#include "testconf.h"

/* What a verify sees: refresh, lookup, and on a miss the recheck. */
static int
sb_lookup(struct store *s, const char *addr, int64_t now, int64_t *exp)
{
	struct ipnet a = test_net(addr);
	int r;

	if (store_refresh(s, now) != 0)
		return -1;
	r = store_lookup(s, &a, now, exp);
	if (r == 0 && store_recheck(s, now) == 1)
		r = store_lookup(s, &a, now, exp);
	return r;
}

static enum store_result
sb_add(struct store *s, const char *entry, int64_t exp, int64_t now, const char *key)
{
	struct ipnet e = test_net(entry);
	struct store_meta m;

	memset(&m, 0, sizeof(m));
	strlcpy(m.key, key, sizeof(m.key));
	m.knocked_at = now;
	strlcpy(m.client, "192.0.2.200", sizeof(m.client));
	return store_add(s, &e, exp, now, &m);
}

static size_t
sb_revoke(struct store *s, enum store_match_by by, const char *what, int64_t now)
{
	struct store_match m;
	size_t n = 99;

	memset(&m, 0, sizeof(m));
	m.by = by;
	if (by == STORE_MATCH_ENTRY)
		m.entry = test_net(what);
	else
		m.key = what;
	if (store_revoke(s, &m, now, &n) != STORE_OK)
		return 99;
	return n;
}

static size_t
sb_count_live(struct store *s, int64_t now)
{
	struct store_entry *v = NULL;
	size_t n = 0;

	if (store_list(s, now, &v, &n) != 0)
		n = 99;
	free(v);
	return n;
}

/* What knocker-firewall mirrors: the view's serial moves with a write made
   elsewhere (and only then), and the copy holds the live entries. */
static void
sb_view(const char *tag, struct store *w, struct store *r, int64_t now, int settle_ms)
{
	struct ipnet e = test_net("192.0.2.77");
	struct ipmap *m = ipmap_new();
	uint64_t s0, s1;
	int64_t v = 0;

	if (m == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	usleep((useconds_t)settle_ms * 1000);	/* past the writes above */
	tap_is_int(store_refresh(r, now), 0, "%s: refresh before the serial checks", tag);
	s0 = store_view_serial(r);
	usleep((useconds_t)settle_ms * 1000);
	tap_is_int(store_refresh(r, now), 0, "%s: refresh again", tag);
	tap_ok(store_view_serial(r) == s0, "%s: without a write the view serial stays", tag);
	tap_is_int(sb_add(w, "192.0.2.77", now + 500, now, "fw"), STORE_OK, "%s: a write elsewhere", tag);
	usleep((useconds_t)settle_ms * 1000);
	tap_is_int(store_refresh(r, now), 0, "%s: refresh after it", tag);
	s1 = store_view_serial(r);
	tap_ok(s1 != s0, "%s: the view serial changed", tag);
	tap_is_int(store_view_copy(r, now, m), 0, "%s: store_view_copy succeeds", tag);
	tap_is_int((int64_t)ipmap_count(m), 1, "%s: the copy holds the one live entry", tag);
	tap_is_int(ipmap_get(m, &e, &v), 1, "%s: the new entry", tag);
	tap_is_int(v, now + 500, "%s: with its expiry", tag);
	ipmap_clear(m);
	tap_is_int(store_view_copy(r, now + 500, m), 0, "%s: a copy at its expiry", tag);
	tap_is_int((int64_t)ipmap_count(m), 0, "%s: leaves it out", tag);
	tap_is_int((int64_t)sb_revoke(w, STORE_MATCH_ENTRY, "192.0.2.77", now), 1, "%s: revoke it", tag);
	usleep((useconds_t)settle_ms * 1000);
	tap_is_int(store_refresh(r, now), 0, "%s: refresh after the revoke", tag);
	tap_ok(store_view_serial(r) != s1, "%s: the view serial changed again", tag);
	tap_is_int(store_view_copy(r, now, m), 0, "%s: and the copy", tag);
	tap_is_int((int64_t)ipmap_count(m), 0, "%s: is empty", tag);
	ipmap_free(m);
}

void
storebehave_run(const char *tag, storebehave_make make, void *ctx, int settle_ms)
{
	/* Real time: Redis expires keys by its own clock. */
	int64_t now = (int64_t)time(NULL), exp = 0;
	struct store *a = make(10000, ctx), *b = make(10000, ctx), *small;
	struct store_entry *v = NULL;
	char text[IPNET_STRLEN];
	size_t n = 0;

	if (a == NULL || b == NULL) {
		printf("Bail out! %s: cannot make the stores\n", tag);
		exit(1);
	}
	tap_is_int(sb_lookup(a, "203.0.113.7", now, NULL), 0, "%s: an empty store allows nobody", tag);
	tap_is_int((int64_t)sb_count_live(a, now), 0, "%s: an empty store lists nothing", tag);

	tap_is_int(sb_add(a, "203.0.113.7", now + 3600, now, "phone"), STORE_OK,
	    "%s: store_add succeeds", tag);
	tap_is_int(sb_lookup(a, "203.0.113.7", now, &exp), 1, "%s: the writer sees its entry", tag);
	tap_is_int(exp, now + 3600, "%s: with its expiry", tag);
	tap_is_int(sb_lookup(b, "203.0.113.7", now, NULL), 1,
	    "%s: another worker/node sees it at its next verify", tag);
	tap_is_int(sb_lookup(b, "203.0.113.8", now, NULL), 0, "%s: another address is not allowed", tag);

	tap_is_int(sb_add(b, "203.0.113.7", now + 100, now, "phone"), STORE_OK,
	    "%s: a knock again succeeds", tag);
	usleep((useconds_t)settle_ms * 1000);	/* a changed expiry: the allowed path's bound */
	tap_is_int(sb_lookup(a, "203.0.113.7", now, &exp), 1, "%s: still allowed", tag);
	tap_is_int(exp, now + 100, "%s: a knock again replaces the expiry (seen elsewhere)", tag);

	tap_is_int(sb_add(a, "198.51.100.77/24", now + 200, now, "laptop"), STORE_OK,
	    "%s: a CIDR is accepted", tag);
	tap_is_int(sb_lookup(b, "198.51.100.9", now, &exp), 1, "%s: an address inside the CIDR is allowed", tag);
	tap_is_int(sb_lookup(b, "198.51.101.9", now, NULL), 0, "%s: one outside is not", tag);
	tap_is_int(sb_add(a, "2001:db8::/64", now + 300, now, "laptop"), STORE_OK,
	    "%s: an IPv6 /64 is accepted", tag);
	tap_is_int(sb_lookup(b, "2001:db8::1234", now, NULL), 1, "%s: an IPv6 address inside is allowed", tag);

	tap_is_int(store_list(b, now, &v, &n), 0, "%s: store_list succeeds", tag);
	tap_is_int((int64_t)n, 3, "%s: it lists the three live entries", tag);
	if (n == 3) {
		tap_is_str(ipnet_format(&v[0].net, text, sizeof(text)), "203.0.113.7",
		    "%s: sorted by expiry: the soonest first", tag);
		tap_is_str(ipnet_format(&v[1].net, text, sizeof(text)), "198.51.100.0/24",
		    "%s: the CIDR canonical, second", tag);
		tap_is_int(v[0].expires_at, now + 100, "%s: with the expiry", tag);
		tap_is_str(v[1].meta.key, "laptop", "%s: the key name is kept", tag);
		tap_is_int(v[1].meta.knocked_at, now, "%s: the knock time is kept", tag);
		tap_is_str(v[1].meta.client, "192.0.2.200", "%s: the client is kept", tag);
	}
	free(v);

	tap_is_int(sb_lookup(a, "203.0.113.7", now + 100, NULL), 0, "%s: at its expiry an entry denies", tag);
	tap_is_int((int64_t)sb_count_live(a, now + 100), 2, "%s: and is no longer listed", tag);
	tap_is_int(store_cleanup(a, now + 100), STORE_OK, "%s: store_cleanup succeeds", tag);

	tap_is_int((int64_t)sb_revoke(b, STORE_MATCH_ENTRY, "198.51.100.0/24", now), 1,
	    "%s: revoke by entry removes one", tag);
	usleep((useconds_t)settle_ms * 1000);
	tap_is_int(sb_lookup(a, "198.51.100.9", now, NULL), 0, "%s: the revoked entry denies elsewhere", tag);
	tap_is_int((int64_t)sb_revoke(b, STORE_MATCH_ENTRY, "198.51.100.0/24", now), 0,
	    "%s: revoking it again removes nothing", tag);
	tap_is_int(sb_add(a, "192.0.2.1", now + 400, now, "laptop"), STORE_OK, "%s: add for key laptop", tag);
	tap_is_int(sb_add(a, "192.0.2.2", now + 400, now, "phone"), STORE_OK, "%s: add for key phone", tag);
	tap_is_int((int64_t)sb_revoke(b, STORE_MATCH_KEY, "laptop", now), 2,
	    "%s: revoke by key removes that key's entries", tag);
	usleep((useconds_t)settle_ms * 1000);
	tap_is_int(sb_lookup(a, "192.0.2.2", now, NULL), 1, "%s: another key's entry stays", tag);
	tap_is_int(sb_lookup(a, "2001:db8::1", now, NULL), 0, "%s: the key's entries deny", tag);
	tap_is_int((int64_t)sb_revoke(a, STORE_MATCH_ALL, NULL, now), 1, "%s: revoke all", tag);
	tap_is_int((int64_t)sb_count_live(b, now), 0, "%s: leaves nothing", tag);

	/* max_entries: the soonest-expiring go, never the new one. */
	small = make(3, ctx);
	tap_is_int(sb_add(small, "192.0.2.11", now + 10, now, "k") | sb_add(small, "192.0.2.12", now + 20, now, "k") |
	    sb_add(small, "192.0.2.13", now + 30, now, "k"), STORE_OK, "%s: fills to max_entries", tag);
	tap_is_int(sb_add(small, "192.0.2.14", now + 40, now, "k"), STORE_OK, "%s: one more", tag);
	tap_is_int((int64_t)sb_count_live(small, now), 3, "%s: keeps max_entries", tag);
	tap_is_int(sb_lookup(b, "192.0.2.11", now, NULL), 0, "%s: drops the soonest-expiring", tag);
	tap_is_int(sb_add(small, "192.0.2.15", now + 5, now, "k"), STORE_OK, "%s: a knock expiring soonest", tag);
	tap_is_int(sb_lookup(b, "192.0.2.15", now, NULL), 1, "%s: is kept all the same", tag);
	tap_is_int(sb_lookup(b, "192.0.2.12", now, NULL), 0, "%s: the soonest of the others goes", tag);
	tap_is_int((int64_t)sb_revoke(small, STORE_MATCH_ALL, NULL, now), 3, "%s: emptied again", tag);
	store_free(small);
	sb_view(tag, a, b, now, settle_ms);
	store_free(a);
	store_free(b);
}
