#include "config.h"

#include <stdlib.h>

#include <nftables/libnftables.h>

#include "nftctl.h"

struct nftctl {
	struct nft_ctx	*ctx;
};

struct nftctl *
nftctl_new(void)
{
	struct nftctl *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	if ((n->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL ||
	    nft_ctx_buffer_output(n->ctx) != 0 || nft_ctx_buffer_error(n->ctx) != 0) {
		nftctl_free(n);
		return NULL;
	}
	return n;
}

void
nftctl_free(struct nftctl *n)
{
	if (n == NULL)
		return;
	if (n->ctx != NULL)
		nft_ctx_free(n->ctx);
	free(n);
}

int
nftctl_run(struct nftctl *n, const char *cmds, int flags, const char **out, const char **err)
{
	const char *o, *e;
	int rc;

	nft_ctx_output_set_flags(n->ctx, flags == NFTCTL_SUMMARY ?
	    NFT_CTX_OUTPUT_TERSE | NFT_CTX_OUTPUT_STATELESS : 0);
	rc = nft_run_cmd_from_buffer(n->ctx, cmds);
	/* Reading a buffer also resets it for the next command. */
	o = nft_ctx_get_output_buffer(n->ctx);
	e = nft_ctx_get_error_buffer(n->ctx);
	if (out != NULL)
		*out = o != NULL ? o : "";
	if (err != NULL)
		*err = e != NULL ? e : "";
	return rc == 0 ? 0 : -1;
}
