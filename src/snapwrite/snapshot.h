/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapwrite snapshot: the overlays that let the system run on after the
 * image is stored, without changing what the image expects on disk.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/format.h"
#include "cow.h"
#include "rollback.h"

#define ROLLBACK_DEFAULT_COW_MIN (16u << 20)

struct ovl {
	struct overlay_spec spec;
	char origin[256]; /* resolved device nodes */
	char cow[256];
	unsigned origin_major, origin_minor, cow_major, cow_minor;
	uint64_t len;             /* of the mapping and the origin, sectors */
	uint64_t cow_sectors;
	unsigned write_unit;      /* the smallest write the data on it needs */
	char unit_what[96];       /* what sets it, for messages */
	char linear[64];          /* the table to go back to */
	bool zram_made;           /* cow is a zram device made by the plan */
	bool loaded;              /* a snapshot table is loaded (inactive) */
	bool inserted;            /* and active */
};

struct ovl_plan {
	size_t n;
	struct ovl o[OVERLAY_MAX];
};

/*
 * Before anything is frozen: check every configured overlay, the mounts
 * and the swap areas; print each offender; prepare the COW stores (drop
 * old ones, make zram devices).  target: the device the image goes to.  0,
 * -ECANCELED after printing why the snapshot is refused, or another
 * negative errno.
 */
int rollback_plan(const struct overlay_spec *specs, size_t n, uint64_t cow_min,
		  const char *target, struct ovl_plan *plan);

/* Undo what rollback_plan() made (zram devices). */
void rollback_plan_undo(struct ovl_plan *plan);

/* The overlay records for the image header. */
int rollback_records(const struct ovl_plan *plan, struct image_header *h);

/* With the system frozen: each mapping becomes a snapshot of its origin.
 * On failure, whatever was done is undone. */
int rollback_insert(struct ovl_plan *plan);

/* Back to the linear tables (still frozen: nothing was written). */
void rollback_revert(struct ovl_plan *plan);

/* A child process that warns (kernel log) as the COW stores fill, and
 * exits when no overlay is a snapshot any more. */
void rollback_monitor(const struct ovl_plan *plan, unsigned interval_s);

/* After a golden resume: run the system-sleep hooks as "HOOK post golden"
 * (the directories and overrides of systemd-sleep), each to its end, in
 * the order of their names; say which failed. */
void golden_hooks(void);

/* One overlay's state for status: "linear", "snapshot", "merging" or
 * "missing"; usage filled for the last two. */
struct ovl_state {
	char state[16];
	char table[160];
	struct cow_usage usage;
	bool has_usage;
};
int rollback_state(const char *name, struct ovl_state *ret);
