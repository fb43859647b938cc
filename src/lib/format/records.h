/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed records of the image header (docs/FORMAT.md, "Records"), every
 * record type in one list.  A record whose type has IMAGE_RECORD_CRITICAL
 * set must be understood by a reader, or the image is not resumed; the
 * others only inform.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/header.h"

/* Record types, in the order of their numbers. */
#define IMAGE_REC_MACHINE 0x0001u    /* the machine's DMI product UUID, 16 bytes */
#define IMAGE_REC_FS_GUARD 0x8002u   /* one guarded file system, struct fs_guard */
#define IMAGE_REC_OVERLAY 0x8003u    /* one rollback overlay, struct overlay_rec */
#define IMAGE_REC_ROLLBACK 0x0004u   /* the rollback action armed for the next boot, u32 */
#define IMAGE_REC_LOAD_PAGES 0x0005u /* pages the kernel allocates to load it, u64 */
#define IMAGE_REC_ATTEMPT 0x0006u    /* a resume began loading it: when, u64 seconds */
#define IMAGE_REC_FS_DIGEST 0x0007u  /* a guarded file system's superblocks' digest */
#define IMAGE_REC_GOLDEN 0x8008u    /* a golden snapshot: resumed at every boot */
#define IMAGE_REC_POWER_MODE 0x0009u /* how the writer powered off, u32 IMAGE_POWER_* */
#define IMAGE_REC_MERGE_INTO 0x000Au /* a file system as a merge of its overlay leaves it */
#define IMAGE_MERGE_INTO_LEN 104u    /* struct fs_guard (96), then its digest (8) */
#define IMAGE_FS_DIGEST_LEN 24u
#define IMAGE_GOLDEN_LEN 16u

#define IMAGE_FS_GUARD_LEN 96u
#define IMAGE_OVERLAY_LEN 176
#define IMAGE_ROLLBACK_LEN 4
#define IMAGE_FS_EXT4 1u  /* ext2, ext3 and ext4 */
#define IMAGE_FS_XFS 2u   /* xfs, version 5, internal log */
#define IMAGE_FS_BTRFS 3u /* btrfs */
#define IMAGE_FS_VFAT 4u  /* FAT12/16/32 (uuid: the volume serial, then zeros) */
#define IMAGE_POWER_PLATFORM 1u /* the platform's S4 (SNAPSHOT_POWER_OFF): restore with
				 * the platform too (SNAPSHOT_PLATFORM_SUPPORT) */

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
	/* XXH3 of what any write changes: the superblock (ext: with the
	 * journal's superblock); 0 when not known.  Its own record,
	 * IMAGE_REC_FS_DIGEST, keyed by uuid. */
	uint64_t digest;
};

/* Check the records area of an encoded header (from IMAGE_RECORDS_OFFSET
 * of buf): 0, -EBADMSG (malformed) or -EPROTONOSUPPORT (a critical record
 * this version does not know).  image_header_decode() calls it. */
int image_records_check(const uint8_t *buf);

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

/* Record that a resume begins to load the image (at unix time when): h's
 * records with an attempt record added.  0, or -ENOSPC. */
int image_attempt_mark(struct image_header *h, uint64_t when);

/* The power mode record as IMAGE_POWER_*, 0 when the image has none (the
 * writer powered off, rebooted or suspended to RAM). */
uint32_t image_power_mode(const struct image_header *h);

/* Did a resume begin to load this image?  *ret_when (may be NULL): when. */
bool image_attempt_begun(const struct image_header *h, uint64_t *ret_when);

/* Take a resume attempt back (the resumed system of a golden image, or a
 * load that did not start): h's records without attempt records. */
void image_attempt_clear(struct image_header *h);

/*
 * A golden snapshot (record IMAGE_REC_GOLDEN, critical): every boot resumes
 * it and leaves it valid, until a boot keeps or discards.  The record
 * counts the resumes and holds the time of the last one.
 */
struct golden_rec {
	uint64_t resumes;     /* boots that resumed it */
	uint64_t last_resume; /* unix time of the last one; 0 for none */
};

/* Is the image golden?  Its record into *ret (may be NULL). */
bool image_golden_info(const struct image_header *h, struct golden_rec *ret);

/* h's records with the golden record replaced by (or set to) g.  0, or
 * -ENOSPC. */
int image_golden_set(struct image_header *h, const struct golden_rec *g);

/* Add g's digest record (when it has a digest): 0, or -ENOSPC. */
int image_fs_digest_add(struct image_header *h, const struct fs_guard *g);

/* The digest recorded for the file system with this uuid; 0 when none. */
uint64_t image_fs_digest(const struct image_header *h, const uint8_t uuid[16]);

/* The state a merge leaves a file system in (what the overlay showed when
 * the boot that decided keep began merging), IMAGE_REC_MERGE_INTO: add
 * one (0, or -ENOSPC), or find the one of uuid (true, with its digest). */
int image_merge_into_add(struct image_header *h, const struct fs_guard *g);
bool image_merge_into(const struct image_header *h, const uint8_t uuid[16], struct fs_guard *ret);

void fs_guard_encode(const struct fs_guard *g, uint8_t out[IMAGE_FS_GUARD_LEN]);
void fs_guard_decode(const uint8_t in[IMAGE_FS_GUARD_LEN], struct fs_guard *ret);

#define OVERLAY_NAME_LEN 64 /* device-mapper name, NUL included */

enum overlay_kind {
	OVERLAY_PERSISTENT = 1, /* a partition or LV: survives power-off */
	OVERLAY_VOLATILE = 2,   /* zram: gone at power-off */
};

/* What the next boot does with a snapshot image and its overlays. */
enum rollback_action {
	ROLLBACK_UNSET = 0,
	ROLLBACK_RESUME = 1,  /* restore the image; drop the COW stores */
	ROLLBACK_KEEP = 2,    /* merge the COW stores; drop the image */
	ROLLBACK_DISCARD = 3, /* drop both: file systems as at the snapshot */
};

/* One overlay in an image (record IMAGE_REC_OVERLAY). */
struct overlay_rec {
	uint16_t kind;          /* enum overlay_kind */
	uint16_t chunk_sectors; /* of the COW store */
	uint32_t origin_major, origin_minor;
	uint32_t cow_major, cow_minor; /* 0:0 for zram */
	uint64_t origin_sectors;
	uint64_t cow_sectors;
	char name[OVERLAY_NAME_LEN];
	char cow_spec[64]; /* as configured, truncated, for messages */
};

/* Is the image a snapshot (has overlay records)?  The action armed for the
 * next boot into *ret_armed (may be NULL): ROLLBACK_UNSET when none, or
 * when the record holds a value this code does not know. */
bool image_snapshot_info(const struct image_header *h, enum rollback_action *ret_armed);

/* Arm the next boot: h's records with the armed action replaced by act.
 * 0, -EINVAL for ROLLBACK_UNSET, -ENOSPC when the records do not fit. */
int image_snapshot_arm(struct image_header *h, enum rollback_action act);

/* Is s usable as a device-mapper name for an overlay? */
bool overlay_name_valid(const char *s);

void overlay_rec_encode(const struct overlay_rec *o, uint8_t out[IMAGE_OVERLAY_LEN]);
/* 0, or -EBADMSG when the record is not one snapwrite could have made. */
int overlay_rec_decode(const uint8_t *in, size_t len, struct overlay_rec *ret);
