/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "blockdev.h"
#include "cow.h"
#include "dm.h"
#include "fsguard.h"
#include "devprobe.h"
#include "log.h"
#include "options.h"
#include "snapwrite.h"
#include "target.h"
#include "util.h"

/* The device behind spec: its node, number and size in sectors. */
static int device_of(const char *spec, char *node, size_t size, unsigned *ret_major,
		     unsigned *ret_minor, uint64_t *ret_sectors)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct stat st;
	uint64_t bytes;
	int r;

	r = blockdev_resolve(spec, &path);
	if (r < 0)
		return r;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	r = blockdev_open(path, O_RDONLY, false, &fd, &bytes);
	if (r < 0)
		return r;
	snprintf(node, size, "%s", path);
	*ret_major = major(st.st_rdev);
	*ret_minor = minor(st.st_rdev);
	*ret_sectors = bytes / 512;
	return 0;
}

static bool same_dev(const char *path, unsigned maj, unsigned min)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	       major(st.st_rdev) == maj && minor(st.st_rdev) == min;
}

/* A problem that refuses the snapshot, said: the checks below return how
 * many they found (0 or 1), rollback_plan() adds them up. */
static int offender(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int offender(const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_error("%s", buf);
	return 1;
}

/* Is the device at path the overlay mapping name itself? */
static bool target_on_overlay(const char *path, const char *name)
{
	char dm[OVERLAY_NAME_LEN];
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	       dmx_name_of(major(st.st_rdev), minor(st.st_rdev), dm, sizeof(dm)) > 0 &&
	       strcmp(dm, name) == 0;
}

/* The mapping NAME must be a linear mapping of the whole origin. */
static int check_mapping(struct ovl *o)
{
	char type[32], params[160];
	unsigned maj, min;
	uint64_t len, start;
	int r;

	r = dmx_target(o->spec.name, false, type, sizeof(type), &len, params, sizeof(params));
	if (r == -ENXIO)
		return offender("Overlay %s: there is no device-mapper device of that name (the "
				"initramfs makes it at boot when rd.snap.overlay= is on the kernel "
				"command line)",
				o->spec.name);
	if (r < 0)
		return offender("Overlay %s: reading its table failed: %s", o->spec.name,
				strerror(-r));
	if (strcmp(type, "snapshot") == 0 || strcmp(type, "snapshot-merge") == 0)
		return offender("Overlay %s is a %s already: an earlier snapshot runs on; "
				"reboot to keep or roll back first (a golden snapshot, which "
				"every boot returns to, ends with 'snapwrite rollback keep' or "
				"'discard' and a reboot)",
				o->spec.name, type);
	if (strcmp(type, "linear") != 0)
		return offender("Overlay %s is a %s mapping, not a linear one of %s", o->spec.name,
				type, o->origin);
	if (sscanf(params, "%u:%u %" SCNu64, &maj, &min, &start) != 3 || maj != o->origin_major ||
	    min != o->origin_minor || start != 0 || len != o->len)
		return offender("Overlay %s maps '%s' (%" PRIu64 " sectors), not the whole of %s "
				"(%u:%u, %" PRIu64 " sectors)",
				o->spec.name, params, len, o->origin, o->origin_major,
				o->origin_minor, o->len);
	snprintf(o->linear, sizeof(o->linear), "%u:%u 0", maj, min);
	return 0;
}

/* A zram device takes writes of one page at least, whatever the disks
 * (the kernel's fixed ZRAM_LOGICAL_BLOCK_SIZE): known before it is made. */
#define ZRAM_LOGICAL_BLOCK 4096

/* The node of the overlay's own device: /dev/mapper/NAME, or devtmpfs's
 * dm-MINOR where nothing made the former. */
static int overlay_node(const char *name, char *buf, size_t size)
{
	unsigned maj, min;
	int r = dmx_exists(name, &maj, &min);

	if (r < 0)
		return r;
	if (r == 0)
		return -ENXIO;
	snprintf(buf, size, "/dev/mapper/%s", name);
	if (same_dev(buf, maj, min))
		return 0;
	snprintf(buf, size, "/dev/dm-%u", min);
	return same_dev(buf, maj, min) ? 0 : -ENOENT;
}

/*
 * The smallest write the data on the overlay needs: its file system's unit
 * as libblkid reports it (ext4's block, XFS's sector), else the overlay's
 * logical block size.  The snapshot mapping takes the larger logical block
 * size of origin and store; a file system that writes smaller units breaks
 * under it (ext4 aborts its journal).
 */
static int find_write_unit(struct ovl *o)
{
	struct devprobe_sig sigs[DEVPROBE_MAX_SIGS];
	char node[300];
	size_t n = 0;
	int r;

	r = overlay_node(o->spec.name, node, sizeof(node));
	if (r == 0)
		r = blockdev_logical_block_size(node, &o->write_unit);
	if (r == 0)
		r = devprobe_signatures(node, sigs, DEVPROBE_MAX_SIGS, &n);
	if (r < 0)
		return offender("Overlay %s: finding the block size of what it holds failed: %s",
				o->spec.name, strerror(-r));
	snprintf(o->unit_what, sizeof(o->unit_what),
		 "it holds no file system libblkid knows and takes %u-byte writes", o->write_unit);
	for (size_t i = 0; i < n && i < DEVPROBE_MAX_SIGS; i++)
		if (sigs[i].block_size) {
			o->write_unit = sigs[i].block_size;
			snprintf(o->unit_what, sizeof(o->unit_what),
				 "the %s file system on it writes %u-byte blocks", sigs[i].type,
				 o->write_unit);
			break;
		}
	return 0;
}

/* A store whose logical block size is larger than the overlay's unit. */
static int check_store_unit(const struct ovl *o, unsigned store_lbs)
{
	if (!o->write_unit || store_lbs <= o->write_unit)
		return 0;
	return offender("Overlay %s: its COW store %s takes no write smaller than %u bytes, but "
			"%s: the snapshot would break it; use a store (a partition or LV) with "
			"a logical block size of at most %u bytes",
			o->spec.name, o->spec.zram_bytes ? "on zram" : o->cow, store_lbs,
			o->unit_what, o->write_unit);
}

static int check_cow(struct ovl *o, uint64_t cow_min, const char *target)
{
	unsigned lbs;
	struct devprobe_sig sigs[DEVPROBE_MAX_SIGS];
	char what[256];
	size_t n = 0;
	int r;

	if (o->spec.zram_bytes) {
		if (o->spec.zram_bytes < cow_min)
			return offender("Overlay %s: a zram store of %" PRIu64 " MiB is smaller "
					"than cow_min (%" PRIu64 " MiB)",
					o->spec.name, o->spec.zram_bytes >> 20, cow_min >> 20);
		return check_store_unit(o, ZRAM_LOGICAL_BLOCK);
	}
	r = device_of(o->spec.cow, o->cow, sizeof(o->cow), &o->cow_major, &o->cow_minor,
		      &o->cow_sectors);
	if (r < 0)
		return offender("Overlay %s: COW store %s: %s", o->spec.name, o->spec.cow,
				strerror(-r));
	if (o->cow_major == o->origin_major && o->cow_minor == o->origin_minor)
		return offender("Overlay %s: the COW store is its origin %s", o->spec.name,
				o->origin);
	if (same_dev(target, o->cow_major, o->cow_minor))
		return offender("Overlay %s: the COW store %s is the image's target", o->spec.name,
				o->cow);
	if (devprobe_holders(o->cow, what, sizeof(what)) > 0)
		return offender("Overlay %s: the COW store %s is held by %s", o->spec.name, o->cow,
				what);
	/* Anything libblkid knows is somebody's data; a store of ours is not
	 * something it knows. */
	r = devprobe_signatures(o->cow, sigs, DEVPROBE_MAX_SIGS, &n);
	if (r < 0)
		return offender("Overlay %s: checking the COW store %s failed: %s", o->spec.name,
				o->cow, strerror(-r));
	if (n) {
		devprobe_describe(&sigs[0], what, sizeof(what));
		return offender("Overlay %s: the COW store %s holds %s; refusing to overwrite it "
				"(wipefs it if it may go)",
				o->spec.name, o->cow, what);
	}
	if (o->cow_sectors * 512 < cow_min)
		return offender("Overlay %s: the COW store %s has %" PRIu64 " MiB, less than "
				"cow_min (%" PRIu64 " MiB)",
				o->spec.name, o->cow, o->cow_sectors >> 11, cow_min >> 20);
	r = blockdev_logical_block_size(o->cow, &lbs);
	if (r < 0)
		return offender("Overlay %s: reading the logical block size of the COW store %s "
				"failed: %s",
				o->spec.name, o->cow, strerror(-r));
	return check_store_unit(o, lbs);
}

int rollback_plan(const struct overlay_spec *specs, size_t n, uint64_t cow_min,
		  const char *target, struct ovl_plan *plan)
{
	static struct fs_mount mounts[256];
	char swaps[512], name[OVERLAY_NAME_LEN];
	size_t nm = 0;
	int bad = 0, r;

	memset(plan, 0, sizeof(*plan));
	if (n == 0) {
		log_error("No overlay is configured: set overlay=NAME,ORIGIN,COW in the "
			  "configuration, or rd.snap.overlay= on the kernel command line");
		return -ECANCELED;
	}
	for (size_t i = 0; i < n && i < OVERLAY_MAX; i++) {
		struct ovl *o = &plan->o[plan->n++];

		o->spec = specs[i];
		r = device_of(o->spec.origin, o->origin, sizeof(o->origin), &o->origin_major,
			      &o->origin_minor, &o->len);
		if (r < 0) {
			bad += offender("Overlay %s: origin %s: %s", o->spec.name, o->spec.origin,
					strerror(-r));
			continue;
		}
		if (same_dev(target, o->origin_major, o->origin_minor))
			bad += offender("Overlay %s: its origin %s is the image's target",
					o->spec.name, o->origin);
		if (target_on_overlay(target, o->spec.name))
			bad += offender("Overlay %s: the image's target %s is on it (an image file in "
					"its file system?): the image's header is written after the "
					"overlay is inserted, so it would land in the COW store, not "
					"where the next boot reads it; put the image elsewhere",
					o->spec.name, target);
		r = check_mapping(o);
		if (r == 0)
			r = find_write_unit(o);
		bad += r;
		bad += check_cow(o, cow_min, target);
	}

	/* Whatever else is written after the snapshot must be in the image
	 * (memory, zram) or on an overlay. */
	r = fsguard_list_mounts("/proc/self/mountinfo", mounts, ARRAY_SIZE(mounts), &nm);
	if (r < 0) {
		log_error("Failed to read the mount table: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < nm && i < ARRAY_SIZE(mounts); i++) {
		const struct fs_mount *m = &mounts[i];
		bool covered = false;

		if (!m->writable)
			continue;
		if (dmx_name_of(m->major, m->minor, name, sizeof(name)) > 0)
			for (size_t j = 0; j < plan->n; j++)
				covered |= strcmp(plan->o[j].spec.name, name) == 0;
		if (!covered)
			bad += offender("%s (%s on %s) is mounted read-write and is not on an "
					"overlay: its changes after the snapshot would break it",
					m->mount_point, m->fstype, m->source);
	}
	r = swap_on_disk("/proc/swaps", swaps, sizeof(swaps));
	if (r > 0)
		bad += offender("Swap is active on disk (%s): the snapshot's swapped-out pages "
				"would be overwritten; swapoff first (zram swap is fine)",
				swaps);
	if (bad) {
		log_error("Refusing to take a snapshot: %d problem%s above; nothing was frozen, "
			  "nothing was written",
			  bad, bad == 1 ? "" : "s");
		return -ECANCELED;
	}

	/* The stores, fresh: the kernel starts a new one over zeros. */
	for (size_t i = 0; i < plan->n; i++) {
		struct ovl *o = &plan->o[i];
		struct stat st;

		if (!o->spec.zram_bytes) {
			r = cow_drop(o->cow);
			if (r < 0) {
				log_error("Overlay %s: clearing the COW store %s failed: %s",
					  o->spec.name, o->cow, strerror(-r));
				return r;
			}
			continue;
		}
		r = zram_create(o->spec.zram_bytes, o->cow, sizeof(o->cow));
		if (r < 0) {
			log_error("Overlay %s: making a zram device failed: %s", o->spec.name,
				  r == -ENODEV ? "the zram module is not loaded (modprobe zram)"
					       : strerror(-r));
			return r;
		}
		o->zram_made = true;
		if (stat(o->cow, &st) < 0 || !S_ISBLK(st.st_mode)) {
			log_error("Overlay %s: %s did not appear", o->spec.name, o->cow);
			return -ENODEV;
		}
		o->cow_major = major(st.st_rdev);
		o->cow_minor = minor(st.st_rdev);
		o->cow_sectors = o->spec.zram_bytes / 512;
	}
	return 0;
}

void rollback_plan_undo(struct ovl_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->o[i].zram_made) {
			zram_remove(plan->o[i].cow);
			plan->o[i].zram_made = false;
		}
}

int rollback_records(const struct ovl_plan *plan, struct image_header *h)
{
	uint8_t payload[IMAGE_OVERLAY_LEN];

	for (size_t i = 0; i < plan->n; i++) {
		const struct ovl *o = &plan->o[i];
		struct overlay_rec rec = {
			.kind = o->spec.zram_bytes ? OVERLAY_VOLATILE : OVERLAY_PERSISTENT,
			.chunk_sectors = OVERLAY_CHUNK_SECTORS,
			.origin_major = o->origin_major,
			.origin_minor = o->origin_minor,
			.origin_sectors = o->len,
			.cow_sectors = o->cow_sectors,
		};
		int r;

		if (!o->spec.zram_bytes) {
			rec.cow_major = o->cow_major;
			rec.cow_minor = o->cow_minor;
			strncpy_pad(rec.cow_spec, o->spec.cow, sizeof(rec.cow_spec));
		} else {
			snprintf(rec.cow_spec, sizeof(rec.cow_spec), "zram:%" PRIu64 "M",
				 o->spec.zram_bytes >> 20);
		}
		snprintf(rec.name, sizeof(rec.name), "%s", o->spec.name);
		overlay_rec_encode(&rec, payload);
		r = image_record_add(h, IMAGE_REC_OVERLAY, payload, sizeof(payload));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Make the loaded table of o active; when that fails, the old one stays. */
static int swap_table(struct ovl *o)
{
	int r = dmx_suspend(o->spec.name, true);

	if (r < 0) {
		dmx_clear(o->spec.name);
		return r;
	}
	r = dmx_resume(o->spec.name);
	if (r < 0) {
		/* Never leave it suspended: everything on it would hang. */
		dmx_clear(o->spec.name);
		dmx_resume(o->spec.name);
	}
	return r;
}

int rollback_insert(struct ovl_plan *plan)
{
	char params[96];
	int r;

	/* udev is frozen: nobody would answer a cookie. */
	dmx_udev(false);
	for (size_t i = 0; i < plan->n; i++) {
		struct ovl *o = &plan->o[i];

		snprintf(params, sizeof(params), "%u:%u %u:%u %c %u", o->origin_major,
			 o->origin_minor, o->cow_major, o->cow_minor,
			 o->spec.zram_bytes ? 'N' : 'P', OVERLAY_CHUNK_SECTORS);
		r = dmx_reload(o->spec.name, o->len, "snapshot", params);
		if (r < 0) {
			log_error("Overlay %s: loading the snapshot table '%s' failed: %s",
				  o->spec.name, params, strerror(-r));
			goto fail;
		}
		o->loaded = true;
	}
	for (size_t i = 0; i < plan->n; i++) {
		struct ovl *o = &plan->o[i];

		r = swap_table(o);
		o->loaded = false;
		if (r < 0) {
			log_error("Overlay %s: switching to the snapshot failed: %s", o->spec.name,
				  strerror(-r));
			goto fail;
		}
		o->inserted = true;
	}
	return 0;
fail:
	rollback_revert(plan);
	return r;
}

void rollback_revert(struct ovl_plan *plan)
{
	dmx_udev(false);
	for (size_t i = 0; i < plan->n; i++) {
		struct ovl *o = &plan->o[i];
		int r;

		if (o->loaded) {
			dmx_clear(o->spec.name);
			o->loaded = false;
		}
		if (!o->inserted)
			continue;
		r = dmx_reload(o->spec.name, o->len, "linear", o->linear);
		if (r == 0)
			r = swap_table(o);
		if (r < 0)
			log_error("Overlay %s: going back to the linear table failed: %s",
				  o->spec.name, strerror(-r));
		else
			o->inserted = false;
	}
}

int rollback_state(const char *name, struct ovl_state *ret)
{
	char type[32], status[160];
	uint64_t len;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = dmx_target(name, false, type, sizeof(type), &len, ret->table, sizeof(ret->table));
	if (r == -ENXIO) {
		strcpy(ret->state, "missing");
		return 0;
	}
	if (r < 0)
		return r;
	if (strcmp(type, "snapshot") != 0 && strcmp(type, "snapshot-merge") != 0) {
		snprintf(ret->state, sizeof(ret->state), "%.15s", type);
		return 0;
	}
	strcpy(ret->state, type[8] ? "merging" : "snapshot");
	r = dmx_target(name, true, type, sizeof(type), &len, status, sizeof(status));
	if (r == 0 && cow_status_parse(status, &ret->usage) == 0)
		ret->has_usage = true;
	return 0;
}

/* A warning for the kernel log (console, journal), or stderr without it. */
static void warn_kmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn_kmsg(const char *fmt, ...)
{
	char buf[512];
	int n, fd;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "<4>snapwrite[%d]: ", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
		fprintf(stderr, "%s\n", buf + 3);
	if (fd >= 0)
		close(fd);
}

void rollback_monitor(const struct ovl_plan *plan, unsigned interval_s)
{
	static const unsigned levels[] = {80, 90, 95};
	unsigned warned[OVERLAY_MAX] = {0};
	bool lost[OVERLAY_MAX] = {0};
	pid_t pid = fork();

	if (pid < 0)
		log_error("Failed to start watching the COW stores: %s", strerror(errno));
	if (pid > 0)
		log_msg("watching how full the COW stores are every %u s (pid %d)", interval_s,
			(int)pid);
	if (pid != 0)
		return;
	/* Nothing of the parent's: not the target (opened exclusively), not
	 * /dev/snapshot (a later snapshot needs it). */
	dmx_release();
	for (int fd = 3, max = (int)sysconf(_SC_OPEN_MAX); fd < max && fd < 65536; fd++)
		close(fd);
	setsid();
	signal(SIGHUP, SIG_IGN);
	for (;;) {
		size_t active = 0;

		sleep(interval_s);
		for (size_t i = 0; i < plan->n; i++) {
			const char *name = plan->o[i].spec.name;
			struct ovl_state s;
			unsigned pct;

			int r = rollback_state(name, &s);

			if (r < 0) {
				warn_kmsg("overlay %s: reading its state failed: %s; not watching it "
					  "any more",
					  name, strerror(-r));
				_exit(1);
			}
			if (strcmp(s.state, "snapshot") != 0)
				continue;
			active++;
			if (!s.has_usage)
				continue;
			if (s.usage.invalid || s.usage.overflow) {
				if (!lost[i])
					warn_kmsg("overlay %s is full: the changes since the snapshot "
						  "are lost; at the next boot only resume or discard "
						  "are possible",
						  name);
				lost[i] = true;
				continue;
			}
			pct = cow_usage_percent(&s.usage);
			for (size_t l = ARRAY_SIZE(levels); l-- > 0;)
				if (pct >= levels[l] && warned[i] < levels[l]) {
					warn_kmsg("overlay %s is %u%% full (%" PRIu64 " of %" PRIu64
						  " MiB): when it fills, the changes since the snapshot "
						  "are lost",
						  name, pct, s.usage.allocated >> 11,
						  s.usage.total >> 11);
					warned[i] = levels[l];
					break;
				}
		}
		if (!active)
			_exit(0);
	}
}

/* ---- after a golden resume ------------------------------------------ */

static const char *const hook_dirs[] = {
	"/usr/lib/systemd/system-sleep",
	"/lib/systemd/system-sleep",
	"/etc/systemd/system-sleep", /* overrides the others by name */
};

/* The hook to run for name: /etc's when it has one, else the first
 * directory's that does.  false when none is executable. */
static bool hook_path(const char *name, char *buf, size_t size)
{
	struct stat st;

	for (size_t i = ARRAY_SIZE(hook_dirs); i-- > 0;) {
		snprintf(buf, size, "%s/%s", hook_dirs[i], name);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void golden_hooks(void)
{
	char *names[256], path[512];
	size_t n = 0;

	/* Every name once (/lib is /usr/lib on merged systems). */
	for (size_t d = 0; d < ARRAY_SIZE(hook_dirs); d++) {
		DIR *dir = opendir(hook_dirs[d]);
		struct dirent *e;

		if (!dir)
			continue;
		while ((e = readdir(dir)) && n < ARRAY_SIZE(names)) {
			bool seen = e->d_name[0] == '.';

			for (size_t i = 0; i < n && !seen; i++)
				seen = strcmp(names[i], e->d_name) == 0;
			if (!seen && (names[n] = strdup(e->d_name)))
				n++;
		}
		closedir(dir);
	}
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		int status;
		pid_t pid;

		if (!hook_path(names[i], path, sizeof(path))) {
			free(names[i]);
			continue;
		}
		free(names[i]);
		pid = fork();
		if (pid == 0) {
			execl(path, path, "post", "golden", (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			log_error("system-sleep hook %s post golden failed", path);
		else
			log_msg("system-sleep hook %s post golden done", path);
	}
}

/* ---- the verb and the overlays' specs -------------------------------- */

/* The overlays: overlay= of the configuration, then rd.snap.overlay= of
 * the kernel command line (the initramfs made the mappings from those)
 * for names the configuration does not have.  How many. */
size_t overlay_specs(const struct args *a, struct overlay_spec *specs)
{
	static char cmdline[4096];
	static struct resume_opts o;
	size_t n = a->overlays.n;

	memcpy(specs, a->overlays.spec, n * sizeof(*specs));
	resume_opts_init(&o);
	if (read_text_file("/proc/cmdline", cmdline, sizeof(cmdline)) == 0)
		resume_opts_apply_cmdline(&o, cmdline, NULL);
	for (size_t i = 0; i < o.overlays.n && n < OVERLAY_MAX; i++) {
		bool seen = false;

		for (size_t j = 0; j < a->overlays.n; j++)
			seen |= strcmp(specs[j].name, o.overlays.spec[i].name) == 0;
		if (!seen)
			specs[n++] = o.overlays.spec[i];
	}
	return n;
}

/* Has the snapshot image a volatile overlay (its changes cannot be kept)? */
static bool snapshot_volatile(const struct image_header *h)
{
	struct overlay_rec rec;
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1)
		if (type == IMAGE_REC_OVERLAY && overlay_rec_decode(p, len, &rec) == 0 &&
		    rec.kind == OVERLAY_VOLATILE)
			return true;
	return false;
}

/* Arm the next boot: what it does with the snapshot image on the target. */
int do_rollback(const struct args *a)
{
	/* First, so that its cleanup runs after the target's fd is closed. */
	_cleanup_(crypt_target_done) struct crypt_target ct = {0};
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	bool make_golden = strcmp(a->action, "golden") == 0;
	enum rollback_action act =
		make_golden ? ROLLBACK_RESUME : rollback_action_from_string(a->action);
	struct image_header h, armed;
	enum image_state state;
	const char *why = NULL;
	char u[37];
	uint64_t size;
	int r;

	if (act == ROLLBACK_UNSET)
		return usage_error("rollback: unknown action '%s' (want resume, keep, discard or "
				   "golden)",
				   a->action);
	if (target_is_luks2(a->target)) {
		/* A LUKS2 volume keeps its snapshot image (and its marker) while
		 * the system runs on: unlock it to arm the header inside. */
		r = open_write_target(a, &ct, NULL, false, &path, &fd, &size);
		if (r == 0 && (r = target_read_header(fd, &state, &h, &why)) < 0) {
			log_error("Failed to read the header in %s: %s", path, strerror(-r));
			r = -ENXIO;
		}
	} else {
		r = open_target_header(a, O_RDWR, &xt, &path, &fd, &size, &state, &h, &why);
	}
	if (r)
		return r;
	if (state != IMAGE_VALID) {
		log_error("No snapshot image on %s (%s): nothing to arm", path,
			  why ? why : image_state_to_string(state));
		return -ENODATA;
	}
	if (!image_snapshot_info(&h, NULL)) {
		log_error("The image on %s is a hibernation image, not a snapshot: the next boot "
			  "resumes it ('snapwrite discard' drops it)",
			  path);
		return -ENODATA;
	}
	/* The same header with the armed action replaced; golden: with its
	 * golden record too (an image golden already keeps its count). */
	armed = h;
	if (image_snapshot_arm(&armed, act) < 0 ||
	    (make_golden && !image_golden_info(&h, NULL) &&
	     image_golden_set(&armed, &(struct golden_rec){0, 0}) < 0)) {
		log_error("No room for the armed action in the image header");
		return -ECANCELED;
	}
	r = target_write_header_map(fd, xt.kind ? &xt.map : NULL, &armed);
	if (r < 0) {
		log_error("Failed to write the header on %s: %s", path, strerror(-r));
		return -ENXIO;
	}
	image_uuid_format(h.uuid, u);
	if (make_golden) {
		log_msg("snapshot %s is golden now: every boot returns to it until 'snapwrite "
			"rollback keep' or 'rollback discard'",
			u);
		return 0;
	}
	if (image_golden_info(&h, NULL)) {
		if (act == ROLLBACK_KEEP && snapshot_volatile(&h))
			log_msg("a volatile COW store cannot be kept: the next boot ends golden "
				"snapshot %s with discard",
				u);
		else if (act == ROLLBACK_RESUME)
			log_msg("snapshot %s is golden: every boot returns to it, as before", u);
		else
			log_msg("the next boot ends golden snapshot %s: it %s", u,
				act == ROLLBACK_KEEP
					? "keeps the changes this boot made (merged into the "
					  "origins); the boots after it are ordinary ones"
					: "drops the changes, the file systems are as at the "
					  "snapshot, and the machine boots afresh");
		return 0;
	}
	switch (act) {
	case ROLLBACK_RESUME:
		log_msg("the next boot returns to snapshot %s: the changes made since are dropped",
			u);
		break;
	case ROLLBACK_KEEP:
		log_msg("the next boot keeps the changes made since snapshot %s (merged into the "
			"origins); the snapshot is dropped",
			u);
		break;
	default:
		log_msg("the next boot drops snapshot %s and the changes made since: the file "
			"systems are as at the snapshot, and the machine boots afresh",
			u);
		break;
	}
	return 0;
}
