/*
 * nftctl: runs nft commands through libnftables (no nft process, no
 * shell), with output and errors captured in buffers.
 */
#ifndef KNOCKER_NFTCTL_H
#define KNOCKER_NFTCTL_H

#include "compiler.h"

struct nftctl;

/* Output flags for nftctl_run. */
#define NFTCTL_PLAIN	0
#define NFTCTL_SUMMARY	1	/* listings without set elements and counter values */

/* A new context, or NULL on allocation failure. */
struct nftctl *nftctl_new(void);
/* NULL is fine. */
void nftctl_free(struct nftctl *n);

/* Runs cmds (one or more commands, one transaction). Returns 0 or -1.
   *out (may be NULL) gets the output, *err (may be NULL) the error text
   (possibly empty); both are owned by n and valid until the next run. */
KN_NODISCARD KN_NONNULL(1, 2)
int nftctl_run(struct nftctl *n, const char *cmds, int flags, const char **out, const char **err);

#endif
