/*
 * ktext: server text made safe for a terminal. See ktext.h.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "ktext.h"

/* Length (2 to 4) of the valid UTF-8 sequence starting at s, with its code
   point in *cp; 0 when s does not start one (a stray continuation byte, an
   overlong form, a surrogate, beyond U+10FFFF, cut short). s[0] >= 0x80. */
static size_t
utf8_seq(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	uint32_t v, min;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		v = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		v = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		v = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Bidirectional formatting marks (they can make a line read in another
   order than it is, "Trojan Source") and the line and paragraph separators
   (a line break to some terminals). */
static int
is_format_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void
ktext_safe_copy(char *dst, size_t dstsz, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0, n;
	uint32_t cp;

	if (dstsz == 0)
		return;
	while (s[i] != '\0' && o + 1 < dstsz) {
		if (s[i] < 0x80) {
			dst[o++] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
			i++;
			continue;
		}
		if ((n = utf8_seq(s + i, &cp)) == 0 || cp <= 0x9f || is_format_control(cp)) {
			dst[o++] = '?';
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n >= dstsz)
			break;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}
