#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>

#include <bsd/string.h>

#include "urlpath.h"

static int
urlpath_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes raw[0..len) into dec (URLPATH_MAX + 1 bytes). Returns the
   decoded length, or -1 for a bad escape or a decoded NUL. */
static int
urlpath_decode(const char *raw, size_t len, char *dec)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (raw[i] != '%') {
			dec[o++] = raw[i];
			continue;
		}
		if (len - i < 3)
			return -1;
		hi = urlpath_hexval(raw[i + 1]);
		lo = urlpath_hexval(raw[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		dec[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dec[o] = '\0';
	return (int)o;
}

int
urlpath_normalize(const char *raw, char *out, size_t out_size)
{
	char dec[URLPATH_MAX + 1];
	size_t len, i, seglen, o;
	const char *seg;
	bool trailing = false;
	int n;

	if (raw == NULL || out == NULL || out_size < 2 || raw[0] != '/')
		return -1;
	len = strcspn(raw, "?#");
	if (len > URLPATH_MAX)
		return -1;
	if ((n = urlpath_decode(raw, len, dec)) < 0)
		return -1;
	len = (size_t)n;

	/* out holds "/" or "/seg1/seg2" (no trailing slash while building) */
	out[0] = '/';
	o = 1;
	for (i = 0; i < len; i += seglen) {
		if (dec[i] == '/') {
			seglen = 1;
			trailing = true;
			continue;
		}
		seg = dec + i;
		seglen = strcspn(seg, "/");
		trailing = false;
		if (seglen == 1 && seg[0] == '.') {
			trailing = true;
			continue;
		}
		if (seglen == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			trailing = true;
			continue;
		}
		/* room for the separating "/", the segment and the NUL */
		if (o + (o > 1) + seglen + 1 > out_size)
			return -1;
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, seg, seglen);
		o += seglen;
	}
	if (trailing && o > 1) {
		if (o + 2 > out_size)
			return -1;
		out[o++] = '/';
	}
	out[o] = '\0';
	return 0;
}

bool
urlpath_has_prefix(const char *path, const char *prefix)
{
	size_t plen;

	if (path == NULL || prefix == NULL)
		return false;
	plen = strlen(prefix);
	if (plen == 0 || strncmp(path, prefix, plen) != 0)
		return false;
	if (prefix[plen - 1] == '/')
		return true;
	return path[plen] == '\0' || path[plen] == '/';
}

static bool
host_namechar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Accepts an empty port or 1..5 digits. */
static bool
host_port_ok(const char *p)
{
	size_t i;

	for (i = 0; p[i] != '\0'; i++)
		if (i >= 5 || p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

int
host_normalize(const char *raw, char *out, size_t out_size)
{
	char buf[HOST_MAX + 1];
	unsigned char v6[16];
	const char *end, *colon;
	size_t len, i;

	if (raw == NULL || out == NULL || out_size == 0)
		return -1;
	len = strnlen(raw, HOST_MAX + 1);
	if (len == 0 || len > HOST_MAX)
		return -1;

	if (raw[0] == '[') {
		/* "[v6]" or "[v6]:port"; the address must be a real IPv6 one */
		end = strchr(raw, ']');
		if (end == NULL || end == raw + 1)
			return -1;
		if (end[1] != '\0' && (end[1] != ':' || !host_port_ok(end + 2)))
			return -1;
		len = (size_t)(end - raw - 1);
		memcpy(buf, raw + 1, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, v6) != 1)
			return -1;
	} else {
		colon = strchr(raw, ':');
		if (colon != NULL) {
			/* a bare IPv6 address is not a valid Host */
			if (!host_port_ok(colon + 1))
				return -1;
			len = (size_t)(colon - raw);
		}
		for (i = 0; i < len; i++)
			if (!host_namechar(raw[i]))
				return -1;
		memcpy(buf, raw, len);
		buf[len] = '\0';
		if (len > 0 && buf[len - 1] == '.')
			buf[--len] = '\0';
		if (len == 0)
			return -1;
	}
	for (i = 0; i < len; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	if (strlcpy(out, buf, out_size) >= out_size)
		return -1;
	return 0;
}
