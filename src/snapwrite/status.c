/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The status, verify and discard verbs.
 */
#include <errno.h>
#include <fcntl.h>
#include <blkid.h>
#include <getopt.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "blockdev.h"
#include "fsguard.h"
#include "devprobe.h"
#include "format/format.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "options.h"
#include "pipeline.h"
#include "systemd.h"
#include "snapdev.h"
#include "target.h"
#include "util.h"


#include "snapshot.h"
#include "snapwrite.h"

static void print_header(struct out *o, const char *path, enum image_state state,
			 const struct image_header *h, const char *why)
{
	char u[37], t[64];
	uint64_t attempt;
	time_t created;
	uint64_t now = (uint64_t)time(NULL);

	out_str(o, "target", path);
	out_str(o, "state", image_state_to_string(state));
	if (why && state != IMAGE_NONE)
		out_str(o, "problem", why);
	if (state != IMAGE_VALID && state != IMAGE_INVALIDATED && state != IMAGE_UNSUPPORTED)
		return;
	image_uuid_format(h->uuid, u);
	created = (time_t)h->created_unix;
	strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
	out_str(o, "uuid", u);
	out_u64(o, "version", h->version);
	out_str(o, "created", t);
	out_u64(o, "age_seconds", now > h->created_unix ? now - h->created_unix : 0);
	out_str(o, "kernel", h->kernel_release);
	out_str(o, "kernel_build", h->kernel_version);
	out_u64(o, "pages", h->image_pages);
	out_u64(o, "memory_bytes", h->image_pages * IMAGE_PAGE_SIZE);
	out_u64(o, "stored_bytes", h->payload_bytes);
	out_u64(o, "chunks", h->chunk_count);
	out_u64(o, "chunk_pages", h->chunk_pages);
	out_str(o, "compression", "lz4");
	out_str(o, "checksum", "xxh3-64");
	out_secs(o, "write_seconds", h->write_ns);
	if (image_attempt_begun(h, &attempt)) {
		created = (time_t)attempt;
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S UTC", gmtime(&created));
		/* The next boot refuses it (snapresume(8)). */
		out_str(o, "unfinished_resume", t);
	}
	if (state == IMAGE_INVALIDATED) {
		out_str(o, "invalidated", image_dead_reason_to_string(h->dead_reason));
		if (h->restore_read_ns)
			out_secs(o, "restore_seconds", h->restore_read_ns);
	}
}

/* What an extent target is, for status. */
static void print_extents(struct out *o, const struct xtarget *xt)
{
	if (!xt->kind)
		return;
	out_str(o, "kind", xt->kind == EXTMAP_FILE ? "image file"
			   : xt->swap_file		? "swap file"
							: "swap partition");
	out_u64(o, "resume_offset", xt->offset_pages);
	if (xt->map.n) {
		out_u64(o, "extents", xt->map.n);
		out_u64(o, "extent_bytes", xt->map.size);
	}
}

static void print_overlays(struct out *o, const struct args *a, const struct image_header *h);

/* The LUKS2 volume's unlock tokens, by type ("none" without), and the
 * plugin files libcryptsetup loads for them here: what the initramfs
 * generators read to install the plugins. */
static void print_tokens(struct out *o, struct crypt_device *cd)
{
	struct luks_token t[16];
	char line[600] = "", plugins[1200] = "";
	const char *dir = crypt_token_external_path();
	size_t n = 0;

	if (luks_tokens(cd, t, ARRAY_SIZE(t), &n) < 0)
		return;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(t); i++) {
		size_t l = strlen(line), p = strlen(plugins);
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || strcmp(t[j].type, t[i].type) == 0;
		if (seen)
			continue;
		snprintf(line + l, sizeof(line) - l, "%s%s", l ? " " : "", t[i].type);
		if (t[i].plugin && dir)
			snprintf(plugins + p, sizeof(plugins) - p, "%s%s/" LUKS_TOKEN_PLUGIN,
				 p ? " " : "", dir, t[i].type);
	}
	out_str(o, "tokens", line[0] ? line : "none");
	if (plugins[0])
		out_str(o, "token_plugins", plugins);
}

/* status of a target that is a LUKS2 volume: read through its open mapping,
 * or, while it is locked, what its image marker says (and the overlays, in
 * both cases).  1 when the target is not a LUKS2 volume. */
