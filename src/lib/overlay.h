/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rollback overlays: the parts that are pure data.  A protected file
 * system lives on a device-mapper device NAME that is a plain "linear"
 * mapping of its ORIGIN.  "snapwrite snapshot" reloads NAME as a
 * "snapshot" of ORIGIN with a copy-on-write (COW) store while the system
 * is frozen; the image records each overlay (IMAGE_REC_OVERLAY) so that
 * the next boot can resume, keep (merge) or discard.
 *
 * This file: the configuration syntax, the image records, the on-disk
 * header of the kernel's persistent COW store and the status line of its
 * snapshot target.  docs/FORMAT.md describes the records.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVERLAY_MAX 8
#define OVERLAY_NAME_LEN 64 /* device-mapper name, NUL included */
#define OVERLAY_SPEC_LEN 128

/* Image records (image.h numbering).  An overlay record is critical: a
 * reader that does not know overlays must not resume such an image.  The
 * armed rollback action is not: it only picks a default. */
#define IMAGE_REC_OVERLAY 0x8003u
#define IMAGE_REC_ROLLBACK 0x0004u
#define IMAGE_OVERLAY_LEN 176
#define IMAGE_ROLLBACK_LEN 4

/* The COW chunk size snapwrite uses, in 512-byte sectors (4 KiB). */
#define OVERLAY_CHUNK_SECTORS 8

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

const char *rollback_action_to_string(enum rollback_action a);
/* ROLLBACK_UNSET for an unknown word. */
enum rollback_action rollback_action_from_string(const char *s);

/* One overlay as configured: "NAME,ORIGIN,COW" where ORIGIN and COW are
 * device specs (path, UUID=, PARTUUID=, LABEL=, PARTLABEL=) and COW may be
 * "zram:SIZE" for a volatile store of SIZE bytes (K/M/G suffixes). */
struct overlay_spec {
	char name[OVERLAY_NAME_LEN];
	char origin[OVERLAY_SPEC_LEN];
	char cow[OVERLAY_SPEC_LEN]; /* "" for zram */
	uint64_t zram_bytes;        /* > 0: a zram store of this size */
};

/* 0, or -EINVAL when s is not "NAME,ORIGIN,COW" with a valid name. */
int overlay_spec_parse(const char *s, struct overlay_spec *ret);

/* Is s usable as a device-mapper name for an overlay? */
bool overlay_name_valid(const char *s);

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

struct image_header;

/* Is the image a snapshot (has overlay records)?  The action armed for the
 * next boot into *ret_armed (may be NULL): ROLLBACK_UNSET when none, or
 * when the record holds a value this code does not know. */
bool image_snapshot_info(const struct image_header *h, enum rollback_action *ret_armed);

/* Arm the next boot: h's records with the armed action replaced by act.
 * 0, -EINVAL for ROLLBACK_UNSET, -ENOSPC when the records do not fit. */
int image_snapshot_arm(struct image_header *h, enum rollback_action act);

void overlay_rec_encode(const struct overlay_rec *o, uint8_t out[IMAGE_OVERLAY_LEN]);
/* 0, or -EBADMSG when the record is not one snapwrite could have made. */
int overlay_rec_decode(const uint8_t *in, size_t len, struct overlay_rec *ret);

/* The kernel's persistent COW store starts with a 16-byte header. */
#define COW_MAGIC 0x70416e53u /* "SnAp" little endian */
#define COW_HEADER_LEN 16

enum cow_state {
	COW_NONE,    /* no store: never used, or dropped */
	COW_VALID,   /* a snapshot with changes that can be merged */
	COW_INVALID, /* overflowed or failed: its changes are lost */
};

/* The state of a store from its first bytes (at least COW_HEADER_LEN).
 * 0, or -EPROTONOSUPPORT for a store version this code does not know. */
int cow_header_parse(const void *buf, size_t len, enum cow_state *ret_state,
		     uint32_t *ret_chunk_sectors);

/* The status line of a snapshot or snapshot-merge target. */
struct cow_usage {
	bool invalid;  /* "Invalid": the store failed or overflowed */
	bool overflow; /* "Overflow" */
	bool failed;   /* "Merge failed" */
	uint64_t allocated, total, metadata; /* sectors */
};

/* 0, or -EINVAL for a line that is none of the above. */
int cow_status_parse(const char *status, struct cow_usage *ret);

/* Percent of the store taken by changes (metadata included), 0-100. */
unsigned cow_usage_percent(const struct cow_usage *u);

/*
 * The next boot's action for a snapshot image: the command line's choice,
 * else the armed one, else keep.  Keep needs every change since the
 * snapshot (no store overflowed, none volatile); when it is impossible,
 * fallback (resume or discard) is taken and *ret_fell_back set.
 */
enum rollback_action rollback_decide(enum rollback_action cmdline, enum rollback_action armed,
				     bool keep_possible, enum rollback_action fallback,
				     bool *ret_fell_back);
