/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rollback-boot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "blockdev.h"
#include "cow.h"
#include "dm.h"
#include "fsguard.h"
#include "log.h"
#include "util.h"

void overlays_scan(const struct resume_opts *o, struct boot_plan *bp)
{
	memset(bp, 0, sizeof(*bp));
	for (size_t i = 0; i < o->overlays.n; i++) {
		struct boot_ovl *b = &bp->o[bp->n++];
		_cleanup_(freep) char *origin = NULL, *cow = NULL;
		_cleanup_(closep) int fd = -1;
		struct stat st;
		uint64_t bytes;
		int r;

		b->spec = o->overlays.spec[i];
		r = blockdev_wait(b->spec.origin, o->timeout * 1000, &origin);
		if (r == 0 && stat(origin, &st) == 0)
			r = blockdev_open(origin, O_RDONLY, false, &fd, &bytes);
		else if (r == 0)
			r = -errno;
		if (r < 0) {
			log_error("overlay %s: origin %s not found: %s; %s is not made", b->spec.name,
				  b->spec.origin, strerror(-r), b->spec.name);
			continue;
		}
		snprintf(b->origin, sizeof(b->origin), "%s", origin);
		b->origin_major = major(st.st_rdev);
		b->origin_minor = minor(st.st_rdev);
		b->len = bytes / 512;
		b->found = true;
		if (b->spec.zram_bytes)
			continue; /* volatile: nothing survived the power-off */
		r = blockdev_wait(b->spec.cow, o->timeout * 1000, &cow);
		if (r == 0)
			r = cow_read(cow, &b->state, &b->chunk_sectors);
		if (r < 0) {
			/* The origin is as the snapshot left it, or as merged:
			 * map it, but nothing can be merged or dropped. */
			log_error("overlay %s: COW store %s cannot be read: %s", b->spec.name,
				  b->spec.cow, strerror(-r));
			b->state = COW_NONE;
			continue;
		}
		snprintf(b->cow, sizeof(b->cow), "%s", cow);
		if (stat(cow, &st) == 0) {
			b->cow_major = major(st.st_rdev);
			b->cow_minor = minor(st.st_rdev);
		}
		if (b->state != COW_NONE)
			log_msg("overlay %s: the COW store %s holds %s since a snapshot", b->spec.name,
				cow,
				b->state == COW_VALID ? "the changes made"
						      : "an overflowed record of the changes");
	}
}

static const struct boot_ovl *find(const struct boot_plan *bp, const char *name)
{
	for (size_t i = 0; i < bp->n; i++)
		if (strcmp(bp->o[i].spec.name, name) == 0)
			return &bp->o[i];
	return NULL;
}

void overlays_remember(struct boot_plan *bp, const struct image_header *h)
{
	bp->h = *h;
	bp->has_header = true;
}

/* The overlay record of name in h: 0, or -ENOENT. */
static int record_of(const struct image_header *h, const char *name, struct overlay_rec *ret)
{
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_OVERLAY && overlay_rec_decode(p, len, ret) == 0 &&
		    strcmp(ret->name, name) == 0)
			return 0;
	return -ENOENT;
}

/*
 * Is b's COW store the one the snapshot image h put there?  Its device is
 * the one the image recorded, and it holds a store of the chunk size the
 * image recorded.  A device spec that names another disk now (a renamed
 * /dev/sdX) must not be touched.  true, or false and why.
 */
static bool store_is_ours(const struct boot_ovl *b, const struct image_header *h, char *why,
			  size_t size)
{
	struct overlay_rec rec;

	if (!h) {
		snprintf(why, size, "no snapshot image names it as its COW store");
		return false;
	}
	if (record_of(h, b->spec.name, &rec) < 0 || rec.kind != OVERLAY_PERSISTENT) {
		snprintf(why, size, "the snapshot image has no persistent overlay %s",
			 b->spec.name);
		return false;
	}
	if (!b->cow[0] || b->cow_major != rec.cow_major || b->cow_minor != rec.cow_minor) {
		snprintf(why, size, "%s is %u:%u, the snapshot's COW store was %u:%u (%s)",
			 b->cow[0] ? b->cow : b->spec.cow, b->cow_major, b->cow_minor,
			 rec.cow_major, rec.cow_minor, rec.cow_spec);
		return false;
	}
	if (b->state == COW_NONE || b->chunk_sectors != rec.chunk_sectors) {
		snprintf(why, size, "%s holds %s, not the snapshot's store (chunks of %u sectors)",
			 b->cow, b->state == COW_NONE ? "no COW store" : "another COW store",
			 rec.chunk_sectors);
		return false;
	}
	return true;
}

