/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rollback: the parts both programs share.  A protected file system lives
 * on a device-mapper device NAME that is a plain "linear" mapping of its
 * ORIGIN.  "snapwrite snapshot" reloads NAME as a "snapshot" of ORIGIN
 * with a copy-on-write (COW) store while the system is frozen; the image
 * records each overlay (format/records.h) so that the next boot can
 * resume, keep (merge) or discard.
 *
 * This file: the configuration syntax of an overlay and the choice of the
 * next boot's action.  snapwrite's half is src/snapwrite/snapshot.c, the
 * initramfs' half src/resume/rollback-boot.c.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/records.h"

#define OVERLAY_MAX 8
#define OVERLAY_SPEC_LEN 128

/* The COW chunk size snapwrite uses, in 512-byte sectors (4 KiB). */
#define OVERLAY_CHUNK_SECTORS 8

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

/* The overlays of a configuration, in order. */
struct overlay_list {
	struct overlay_spec spec[OVERLAY_MAX];
	size_t n;
};

/* Add spec, or replace the one of the same name: 1, or -ERANGE when the
 * list is full. */
int overlay_list_add(struct overlay_list *l, const struct overlay_spec *spec);

/* 0, or -EINVAL when s is not "NAME,ORIGIN,COW" with a valid name. */
int overlay_spec_parse(const char *s, struct overlay_spec *ret);


/*
 * The next boot's action for a snapshot image: the command line's choice,
 * else the armed one, else keep.  Keep needs every change since the
 * snapshot (no store overflowed, none volatile); when it is impossible,
 * fallback (resume or discard) is taken and *ret_fell_back set.
 */
enum rollback_action rollback_decide(enum rollback_action cmdline, enum rollback_action armed,
				     bool keep_possible, enum rollback_action fallback,
				     bool *ret_fell_back);
