/*
 * ktext: server text made safe for a terminal. Anything a server sends
 * (error messages, addresses, a redirect target) goes through here before
 * knock prints it, so that a hostile server cannot send escape sequences.
 */
#ifndef KNOCK_KTEXT_H
#define KNOCK_KTEXT_H

#include <stddef.h>

/*
 * Copies the NUL-terminated src to dst (dstsz bytes, always terminated
 * when dstsz > 0), replacing with '?': C0 controls and DEL, C1 controls
 * (U+0080..U+009F, i.e. UTF-8 0xC2 0x80..0x9F), and every byte that is
 * not part of a valid UTF-8 sequence (so a raw 0x80..0x9F byte, which an
 * 8-bit terminal reads as a C1 control, never passes); also the
 * bidirectional marks and overrides (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) and the line/paragraph separators U+2028, U+2029. Valid
 * UTF-8 otherwise passes unchanged; a sequence that does not fit whole is cut.
 */
void ktext_safe_copy(char *dst, size_t dstsz, const char *src);

#endif
