#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int tap_count;
static int tap_failed;

static int
tap_report(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
tap_is_int(int64_t got, int64_t want, const char *fmt, ...)
{
	va_list ap;
	int cond = got == want;

	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %lld\n#   expected: %lld\n", (long long)got, (long long)want);
	return cond;
}

int
tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	if (got == NULL || want == NULL)
		cond = got == want;
	else
		cond = strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: \"%s\"\n#   expected: \"%s\"\n",
		    got ? got : "(null)", want ? want : "(null)");
	return cond;
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void
tap_bail_errno(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 && tap_count > 0 ? 0 : 1;
}

const char *
tap_tmpdir(const char *tag)
{
	static char path[512];
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (snprintf(path, sizeof(path), "%s/knocker-%s-XXXXXX", base, tag) >= (int)sizeof(path) ||
	    mkdtemp(path) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		exit(1);
	}
	return path;
}

const char *
tap_path(const char *dir, const char *name)
{
	static char buf[64][768];
	static int next;
	char *p = buf[next++ % 64];

	if (snprintf(p, sizeof(buf[0]), "%s/%s", dir, name) >= (int)sizeof(buf[0])) {
		printf("Bail out! path too long\n");
		exit(1);
	}
	return p;
}
