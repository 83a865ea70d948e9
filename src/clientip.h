/*
 * clientip: who is the client, given the TCP peer and X-Forwarded-For.
 */
#ifndef KNOCKER_CLIENTIP_H
#define KNOCKER_CLIENTIP_H

#include "ipnet.h"
#include "ipmap.h"

#define CLIENTIP_MAX_HOPS 20

/* remote_addr: REMOTE_ADDR (may be NULL). xff: the X-Forwarded-For value
   (may be NULL). trusted: networks of trusted proxies (may be NULL = none).
   If remote_addr is not trusted it is the client. If it is trusted, walk xff
   from the right skipping trusted hops; the first untrusted one is the
   client. A trusted peer with a missing, empty, malformed (any bad or empty
   element) or over-long (> CLIENTIP_MAX_HOPS) xff, or with only trusted
   hops, yields no client. Elements are separated by "," with optional
   spaces/tabs around them. Returns 0 and fills *client, or -1. */
int clientip_resolve(const char *remote_addr, const char *xff,
    const struct ipmap *trusted, struct ipnet *client);

#endif
