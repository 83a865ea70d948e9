/*
 * ctcmp: constant-time comparison for secrets (libbsd has no timingsafe_bcmp).
 */
#ifndef KNOCKER_CTCMP_H
#define KNOCKER_CTCMP_H

#include <stddef.h>
#include <stdbool.h>

/* True if the given bytes equal the secret. The time taken depends only on
   given_len (which the caller already knows), never on the secret's bytes or
   its length, nor on where the first difference is. secret_len may be 0. */
bool ct_equal(const void *given, size_t given_len, const void *secret, size_t secret_len);

#endif
