/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the extent map of swap and file targets (extmap.h).  The input's
 * first byte picks the mode:
 *   even: the rest is a device, page 0 the locator, read as snapresume
 *         reads it: never a crash or a read outside the device, and a map
 *         that decodes is consistent (extents add up, aligned) and encodes
 *         back to the same locator and map pages;
 *   odd:  the rest is a list of (offset, length) pairs built into a map
 *         through extmap_add (which must refuse what is bad), encoded at a
 *         base, decoded again: the same map. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "locator.h"
#include "format/format.h"

struct dev {
	const uint8_t *data;
	size_t size;
};

static int read_page(void *userdata, uint64_t off, uint8_t page[EXTMAP_PAGE])
{
	const struct dev *d = userdata;
	if (off > d->size || d->size - off < EXTMAP_PAGE)
		return -EIO;
	memcpy(page, d->data + off, EXTMAP_PAGE);
	return 0;
}

static void check_map(const struct extmap *m)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < m->n; i++) {
		assert(m->ext[i].length && m->ext[i].length % EXTMAP_PAGE == 0);
		assert(m->ext[i].offset % EXTMAP_PAGE == 0);
		sum += m->ext[i].length;
	}
	assert(sum == m->size);
}

static void round_trip(const struct extmap *m, uint64_t base)
{
	static uint8_t dev[(1 + EXTMAP_MAX_MAP_PAGES) * EXTMAP_PAGE];
	struct extmap again;
	struct dev d = {dev, (size_t)(1 + m->nmap) * EXTMAP_PAGE};
	const char *why;

	memset(dev, 0, EXTMAP_PAGE);
	extmap_locator_encode(m, dev);
	for (uint32_t i = 0; i < m->nmap; i++)
		extmap_map_page_encode(m, i, dev + (size_t)(1 + i) * EXTMAP_PAGE);
	/* The map pages were laid out after the locator, at offsets 4096 * (1 + i)
	 * relative to the device copy; m->map_pages says the same. */
	assert(extmap_decode(dev, base, read_page, &d, &again, &why) == 0);
	assert(extmap_same(m, &again) && again.kind == m->kind);
	extmap_done(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct extmap m;
	const char *why;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		struct dev d = {data + 1, size - 1};
		if (d.size < EXTMAP_PAGE)
			return 0;
		if (extmap_decode(d.data, 0, read_page, &d, &m, &why) == 0) {
			check_map(&m);
			assert(m.nmap == extmap_pages_for(m.n));
			round_trip(&m, 0);
			extmap_done(&m);
		} else {
			assert(m.n == 0 && m.ext == NULL);
		}
		return 0;
	}

	extmap_init(&m, data[0] & 2 ? EXTMAP_SWAP : EXTMAP_FILE, 0);
	if (m.kind == EXTMAP_SWAP)
		memcpy(m.saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
	for (size_t i = 1; i + 16 <= size; i += 16) {
		uint64_t off = le64_get(data + i), len = le64_get(data + i + 8);
		/* Mostly aligned, so that maps get long; sometimes not. */
		if (!(data[0] & 4)) {
			off &= ~(uint64_t)(EXTMAP_PAGE - 1);
			len = (len % (1u << 20)) & ~(uint64_t)(EXTMAP_PAGE - 1);
		}
		int r = extmap_add(&m, off, len);
		assert(r == 0 || r == -EINVAL || r == -E2BIG);
		if (r == -EINVAL)
			assert(len == 0 || off % EXTMAP_PAGE || len % EXTMAP_PAGE || off + len < off ||
			       m.size + len < m.size);
	}
	check_map(&m);
	if (m.n) {
		m.nmap = extmap_pages_for(m.n);
		for (uint32_t i = 0; i < m.nmap; i++)
			m.map_pages[i] = (uint64_t)(1 + i) * EXTMAP_PAGE;
		if (m.size / EXTMAP_PAGE >= m.n)
			round_trip(&m, 0);
	}
	extmap_done(&m);
	return 0;
}
