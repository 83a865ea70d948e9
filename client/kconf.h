/*
 * kconf: the knock client's settings file and key files.
 *
 * Settings file ($XDG_CONFIG_HOME/knocker/config, else
 * ~/.config/knocker/config): lines "name = value", '#' comments, blank
 * lines; names url, key, ttl. It holds a secret, so it (like a --key-file)
 * is refused unless it is a regular file owned by the user (or root) with
 * no permission bits for group or others (mode 0600 or 0400).
 *
 * Errors come back as a message naming the file (and line) in a caller's
 * buffer; nothing here prints or exits, and key material is never copied
 * into a message.
 */
#ifndef KNOCK_KCONF_H
#define KNOCK_KCONF_H

#include <stddef.h>

#define KCONF_MAX_KEY	512
#define KCONF_MAX_URL	2048
#define KCONF_MAX_TTL	315360000L

struct kconf {
	char	url[KCONF_MAX_URL];	/* "" when unset */
	char	key[KCONF_MAX_KEY + 1];	/* secret; "" when unset */
	long	ttl;			/* 0 when unset */
};

/* The default settings path into out. 0, or -1 with a message in err
   (no usable $XDG_CONFIG_HOME or $HOME, path too long). */
int kconf_default_path(char *out, size_t outsz, char *err, size_t errsz);

/* Reads path into c (cleared first). A missing file is an empty config
   when missing_ok. 0, or -1 with a message in err. */
int kconf_load(const char *path, int missing_ok, struct kconf *c, char *err, size_t errsz);

/* Writes c to path atomically with mode 0600 (temp file, fsync, rename,
   fsync of the directory), creating missing directories with mode 0700.
   Settings that are unset in c are left out. 0, or -1 with err. */
int kconf_save(const char *path, const struct kconf *c, char *err, size_t errsz);

/* Reads an API key: the first line of path, surrounding white space
   removed, with the same ownership and mode rules. 0, or -1 with err. */
int kconf_read_key_file(const char *path, char *key, size_t keysz, char *err, size_t errsz);

/* A key must be 1..KCONF_MAX_KEY printable ASCII characters without
   spaces (it travels in a header). what names its source for err. */
int kconf_check_key(const char *key, const char *what, char *err, size_t errsz);

/* Parses a TTL (1 .. KCONF_MAX_TTL seconds). 0, or -1 with err. */
int kconf_parse_ttl(const char *s, long *ttl, char *err, size_t errsz);

/* Wipes the key held in c. */
void kconf_wipe(struct kconf *c);

#endif
