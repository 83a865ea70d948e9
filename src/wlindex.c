#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipmap.h"
#include "statefile.h"
#include "wlindex.h"

#define WLINDEX_MAGIC	"KNWLIDX1"
#define WLINDEX_VERSION	1

struct wlindex_hdr {
	char		magic[8];
	uint32_t	version;
	uint32_t	hdr_size;
	uint64_t	file_size;
	struct wl_ident	json;
	uint64_t	check;		/* of the bytes above and the image header */
};

_Static_assert(sizeof(struct wlindex_hdr) % 8 == 0, "image stays 8-aligned");

struct wlindex {
	void		*base;
	size_t		 len;
	struct ipmap	*map;
};

void
wl_ident_of(const struct stat *st, struct wl_ident *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (int64_t)st->st_size;
	id->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	id->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
	id->ctime_sec = (int64_t)st->st_ctim.tv_sec;
	id->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
}

bool
wl_ident_eq(const struct wl_ident *a, const struct wl_ident *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
	    a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

/* FNV-1a, 64 bit: guards the header against a torn or foreign file. */
static uint64_t
wlindex_fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len-- > 0) {
		h ^= *b++;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

static uint64_t
wlindex_check(const struct wlindex_hdr *h, const void *image_hdr)
{
	uint64_t c = UINT64_C(0xcbf29ce484222325);

	c = wlindex_fnv(c, h, offsetof(struct wlindex_hdr, check));
	return wlindex_fnv(c, image_hdr, IPMAP_IMAGE_HDR);
}

int
wlindex_write(const char *path, uid_t owner, const struct ipmap *map,
    const struct wl_ident *json, struct sf_err *e)
{
	struct ipmap_image img;
	struct wlindex_hdr h;
	struct sf_tmp t;

	ipmap_image(map, &img);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, WLINDEX_MAGIC, sizeof(h.magic));
	h.version = WLINDEX_VERSION;
	h.hdr_size = sizeof(h);
	h.file_size = sizeof(h) + ipmap_image_len(&img);
	h.json = *json;
	h.check = wlindex_check(&h, img.hdr);

	if (sf_tmp_create(&t, path, owner, e) == -1)
		return -1;
	if (sf_tmp_write(&t, &h, sizeof(h), e) == -1 ||
	    sf_tmp_write(&t, img.hdr, sizeof(img.hdr), e) == -1 ||
	    (img.slots_len > 0 && sf_tmp_write(&t, img.slots, img.slots_len, e) == -1) ||
	    (img.entries_len > 0 && sf_tmp_write(&t, img.entries, img.entries_len, e) == -1)) {
		sf_tmp_abort(&t);
		return -1;
	}
	return sf_tmp_commit(&t, path, SF_DERIVED, e);
}

static struct wlindex *
wlindex_refuse(struct sf_err *e, int errnum, const char *path, const char *why)
{
	(void)snprintf(e->msg, sizeof(e->msg), "index %s %s", path, why);
	errno = errnum;
	return NULL;
}

struct wlindex *
wlindex_open(const char *path, uid_t owner, const struct wl_ident *json, struct sf_err *e)
{
	struct wlindex_hdr h;
	struct wlindex *x;
	struct stat st;
	void *base;
	size_t len;
	int fd, r, saved;

	if ((r = sf_open_read(path, owner, &fd, &st, e)) != 0) {
		if (r == 1)
			errno = ENOENT;
		return NULL;
	}
	if (st.st_size < (off_t)(sizeof(h) + IPMAP_IMAGE_HDR) ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return wlindex_refuse(e, EINVAL, path, "has a wrong size");
	}
	len = (size_t)st.st_size;
	base = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	saved = errno;
	close(fd);		/* the mapping keeps the file */
	if (base == MAP_FAILED) {
		(void)snprintf(e->msg, sizeof(e->msg), "cannot map index %s: %s", path,
		    strerror(saved));
		errno = saved;
		return NULL;
	}
	memcpy(&h, base, sizeof(h));
	if (memcmp(h.magic, WLINDEX_MAGIC, sizeof(h.magic)) != 0 ||
	    h.version != WLINDEX_VERSION || h.hdr_size != sizeof(h) ||
	    h.file_size != (uint64_t)len ||
	    h.check != wlindex_check(&h, (const unsigned char *)base + sizeof(h))) {
		munmap(base, len);
		return wlindex_refuse(e, EINVAL, path, "is damaged or from another build");
	}
	if (!wl_ident_eq(&h.json, json)) {
		munmap(base, len);
		return wlindex_refuse(e, ESTALE, path, "was built from another whitelist file");
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		munmap(base, len);
		return wlindex_refuse(e, ENOMEM, path, "cannot be used: out of memory");
	}
	x->base = base;
	x->len = len;
	x->map = ipmap_attach((const unsigned char *)base + sizeof(h), len - sizeof(h));
	if (x->map == NULL) {
		wlindex_close(x);
		return wlindex_refuse(e, EINVAL, path, "holds no valid table");
	}
	return x;
}

const struct ipmap *
wlindex_map(const struct wlindex *x)
{
	return x->map;
}

void
wlindex_close(struct wlindex *x)
{
	if (x == NULL)
		return;
	ipmap_free(x->map);
	if (x->base != NULL)
		munmap(x->base, x->len);
	free(x);
}
