/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The on-disk image format, version 1.  docs/FORMAT.md is the
 * specification; src/lib/format/ is its only implementation,
 * and does no I/O: it turns bytes into structures and back.
 *
 * A target holds, from its first byte:
 *
 *   offset 0          the image header, IMAGE_HEADER_SIZE bytes, written
 *                     last (commit) and rewritten to invalidate;
 *   payload_offset    chunk 0, chunk 1, ... chunk N-1, back to back, each
 *                     a 64-byte chunk header followed by its stored data,
 *                     padded with zeros to a multiple of IMAGE_ALIGN.
 *
 * Every integer is little-endian.  The structures below are the in-memory,
 * host-order view; image_*_encode()/decode() convert to and from the exact
 * byte layout, so nothing here depends on compiler padding or host order.
 *
 * This file: the header.  records.h: the typed records inside it;
 * chunk.h: the chunk framing; extmap.h: images in extents of a device.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_HEADER_SIZE 4096u
#define IMAGE_ALIGN 4096u /* every on-disk offset and length: O_DIRECT */
#define IMAGE_PAGE_SIZE 4096u
#define IMAGE_VERSION 1u
#define IMAGE_MAGIC "SNAPIMG\0"
#define IMAGE_MAGIC_DEAD "SNAPDEAD"
#define IMAGE_MAGIC_LEN 8

#define IMAGE_COMPRESS_LZ4 1u
#define IMAGE_CHECKSUM_XXH3 1u

#define IMAGE_RECORDS_OFFSET 512u /* typed records area up to the end */
#define IMAGE_RECORDS_SIZE (IMAGE_HEADER_SIZE - IMAGE_RECORDS_OFFSET)
#define IMAGE_RECORD_CRITICAL 0x8000u

#define IMAGE_KREL_LEN 128
#define IMAGE_KVER_LEN 128

enum image_state {
	IMAGE_NONE,        /* no header of ours at all */
	IMAGE_VALID,       /* committed, checksum good, resumable format */
	IMAGE_INVALIDATED, /* ours, deliberately invalidated */
	IMAGE_DAMAGED,     /* our magic, but checksum or fields wrong */
	IMAGE_UNSUPPORTED, /* good checksum, but a version or feature we lack */
};

/* Why an image was invalidated; stored in the dead header. */
enum image_dead_reason {
	IMAGE_DEAD_NONE = 0,
	IMAGE_DEAD_RESUMED = 1,   /* handed to the kernel for restore */
	IMAGE_DEAD_REFUSED = 2,   /* a check failed at resume */
	IMAGE_DEAD_NORESUME = 3,  /* booted with noresume */
	IMAGE_DEAD_DISCARDED = 4, /* the user discarded it */
	IMAGE_DEAD_CANCELLED = 5, /* the writer gave up after committing */
	IMAGE_DEAD_KEPT = 6,      /* a snapshot whose later changes were kept */
	IMAGE_DEAD_WOKEN = 7,     /* hybrid sleep woken from RAM: the system ran on */
};

struct image_header {
	uint32_t version;
	uint8_t uuid[16];
	uint64_t flags; /* no flag defined in version 1: must be 0 */
	uint64_t created_unix;
	uint32_t page_size;
	uint32_t chunk_pages;
	uint64_t image_pages; /* pages in the kernel's snapshot stream */
	uint64_t payload_offset;
	uint64_t payload_bytes; /* chunks, headers and padding included */
	uint64_t chunk_count;
	uint32_t compression;
	uint32_t checksum;
	uint64_t mem_total_kib; /* MemTotal of the machine that wrote it */
	uint64_t snapshot_ns;   /* freeze until the kernel made the snapshot */
	uint64_t write_ns;      /* snapshot made until payload stable */
	char kernel_release[IMAGE_KREL_LEN]; /* uname -r */
	char kernel_version[IMAGE_KVER_LEN]; /* uname -v: the build */
	/* Filled in when the image is invalidated. */
	uint32_t dead_reason;
	uint64_t dead_unix;
	uint64_t restore_read_ns; /* snapresume: reading + loading the pages */
	/* The typed records as on disk; all zero is an empty list.  Use
	 * image_record_add() and image_record_next(). */
	uint8_t records[IMAGE_RECORDS_SIZE];
};

/* Encode into a zeroed IMAGE_HEADER_SIZE buffer, checksum included; the
 * magic is IMAGE_MAGIC or, when h->dead_reason != 0, IMAGE_MAGIC_DEAD. */
void image_header_encode(const struct image_header *h, void *buf);

/* Classify and decode a header block.  For IMAGE_VALID, IMAGE_INVALIDATED
 * and IMAGE_UNSUPPORTED the fields are filled in; *ret_why (optional) gets
 * a static string naming the problem for DAMAGED and UNSUPPORTED. */
enum image_state image_header_decode(const void *buf, struct image_header *ret,
				     const char **ret_why);

const char *image_state_to_string(enum image_state s);
const char *image_dead_reason_to_string(uint32_t r);

/* Fill uuid with 16 random bytes (getrandom), RFC 4122 version 4. */
int image_uuid_generate(uint8_t uuid[16]);
void image_uuid_format(const uint8_t uuid[16], char out[37]);
/* The reverse, case-insensitive; trailing white space is allowed.  0 or
 * -EINVAL. */
int image_uuid_parse(const char *s, uint8_t uuid[16]);
