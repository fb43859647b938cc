/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format/extmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/endian.h"
#include "format/header.h"
#include "hash.h"
#include "util.h"

/* The locator's fields, from byte 1536 of its page. */
#define L_START 1536u
#define L_MAGIC "SNAPLOC1"
#define L_VERSION 1u
#define L_OFF_MAGIC (L_START + 0)
#define L_OFF_VERSION (L_START + 8)
#define L_OFF_KIND (L_START + 12)
#define L_OFF_SIZE (L_START + 16)
#define L_OFF_NEXT (L_START + 24)
#define L_OFF_NMAP (L_START + 28)
#define L_OFF_SAVED (L_START + 32)
#define L_OFF_MAPS (L_START + 48)
#define L_OFF_SUM 4072u /* xxh3 of L_START..L_OFF_SUM, seeded with base */

#define M_MAGIC "SNAPEXT1"
#define M_OFF_EXT 16u
#define M_OFF_SUM 4088u

/* The swap header's fields (the kernel's union swap_header). */
#define SWAP_OFF_VERSION 1024u
#define SWAP_OFF_BADPAGES 1032u

_Static_assert(L_OFF_MAPS + 8 * EXTMAP_MAX_MAP_PAGES <= L_OFF_SUM, "locator overflows");
_Static_assert(M_OFF_EXT + 16 * EXTMAP_PER_PAGE <= M_OFF_SUM, "map page overflows");

void extmap_init(struct extmap *m, uint32_t kind, uint64_t base)
{
	*m = (struct extmap){.kind = kind, .base = base};
}

void extmap_done(struct extmap *m)
{
	free(m->ext);
	m->ext = NULL;
	m->n = m->cap = 0;
	m->size = 0;
}

int extmap_add(struct extmap *m, uint64_t offset, uint64_t length)
{
	struct extent *last = m->n ? &m->ext[m->n - 1] : NULL;

	if (length == 0 || offset % EXTMAP_PAGE || length % EXTMAP_PAGE ||
	    offset + length < offset || m->size + length < m->size)
		return -EINVAL;
	if (last && last->offset + last->length == offset) {
		last->length += length;
		m->size += length;
		return 0;
	}
	if (m->n == EXTMAP_MAX_EXTENTS)
		return -E2BIG;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct extent *e = realloc(m->ext, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		m->ext = e;
		m->cap = cap;
	}
	m->ext[m->n++] = (struct extent){offset, length};
	m->size += length;
	return 0;
}

bool extmap_same(const struct extmap *a, const struct extmap *b)
{
	if (a->n != b->n || a->size != b->size)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->ext[i].offset != b->ext[i].offset || a->ext[i].length != b->ext[i].length)
			return false;
	return true;
}

/* The extent holding logical byte off: its index and off's place in it. */
int extmap_find(const struct extmap *m, uint64_t off, size_t *ret_i, uint64_t *ret_within)
{
	uint64_t start = 0;

	/* A linear walk, once per I/O: maps are short (a file's extents, a
	 * swap area's free runs) and each call moves a whole chunk. */
	for (size_t i = 0; i < m->n; i++) {
		if (off < start + m->ext[i].length) {
			*ret_i = i;
			*ret_within = off - start;
			return 0;
		}
		start += m->ext[i].length;
	}
	return -ERANGE;
}

int extmap_lookup(const struct extmap *m, uint64_t off, uint64_t *ret_dev, uint64_t *ret_run)
{
	uint64_t within;
	size_t i;
	int r = extmap_find(m, off, &i, &within);

	if (r < 0)
		return r;
	*ret_dev = m->ext[i].offset + within;
	*ret_run = m->ext[i].length - within;
	return 0;
}

static uint64_t locator_sum(const uint8_t *page, uint64_t base)
{
	return hash64(page + L_START, L_OFF_SUM - L_START, base);
}

static uint64_t map_page_sum(const uint8_t *page, uint64_t base, uint32_t idx)
{
	return hash64(page, M_OFF_SUM, base ^ ((uint64_t)idx << 32));
}

void extmap_locator_encode(const struct extmap *m, uint8_t page[EXTMAP_PAGE])
{
	memset(page + L_START, 0, EXTMAP_PAGE - L_START);
	memcpy(page + L_OFF_MAGIC, L_MAGIC, 8);
	le32_put(page + L_OFF_VERSION, L_VERSION);
	le32_put(page + L_OFF_KIND, m->kind);
	le64_put(page + L_OFF_SIZE, m->size);
	le32_put(page + L_OFF_NEXT, (uint32_t)m->n);
	le32_put(page + L_OFF_NMAP, m->nmap);
	memcpy(page + L_OFF_SAVED, m->saved_sig, EXTMAP_SIG_LEN);
	for (uint32_t i = 0; i < m->nmap && i < EXTMAP_MAX_MAP_PAGES; i++)
		le64_put(page + L_OFF_MAPS + 8 * i, m->map_pages[i]);
	le64_put(page + L_OFF_SUM, locator_sum(page, m->base));
	memcpy(page + EXTMAP_SIG_OFFSET, EXTMAP_SIG, EXTMAP_SIG_LEN);
}

