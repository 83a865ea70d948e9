#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ctcmp.h"

/*
 * Walks every byte of given (time depends on given_len only) and compares it
 * with secret[i % secret_len], so the loop neither stops at the first
 * difference nor at the end of the secret. The length difference is folded
 * into the same accumulator. volatile keeps the compiler from turning the
 * loop into an early-exit memcmp.
 */
bool
ct_equal(const void *given, size_t given_len, const void *secret, size_t secret_len)
{
	static const unsigned char empty = 0;
	const volatile unsigned char *g = given;
	const volatile unsigned char *s = secret;
	volatile size_t diff;
	size_t slen, i;

	/* an empty secret never matches; compare against one dummy byte so
	   the loop below has the same shape and never divides by zero */
	slen = secret_len;
	if (secret_len == 0 || secret == NULL) {
		s = &empty;
		slen = 1;
	}
	diff = given_len ^ secret_len;
	diff |= (size_t)(secret_len == 0);
	if (given == NULL)
		return false;
	for (i = 0; i < given_len; i++)
		diff |= (size_t)(g[i] ^ s[i % slen]);
	return diff == 0;
}
