/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "target.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "locator.h"
#include "util.h"

_Static_assert(IMAGE_HEADER_SIZE == 4096, "a header block is one page_alloc() page");

int target_read_header_map(int fd, const struct extmap *m, enum image_state *ret_state,
			   struct image_header *ret, const char **ret_why)
{
	_cleanup_(freep) uint8_t *b = page_alloc();
	int r;

	if (!b)
		return -ENOMEM;
	r = extmap_pread(m, fd, b, IMAGE_HEADER_SIZE, 0);
	if (r < 0)
		return r;
	*ret_state = image_header_decode(b, ret, ret_why);
	return 0;
}

static int write_block(int fd, struct extmap *m, const uint8_t *b)
{
	int r = extmap_pwrite(m, fd, b, IMAGE_HEADER_SIZE, 0);
	if (r < 0)
		return r;
	if (fdatasync(fd) < 0)
		return -errno;
	return 0;
}

int target_write_header_map(int fd, struct extmap *m, const struct image_header *h)
{
	_cleanup_(freep) uint8_t *b = page_alloc();

	if (!b)
		return -ENOMEM;
	image_header_encode(h, b);
	return write_block(fd, m, b);
}

int target_clear_header_map(int fd, struct extmap *m)
{
	_cleanup_(freep) uint8_t *b = page_alloc();

	if (!b)
		return -ENOMEM;
	return write_block(fd, m, b);
}

int target_invalidate_map(int fd, struct extmap *m, const struct image_header *h,
			  uint32_t reason, uint64_t restore_read_ns)
{
	struct image_header d = *h;

	if (reason == IMAGE_DEAD_NONE)
		return -EINVAL;
	d.dead_reason = reason;
	d.dead_unix = (uint64_t)time(NULL);
	d.restore_read_ns = restore_read_ns;
	return target_write_header_map(fd, m, &d);
}

int target_read_header(int fd, enum image_state *ret_state, struct image_header *ret,
		       const char **ret_why)
{
	return target_read_header_map(fd, NULL, ret_state, ret, ret_why);
}

int target_write_header(int fd, const struct image_header *h)
{
	return target_write_header_map(fd, NULL, h);
}

int target_clear_header(int fd)
{
	return target_clear_header_map(fd, NULL);
}

int target_invalidate(int fd, const struct image_header *h, uint32_t reason,
		      uint64_t restore_read_ns)
{
	return target_invalidate_map(fd, NULL, h, reason, restore_read_ns);
}