/*
 * Is b's origin exactly as the snapshot image recorded it?  The file
 * system on it (the overlay showed the same one, so the image has an
 * fs-guard record with its UUID) must pass the guard the resume uses.
 * true, or false and why.
 */
/* The state the snapshot recorded of the file system with this uuid
 * (its digest included): true when there is one. */
static bool recorded_guard(const struct image_header *h, const uint8_t uuid[16],
			   struct fs_guard *ret)
{
	size_t cursor = 0;
	const uint8_t *p;
	uint16_t type, len;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		if (type != IMAGE_REC_FS_GUARD)
			continue;
		fs_guard_decode(p, ret);
		if (memcmp(ret->uuid, uuid, 16) != 0)
			continue;
		ret->digest = image_fs_digest(h, uuid);
		return true;
	}
	return false;
}

static bool origin_unchanged(const struct boot_ovl *b, const struct image_header *h, char *why,
			     size_t size)
{
	struct fs_guard then, now;
	char reason[256];
	int r;

	r = fsguard_read(b->origin, &now);
	if (r < 0) {
		snprintf(why, size, "its origin %s cannot be checked: %s", b->origin, strerror(-r));
		return false;
	}
	if (!recorded_guard(h, now.uuid, &then)) {
		snprintf(why, size,
			 "the snapshot recorded no state of the file system on its origin %s",
			 b->origin);
		return false;
	}
	if (fsguard_same(&then, &now, reason, sizeof(reason)))
		return true;
	snprintf(why, size, "its origin %s changed since the snapshot: %s", b->origin, reason);
	return false;
}

/*
 * What b's file system looks like through its overlay: the origin with
 * every change its COW store holds, read through a temporary read-only
 * snapshot mapping (nothing is written, the store stays as it is).
 */
static int overlay_view(const struct boot_ovl *b, struct fs_guard *ret)
{
	char name[OVERLAY_NAME_LEN + 32], params[400], path[sizeof(name) + 16];
	int r, r2;

	snprintf(name, sizeof(name), "snapresume-view-%s", b->spec.name);
	snprintf(params, sizeof(params), "%u:%u %s P %u", b->origin_major, b->origin_minor, b->cow,
		 b->chunk_sectors);
	r = dmx_create_ro(name, b->len, "snapshot", params);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/dev/mapper/%s", name);
	r = fsguard_read(path, ret);
	r2 = dmx_remove(name);
	if (r2 < 0)
		log_error("overlay %s: removing the temporary mapping %s failed: %s", b->spec.name,
			  name, strerror(-r2));
	return r;
}

int overlays_record_merge(const struct boot_plan *bp, struct image_header *h)
{
	for (size_t i = 0; i < bp->n; i++) {
		const struct boot_ovl *b = &bp->o[i];
		struct fs_guard into;
		char why[256];
		int r;

		if (!b->found || b->state != COW_VALID || !store_is_ours(b, h, why, sizeof(why)))
			continue;
		r = overlay_view(b, &into);
		if (r == 0)
			r = image_merge_into_add(h, &into);
		if (r < 0) {
			log_error("overlay %s: the state its merge leaves could not be recorded (%s): "
				  "should the merge be cut short, the next boot cannot tell "
				  "whether another system wrote to %s meanwhile",
				  b->spec.name, strerror(-r), b->origin);
		}
	}
	return 0;
}

static bool either(uint64_t v, uint64_t a, uint64_t b)
{
	return v == a || v == b;
}

/*
 * An earlier boot decided keep and began to merge b's store, and the merge
 * did not finish.  Each block of the origin holds what the snapshot
 * recorded (not merged yet) or what the overlay held (merged), so its file
 * system must look like the one, the other, or a mix of the two (the
 * superblock merged, the journal's not yet); anything else was written by
 * another system meanwhile, and merging on would mix three states.
 */
