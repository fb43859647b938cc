/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "format/chunk.h"

#include <errno.h>
#include <string.h>

#include "format/endian.h"
#include "hash.h"

/* Byte offsets of the chunk header fields. */
enum {
	C_MAGIC = 0,
	C_FLAGS = 4,
	C_SEQ = 8,
	C_UUID = 16,
	C_RAW = 32,
	C_STORED = 36,
	C_DATA_SUM = 40,
	C_RESERVED = 48,
	C_HDR_SUM = 56,
};

_Static_assert(C_HDR_SUM + 8 == CHUNK_HEADER_SIZE, "chunk header layout");

static uint64_t chunk_header_checksum(const uint8_t *b)
{
	return hash64(b, C_HDR_SUM, 0);
}

void chunk_header_encode(const struct chunk_header *c, void *out)
{
	uint8_t *b = out;

	memset(b, 0, CHUNK_HEADER_SIZE);
	memcpy(b + C_MAGIC, CHUNK_MAGIC, 4);
	le32_put(b + C_FLAGS, c->flags);
	le64_put(b + C_SEQ, c->seq);
	memcpy(b + C_UUID, c->uuid, 16);
	le32_put(b + C_RAW, c->raw_bytes);
	le32_put(b + C_STORED, c->stored_bytes);
	le64_put(b + C_DATA_SUM, c->data_checksum);
	le64_put(b + C_HDR_SUM, chunk_header_checksum(b));
}

int chunk_header_decode(const void *in, struct chunk_header *ret)
{
	const uint8_t *b = in;
	struct chunk_header c;

	if (memcmp(b + C_MAGIC, CHUNK_MAGIC, 4) != 0)
		return -EBADMSG;
	if (le64_get(b + C_HDR_SUM) != chunk_header_checksum(b))
		return -EBADMSG;
	if (!all_zero(b + C_RESERVED, 8))
		return -EBADMSG;

	c.flags = le32_get(b + C_FLAGS);
	c.seq = le64_get(b + C_SEQ);
	memcpy(c.uuid, b + C_UUID, 16);
	c.raw_bytes = le32_get(b + C_RAW);
	c.stored_bytes = le32_get(b + C_STORED);
	c.data_checksum = le64_get(b + C_DATA_SUM);

	if (c.flags & ~CHUNK_FLAGS_KNOWN)
		return -EBADMSG;
	if (c.raw_bytes == 0 || c.raw_bytes % IMAGE_PAGE_SIZE ||
	    c.raw_bytes / IMAGE_PAGE_SIZE > CHUNK_MAX_PAGES)
		return -EBADMSG;
	if (c.stored_bytes == 0 || c.stored_bytes > chunk_stored_bound(c.raw_bytes / IMAGE_PAGE_SIZE))
		return -EBADMSG;
	if ((c.flags & CHUNK_FLAG_RAW) && c.stored_bytes != c.raw_bytes)
		return -EBADMSG;

	*ret = c;
	return 0;
}

uint64_t chunk_data_checksum(const void *data, size_t len, uint64_t seq)
{
	return hash64(data, len, seq);
}

uint32_t chunk_stored_bound(uint32_t pages)
{
	/* A chunk that lz4 cannot shrink is stored raw: never more than raw. */
	return pages * IMAGE_PAGE_SIZE;
}

