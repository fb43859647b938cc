/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Images that live in extents of a larger device: a swap partition, a swap
 * file, or a preallocated image file (docs/FORMAT.md, "Extent targets").
 *
 * The image is then a logical byte stream, the concatenation of a list of
 * extents of the device.  A locator page at a fixed place on the device
 * (page resume_offset= of resume=) says where the list is kept: in map
 * pages, whose device offsets the locator lists.  For a swap area the
 * locator page is the swap header itself, with the swap signature swapped
 * for ours and saved, as the kernel does with its own images; the swap
 * area's version, size and UUID stay where they are.
 *
 *   locator page   bytes 1536..4085 ours (the swap header's own fields
 *                  before 1536 are left alone), signature "SNAPRESUME" at
 *                  4086 where a swap area has "SWAPSPACE2";
 *   map page       "SNAPEXT1", index, count, up to EXTMAP_PER_PAGE extents
 *                  (device offset, length; bytes), checksum.
 *
 * Offsets and lengths are multiples of 4096.  No I/O here: locator.h
 * reads and writes through a map, and makes one from a file's extents.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXTMAP_PAGE 4096u
#define EXTMAP_SIG_OFFSET 4086u
#define EXTMAP_SIG_LEN 10u
#define EXTMAP_SIG "SNAPRESUME"
#define EXTMAP_SWAP_SIG "SWAPSPACE2"
#define EXTMAP_PER_PAGE 254u
#define EXTMAP_MAX_MAP_PAGES 256u
#define EXTMAP_MAX_EXTENTS (EXTMAP_PER_PAGE * EXTMAP_MAX_MAP_PAGES)

enum extmap_kind {
	EXTMAP_FILE = 1, /* a preallocated image file */
	EXTMAP_SWAP = 2, /* a swap partition or swap file */
};

struct extent {
	uint64_t offset; /* on the device, bytes */
	uint64_t length; /* bytes */
};

/* Grow the map by one page: its device offset, or a negative errno
 * (-ENOSPC when there is no more room). */
typedef int (*extmap_grow_fn)(void *userdata, uint64_t *ret_offset);

struct extmap {
	uint32_t kind;
	uint64_t base; /* device offset of the locator page */
	uint64_t size; /* logical bytes: the sum of the extents */
	size_t n, cap;
	struct extent *ext;
	uint32_t nmap; /* map pages */
	uint64_t map_pages[EXTMAP_MAX_MAP_PAGES];
	uint8_t saved_sig[EXTMAP_SIG_LEN]; /* swap: the signature to put back */
	/* Writing past size asks grow for pages (a swap area being filled). */
	extmap_grow_fn grow;
	void *grow_userdata;
};

void extmap_init(struct extmap *m, uint32_t kind, uint64_t base);
void extmap_done(struct extmap *m);

/* Append [offset, offset+length) to the logical end, merging with the last
 * extent when adjacent.  -EINVAL for unaligned or empty ranges, -E2BIG past
 * EXTMAP_MAX_EXTENTS, -ENOMEM. */
int extmap_add(struct extmap *m, uint64_t offset, uint64_t length);

/* Do two maps describe the same bytes in the same order? */
bool extmap_same(const struct extmap *a, const struct extmap *b);

/* The extent holding logical byte off (*ret_i) and off's place in it
 * (*ret_within).  -ERANGE past the end. */
int extmap_find(const struct extmap *m, uint64_t off, size_t *ret_i, uint64_t *ret_within);

/* The device offset of logical byte off; *ret_run: bytes contiguous from
 * there.  -ERANGE past the end. */
int extmap_lookup(const struct extmap *m, uint64_t off, uint64_t *ret_dev, uint64_t *ret_run);


/* Map pages needed to hold n extents. */
static inline uint32_t extmap_pages_for(size_t n)
{
	return (uint32_t)((n + EXTMAP_PER_PAGE - 1) / EXTMAP_PER_PAGE);
}

/*
 * Encoding.  locator_encode writes our part of the locator page into page
 * (bytes 1536..4095), leaving bytes 0..1535 as they are; m->nmap and
 * m->map_pages must be set.  map_page_encode fills map page idx.
 */
void extmap_locator_encode(const struct extmap *m, uint8_t page[EXTMAP_PAGE]);
void extmap_map_page_encode(const struct extmap *m, uint32_t idx, uint8_t page[EXTMAP_PAGE]);

/* Does this page carry our signature (locator_decode may still fail)? */
bool extmap_is_locator(const uint8_t page[EXTMAP_PAGE]);

/* The kind a locator page claims, before any check (0 for none). */
uint32_t extmap_locator_kind(const uint8_t page[EXTMAP_PAGE]);

/* Is this page an active swap area's header the map can be kept in
 * (signature SWAPSPACE2, version 1, no bad pages)?  *ret_why when not. */
bool extmap_swap_header_ok(const uint8_t page[EXTMAP_PAGE], const char **ret_why);

/* Read the locator at base (its page already read into page) and, through
 * read_page, its map pages; fill m.  -EBADMSG with *ret_why for anything
 * inconsistent. */
typedef int (*extmap_read_fn)(void *userdata, uint64_t offset, uint8_t page[EXTMAP_PAGE]);
int extmap_decode(const uint8_t page[EXTMAP_PAGE], uint64_t base, extmap_read_fn read_page,
		  void *userdata, struct extmap *m, const char **ret_why);

/* Put the swap signature back into a locator page (bytes 1536..4095 are
 * cleared, as mkswap leaves them). */
void extmap_restore_swap(const struct extmap *m, uint8_t page[EXTMAP_PAGE]);