static bool merge_resumable(const struct boot_ovl *b, const struct image_header *h, char *why,
			    size_t size)
{
	struct fs_guard then, into, now;
	char was[256] = "the snapshot recorded no state of it", will[256];

	if (fsguard_read(b->origin, &now) < 0) {
		snprintf(why, size, "its origin %s cannot be read", b->origin);
		return false;
	}
	if (!image_merge_into(h, now.uuid, &into)) {
		log_msg("overlay %s: no record of the state the merge leaves (decided by an older "
			"snapresume, or it could not be read): finishing the merge without checking "
			"%s against it",
			b->spec.name, b->origin);
		return true;
	}
	if (fsguard_same(&into, &now, will, sizeof(will)))
		return true; /* all that shows is merged */
	if (recorded_guard(h, now.uuid, &then)) {
		if (fsguard_same(&then, &now, was, sizeof(was)))
			return true; /* nothing that shows is merged yet */
		if (then.fs_type == now.fs_type &&
		    either(now.mount_count, then.mount_count, into.mount_count) &&
		    either(now.mount_time, then.mount_time, into.mount_time) &&
		    either(now.write_time, then.write_time, into.write_time))
			return true; /* some of each */
	}
	snprintf(why, size,
		 "its origin %s was written by another system while the merge was cut short: "
		 "against the snapshot, %s; against the merged state, %s",
		 b->origin, was, will);
	return false;
}

enum rollback_action overlays_decide(const struct resume_opts *o, const struct boot_plan *bp,
				     const struct image_header *h)
{
	enum rollback_action armed, act;
	struct overlay_rec rec;
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	bool keep_possible = true, fell_back;
	char lost[256] = "";

	image_snapshot_info(h, &armed);
	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		const struct boot_ovl *b;

		if (type != IMAGE_REC_OVERLAY || overlay_rec_decode(p, len, &rec) < 0)
			continue;
		b = find(bp, rec.name);
		if (rec.kind == OVERLAY_VOLATILE || !b || b->state != COW_VALID) {
			keep_possible = false;
			snprintf(lost + strlen(lost), sizeof(lost) - strlen(lost), "%s%s (%s)",
				 lost[0] ? ", " : "", rec.name,
				 rec.kind == OVERLAY_VOLATILE ? "volatile store, gone at power-off"
				 : !b || !b->cow[0]	      ? "COW store not found"
				 : b->state == COW_INVALID    ? "COW store overflowed"
							      : "COW store empty");
		}
	}
	if (image_golden_info(h, NULL)) {
		/* Golden: resumed at every boot until a keep or discard (armed,
		 * or rd.snap.rollback= for one boot) ends it.  Where keep is
		 * impossible, ending it drops the changes: resuming instead
		 * would not end golden mode as asked. */
		act = o->rollback ? o->rollback : armed ? armed : ROLLBACK_RESUME;
		if (act == ROLLBACK_KEEP && !keep_possible) {
			log_msg("keeping the changes since the golden snapshot is impossible: %s "
				"lost them; golden mode ends with discard",
				lost);
			act = ROLLBACK_DISCARD;
		}
		log_msg("golden snapshot image: %s (%s)", rollback_action_to_string(act),
			o->rollback ? "rd.snap.rollback= on the command line"
			: armed && armed != ROLLBACK_RESUME ? "armed by snapwrite rollback"
							    : "golden: every boot returns to it");
		return act;
	}
	act = rollback_decide(o->rollback, armed, keep_possible, o->fallback, &fell_back);
	if (fell_back)
		log_msg("keeping the changes since the snapshot is impossible: %s lost them; "
			"the origins are intact, so: %s (rd.snap.fallback=)",
			lost, rollback_action_to_string(act));
	else
		log_msg("snapshot image: %s (%s)", rollback_action_to_string(act),
			o->rollback ? "rd.snap.rollback= on the command line"
			: armed	    ? "armed by snapwrite rollback"
				    : "the default");
	return act;
}

