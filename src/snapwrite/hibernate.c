/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hibernate and snapshot verbs: freeze, snapshot, write the image,
 * commit it, then power off (hibernate) or insert the overlays and run on
 * (snapshot).
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
#include <termios.h>
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
#include "sysinfo.h"
#include "target.h"
#include "util.h"


#include "snapshot.h"
#include "snapwrite.h"

/*
 * While processes are frozen, whatever reads our stderr may be frozen too
 * (a pty's sshd, a pipe to the journal): a blocking write would hang the
 * machine for good.  So progress goes only to a terminal, through a
 * separate non-blocking open of it, and is dropped when it would block.
 */
struct progress {
	int fd;
	uint64_t expect_pages;
	uint64_t start_ns;
	unsigned next_tenth;
};

static void progress_open(struct progress *pr, bool quiet)
{
	pr->fd = -1;
	if (quiet || !isatty(STDERR_FILENO))
		return;
	pr->fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

static void progress_say(const struct progress *pr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void progress_say(const struct progress *pr, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (pr->fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "snapwrite: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(pr->fd, buf, (size_t)n);
}

static double mb_per_s(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes / 1e6 / ((double)ns / 1e9) : 0.0;
}

static void on_write_progress(void *userdata, const struct pipe_stats *st)
{
	struct progress *pr = userdata;
	unsigned tenth;

	if (!pr->expect_pages)
		return;
	tenth = (unsigned)(st->pages * 10 / pr->expect_pages);
	if (tenth < pr->next_tenth || tenth >= 10)
		return;
	pr->next_tenth = tenth + 1;
	if (tenth == 0)
		return;
	progress_say(pr, "progress %u%% (%.0f MB/s)", tenth * 10,
		     mb_per_s(st->pages * IMAGE_PAGE_SIZE, now_ns() - pr->start_ns));
}

struct page_source {
	int snapfd;
	struct snapdev_stream stream; /* what loading it back will take */
};

static int read_snapshot_pages(void *userdata, void *buf, uint32_t max)
{
	struct page_source *src = userdata;
	int n = snapdev_read_pages(src->snapfd, buf, max);

	if (n > 0)
		snapdev_stream_feed(&src->stream, buf, (uint32_t)n);
	return n;
}

/* Let the system run on after a snapshot that will not be used.  After
 * SNAPSHOT_CREATE_IMAGE the kernel ignores UNFREEZE until FREE. */
static void snapshot_cancel(int snapfd)
{
	int r = snapdev_free(snapfd);
	if (r < 0)
		log_error("Failed to free the snapshot: %s", strerror(-r));
	r = snapdev_unfreeze(snapfd);
	if (r < 0)
		log_error("Failed to thaw processes: %s", strerror(-r));
}

/* In the resumed system: the timings of both sides, from the header that
 * snapresume invalidated (map: the image's extents, when it has them; a
 * swap area's were taken after the snapshot, so they are not known here). */
static void report_resumed(int fd, const struct extmap *map, const uint8_t uuid[16])
{
	struct image_header h;
	enum image_state st;
	char u[37];

	image_uuid_format(uuid, u);
	if (target_read_header_map(fd, map, &st, &h, NULL) < 0 || st != IMAGE_INVALIDATED ||
	    memcmp(h.uuid, uuid, 16) != 0 || h.dead_reason != IMAGE_DEAD_RESUMED) {
		log_msg("resumed (image %s)", u);
		return;
	}
	uint64_t mem = h.image_pages * IMAGE_PAGE_SIZE;
	log_msg("resumed (image %s): %" PRIu64 " MiB of memory, %" PRIu64
		" MiB on disk; snapshot %.2f s, written in %.2f s (%.0f MB/s), "
		"restored in %.2f s (%.0f MB/s)",
		u, mem >> 20, h.payload_bytes >> 20, (double)h.snapshot_ns / 1e9,
		(double)h.write_ns / 1e9, mb_per_s(mem, h.write_ns),
		(double)h.restore_read_ns / 1e9, mb_per_s(mem, h.restore_read_ns));
	journal_resumed(u, mem, h.payload_bytes, h.snapshot_ns, h.write_ns, h.restore_read_ns);
}

/* The pipeline's writer thread asks for swap pages while the main thread
 * reads the image from /dev/snapshot; the kernel takes its transition lock
 * for each read and answers ioctls meanwhile with EBUSY: try again. */
static int swap_grow(void *userdata, uint64_t *ret_offset)
{
	const struct xtarget *xt = userdata;

	for (unsigned i = 0;; i++) {
		int r = snapdev_alloc_swap_page(xt->snapfd, ret_offset);
		if (r != -EBUSY || i == 1000000)
			return r;
		if (i % 64 == 63)
			nanosleep(&(struct timespec){.tv_nsec = 50000}, NULL);
		else
			sched_yield();
	}
}

/* Say that a mount cannot be guarded: a warning with fs_guard_unknown=allow,
 * else an error (and the caller refuses). */
static void unguarded(const struct args *a, const char *mount_point, const char *what,
		      const char *source)
{
	if (a->fs_guard_unknown == FS_UNKNOWN_ALLOW)
		log_msg("warning: %s (%s, %s) is not guarded: a boot that changes it before the "
			"resume would go unnoticed",
			mount_point, what, source);
	else
		log_error("%s (%s, %s) cannot be guarded: the resume could not tell whether "
			  "another boot changed it",
			  mount_point, what, source);
}

/* A guarded file system the initramfs will not see (visibility.c): an
 * error, or a warning with fs_guard_visibility=warn. */
static void say_invisible(void *userdata, const struct fs_mount *m, const char *initramfs,
			  const char *why)
{
	const struct args *a = userdata;

	(void)initramfs;
	if (!why)
		return;
	if (a->fs_guard_visibility == FS_VISIBILITY_WARN)
		log_msg("warning: %s (%s) may not be visible to the initramfs: %s", m->mount_point,
			m->source, why);
	else
		log_error("%s (%s) cannot be checked by the next boot: %s", m->mount_point,
			  m->source, why);
}

/* Add the block-device mounts of mountinfo to all (one entry per device:
 * writable if any mount of it is).  0, or -E2BIG past max. */
static int plan_add_mounts(const char *mountinfo, struct fs_mount *all, size_t max, size_t *n)
{
	struct fs_mount m[FS_GUARD_MAX * 2];
	size_t k = 0;
	int r;

	r = fsguard_list_mounts(mountinfo, m, ARRAY_SIZE(m), &k);
	if (r < 0)
		return r;
	if (k > ARRAY_SIZE(m))
		return -E2BIG;
	for (size_t i = 0; i < k; i++) {
		bool seen = false;

		for (size_t j = 0; j < *n; j++)
			if (all[j].major == m[i].major && all[j].minor == m[i].minor) {
				all[j].writable |= m[i].writable;
				seen = true;
			}
		if (seen)
			continue;
		if (*n == max)
			return -E2BIG;
		all[(*n)++] = m[i];
	}
	return 0;
}

/*
 * Before anything is frozen: every mount in every mount namespace is
 * accounted for.  A block-device file system is guarded (it must be one
 * the guard can check, and readable) or immutable (a read-only squashfs,
 * erofs, iso9660); a mount without a device is in memory, a view of the
 * kernel or made of other mounts, or else it cannot be guarded (a network
 * file system, ZFS, FUSE).  What cannot be guarded refuses the hibernation
 * unless fs_guard_unknown=allow.
 */
int fs_guard_plan(const struct args *a, struct fs_plan *plan)
{
	static char files[64][48];
	struct fs_mount all[FS_GUARD_MAX * 2], ng[16];
	struct fs_guard g;
	size_t nfiles = 0, n = 0, unknown = 0;
	int r;

	r = fsguard_mountinfo_files(files, ARRAY_SIZE(files), &nfiles);
	if (r < 0) {
		log_error("Failed to find the mount namespaces: %s", strerror(-r));
		return -ECANCELED;
	}
	for (size_t f = 0; f < nfiles; f++) {
		size_t k = 0;

		r = plan_add_mounts(files[f], all, ARRAY_SIZE(all), &n);
		if (r == -ENOENT && f > 0)
			continue; /* the process is gone */
		if (r == -E2BIG) {
			log_error("Too many mounted file systems to guard (at most %zu)",
				  ARRAY_SIZE(all));
			return -ECANCELED;
		}
		if (r < 0) {
			log_error("Failed to read the mount table %s: %s", files[f], strerror(-r));
			return -ECANCELED;
		}
		r = fsguard_list_unguardable(files[f], ng, ARRAY_SIZE(ng), &k);
		if (r < 0)
			continue;
		for (size_t i = 0; i < k && i < ARRAY_SIZE(ng); i++) {
			char what[96];

			snprintf(what, sizeof(what), "%s, %s", ng[i].fstype,
				 fsguard_unguardable_kind(&ng[i]));
			unguarded(a, ng[i].mount_point, what, ng[i].source);
		}
		unknown += k;
	}

	plan->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct fs_mount *m = &all[i];
		bool supported = fsguard_supported(m->fstype);

		if (!supported && fsguard_immutable(m)) {
			log_debug("%s (%s, read-only) cannot change: not guarded", m->mount_point,
				  m->fstype);
			continue;
		}
		r = 0;
		if (supported && plan->n < FS_GUARD_MAX) {
			r = fsguard_devnode(m->major, m->minor, plan->devs[plan->n],
					    sizeof(plan->devs[plan->n]));
			if (r == 0)
				r = fsguard_read(plan->devs[plan->n], &g);
			/* An xfs of version 4, or with an external log. */
			if (r == -EPROTONOSUPPORT)
				supported = false;
		}
		if (!supported) {
			unknown++;
			unguarded(a, m->mount_point, m->fstype, m->source);
			continue;
		}
		if (plan->n == FS_GUARD_MAX) {
			log_error("Too many file systems to guard (at most %d)", FS_GUARD_MAX);
			return -ECANCELED;
		}
		if (r < 0) {
			log_error("Failed to read the superblock of %s (%s): %s", m->mount_point,
				  m->source, strerror(-r));
			return -ECANCELED;
		}
		plan->mounts[plan->n++] = *m;
	}
	if (unknown && a->fs_guard_unknown != FS_UNKNOWN_ALLOW) {
		log_error("Refusing to hibernate with unguarded file systems mounted; set "
			  "fs_guard_unknown=allow in %s to hibernate anyway",
			  a->config);
		return -ECANCELED;
	}
	return 0;
}

/* Before anything is frozen: the next boot's initramfs must see every
 * guarded file system, or it would refuse the image. */
static int fs_guard_visible(const struct args *a, const struct fs_plan *plan)
{
	int r = guard_visibility(a, plan, NULL, say_invisible, (void *)a);

	if (r == -ECANCELED && a->fs_guard_visibility != FS_VISIBILITY_WARN) {
		log_error("Refusing to hibernate: the next boot could not check every guarded "
			  "file system, so it would refuse the image");
		return -ECANCELED;
	}
	if (r < 0 && r != -ECANCELED)
		log_msg("warning: cannot tell what the initramfs sees: %s", strerror(-r));
	return 0;
}

/* After the snapshot, with every task frozen (nothing writes to the file
 * systems any more): their state, into the header. */
static int fs_guard_record(const struct fs_plan *plan, struct image_header *h)
{
	uint8_t payload[IMAGE_FS_GUARD_LEN];
	struct fs_guard g;
	int r;

	for (size_t i = 0; i < plan->n; i++) {
		const struct fs_mount *m = &plan->mounts[i];

		r = fsguard_read(plan->devs[i], &g);
		if (r < 0) {
			log_error("Failed to read the superblock of %s (%s): %s", m->mount_point,
				  m->source, strerror(-r));
			return r;
		}
		g.dev_major = m->major;
		g.dev_minor = m->minor;
		strncpy_pad(g.mount_point, m->mount_point, sizeof(g.mount_point));
		fs_guard_encode(&g, payload);
		r = image_record_add(h, IMAGE_REC_FS_GUARD, payload, IMAGE_FS_GUARD_LEN);
		if (r == 0)
			r = image_fs_digest_add(h, &g);
		if (r < 0) {
			log_error("Failed to record the state of %s: %s", m->mount_point,
				  strerror(-r));
			return r;
		}
	}
	return 0;
}

/* The image in a swap area is complete and its header committed: take
 * pages for its map, write them and then the locator over the swap
 * signature.  From then on the swap area holds an image. */
static int swap_commit(int fd, struct xtarget *xt)
{
	struct extmap *m = &xt->map;
	int r;

	m->grow = NULL;
	m->nmap = extmap_pages_for(m->n);
	if (m->nmap > EXTMAP_MAX_MAP_PAGES)
		return -E2BIG;
	for (uint32_t i = 0; i < m->nmap; i++) {
		r = snapdev_alloc_swap_page(xt->snapfd, &m->map_pages[i]);
		if (r < 0)
			return r;
	}
	return locator_write(fd, m);
}

static void plan_undop(struct ovl_plan **p)
{
	if (*p)
		rollback_plan_undo(*p);
}

/* The snapshot is taken and the system runs on: say where its changes go,
 * and watch the COW stores. */
static void snapshot_running_on(const struct args *a, const struct ovl_plan *oplan,
				const char *uuid, uint64_t t_freeze)
{
	log_msg("snapshot %s taken in %.2f s; the system runs on, its changes go to "
		"the overlays:",
		uuid, (double)(now_ns() - t_freeze) / 1e9);
	for (size_t i = 0; i < oplan->n; i++)
		log_msg("  %s: origin %s, COW store %s (%" PRIu64 " MiB%s)",
			oplan->o[i].spec.name, oplan->o[i].origin, oplan->o[i].cow,
			oplan->o[i].cow_sectors >> 11,
			oplan->o[i].spec.zram_bytes ? ", volatile" : "");
	if (a->golden)
		log_msg("golden snapshot: every boot returns to it until 'snapwrite rollback "
			"keep' or 'rollback discard' ends that");
	else
		log_msg("the next boot keeps the changes (merges them) unless 'snapwrite "
			"rollback resume' or 'rollback discard' says otherwise");
	if (a->monitor_interval)
		rollback_monitor(oplan, (unsigned)a->monitor_interval);
}

/*
 * In the restored system, still frozen: is the image on the target a
 * golden snapshot (valid, ours, with its golden record)?  Then the
 * overlays go back in, as right after the snapshot (snapresume dropped the
 * COW stores, so the kernel starts new ones), and the resume attempt is
 * taken back: this resume finished.  1 when the system runs on overlays
 * again; 0 when the image is not golden (a one-shot resume); negative when
 * the overlays could not go back (the image is invalidated then: the
 * system writes to the origins).
 */
static int golden_back(int fd, struct extmap *map, const uint8_t uuid[16],
		       struct ovl_plan *oplan)
{
	struct image_header h;
	enum image_state st;
	int r;

	if (target_read_header_map(fd, map, &st, &h, NULL) < 0 || st != IMAGE_VALID ||
	    memcmp(h.uuid, uuid, 16) != 0 || !image_golden_info(&h, NULL))
		return 0;
	r = rollback_insert(oplan);
	if (r < 0) {
		log_error("golden snapshot: putting the overlays back failed: %s; the system "
			  "runs on its origins, so the image is invalidated (take a new snapshot)",
			  strerror(-r));
		target_invalidate_map(fd, map, &h, IMAGE_DEAD_CANCELLED, 0);
		return r;
	}
	image_attempt_clear(&h);
	r = target_write_header_map(fd, map, &h);
	if (r < 0)
		log_error("golden snapshot: taking the resume attempt back failed: %s; the "
			  "next boot refuses the image (see snapwrite status)",
			  strerror(-r));
	return 1;
}

/* Back at a golden snapshot, thawed: say so, make fresh what must not
 * repeat (the system-sleep hooks, "post golden"), watch the COW stores. */
static void golden_running_on(const struct args *a, const struct ovl_plan *oplan, int fd,
			      const struct extmap *map, const uint8_t uuid[16])
{
	struct image_header h;
	struct golden_rec g = {0};
	enum image_state st;
	char u[37], t[64] = "?";
	time_t taken;

	image_uuid_format(uuid, u);
	if (target_read_header_map(fd, map, &st, &h, NULL) == 0 && st == IMAGE_VALID &&
	    image_golden_info(&h, &g)) {
		taken = (time_t)h.created_unix;
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S UTC", gmtime(&taken));
	}
	log_msg("golden snapshot %s (taken %s): back at it, resume %" PRIu64 "; the system "
		"runs on the overlays again",
		u, t, g.resumes);
	if (g.resumes)
		journal_resumed(u, h.image_pages * IMAGE_PAGE_SIZE, h.payload_bytes,
				h.snapshot_ns, h.write_ns, h.restore_read_ns);
	golden_hooks();
	if (a->monitor_interval)
		rollback_monitor(oplan, (unsigned)a->monitor_interval);
}

/* Open /dev/snapshot for writing an image; the reason the kernel refuses. */
static int snapshot_open(int *ret_fd)
{
	int r = snapdev_open(NULL, O_RDONLY, ret_fd);

	if (r == -EPERM) {
		log_error("The kernel refuses hibernation (kernel lockdown under Secure Boot, "
			  "or 'nohibernate'): %s not available", SNAPDEV_PATH);
		return -EPERM;
	}
	if (r < 0) {
		log_error("Failed to open %s: %s (kernel without "
			  "CONFIG_HIBERNATION_SNAPSHOT_DEV, or another user has it)",
			  SNAPDEV_PATH, strerror(-r));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Not enough memory for the snapshot: ask the kernel for a smaller image
 * (it frees more page cache first), twice, then give up.  With every task
 * frozen: messages only through the progress channel. */
static int snapshot_create(uint64_t pref, int snapfd, uint64_t mem_total_kib,
			   const struct progress *pr, bool *ret_in_suspend)
{
	uint64_t tried[CREATE_IMAGE_RETRIES] = {0};
	unsigned tries;
	int r;

	for (tries = 0;; tries++) {
		if (pref && (r = snapdev_pref_image_size(snapfd, pref)) < 0)
			progress_say(pr, "failed to set the preferred image size: %s, ignoring",
				     strerror(-r));
		r = snapdev_create_image(snapfd, ret_in_suspend);
		if ((r != -ENOMEM && r != -ENOSPC) || tries == CREATE_IMAGE_RETRIES)
			break;
		pref = (pref ? pref : mem_total_kib * 1024 / 5 * 2) / 2;
		tried[tries] = pref;
		progress_say(pr, "not enough memory for the snapshot; trying a %" PRIu64 " MiB image",
			     pref >> 20);
	}
	if (r == -ENOMEM || r == -ENOSPC) {
		log_error("The kernel could not make a snapshot: not enough free memory "
			  "(also with preferred image sizes of %" PRIu64 " and %" PRIu64
			  " MiB); nothing was written, the system runs on",
			  tried[0] >> 20, tried[1] >> 20);
		return -ENOMEM;
	}
	if (r < 0) {
		log_error("The kernel could not make a snapshot: %s", strerror(-r));
		return -EOPNOTSUPP;
	}
	if (*ret_in_suspend && tries)
		progress_say(pr, "snapshot made with a preferred image size of %" PRIu64 " MiB",
			     pref >> 20);
	return 0;
}

/* The header of a complete image: what the pipeline wrote, the machine, the
 * timings, and load_pages for snapresume's read-ahead (optional: without
 * it snapresume reads ahead less). */
static void header_complete(struct image_header *h, struct pipe *p, const struct pipe_stats *st,
			    const struct page_source *src, const struct identity *id,
			    uint64_t t_freeze, uint64_t t_snap, uint64_t t_done)
{
	uint64_t load_pages = snapdev_stream_load_pages(&src->stream, st->pages);

	if (load_pages) {
		uint8_t rec[8];

		le64_put(rec, load_pages);
		if (image_record_add(h, IMAGE_REC_LOAD_PAGES, rec, sizeof(rec)) < 0)
			load_pages = 0;
	}
	if (!load_pages)
		log_msg("the kernel's page list was not understood or did not fit in the "
			"header: snapresume will read ahead less");
	pipe_header_fill(p, st, IMAGE_HEADER_SIZE, h);
	h->created_unix = (uint64_t)time(NULL);
	h->mem_total_kib = id->mem_total_kib;
	h->snapshot_ns = t_snap - t_freeze;
	h->write_ns = t_done - t_snap;
	memcpy(h->kernel_release, id->kernel_release, sizeof(h->kernel_release));
	memcpy(h->kernel_version, id->kernel_version, sizeof(h->kernel_version));
}

int do_hibernate(const struct args *a)
{
	/* First, so that its cleanup runs after the target's fd is closed. */
	_cleanup_(crypt_target_done) struct crypt_target ct = {0};
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	struct extmap *map = NULL;
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1, snapfd = -1;
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_opts po = {.workers = (unsigned)a->workers};
	struct progress pr = {.fd = -1};
	struct page_source src = {.snapfd = -1};
	struct pipe_stats st;
	struct image_header h = {0};
	static struct fs_plan plan;
	static struct ovl_plan oplan;
	static struct overlay_spec specs[OVERLAY_MAX];
	_cleanup_(plan_undop) struct ovl_plan *undo = NULL;
	struct identity id;
	struct boot_oneshot boot;
	uint64_t size, t_freeze = 0, t_snap, t_done, image_bytes = 0;
	bool in_suspend = false, oneshot = a->oneshot_boot && !a->snapshot, oneshot_set = false;
	bool tempswap = false;
	bool golden = false; /* resumed from a golden snapshot */
	bool woken = false;  /* hybrid sleep, woken from RAM */
	int mode = POWER_SHUTDOWN;
	char u[37];
	char inhibitors[512];
	int r;

	/* As systemctl does: a block lock on sleep stops us, unless told. */
	if (!a->ignore_inhibitors && sleep_inhibitors(inhibitors, sizeof(inhibitors)) > 0) {
		log_error("Sleep is inhibited by %s; nothing was done (--ignore-inhibitors "
			  "hibernates anyway; 'systemd-inhibit --list' shows the locks)",
			  inhibitors);
		return -ECANCELED;
	}

	if (a->snapshot && (a->then_suspend || a->mode_given))
		return usage_error("%s", "snapshot runs on: --then-suspend, --mode and --reboot "
					 "are for hibernate");
	/* How the machine goes down once the image is committed: a mode the
	 * platform cannot do is refused before anything is touched. */
	if (!a->snapshot) {
		r = power_mode_pick(a, &mode);
		if (r < 0)
			return r;
		if (a->then_suspend && !s3_offered())
			log_msg("the machine offers no S3 ('deep' in /sys/power/mem_sleep), which "
				"hybrid sleep needs: after the image, it powers off (%s) instead",
				power_mode_name(mode));
	}

	r = open_write_target(a, &ct, &xt, true, &path, &fd, &size);
	if (r)
		return r;
	if (xt.kind == EXTMAP_FILE) {
		map = &xt.map;
		size = map->size;
	}
	if (size < IMAGE_HEADER_SIZE + 2 * (uint64_t)IMAGE_ALIGN) {
		log_error("Target '%s' is too small (%" PRIu64 " bytes)", path, size);
		return -ENOSPC;
	}
	r = identity_read(&id);
	if (r < 0) {
		log_error("Failed to identify the running kernel: %s", strerror(-r));
		return -ECANCELED;
	}
	if (oneshot) {
		r = bootloader_find(id.kernel_release, &boot);
		if (r < 0) {
			log_error("oneshot_boot=yes, but the next boot cannot be pointed at kernel %s: "
				  "%s; nothing was done (oneshot_boot=no hibernates without it)",
				  id.kernel_release, bootloader_problem(r));
			return -ECANCELED;
		}
	}
	r = fs_guard_plan(a, &plan);
	if (r == 0)
		r = fs_guard_visible(a, &plan);
	if (r)
		return r;
	if (a->snapshot) {
		undo = &oplan;
		r = rollback_plan(specs, overlay_specs(a, specs), a->cow_min, path, &oplan);
		if (r < 0)
			return r == -ECANCELED ? r : -ENXIO;
	}
	if (id.has_machine) {
		r = image_record_add(&h, IMAGE_REC_MACHINE, id.machine, sizeof(id.machine));
		if (r < 0)
			return -ECANCELED;
	}
	if (mode == POWER_PLATFORM && !a->then_suspend) {
		uint8_t rec[4] = {IMAGE_POWER_PLATFORM, 0, 0, 0};

		r = image_record_add(&h, IMAGE_REC_POWER_MODE, rec, sizeof(rec));
		if (r < 0)
			return -ECANCELED;
	}
	r = image_uuid_generate(h.uuid);
	if (r < 0) {
		log_error("Failed to generate an image UUID: %s", strerror(-r));
		return -ECANCELED;
	}
	image_uuid_format(h.uuid, u);

	/* Every buffer is allocated now: nothing large is allocated while the
	 * system is frozen. */
	r = pipe_new(&po, &p);
	if (r < 0) {
		log_error("Failed to set up the pipeline: %s", strerror(-r));
		return -ECANCELED;
	}
	r = snapshot_open(&snapfd);
	if (r < 0)
		return r;
	/* The platform prepares for S4 from the snapshot on (and is told
	 * again at restore: the power_mode record). */
	if (mode == POWER_PLATFORM && !a->then_suspend) {
		r = snapdev_platform_support(snapfd, true);
		if (r < 0) {
			log_error("The kernel refused platform support: %s; nothing was done "
				  "(mode=shutdown powers off without it)",
				  strerror(-r));
			return -EOPNOTSUPP;
		}
	}

	/* More memory in use than the snapshot can copy: a dedicated target
	 * serves as swap meanwhile (tempswap.c). */
	if (xt.kind == 0 && !ct.cd && !a->snapshot && tempswap_wanted(a)) {
		r = tempswap_on(path, &fd, size, &xt);
		if (r < 0) {
			log_error("Failed to make %s a temporary swap area: %s; nothing was done",
				  path, strerror(-r));
			return -ENXIO;
		}
		tempswap = true;
	}

	if (xt.kind == EXTMAP_SWAP) {
		uint64_t avail = 0;

		r = snapdev_set_swap_area(snapfd, xt.devnum, xt.offset_pages);
		if (r < 0) {
			log_error("The kernel does not take '%s' (page %" PRIu64 " of %s) as a swap "
				  "area: %s",
				  a->target, xt.offset_pages, path, strerror(-r));
			r = -ENXIO;
			goto unlock;
		}
		if (snapdev_avail_swap(snapfd, &avail) == 0)
			log_msg("swap area %s: %" PRIu64 " MiB free", a->target, avail >> 20);
		if (xt.swap_file)
			print_resume_hint(path, xt.offset_pages);
	}

	/* The header is the commit record: destroy the old one before the new
	 * payload overwrites the old payload, so that no crash from here on
	 * leaves a header that describes bytes which are no longer there.  (A
	 * swap area has none: its pages are taken after the snapshot, and its
	 * locator is written last.) */
	r = xt.kind == EXTMAP_SWAP ? 0 : target_clear_header_map(fd, map);
	if (r < 0) {
		log_error("Failed to clear the header of '%s': %s", path, strerror(-r));
		r = -ENXIO;
		goto unlock;
	}
	/* An encrypted volume says in its plaintext metadata that it may hold
	 * an image, so that the initramfs asks for a key only then.  Set
	 * before the image exists: there is never a valid image without it. */
	if (ct.cd) {
		r = luks_marker_set(ct.cd, u);
		if (r < 0) {
			log_error("Failed to mark %s as holding an image: %s", ct.volume,
				  strerror(-r));
			r = -ENXIO;
			goto unlock;
		}
		ct.marked = true;
	}

	progress_open(&pr, a->quiet);

	/* Rule: mlockall() before the snapshot, so that the image's writer
	 * never needs to page anything in while the system is frozen. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		log_error("Failed to lock memory: %s", strerror(errno));
		r = -ECANCELED;
		goto unlock;
	}

	/* Before the freeze: the boot loader writes to a file system. */
	if (oneshot) {
		r = bootloader_set_oneshot(&boot);
		if (r < 0) {
			log_error("Failed to set %s's one-shot entry '%s' (%s): %s; nothing was done",
				  boot.loader, boot.entry, boot.tool, strerror(-r));
			r = -ECANCELED;
			goto unlock;
		}
		oneshot_set = true;
		log_msg("the next boot starts %s (%s entry '%s')", id.kernel_release, boot.loader,
			boot.entry);
	}

	log_msg("freezing the system");
	t_freeze = now_ns();
	r = snapdev_freeze(snapfd);
	if (r < 0) {
		log_error("Failed to freeze processes: %s", strerror(-r));
		r = -EDEADLK;
		goto unlock;
	}
	/* With a temporary swap area the kernel pushes memory out until the
	 * image is no larger than the preferred size: its default (2/5 of
	 * memory) would push out more than the snapshot needs, and fill the
	 * target that must also hold the image. */
	r = snapshot_create(a->image_size ? a->image_size
			    : tempswap ? id.mem_total_kib * 1024 / 2 : 0,
			    snapfd, id.mem_total_kib, &pr, &in_suspend);
	if (r < 0)
		goto thaw;
	/* The system restored from the image: the same call returned a
	 * second time, with in_suspend false.  A golden snapshot runs on
	 * overlays again before anything thaws. */
	if (!in_suspend) {
		if (a->snapshot && golden_back(fd, map, h.uuid, &oplan) > 0) {
			golden = true;
			undo = NULL;       /* the zram stores are in use again */
			ct.marked = false; /* the image stays valid, its marker with it */
		}
		goto cancel;
	}

	/* From here until power-off every other task is frozen: write only to
	 * the raw target, never to a file system, never wait for udev. */
	t_snap = now_ns();
	if (snapdev_image_size(snapfd, &image_bytes) < 0)
		image_bytes = 0;
	pr.expect_pages = image_bytes / IMAGE_PAGE_SIZE;
	pr.start_ns = t_snap;
	progress_say(&pr, "writing image to %s (%" PRIu64 " pages)", path, pr.expect_pages);

	if (xt.kind == EXTMAP_SWAP) {
		/* Free slots of the swap area, taken as the image grows; the
		 * first is the header's. */
		map = &xt.map;
		map->grow = swap_grow;
		map->grow_userdata = &xt;
		memcpy(map->saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
		xt.snapfd = snapfd;
		size = UINT64_MAX / 2;
		r = target_clear_header_map(fd, map);
		if (r < 0) {
			log_error("Failed to start the image in swap area '%s': %s", a->target,
				  strerror(-r));
			r = -ENXIO;
			goto cancel;
		}
	}
	src.snapfd = snapfd;
	pipe_set_map(p, map);
	r = pipe_write(p, h.uuid, read_snapshot_pages, &src, fd, IMAGE_HEADER_SIZE, size,
		       on_write_progress, &pr, &st);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (r == -ENOSPC && xt.kind == EXTMAP_SWAP)
		log_error("Swap area '%s' is too full for the image (%" PRIu64 " MiB "
			  "taken when it ran out); nothing was committed",
			  a->target, map->size >> 20);
	else if (r == -ENOSPC)
		log_error("Target '%s' (%" PRIu64 " MiB) is too small for the image; "
			  "nothing was committed",
			  path, size >> 20);
	else if (r < 0)
		log_error("Failed to write the image to '%s': %s; nothing was committed", path,
			  strerror(-r));
	if (r < 0) {
		r = r == -ENOSPC ? -ENOSPC : -ECANCELED;
		goto cancel;
	}

	t_done = now_ns();
	r = fs_guard_record(&plan, &h);
	if (r == 0 && a->snapshot) {
		r = rollback_records(&oplan, &h);
		if (r < 0)
			log_error("Failed to record the overlays: %s", strerror(-r));
		/* The image is complete: from now on, what the system writes
		 * goes to the COW stores, and the origins stay as it expects. */
		if (r == 0 && a->golden) {
			r = image_golden_set(&h, &(struct golden_rec){0, 0});
			if (r < 0)
				log_error("No room for the golden record in the image header");
		}
		if (r == 0)
			r = rollback_insert(&oplan);
	}
	if (r < 0) {
		log_error("Nothing was committed; the system runs on");
		r = -ECANCELED;
		goto cancel;
	}
	header_complete(&h, p, &st, &src, &id, t_freeze, t_snap, t_done);

	/* Commit: the payload is on stable storage, now the header. */
	r = target_write_header_map(fd, map, &h);
	if (r == 0 && xt.kind == EXTMAP_SWAP)
		r = swap_commit(fd, &xt);
	if (r < 0) {
		/* A torn header fails its checksum; clear it anyway. */
		target_clear_header_map(fd, map);
		if (a->snapshot)
			rollback_revert(&oplan);
		log_error("Failed to commit the image header on '%s': %s", path, strerror(-r));
		r = -ENXIO;
		goto cancel;
	}
	progress_say(&pr,
		     "image committed: %s, %" PRIu64 " pages (%" PRIu64 " MiB) in %" PRIu64
		     " MiB, %" PRIu64 " chunks, %.2f s (%.0f MB/s), peak memory %" PRIu64
		     " KiB; %s",
		     u, st.pages, (st.pages * IMAGE_PAGE_SIZE) >> 20, st.disk_bytes >> 20,
		     st.chunks, (double)(t_done - t_snap) / 1e9,
		     mb_per_s(st.pages * IMAGE_PAGE_SIZE, t_done - t_snap), peak_rss_kib(),
		     a->snapshot ? "running on"
		     : a->then_suspend ? "suspending to RAM"
		     : mode == POWER_REBOOT ? "rebooting"
		     : mode == POWER_PLATFORM ? "entering S4 through the platform"
					     : "powering off");

	if (a->snapshot) {
		undo = NULL;       /* the zram stores are in use now */
		ct.marked = false; /* the image stays valid, its marker with it */
		goto cancel;
	}

	/* What was said must reach the terminal (a serial console) before
	 * the devices suspend: a platform S4 or S3 entry drops what the
	 * terminal has not sent yet. */
	for (int tty = STDOUT_FILENO; tty <= STDERR_FILENO; tty++)
		if (isatty(tty))
			tcdrain(tty);

	/* Hybrid sleep: to RAM, still frozen.  Woken, the system runs on from
	 * here, so the image is stale before anything thaws; if the machine
	 * lost power instead, the next boot resumes the image. */
	if (a->then_suspend && s3_offered()) {
		r = snapdev_s2ram(snapfd);
		if (r == 0) {
			woken = true;
			r = target_invalidate_map(fd, map, &h, IMAGE_DEAD_WOKEN, 0);
			if (xt.kind == EXTMAP_SWAP)
				locator_restore_swap(fd, map);
			if (r < 0)
				log_error("Failed to invalidate the image after the wake-up: %s",
					  strerror(-r));
			else
				log_msg("woken from suspend to RAM: image %s invalidated, running on",
					u);
			r = r < 0 ? -EIO : 0;
			goto cancel;
		}
		log_error("Failed to suspend to RAM: %s; the image is committed, %s instead",
			  strerror(-r), mode == POWER_REBOOT ? "rebooting" : "powering off");
	}

	/* The devices were thawed for writing; go down from this state. */
	if (mode == POWER_PLATFORM && !a->then_suspend) {
		r = snapdev_power_off(snapfd);
		log_error("The platform did not enter S4: %s; powering off instead",
			  strerror(-r));
	}
	reboot(mode == POWER_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);

	/* Still here: the image must not be resumed after the system ran on. */
	r = -errno;
	target_invalidate_map(fd, map, &h, IMAGE_DEAD_CANCELLED, 0);
	if (xt.kind == EXTMAP_SWAP)
		locator_restore_swap(fd, map);
	log_error("Failed to power off: %s; image invalidated", strerror(-r));
	r = -ECANCELED;

	/* The one way back: drop the snapshot (after CREATE_IMAGE the kernel
	 * ignores UNFREEZE until FREE), thaw, unlock. */
cancel:
	snapshot_cancel(snapfd);
	goto unlock;
thaw:
	snapdev_unfreeze(snapfd);
unlock:
	munlockall();
	/* Not powered off (or back from the image): the one-shot entry must
	 * not choose a later boot's kernel. */
	if (oneshot_set && (r < 0 || !in_suspend || woken) && bootloader_clear_oneshot(&boot) < 0)
		log_error("Failed to clear %s's one-shot entry in %s, ignoring", boot.loader,
			  boot.loader[0] == 'G' ? boot.env : "the EFI variables");
	if (r == 0 && !in_suspend && !golden)
		report_resumed(fd, map, h.uuid);
	/* Back from the image, or no hibernation: the pages come back in and
	 * the target is a dedicated target again.  Closing the snapshot device
	 * first gives back the swap slots a failed write took, which nothing
	 * else owns: swapoff would wait for them forever. */
	if (tempswap) {
		closep(&snapfd);
		tempswap_off(path);
	}
	if (r < 0)
		return r;
	if (golden)
		golden_running_on(a, &oplan, fd, map, h.uuid);
	else if (in_suspend && !woken)
		snapshot_running_on(a, &oplan, u, t_freeze);
	return 0;
}