static int status_encrypted(const struct args *a, struct out *o)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	_cleanup_(freep) char *dev = NULL;
	_cleanup_(closep) int fd = -1;
	struct image_header h;
	enum image_state state;
	const char *why = NULL;
	char mapping[256], u[37], line[300];
	uint64_t size;
	int marked;

	if (!a->target[0] || blockdev_resolve(a->target, &dev) < 0)
		return 1;
	if (luks_open(dev, &cd) < 0)
		return 1;
	marked = luks_marker_get(cd, u);
	if (marked < 0) {
		log_error("Failed to read the tokens of %s: %s", dev, strerror(-marked));
		return -ENXIO;
	}
	if (luks_active_holder(dev, mapping, sizeof(mapping)) > 0 &&
	    blockdev_open(mapping, O_RDONLY, true, &fd, &size) == 0 &&
	    target_read_header(fd, &state, &h, &why) == 0) {
		print_header(o, mapping, state, &h, why);
		snprintf(line, sizeof(line), "luks2 %s (open)", dev);
		out_str(o, "encryption", line);
		out_str(o, "marker", marked ? u : "none");
		print_tokens(o, cd);
		print_overlays(o, a, state == IMAGE_VALID ? &h : NULL);
		out_end(o);
		return state == IMAGE_VALID ? 0 : -ENODATA;
	}
	out_str(o, "target", dev);
	out_str(o, "state", marked ? "locked" : "none");
	out_str(o, "encryption", "luks2 (locked)");
	if (marked)
		out_str(o, "uuid", u);
	print_tokens(o, cd);
	print_overlays(o, a, NULL);
	out_end(o);
	return marked ? 0 : -ENODATA;
}

/* The snapshot side of status: what the next boot does with a snapshot
 * image, and each overlay's state and COW usage. */
static void print_overlays(struct out *o, const struct args *a, const struct image_header *h)
{
	static struct overlay_spec specs[OVERLAY_MAX];
	enum rollback_action armed;
	size_t n = overlay_specs(a, specs);
	char key[96], line[320];

	struct golden_rec g;

	if (h && image_snapshot_info(h, &armed) && image_golden_info(h, &g)) {
		/* Golden: every boot resumes it, until keep or discard. */
		out_str(o, "image_kind", "golden snapshot");
		out_u64(o, "golden_resumes", g.resumes);
		if (g.last_resume) {
			time_t t = (time_t)g.last_resume;
			char when[64];

			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
			out_str(o, "golden_last_resume", when);
		} else {
			out_str(o, "golden_last_resume", "never");
		}
		if (armed == ROLLBACK_KEEP || armed == ROLLBACK_DISCARD)
			snprintf(line, sizeof(line), "%s (armed): ends golden mode",
				 rollback_action_to_string(armed));
		else
			snprintf(line, sizeof(line), "resume (golden: every boot returns to the "
				 "snapshot)");
		out_str(o, "next_boot", line);
	} else if (h && image_snapshot_info(h, &armed)) {
		out_str(o, "image_kind", "snapshot");
		snprintf(line, sizeof(line), "%s%s", rollback_action_to_string(armed ? armed : ROLLBACK_KEEP),
			 armed ? " (armed)" : " (the default)");
		out_str(o, "next_boot", line);
	}
	for (size_t i = 0; i < n; i++) {
		struct ovl_state st;

		snprintf(key, sizeof(key), "overlay_%.*s", OVERLAY_NAME_LEN, specs[i].name);
		if (rollback_state(specs[i].name, &st) < 0) {
			out_str(o, key, "unknown (reading its table failed)");
			continue;
		}
		if (!st.has_usage) {
			snprintf(line, sizeof(line), "%s%s", st.state,
				 strcmp(st.state, "linear") == 0 ? " (no snapshot runs)" : "");
		} else if (st.usage.invalid || st.usage.overflow) {
			snprintf(line, sizeof(line), "%s, COW store full: the changes since the "
				 "snapshot are lost (next boot: resume or discard only)",
				 st.state);
		} else {
			unsigned pct = cow_usage_percent(&st.usage);

			snprintf(line, sizeof(line), "%s, COW %" PRIu64 " of %" PRIu64 " MiB used (%u%%)%s",
				 st.state, st.usage.allocated >> 11, st.usage.total >> 11, pct,
				 pct >= 80 ? ": WARNING, nearly full" : "");
		}
		out_str(o, key, line);
	}
}

int do_status(const struct args *a)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct out o = {.json = a->json};
	struct image_header h;
	enum image_state state;
	const char *why = NULL;
	char buf[256], note[1400];
	uint64_t size;
	int r;

	r = status_encrypted(a, &o);
	if (r <= 0)
		return r;
	r = open_target_header(a, O_RDONLY, &xt, &path, &fd, &size, &state, &h, &why);
	if (r)
		return r;
	print_header(&o, xt.kind ? a->target : path, state, &h, why);
	if (xt.kind)
		out_str(&o, "device", path);
	print_extents(&o, &xt);
	r = luks_device_encrypted(path, buf, sizeof(buf));
	out_str(&o, "encryption", r > 0 ? "dm-crypt (the device is encrypted)" : "none");
	print_overlays(&o, a, state == IMAGE_VALID ? &h : NULL);
	if (state == IMAGE_VALID && read_text_file(RESUME_NOTE, note, sizeof(note)) == 0) {
		note[strcspn(note, "\n")] = '\0';
		out_str(&o, "error", note);
	}
	out_end(&o);
	return state == IMAGE_VALID ? 0 : -ENODATA;
}

