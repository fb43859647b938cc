/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz the chunk reader: a fixed, valid header describing up to a few
 * chunks, and the fuzzer's bytes as the payload.  pipe_read must reject or
 * accept without crashing, and never hand out more pages than the header
 * promised. */
#include <assert.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/format.h"
#include "pipeline.h"

static uint64_t pages_seen;

static int count_pages(void *userdata, const void *pages, uint32_t n)
{
	(void)userdata;
	(void)pages;
	pages_seen += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pipe *p;
	struct image_header h = {0};
	int fd, r;

	if (size < 2 || size > (1u << 20))
		return 0;
	if (!p && pipe_new(&(struct pipe_opts){.workers = 2, .chunk_pages = 4}, &p) < 0)
		return 0;

	/* The first two bytes choose the geometry, the rest is the payload. */
	h.version = IMAGE_VERSION;
	memset(h.uuid, 0x5a, 16);
	h.page_size = IMAGE_PAGE_SIZE;
	h.chunk_pages = 1 + data[0] % 4;
	h.image_pages = 1 + data[1] % 12;
	h.chunk_count = (h.image_pages + h.chunk_pages - 1) / h.chunk_pages;
	h.payload_offset = IMAGE_HEADER_SIZE;
	h.payload_bytes = (((size - 2) + IMAGE_ALIGN - 1) / IMAGE_ALIGN * IMAGE_ALIGN);
	if (h.payload_bytes < h.chunk_count * IMAGE_ALIGN)
		h.payload_bytes = h.chunk_count * IMAGE_ALIGN;
	h.compression = IMAGE_COMPRESS_LZ4;
	h.checksum = IMAGE_CHECKSUM_XXH3;

	fd = memfd_create("payload", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (ftruncate(fd, (off_t)(h.payload_offset + h.payload_bytes)) == 0 &&
	    pwrite(fd, data + 2, size - 2, (off_t)h.payload_offset) == (ssize_t)(size - 2)) {
		pages_seen = 0;
		r = pipe_read(p, &h, fd, h.payload_offset + h.payload_bytes, count_pages, NULL,
			      NULL, NULL, NULL);
		assert(pages_seen <= h.image_pages);
		assert(r < 0 || pages_seen == h.image_pages);
	}
	close(fd);
	return 0;
}
