/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapresume's side of rollback: at boot, before anything mounts, each
 * configured overlay's mapping is made again: a plain linear mapping of
 * its origin, after merging (keep) or dropping (discard, resume) the COW
 * store a snapshot left.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "format/format.h"
#include "cow.h"
#include "rollback.h"
#include "options.h"

struct boot_ovl {
	struct overlay_spec spec;
	char origin[256];
	char cow[256]; /* "" when volatile, or not found */
	unsigned origin_major, origin_minor;
	unsigned cow_major, cow_minor; /* of cow, when found */
	uint64_t len; /* sectors */
	enum cow_state state;
	uint32_t chunk_sectors;
	bool found; /* origin (and a persistent COW) present */
};

struct boot_plan {
	size_t n;
	struct boot_ovl o[OVERLAY_MAX];
	/* The snapshot image found on the target (valid or invalidated): its
	 * overlay records say which COW stores are its own, its fs-guard
	 * records what the origins held at the snapshot. */
	bool has_header;
	struct image_header h;
	bool refused; /* this boot refused to resume it */
};

/* A snapshot image was found: remember its records (load.c). */
void overlays_remember(struct boot_plan *bp, const struct image_header *h);

/* Find each configured overlay's devices and read its COW store. */
void overlays_scan(const struct resume_opts *o, struct boot_plan *bp);

/* What a snapshot image h (with overlay records) asks of this boot: the
 * action, after the command line, the armed action and the fallback.  A
 * message for every choice that is not the plain one. */
enum rollback_action overlays_decide(const struct resume_opts *o, const struct boot_plan *bp,
				     const struct image_header *h);

/* The boot that decides keep, before it commits the decision: record in
 * h, for each overlay it will merge, what the merge leaves (the file
 * system as the overlay shows it), so that a boot finishing a merge that
 * was cut short can tell whether anything else wrote to the origin.  0,
 * or -errno (said). */
int overlays_record_merge(const struct boot_plan *bp, struct image_header *h);

/* Before the jump into a snapshot image: drop the COW store of each of its
 * persistent overlays (the restored system has the linear mappings).
 * check_only: only see that every one can be dropped.  0, or -errno with
 * why (then the image must not be resumed). */
int overlays_drop_for_resume(const struct boot_plan *bp, const struct image_header *h,
			     bool check_only, char *why, size_t size);

/*
 * Make every mapping: merge what a COW store holds (action keep, or a merge
 * an earlier boot decided and did not finish), or drop it, then a linear
 * mapping of the origin.  The origin is the truth: a store is merged only
 * when the snapshot image names it and its origin's file system is exactly
 * as the image recorded it (else it is dropped, saying why), and a store
 * is touched only when the image names that device as its store (else it
 * is left alone, saying why).
 */
void overlays_setup(const struct resume_opts *o, struct boot_plan *bp,
		    enum rollback_action action, bool dry_run);
