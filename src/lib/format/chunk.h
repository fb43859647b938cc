/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Chunk framing (docs/FORMAT.md, "Chunks"): each chunk of the payload is a
 * 64-byte header and its stored data, padded to IMAGE_ALIGN.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "format/header.h"

#define CHUNK_HEADER_SIZE 64u
#define CHUNK_MAGIC "SCHK"
#define CHUNK_FLAG_RAW 0x1u /* data stored uncompressed */
#define CHUNK_FLAGS_KNOWN CHUNK_FLAG_RAW
#define CHUNK_MAX_PAGES 1024u /* 4 MiB of pages per chunk at most */

struct chunk_header {
	uint32_t flags;
	uint64_t seq;
	uint8_t uuid[16];
	uint32_t raw_bytes;    /* pages * IMAGE_PAGE_SIZE */
	uint32_t stored_bytes; /* bytes of data following the header */
	uint64_t data_checksum;
};

/* Chunk headers.  decode() checks magic, header checksum, known flags and
 * sizes; -EBADMSG when any is wrong. */
void chunk_header_encode(const struct chunk_header *c, void *buf);
int chunk_header_decode(const void *buf, struct chunk_header *ret);

/* The checksum of a chunk's stored data, bound to its sequence number. */
uint64_t chunk_data_checksum(const void *data, size_t len, uint64_t seq);

/* Bytes a chunk occupies on disk, header and padding included. */
static inline uint64_t chunk_disk_bytes(uint32_t stored_bytes)
{
	return ((uint64_t)CHUNK_HEADER_SIZE + stored_bytes + IMAGE_ALIGN - 1) / IMAGE_ALIGN *
	       IMAGE_ALIGN;
}

/* Worst-case stored size of a chunk of `pages` pages. */
uint32_t chunk_stored_bound(uint32_t pages);
