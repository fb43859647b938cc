/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The on-disk image format, version 1.  docs/FORMAT.md is the
 * specification; this module is its only implementation.
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

#define CHUNK_HEADER_SIZE 64u
#define CHUNK_MAGIC "SCHK"
#define CHUNK_FLAG_RAW 0x1u /* data stored uncompressed */
#define CHUNK_FLAGS_KNOWN CHUNK_FLAG_RAW
#define CHUNK_MAX_PAGES 1024u /* 4 MiB of pages per chunk at most */

#define IMAGE_COMPRESS_LZ4 1u
#define IMAGE_CHECKSUM_XXH3 1u

#define IMAGE_RECORDS_OFFSET 512u /* typed records area up to the end */
#define IMAGE_RECORDS_SIZE (IMAGE_HEADER_SIZE - IMAGE_RECORDS_OFFSET)
#define IMAGE_RECORD_CRITICAL 0x8000u

/* Record types (docs/FORMAT.md, "Records"). */
#define IMAGE_REC_MACHINE 0x0001u  /* the machine's DMI product UUID, 16 bytes */
#define IMAGE_REC_FS_GUARD 0x8002u /* one guarded file system, IMAGE_FS_GUARD_LEN */
#define IMAGE_REC_LOAD_PAGES 0x0005u /* pages the kernel allocates to load it, u64 */
#define IMAGE_FS_GUARD_LEN 96u
#define IMAGE_FS_EXT4 1u  /* ext2, ext3 and ext4 */
#define IMAGE_FS_XFS 2u   /* xfs, version 5, internal log */
#define IMAGE_FS_BTRFS 3u /* btrfs */

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

/* One guarded file system (record IMAGE_REC_FS_GUARD): what identifies its
 * on-disk state when the snapshot was taken. */
struct fs_guard {
	uint16_t fs_type; /* IMAGE_FS_* */
	uint32_t mount_count;
	uint8_t uuid[16];
	/* What they hold depends on fs_type (docs/FORMAT.md): ext: seconds
	 * since the epoch; xfs: the superblock's LSN and the log head's LSN;
	 * btrfs: the log tree root and the generation. */
	uint64_t mount_time;
	uint64_t write_time;
	uint32_t dev_major, dev_minor; /* where it was, for messages */
	char mount_point[48];          /* truncated, NUL-terminated */
};

/* Helpers of on-disk fields: n bytes all zero; a string NUL-terminated
 * within its n-byte field and zero-padded after the NUL. */
bool all_zero(const uint8_t *p, size_t n);
bool string_field_ok(const uint8_t *p, size_t n);

/* Append a record to h; -ENOSPC when the area is full, -EINVAL for type 0. */
int image_record_add(struct image_header *h, uint16_t type, const void *payload, uint16_t len);

/* Walk h's records: *cursor starts at 0.  1 with the next record, 0 at the
 * end.  Only for headers that decoded as valid or invalidated (their
 * records were checked). */
int image_record_next(const struct image_header *h, size_t *cursor, uint16_t *ret_type,
		      const uint8_t **ret_payload, uint16_t *ret_len);

/* The load_pages record (IMAGE_REC_LOAD_PAGES) as a page count; 0 when
 * the image has none. */
uint64_t image_load_pages(const struct image_header *h);

void fs_guard_encode(const struct fs_guard *g, uint8_t out[IMAGE_FS_GUARD_LEN]);
void fs_guard_decode(const uint8_t in[IMAGE_FS_GUARD_LEN], struct fs_guard *ret);

struct chunk_header {
	uint32_t flags;
	uint64_t seq;
	uint8_t uuid[16];
	uint32_t raw_bytes;    /* pages * IMAGE_PAGE_SIZE */
	uint32_t stored_bytes; /* bytes of data following the header */
	uint64_t data_checksum;
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

/* Fill uuid with 16 random bytes (getrandom), RFC 4122 version 4. */
int image_uuid_generate(uint8_t uuid[16]);
void image_uuid_format(const uint8_t uuid[16], char out[37]);
/* The reverse, case-insensitive; trailing white space is allowed.  0 or
 * -EINVAL. */
int image_uuid_parse(const char *s, uint8_t uuid[16]);

/* Little-endian helpers (exported for the tests and the fuzzers). */
static inline void le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t le32_get(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static inline uint64_t le64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
