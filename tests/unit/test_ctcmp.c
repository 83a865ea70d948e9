#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ctcmp.h"
#include "tap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	const char *given;
	size_t given_len;
	const char *secret;
	size_t secret_len;
	bool want;
} cases[] = {
	{ "equal", "s3cret-key", 10, "s3cret-key", 10, true },
	{ "equal one byte", "a", 1, "a", 1, true },
	{ "equal with NUL bytes", "a\0b", 3, "a\0b", 3, true },
	{ "first byte differs", "x3cret-key", 10, "s3cret-key", 10, false },
	{ "last byte differs", "s3cret-kez", 10, "s3cret-key", 10, false },
	{ "middle byte differs", "s3cRet-key", 10, "s3cret-key", 10, false },
	{ "one bit differs", "s3cret-kex", 10, "s3cret-key", 10, false },
	{ "given is a prefix of secret", "s3cret", 6, "s3cret-key", 10, false },
	{ "given is secret plus more", "s3cret-key!", 11, "s3cret-key", 10, false },
	{ "given is secret repeated", "abcabc", 6, "abc", 3, false },
	{ "secret is given repeated", "abc", 3, "abcabc", 6, false },
	{ "given shorter", "s", 1, "s3cret-key", 10, false },
	{ "given longer", "s3cret-key-and-then-some", 24, "s3cret-key", 10, false },
	{ "given empty", "", 0, "s3cret-key", 10, false },
	{ "secret empty", "s3cret-key", 10, "", 0, false },
	{ "both empty", "", 0, "", 0, false },
	{ "given NUL byte vs empty secret", "\0", 1, "", 0, false },
	{ "high bytes equal", "\xff\x80\x01", 3, "\xff\x80\x01", 3, true },
	{ "high bytes differ", "\xff\x80\x01", 3, "\x7f\x80\x01", 3, false },
};

int
main(void)
{
	char big1[5000], big2[5000];
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		tap_ok(ct_equal(cases[i].given, cases[i].given_len,
		    cases[i].secret, cases[i].secret_len) == cases[i].want,
		    "ct_equal should be %s: %s", cases[i].want ? "true" : "false",
		    cases[i].name);

	tap_ok(!ct_equal(NULL, 0, "x", 1), "ct_equal should be false: NULL given");
	tap_ok(!ct_equal("x", 1, NULL, 0), "ct_equal should be false: NULL secret");

	memset(big1, 'k', sizeof(big1));
	memcpy(big2, big1, sizeof(big2));
	tap_ok(ct_equal(big1, sizeof(big1), big2, sizeof(big2)),
	    "ct_equal should be true: 5000 equal bytes");
	big2[sizeof(big2) - 1] = 'j';
	tap_ok(!ct_equal(big1, sizeof(big1), big2, sizeof(big2)),
	    "ct_equal should be false: 5000 bytes, last differs");
	/* a given much longer than the secret wraps around it (no overread) */
	tap_ok(!ct_equal(big1, sizeof(big1), "k", 1),
	    "ct_equal should be false: 5000 'k' vs \"k\"");
	return tap_done();
}
