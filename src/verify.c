#include "config.h"

#include <string.h>

#include "clientip.h"
#include "ipmap.h"
#include "urlpath.h"
#include "verify.h"

static bool
path_excluded(const struct conf *conf, const char *raw_uri, const char *raw_host)
{
	char path[URLPATH_MAX], host[HOST_MAX];
	bool have_host;
	size_t i, j;

	if (raw_uri == NULL || urlpath_normalize(raw_uri, path, sizeof(path)) != 0)
		return false;
	for (i = 0; i < conf->nexcluded; i++)
		if (urlpath_has_prefix(path, conf->excluded_paths[i]))
			return true;
	have_host = raw_host != NULL && host_normalize(raw_host, host, sizeof(host)) == 0;
	for (i = 0; i < conf->nhost_paths; i++) {
		const struct conf_host_paths *hp = &conf->host_paths[i];

		if (strcmp(hp->host, "*") != 0 && (!have_host || strcmp(hp->host, host) != 0))
			continue;
		for (j = 0; j < hp->npaths; j++)
			if (urlpath_has_prefix(path, hp->paths[j]))
				return true;
	}
	return false;
}

/* Is the peer itself (REMOTE_ADDR, not the resolved client) a trusted proxy? */
static bool
peer_is_trusted(const struct conf *conf, const char *remote_addr)
{
	struct ipnet peer;

	return remote_addr != NULL && ipnet_parse_addr(remote_addr, &peer) == 0 &&
	    ipmap_lookup(conf->trusted_proxies, &peer, NULL);
}

static struct verify_decision
decision(bool allow, enum verify_reason reason)
{
	struct verify_decision d = { allow, reason };

	return d;
}

struct verify_decision
verify_decide(const struct conf *conf, const struct verify_facts *f,
    const struct verify_view *view)
{
	const char *uri = f->request_uri, *host = f->host;
	struct ipnet client;
	int listed;

	if (conf == NULL)
		return decision(false, VERIFY_NO_CONFIG);
	if (f->forward_auth && peer_is_trusted(conf, f->remote_addr)) {
		if (f->x_original_uri != NULL)
			uri = f->x_original_uri;
		else if (f->x_forwarded_uri != NULL)
			uri = f->x_forwarded_uri;
		if (f->x_forwarded_host != NULL)
			host = f->x_forwarded_host;
	}
	if ((conf->nexcluded > 0 || conf->nhost_paths > 0) && path_excluded(conf, uri, host))
		return decision(true, VERIFY_EXCLUDED_PATH);
	if (clientip_resolve(f->remote_addr, f->x_forwarded_for, conf->trusted_proxies, &client) != 0)
		return decision(false, VERIFY_NO_CLIENT);
	if (ipmap_lookup(conf->always_allowed, &client, NULL))
		return decision(true, VERIFY_ALWAYS_ALLOWED);
	listed = view->lookup(view->ctx, &client);
	if (listed < 0)
		return decision(false, VERIFY_STORE_ERROR);
	return listed == 1 ? decision(true, VERIFY_WHITELISTED) : decision(false, VERIFY_NOT_LISTED);
}
