/* Fuzz target: read-only maps over image bytes (ipmap_attach), as workers
   use a mapped whitelist index: whatever the bytes, lookups, walks and
   copies must stay inside them and end. Odd first byte: the rest fills
   the slots and entries behind a header that passes the checks, so the
   fuzzer reaches the probes; even: the bytes are the whole image. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipmap.h"
#include "ipnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const probes[] = {
	"0.0.0.0", "10.1.2.3", "192.0.2.1", "255.255.255.255", "::", "::1",
	"2001:db8::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};

/* A header like ipmap_image's (see ipmap.c) for nslots and count. */
static void
fake_header(unsigned char *h, uint64_t nslots, uint64_t count, const uint8_t *bits, size_t nbits)
{
	uint32_t magic = UINT32_C(0x314d5049), esize = IPMAP_ENTRY_SIZE;
	uint64_t seed = 0x5eed;

	memset(h, 0, IPMAP_IMAGE_HDR);
	memcpy(h, &magic, 4);
	memcpy(h + 4, &esize, 4);
	memcpy(h + 8, &seed, 8);
	memcpy(h + 16, &count, 8);
	memcpy(h + 24, &nslots, 8);
	memcpy(h + 32, bits, nbits < 48 ? nbits : 48);	/* prefix bitmaps */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipmap *m, *c;
	struct ipnet n;
	unsigned char *buf;
	size_t len, i, pos = 0;
	int64_t v;

	if (size > 1 << 20)
		return 0;
	if (size > 0 && (data[0] & 1)) {
		uint64_t nslots = (uint64_t)16 << (size > 1 ? data[1] % 4 : 0);
		uint64_t count = size > 2 ? data[2] % (nslots * 7 / 10 + 1) : 0;

		len = IPMAP_IMAGE_HDR + nslots * 4 + count * IPMAP_ENTRY_SIZE;
		if ((buf = aligned_alloc(8, (len + 7) / 8 * 8)) == NULL)
			return 0;
		memset(buf, 0, len);
		fake_header(buf, nslots, count, data + (size > 3 ? 3 : size), size > 3 ? size - 3 : 0);
		if (size > 51)
			memcpy(buf + IPMAP_IMAGE_HDR, data + 51,
			    size - 51 < len - IPMAP_IMAGE_HDR ? size - 51 : len - IPMAP_IMAGE_HDR);
	} else {
		len = size;
		if ((buf = aligned_alloc(8, (len + 8) / 8 * 8)) == NULL)
			return 0;
		if (size > 0)
			memcpy(buf, data, size);
	}
	m = ipmap_attach(buf, len);
	if (m != NULL) {
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			if (ipnet_parse(probes[i], &n) != 0)
				abort();
			(void)ipmap_lookup(m, &n, &v);
			(void)ipmap_get(m, &n, &v);
		}
		while (ipmap_next(m, &pos, &n, &v) == 1)
			(void)ipmap_lookup(m, &n, NULL);
		c = ipmap_copy_live(m, INT64_MIN, 1, NULL);
		if (c != NULL) {
			/* A copy is a sound map: every entry it kept is found. */
			pos = 0;
			while (ipmap_next(c, &pos, &n, &v) == 1) {
				int64_t w;

				if (ipmap_get(c, &n, &w) != 1 || w != v)
					abort();
			}
			if (ipnet_parse("192.0.2.77", &n) != 0 || ipmap_put(c, &n, 1) != 0 ||
			    ipmap_del(c, &n) != 1)
				abort();
		}
		ipmap_free(c);
		ipmap_free(m);
	}
	free(buf);
	return 0;
}