void extmap_map_page_encode(const struct extmap *m, uint32_t idx, uint8_t page[EXTMAP_PAGE])
{
	size_t first = (size_t)idx * EXTMAP_PER_PAGE;
	size_t count = first < m->n ? m->n - first : 0;

	if (count > EXTMAP_PER_PAGE)
		count = EXTMAP_PER_PAGE;
	memset(page, 0, EXTMAP_PAGE);
	memcpy(page, M_MAGIC, 8);
	le32_put(page + 8, idx);
	le32_put(page + 12, (uint32_t)count);
	for (size_t i = 0; i < count; i++) {
		le64_put(page + M_OFF_EXT + 16 * i, m->ext[first + i].offset);
		le64_put(page + M_OFF_EXT + 16 * i + 8, m->ext[first + i].length);
	}
	le64_put(page + M_OFF_SUM, map_page_sum(page, m->base, idx));
}

bool extmap_is_locator(const uint8_t page[EXTMAP_PAGE])
{
	return memcmp(page + EXTMAP_SIG_OFFSET, EXTMAP_SIG, EXTMAP_SIG_LEN) == 0;
}

uint32_t extmap_locator_kind(const uint8_t page[EXTMAP_PAGE])
{
	if (!extmap_is_locator(page) || memcmp(page + L_OFF_MAGIC, L_MAGIC, 8) != 0)
		return 0;
	return le32_get(page + L_OFF_KIND);
}

bool extmap_swap_header_ok(const uint8_t page[EXTMAP_PAGE], const char **ret_why)
{
	const char *why = NULL;

	if (memcmp(page + EXTMAP_SIG_OFFSET, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN) != 0)
		why = "no swap signature (SWAPSPACE2)";
	else if (le32_get(page + SWAP_OFF_VERSION) != 1)
		why = "swap header version is not 1";
	else if (le32_get(page + SWAP_OFF_BADPAGES) != 0)
		why = "the swap area lists bad pages";
	else
		for (size_t i = L_START; i < EXTMAP_SIG_OFFSET; i++)
			if (page[i]) {
				why = "unexpected data in the swap header";
				break;
			}
	if (ret_why)
		*ret_why = why;
	return why == NULL;
}

void extmap_restore_swap(const struct extmap *m, uint8_t page[EXTMAP_PAGE])
{
	memset(page + L_START, 0, EXTMAP_PAGE - L_START);
	memcpy(page + EXTMAP_SIG_OFFSET, m->saved_sig, EXTMAP_SIG_LEN);
}

int extmap_decode(const uint8_t page[EXTMAP_PAGE], uint64_t base, extmap_read_fn read_page,
		  void *userdata, struct extmap *m, const char **ret_why)
{
	_cleanup_(freep) uint8_t *mp = NULL;
	uint32_t kind, next, nmap;
	uint64_t size;
	const char *why = NULL;
	int r;

#define BAD(w)              \
	do {                \
		why = (w);  \
		r = -EBADMSG; \
		goto fail;  \
	} while (0)

	extmap_init(m, 0, base);
	if (!extmap_is_locator(page) || memcmp(page + L_OFF_MAGIC, L_MAGIC, 8) != 0)
		BAD("no locator signature");
	if (le64_get(page + L_OFF_SUM) != locator_sum(page, base))
		BAD("locator checksum mismatch");
	if (le32_get(page + L_OFF_VERSION) != L_VERSION)
		BAD("unknown locator version");
	kind = le32_get(page + L_OFF_KIND);
	size = le64_get(page + L_OFF_SIZE);
	next = le32_get(page + L_OFF_NEXT);
	nmap = le32_get(page + L_OFF_NMAP);
	if (kind != EXTMAP_FILE && kind != EXTMAP_SWAP)
		BAD("unknown locator kind");
	if (next == 0 || next > EXTMAP_MAX_EXTENTS || nmap != extmap_pages_for(next))
		BAD("bad extent count");
	if (size % EXTMAP_PAGE || size / EXTMAP_PAGE < next)
		BAD("bad image size in the locator");
	m->kind = kind;
	m->nmap = nmap;
	memcpy(m->saved_sig, page + L_OFF_SAVED, EXTMAP_SIG_LEN);
	if (kind == EXTMAP_SWAP && memcmp(m->saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN) != 0)
		BAD("saved swap signature is not SWAPSPACE2");

	/* Aligned: read_page may read with O_DIRECT. */
	mp = aligned_alloc(EXTMAP_PAGE, EXTMAP_PAGE);
	if (!mp) {
		r = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < nmap; i++) {
		uint64_t off = le64_get(page + L_OFF_MAPS + 8 * i);
		uint32_t count, want;

		if (off % EXTMAP_PAGE)
			BAD("unaligned map page");
		m->map_pages[i] = off;
		r = read_page(userdata, off, mp);
		if (r < 0)
			goto fail_io;
		if (memcmp(mp, M_MAGIC, 8) != 0)
			BAD("map page without its magic");
		if (le64_get(mp + M_OFF_SUM) != map_page_sum(mp, base, i))
			BAD("map page checksum mismatch");
		count = le32_get(mp + 12);
		want = i + 1 < nmap ? EXTMAP_PER_PAGE : next - i * EXTMAP_PER_PAGE;
		if (le32_get(mp + 8) != i || count != want)
			BAD("map page out of order or short");
		for (uint32_t j = 0; j < count; j++) {
			uint64_t eo = le64_get(mp + M_OFF_EXT + 16 * j);
			uint64_t el = le64_get(mp + M_OFF_EXT + 16 * j + 8);
			r = extmap_add(m, eo, el);
			if (r == -ENOMEM)
				goto fail_io;
			if (r < 0)
				BAD("bad extent in the map");
		}
	}
	if (m->size != size)
		BAD("extents do not add up to the image size");
	if (ret_why)
		*ret_why = NULL;
	return 0;
fail:
	if (ret_why)
		*ret_why = why;
fail_io:
	extmap_done(m);
	return r;
#undef BAD
}

