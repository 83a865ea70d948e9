#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "audit.h"
#include "log.h"

struct line {
	char	*buf;
	size_t	 size;
	size_t	 len;
};

static void
line_putc(struct line *l, char c)
{
	if (l->len + 1 < l->size)
		l->buf[l->len++] = c;
	l->buf[l->len] = '\0';
}

static void
line_puts(struct line *l, const char *s)
{
	for (; *s != '\0'; s++)
		line_putc(l, *s);
}

static bool
bare_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("._:/@+,-", c) != NULL;
}

static bool
is_bare(const char *v)
{
	size_t n;

	if (*v == '\0')
		return false;
	for (n = 0; v[n] != '\0' && n < AUDIT_VALUE_MAX; n++)
		if (!bare_char((unsigned char)v[n]))
			return false;
	return true;
}

/* " name=value" with value bare or quoted and escaped. */
static void
line_field(struct line *l, const char *name, const char *value)
{
	char esc[5];
	size_t n;

	if (l->len > 0)
		line_putc(l, ' ');
	line_puts(l, name);
	line_putc(l, '=');
	if (value == NULL)
		value = "-";
	if (is_bare(value)) {
		for (n = 0; value[n] != '\0' && n < AUDIT_VALUE_MAX; n++)
			line_putc(l, value[n]);
		return;
	}
	line_putc(l, '"');
	for (n = 0; value[n] != '\0' && n < AUDIT_VALUE_MAX; n++) {
		unsigned char c = (unsigned char)value[n];

		if (c == '"' || c == '\\') {
			line_putc(l, '\\');
			line_putc(l, (char)c);
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			line_puts(l, esc);
		} else {
			line_putc(l, (char)c);
		}
	}
	line_putc(l, '"');
}

const char *
audit_result(int status)
{
	if (status >= 200 && status < 300)
		return "ok";
	if (status == 401 || status == 403)
		return "denied";
	if (status == 429)
		return "limited";
	if (status >= 400 && status < 500)
		return "invalid";
	return "error";
}

size_t
audit_format(const struct audit_record *r, char *buf, size_t size)
{
	struct line l = { buf, size, 0 };
	char status[16];
	size_t i;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (r->status > 0)
		snprintf(status, sizeof(status), "%d", r->status);
	else
		strlcpy(status, "-", sizeof(status));
	line_field(&l, "event", r->event);
	line_field(&l, "result", r->result != NULL ? r->result : audit_result(r->status));
	line_field(&l, "client", r->client);
	line_field(&l, "key", r->key);
	line_field(&l, "status", status);
	if (r->reason != NULL)
		line_field(&l, "reason", r->reason);
	for (i = 0; i < AUDIT_MAX_EXTRA && r->extra[i].name != NULL; i++)
		line_field(&l, r->extra[i].name, r->extra[i].value);
	return l.len;
}

void
audit_log(const struct audit_record *r)
{
	char line[AUDIT_LINE_MAX];
	const char *result = r->result != NULL ? r->result : audit_result(r->status);

	audit_format(r, line, sizeof(line));
	if (strcmp(result, "ok") == 0)
		log_info("audit", "%s", line);
	else
		log_warnx("audit", "%s", line);
}

void
audit_knock(const char *client, const char *key, int status, const char *reason,
    const char *entry, int64_t ttl)
{
	struct audit_record r = { .event = "knock", .client = client, .key = key,
	    .status = status, .reason = reason };
	char ttl_text[24];

	if (entry != NULL) {
		r.extra[0].name = "entry";
		r.extra[0].value = entry;
	}
	if (ttl >= 0) {
		snprintf(ttl_text, sizeof(ttl_text), "%" PRId64, ttl);
		r.extra[entry != NULL].name = "ttl";
		r.extra[entry != NULL].value = ttl_text;
	}
	audit_log(&r);
}

void
audit_status(const char *client, const char *key, int status, const char *reason)
{
	struct audit_record r = { .event = "status", .client = client, .key = key,
	    .status = status, .reason = reason };

	audit_log(&r);
}

/* An admin line; result NULL: from status. */
static void
admin_log(const char *result, const char *client, const char *key, int status,
    const char *reason, const char *action, const char *target, long long count)
{
	struct audit_record r = { .event = "admin", .result = result, .client = client,
	    .key = key, .status = status, .reason = reason };
	char count_text[24];
	size_t n = 0;

	r.extra[n].name = "action";
	r.extra[n++].value = action;
	if (target != NULL) {
		r.extra[n].name = "target";
		r.extra[n++].value = target;
	}
	if (count >= 0) {
		snprintf(count_text, sizeof(count_text), "%lld", count);
		r.extra[n].name = "count";
		r.extra[n].value = count_text;
	}
	audit_log(&r);
}

void
audit_admin(const char *client, const char *key, int status, const char *reason,
    const char *action, const char *target, long long count)
{
	admin_log(NULL, client, key, status, reason, action, target, count);
}

void
audit_admin_local(bool ok, const char *action, const char *target, long long count)
{
	admin_log(ok ? "ok" : "error", "local", NULL, 0, ok ? NULL : "store_failed", action,
	    target, count);
}

void
audit_reload(bool ok, const char *file, const char *reason, const char *detail)
{
	struct audit_record r = { .event = "reload", .result = ok ? "ok" : "error",
	    .reason = ok ? NULL : reason };

	r.extra[0].name = "file";
	r.extra[0].value = file;
	if (!ok && detail != NULL) {
		r.extra[1].name = "error";
		r.extra[1].value = detail;
	}
	audit_log(&r);
}

void
audit_store(const char *op, const char *reason, const char *client, const char *key,
    long long suppressed)
{
	struct audit_record r = { .event = "store", .result = "error", .client = client,
	    .key = key, .reason = reason };
	char count[24];

	r.extra[0].name = "op";
	r.extra[0].value = op;
	if (suppressed > 0) {
		snprintf(count, sizeof(count), "%lld", suppressed);
		r.extra[1].name = "suppressed";
		r.extra[1].value = count;
	}
	audit_log(&r);
}