/* Invalidate the image on the target: the next boot does not resume it.  A
 * swap area gets its signature back; a locked LUKS2 volume loses its
 * marker (its image cannot be resumed without it). */
int do_discard(const struct args *a)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL, *dev = NULL;
	_cleanup_(closep) int fd = -1;
	struct image_header h;
	enum image_state state;
	const char *why = NULL;
	char u[37];
	uint64_t size;
	int r;

	if (a->target[0] && blockdev_resolve(a->target, &dev) == 0 && luks_open(dev, &cd) == 0) {
		r = luks_marker_get(cd, u);
		if (r <= 0) {
			log_msg("no image in the encrypted volume %s", dev);
			return r < 0 ? -ENXIO : -ENODATA;
		}
		r = luks_marker_clear(cd);
		if (r < 0) {
			log_error("Failed to remove the image marker of %s: %s", dev, strerror(-r));
			return -ENXIO;
		}
		log_msg("image %s in %s discarded (its marker removed)", u, dev);
		return 0;
	}
	r = open_target_header(a, O_RDWR, &xt, &path, &fd, &size, &state, &h, &why);
	if (r)
		return r;
	if (xt.kind == EXTMAP_SWAP && state == IMAGE_DAMAGED) {
		r = locator_repair_swap(fd, xt.map.base);
		log_msg("damaged locator on %s%s", path,
			r > 0 ? ": swap signature restored" : "; nothing to restore");
		return -ENODATA;
	}
	if (state != IMAGE_VALID) {
		log_msg("no image to discard on %s (%s)", path, why ? why : image_state_to_string(state));
		if (xt.kind == EXTMAP_SWAP && xt.map.n)
			goto restore; /* an invalid image left the locator */
		return -ENODATA;
	}
	r = target_invalidate_map(fd, xt.kind ? &xt.map : NULL, &h, IMAGE_DEAD_DISCARDED, 0);
	if (r < 0) {
		log_error("Failed to invalidate the image on %s: %s", path, strerror(-r));
		return -ENXIO;
	}
	image_uuid_format(h.uuid, u);
	log_msg("image %s on %s discarded", u, path);
	if (xt.kind != EXTMAP_SWAP)
		return 0;
restore:
	r = locator_restore_swap(fd, &xt.map);
	if (r < 0) {
		log_error("Failed to put the swap signature back on %s: %s", path, strerror(-r));
		return -ENXIO;
	}
	log_msg("swap signature restored on %s", path);
	return state == IMAGE_VALID ? 0 : -ENODATA;
}

static void on_verify_chunk(void *userdata, const struct pipe_stats *st)
{
	const struct args *a = userdata;

	if (a->list)
		printf("chunk %" PRIu64 " offset %" PRIu64 " data_offset %" PRIu64
		       " stored %" PRIu32 "\n",
		       st->last_seq, st->last_offset, st->last_offset + CHUNK_HEADER_SIZE,
		       st->last_stored);
}

int do_verify(const struct args *a)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_opts po = {.workers = (unsigned)a->workers};
	struct image_header h;
	enum image_state state;
	struct pipe_stats st;
	const char *why = NULL;
	uint64_t size;
	int r;

	r = open_target_header(a, O_RDONLY, &xt, &path, &fd, &size, &state, &h, &why);
	if (r)
		return r;
	/* An invalidated image still has its payload: verify that too. */
	if (state != IMAGE_VALID && state != IMAGE_INVALIDATED) {
		log_error("No image to verify on '%s': %s", path,
			  why ? why : image_state_to_string(state));
		return -ENODATA;
	}
	po.chunk_pages = h.chunk_pages;
	r = pipe_new(&po, &p);
	if (r < 0) {
		log_error("Failed to set up the pipeline: %s", strerror(-r));
		return -ECANCELED;
	}
	pipe_set_map(p, xt.kind ? &xt.map : NULL);
	r = pipe_read(p, &h, fd, size, NULL, NULL, on_verify_chunk, (void *)a, &st);
	if (r < 0) {
		uint64_t bad = pipe_error_chunk(p);
		if (bad != UINT64_MAX)
			log_error("Image on '%s' is damaged: chunk %" PRIu64 ": %s", path, bad,
				  r == -EBADMSG ? "checksum or framing mismatch" : strerror(-r));
		else
			log_error("Image on '%s' is damaged: %s", path,
				  r == -EBADMSG ? "payload does not match the header" : strerror(-r));
		return -ENODATA;
	}
	log_msg("image on '%s' verified: %" PRIu64 " chunks, %" PRIu64 " pages%s", path,
		st.chunks, st.pages, state == IMAGE_INVALIDATED ? " (invalidated)" : "");
	return state == IMAGE_VALID ? 0 : -ENODATA;
}