int overlays_drop_for_resume(const struct boot_plan *bp, const struct image_header *h,
			     bool check_only, char *why, size_t size)
{
	char store[384];
	struct overlay_rec rec;
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	int r;

	/* All found first: the image must not be resumed with a store left
	 * that a later boot would merge over the resumed system's writes. */
	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		const struct boot_ovl *b;

		if (type != IMAGE_REC_OVERLAY || overlay_rec_decode(p, len, &rec) < 0)
			continue;
		b = find(bp, rec.name);
		if (!b || !b->found) {
			snprintf(why, size, "overlay %s of the snapshot is not configured for this "
				 "boot (rd.snap.overlay=), or its origin is missing",
				 rec.name);
			return -ENOENT;
		}
		if (b->origin_major != rec.origin_major || b->origin_minor != rec.origin_minor ||
		    b->len != rec.origin_sectors) {
			snprintf(why, size, "overlay %s: origin %s is %u:%u (%" PRIu64 " sectors), the "
				 "snapshot had %u:%u (%" PRIu64 " sectors)",
				 rec.name, b->origin, b->origin_major, b->origin_minor, b->len,
				 rec.origin_major, rec.origin_minor, rec.origin_sectors);
			return -ENODEV;
		}
		if (rec.kind == OVERLAY_PERSISTENT && !b->cow[0]) {
			snprintf(why, size, "overlay %s: its COW store %s was not found, so it cannot "
				 "be dropped",
				 rec.name, b->spec.cow);
			return -ENOENT;
		}
		if (rec.kind == OVERLAY_PERSISTENT && !store_is_ours(b, h, store, sizeof(store))) {
			snprintf(why, size, "overlay %s: %s; it is left untouched, so the snapshot's "
				 "changes cannot be dropped",
				 rec.name, store);
			return -ESTALE;
		}
	}
	if (check_only)
		return 0;
	cursor = 0;
	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		const struct boot_ovl *b;

		if (type != IMAGE_REC_OVERLAY || overlay_rec_decode(p, len, &rec) < 0 ||
		    rec.kind != OVERLAY_PERSISTENT)
			continue;
		b = find(bp, rec.name);
		r = cow_drop(b->cow);
		if (r < 0) {
			snprintf(why, size, "overlay %s: dropping the COW store %s failed: %s",
				 rec.name, b->cow, strerror(-r));
			return r;
		}
		log_msg("overlay %s: the changes since the snapshot (COW store %s) dropped",
			rec.name, b->cow);
	}
	return 0;
}

/* Merge the store into the origin through a snapshot-merge mapping; 0 when
 * done (the mapping is linear again), 1 when it goes on in the background
 * past the timeout, negative errno. */
static int merge(const struct resume_opts *o, struct boot_ovl *b)
{
	char params[400], linear[48], type[32], status[160];
	struct cow_usage u;
	uint64_t len, start = now_ns(), said = start, changes = 0;
	int r;

	/* For the message: how much there is to merge. */
	if (cow_count_changes(b->cow, b->chunk_sectors, &changes) < 0)
		changes = 0;

	snprintf(params, sizeof(params), "%u:%u %s P %u", b->origin_major, b->origin_minor, b->cow,
		 b->chunk_sectors);
	log_msg("overlay %s: merging the changes since the snapshot (%" PRIu64 " KiB) into %s",
		b->spec.name, changes * b->chunk_sectors / 2, b->origin);
	r = dmx_create(b->spec.name, b->len, "snapshot-merge", params);
	if (r < 0) {
		log_error("overlay %s: starting the merge ('snapshot-merge %s') failed: %s",
			  b->spec.name, params, strerror(-r));
		return r;
	}
	for (;;) {
		r = dmx_target(b->spec.name, true, type, sizeof(type), &len, status,
			       sizeof(status));
		if (r == 0)
			r = cow_status_parse(status, &u);
		if (r < 0 || u.invalid || u.failed) {
			log_error("overlay %s: the merge failed (%s); it stays as a merging "
				  "mapping",
				  b->spec.name, r < 0 ? strerror(-r) : status);
			return r < 0 ? r : -EIO;
		}
		if (u.allocated == u.metadata)
			break;
		if (now_ns() - start > o->merge_timeout * UINT64_C(1000000000)) {
			log_msg("overlay %s: the merge goes on in the background (%" PRIu64
				" MiB left after %" PRIu64 " s)",
				b->spec.name, (u.allocated - u.metadata) >> 11, o->merge_timeout);
			return 1;
		}
		if (now_ns() - said > UINT64_C(5000000000)) {
			said = now_ns();
			log_msg("overlay %s: merging, %" PRIu64 " MiB left", b->spec.name,
				(u.allocated - u.metadata) >> 11);
		}
		usleep(50 * 1000);
	}
	snprintf(linear, sizeof(linear), "%u:%u 0", b->origin_major, b->origin_minor);
	r = dmx_reload(b->spec.name, b->len, "linear", linear);
	if (r == 0)
		r = dmx_suspend(b->spec.name, false);
	if (r == 0)
		r = dmx_resume(b->spec.name);
	if (r < 0) {
		log_error("overlay %s: merged, but going back to a linear mapping failed: %s",
			  b->spec.name, strerror(-r));
		return r;
	}
	r = cow_drop(b->cow);
	if (r < 0)
		log_error("overlay %s: clearing the merged COW store failed: %s", b->spec.name,
			  strerror(-r));
	log_msg("overlay %s: the changes since the snapshot (%" PRIu64 " KiB) merged into %s in "
		"%.1f s",
		b->spec.name, changes * b->chunk_sectors / 2, b->origin,
		(double)(now_ns() - start) / 1e9);
	return 0;
}

