/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Header I/O on an open target: the commit and invalidation steps of the
 * format (docs/FORMAT.md, "Commit protocol").  Every write here is followed
 * by fdatasync: a header is only as good as the storage under it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "format/format.h"

/* Read and classify the header block.  *ret is filled as by
 * image_header_decode(); *ret_why (optional) names a problem. */
int target_read_header(int fd, enum image_state *ret_state, struct image_header *ret,
		       const char **ret_why);

/* Write h as the committed header at offset 0, then sync. */
int target_write_header(int fd, const struct image_header *h);

/* Overwrite the header block with zeros, then sync: no image at all. */
int target_clear_header(int fd);

/* Rewrite a header as invalidated (magic SNAPDEAD, reason, time and, for a
 * resume, the restore time), then sync.  The payload is left alone. */
int target_invalidate(int fd, const struct image_header *h, uint32_t reason,
		      uint64_t restore_read_ns);

/* The same, for an image in extents (extmap.h): offsets are the image's,
 * translated through m; m NULL is the plain form above. */
struct extmap;
int target_read_header_map(int fd, const struct extmap *m, enum image_state *ret_state,
			   struct image_header *ret, const char **ret_why);
int target_write_header_map(int fd, struct extmap *m, const struct image_header *h);
int target_clear_header_map(int fd, struct extmap *m);
int target_invalidate_map(int fd, struct extmap *m, const struct image_header *h,
			  uint32_t reason, uint64_t restore_read_ns);

/* What snapresume leaves for the booted system when it refused an image
 * it could not invalidate (snapwrite status shows it). */
#define RESUME_NOTE "/run/snapresume/refused-still-valid"