/*
 * Merge b's store?  When this boot decided keep for a snapshot image it did
 * not refuse, and the origin is as the image recorded it; or when an
 * earlier boot decided keep (the image says so) and its merge did not
 * finish: the origin is partly merged then, and only merging on makes it
 * whole.  false with why (empty when there was nothing to merge for).
 */
static bool merge_wanted(const struct boot_plan *bp, enum rollback_action action,
			 const struct boot_ovl *b, char *why, size_t size)
{
	why[0] = '\0';
	if (action == ROLLBACK_KEEP && !bp->refused)
		return origin_unchanged(b, &bp->h, why, size);
	if (action == ROLLBACK_UNSET && bp->h.dead_reason == IMAGE_DEAD_KEPT) {
		if (!merge_resumable(b, &bp->h, why, size))
			return false;
		log_msg("overlay %s: finishing the merge an earlier boot began", b->spec.name);
		return true;
	}
	if (bp->refused)
		snprintf(why, size, "the snapshot image was refused");
	else if (action == ROLLBACK_UNSET)
		snprintf(why, size, "no snapshot image asks for them to be kept");
	return false;
}

void overlays_setup(const struct resume_opts *o, struct boot_plan *bp,
		    enum rollback_action action, bool dry_run)
{
	const struct image_header *h = bp->has_header ? &bp->h : NULL;

	for (size_t i = 0; i < bp->n; i++) {
		struct boot_ovl *b = &bp->o[i];
		char linear[48], why[1024] = "";
		int r;

		if (!b->found)
			continue;
		r = dmx_exists(b->spec.name, NULL, NULL);
		if (r != 0) {
			if (r > 0)
				log_debug("overlay %s exists already", b->spec.name);
			else
				log_error("overlay %s: asking device-mapper failed: %s", b->spec.name,
					  strerror(-r));
			continue;
		}
		if (dry_run) {
			log_msg("overlay %s: would map %s (COW store: %s)", b->spec.name, b->origin,
				b->state == COW_VALID ? "changes" : "nothing to keep");
			continue;
		}
		bool ours = b->state == COW_NONE || store_is_ours(b, h, why, sizeof(why));
		bool want = ours && b->state == COW_VALID &&
			    merge_wanted(bp, action, b, why, sizeof(why));
		/* A merge an earlier boot began that may not go on. */
		bool hold = ours && b->state == COW_VALID && !want && action == ROLLBACK_UNSET &&
			    bp->h.dead_reason == IMAGE_DEAD_KEPT;

		if (!ours) {
			log_error("overlay %s: the COW store %s is not touched: %s", b->spec.name,
				  b->cow[0] ? b->cow : b->spec.cow, why);
		} else if (hold) {
			/* Half merged, and changed by another system: no state
			 * of it is right.  Neither merge on nor drop the store
			 * (what it holds is the only copy of those changes),
			 * and do not map the origin: the boot stops here. */
			log_error("overlay %s: not merging on, and not mapped: %s; the COW store %s "
				  "is left as it is (it holds the rest of the changes); inspect and "
				  "repair %s by hand, then boot without this overlay",
				  b->spec.name, why, b->cow, b->origin);
			continue;
		} else if (want) {
			/* Whatever the outcome, never map the origin alone under
			 * a store that is (partly) merged: the file system would
			 * be in neither state.  A failed merge leaves the
			 * merging mapping, which shows the merged data. */
			merge(o, b);
			continue;
		} else if (b->state != COW_NONE) {
			r = cow_drop(b->cow);
			if (r < 0)
				log_error("overlay %s: dropping the COW store %s failed: %s",
					  b->spec.name, b->cow, strerror(-r));
			else if (b->state == COW_INVALID)
				log_msg("overlay %s: the changes since the snapshot were lost when its "
					"COW store overflowed (COW store %s dropped)",
					b->spec.name, b->cow);
			else if (why[0])
				log_error("overlay %s: the changes since the snapshot are not merged: "
					  "%s; COW store %s dropped",
					  b->spec.name, why, b->cow);
			else
				log_msg("overlay %s: the changes since the snapshot discarded (COW "
					"store %s dropped)",
					b->spec.name, b->cow);
		}
		snprintf(linear, sizeof(linear), "%u:%u 0", b->origin_major, b->origin_minor);
		r = dmx_create(b->spec.name, b->len, "linear", linear);
		if (r < 0)
			log_error("overlay %s: mapping %s failed: %s", b->spec.name, b->origin,
				  strerror(-r));
		else
			log_debug("overlay %s: %s mapped", b->spec.name, b->origin);
	}
}
