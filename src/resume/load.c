/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading an image: every check that makes resuming safe, then the pages
 * through the pipeline into /dev/snapshot, then the jump.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libcryptsetup.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "blockdev.h"
#include "fsguard.h"
#include "hash.h"
#include "format/format.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "options.h"
#include "rollback-boot.h"
#include "pipeline.h"
#include "snapdev.h"
#include "sysinfo.h"
#include "target.h"
#include "util.h"

#include "resume.h"

struct restore_ctx {
	int snapfd;
	uint64_t total_pages;
	unsigned next_tenth;
	uint64_t start_ns;
	/* Where the load's time goes: in the kernel taking pages, its
	 * longest call (the one where the metadata is complete and the
	 * kernel allocates memory for the whole image), and the rest
	 * waiting for the pipeline. */
	uint64_t kernel_ns, longest_ns;
	uint64_t first_ns; /* from the start to the first chunk's write() */
	/* The pipeline's run-ahead when the longest call ended: chunks read
	 * and decompressed by then. */
	struct pipe *pipe;
	uint64_t longest_seq, longest_fetched, longest_worked;
	uint64_t chunks; /* handed to the kernel */
	int put_error;   /* the kernel refused a write(): its errno */
};

/* The kernel's part of the load runs in our write() calls, on the thread
 * that feeds it; the workers yield to it (pipe_opts.worker_nice). */
#define RESUME_WORKER_NICE 10

static int put_snapshot_pages(void *userdata, const void *pages, uint32_t n)
{
	struct restore_ctx *c = userdata;
	uint64_t t = now_ns();
	int r;

	if (!c->first_ns)
		c->first_ns = t - c->start_ns;
	r = snapdev_write_pages(c->snapfd, pages, n);

	t = now_ns() - t;
	if (t > c->longest_ns) {
		c->longest_ns = t;
		c->longest_seq = c->chunks;
		c->longest_fetched = pipe_fetched(c->pipe);
		c->longest_worked = pipe_worked(c->pipe);
	}
	c->kernel_ns += t;
	c->chunks++;
	if (r < 0 && !c->put_error)
		c->put_error = r;
	return r;
}

static void on_restore_progress(void *userdata, const struct pipe_stats *st)
{
	struct restore_ctx *c = userdata;
	unsigned tenth = (unsigned)(st->pages * 10 / c->total_pages);

	if (tenth < c->next_tenth || tenth == 0 || tenth >= 10)
		return;
	c->next_tenth = tenth + 1;
	uint64_t ns = now_ns() - c->start_ns;
	log_msg("progress %u%% (%.0f MB/s)", tenth * 10,
		ns ? (double)(st->pages * IMAGE_PAGE_SIZE) / 1e3 / ((double)ns / 1e6) : 0.0);
}

/*
 * How far the pipeline runs ahead of the kernel.  While the kernel takes
 * the chunk that completes the image's page list it allocates memory for
 * the whole image (0.3 s in the benchmark guest, over a second when
 * its host backs guest memory only at first touch), and the
 * pipeline reads and decompresses meanwhile, on the CPUs the kernel
 * leaves idle.  That allocation cannot wait for memory to be freed, so
 * the read-ahead only takes what the image leaves (resume_readahead_spare()),
 * and never more than rd.snap.readahead= MiB (default
 * RESUME_READAHEAD_AUTO_MAX).  Returns the MiB given to the pipeline.
 */
static uint64_t size_readahead(const struct resume_opts *o, uint64_t load_pages,
			       struct pipe_opts *po)
{
	uint64_t want = o->readahead == RESUME_READAHEAD_AUTO ? RESUME_READAHEAD_AUTO_MAX
							      : o->readahead;
	uint64_t bytes = want << 20;
	uint64_t spare = resume_readahead_spare(meminfo_kib("MemTotal"), meminfo_kib("MemFree"),
						meminfo_kib("MemAvailable"), load_pages);

	if (bytes > spare)
		bytes = spare;
	pipe_opts_readahead(po, bytes);
	return bytes >> 20;
}

/* For snapwrite status in the booted system (RESUME_NOTE, in the /run the
 * initramfs hands over): an image refused but still valid. */
static void note_for_the_system(const char *path, const char *why, int r)
{
	_cleanup_(closep) int fd = -1;
	char text[1400];
	int n;

	(void)mkdir("/run/snapresume", 0755);
	fd = open(RESUME_NOTE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(text, sizeof(text),
		     "the image on %s was refused at boot (%s) but could not be invalidated "
		     "(%s): it is still valid; 'snapwrite discard' drops it\n",
		     path, why, strerror(-r));
	(void)!write(fd, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}

/* Refuse the image: say why and (unless told to keep it) invalidate it. */
static int refuse(int fd, struct extmap *m, const char *path, const struct image_header *h,
		  const struct resume_opts *o, const struct args *a, const char *why)
{
	int r;

	log_error("refusing image on %s: %s", path, why);
	/* A refused snapshot image's COW stores are never merged. */
	if (h && image_snapshot_info(h, NULL))
		overlays.refused = true;
	if (o->keep || a->dry_run) {
		log_msg("image on %s kept (%s); booting without resuming", path,
			a->dry_run ? "--dry-run" : "rd.snap.keep");
		return -ECANCELED;
	}
	r = h ? target_invalidate_map(fd, m, h, IMAGE_DEAD_REFUSED, 0)
	      : target_clear_header_map(fd, m);
	if (r < 0) {
		/* Loud: the image is still valid, and a later boot would
		 * resume it over file systems that moved on. */
		log_error("ERROR: the refused image on %s could not be invalidated (%s): it is "
			  "still valid; run 'snapwrite discard' as soon as the system is up",
			  path, strerror(-r));
		note_for_the_system(path, why, r);
	} else {
		log_msg("image on %s invalidated; booting without resuming", path);
		if (h && image_golden_info(h, NULL))
			log_msg("golden snapshot mode ends: the boots from now on are ordinary ones "
				"('snapwrite snapshot --golden' takes a new golden snapshot)");
	}
	return -ECANCELED;
}

/*
 * Does the kernel's loader compare the build of the kernel that wrote an
 * image with its own?  Where the architecture records a header of its own
 * in the image (CONFIG_ARCH_HIBERNATION_HEADER: x86, arm64, riscv), the
 * boot kernel only checks that header (the machine, the memory map, where
 * the image kernel's restore code is) and jumps into the image kernel's
 * own restore code, so another build can load it; elsewhere the kernel
 * refuses any other release or build, and so do we, before loading.
 */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(__riscv)
#define KERNEL_CHECKS_BUILD 0
#else
#define KERNEL_CHECKS_BUILD 1
#endif

/* Is r what the kernel's loader answers when it will not take an image
 * (kernel/power/snapshot.c: a header that does not match, page frames it
 * does not have)?  Memory and I/O errors are not. */
static bool kernel_refused(int r)
{
	return r == -EPERM || r == -EINVAL || r == -ENODEV || r == -EFAULT;
}

/* What the kernel said when it refused: the last message of its log about
 * the image (its header check prints "Image mismatch: ..."). */
static void kernel_reason(char *buf, size_t size)
{
	_cleanup_(closep) int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char rec[1024];
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *text, *eol;

		if (n <= 0)
			continue; /* EPIPE: a record was overwritten meanwhile */
		rec[n] = '\0';
		text = strchr(rec, ';');
		if (!text)
			continue;
		text++;
		eol = strchr(text, '\n');
		if (eol)
			*eol = '\0';
		/* "PM: hibernation: Image mismatch: memory size" (any
		 * architecture); x86's header check: "Unrecognized hibernate
		 * image header format!", "Hibernate inconsistent memory map
		 * detected!". */
		if ((strncmp(text, "PM: ", 4) == 0 && strstr(text, "mismatch")) ||
		    strstr(text, "hibernate image header") || strstr(text, "inconsistent memory map"))
			snprintf(buf, size, "%s", text);
	}
}

/*
 * A question on the console with a default answer: the index of the word
 * of words (NULL-terminated) typed; 0, the first, the default, also for
 * nothing typed, no answer within rd.snap.question_timeout= or no console.
 */
static int ask_word(const struct resume_opts *o, const char *prompt, const char *const *words)
{
	char answer[64];
	int r;

	for (;;) {
		r = ask_line(ASK_AUTO, CONSOLE, prompt, true, (unsigned)o->question_timeout, answer,
			     sizeof(answer));
		if (r == -ETIMEDOUT) {
			log_msg("no answer within %" PRIu64 " s", o->question_timeout);
			return 0;
		}
		if (r < 0) {
			log_error("cannot ask on %s: %s", CONSOLE, strerror(-r));
			return 0;
		}
		if (answer[0] == '\0')
			return 0;
		for (int i = 0; words[i]; i++)
			if (strcmp(answer, words[i]) == 0)
				return i;
		log_msg("answer one of: %s%s%s%s%s", words[0], words[1] ? ", " : "",
			words[1] ? words[1] : "", words[1] && words[2] ? ", " : "",
			words[1] && words[2] ? words[2] : "");
	}
}

/* Tries after the first when loading fails for memory or I/O. */
#define LOAD_RETRIES 2

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Loading failed for memory or I/O, also when tried again: the image may
 * be intact, so it is not invalidated without a choice
 * (rd.snap.load_fail=, or the console's answer).  LOAD_FAIL_ASK stands
 * for the answer "retry".
 */
static enum load_fail load_failed(const char *path, const struct resume_opts *o, const char *why)
{
	static const char *const words[] = {"discard", "poweroff", "retry", NULL};

	log_error("cannot load the image on %s: %s", path, why);
	if (o->load_fail != LOAD_FAIL_ASK)
		return o->load_fail;
	switch (ask_word(o,
			 "Type 'retry' to try loading it again, 'poweroff' to keep the image for "
			 "a later boot, or 'discard' (or nothing) to boot without it: ",
			 words)) {
	case 1:
		return LOAD_FAIL_POWEROFF;
	case 2:
		return LOAD_FAIL_ASK;
	default:
		return LOAD_FAIL_DISCARD;
	}
}

/* Ask what to do about an image only another kernel can take. */
static enum kernel_mismatch ask_kernel_mismatch(const struct resume_opts *o)
{
	static const char *const words[] = {"boot", "poweroff", "reboot", NULL};

	switch (ask_word(o,
			 "Type 'poweroff' or 'reboot' to keep the image and start its kernel "
			 "from the boot menu, or 'boot' (or nothing) to boot without it: ",
			 words)) {
	case 1:
		return KERNEL_MISMATCH_POWEROFF;
	case 2:
		return KERNEL_MISMATCH_REBOOT;
	default:
		return KERNEL_MISMATCH_BOOT;
	}
}

/*
 * The running kernel cannot take the image: it can still come back under
 * the kernel that wrote it, chosen in the boot menu.  Nothing is
 * invalidated before the choice (rd.snap.kernel_mismatch=, or the
 * console's answer): power off or reboot keep the image; booting on
 * refuses it as any other.
 */
static int kernel_mismatch(int fd, struct extmap *m, const char *path,
			   const struct image_header *h, const struct resume_opts *o,
			   const struct args *a, const char *why)
{
	enum kernel_mismatch choice = o->kernel_mismatch;

	log_error("the running kernel cannot resume the image on %s: %s", path, why);
	log_msg("the image can come back under the kernel that wrote it: %s (%s)",
		h->kernel_release, h->kernel_version);
	if (a->dry_run)
		return refuse(fd, m, path, h, o, a, "another kernel's image");
	if (choice == KERNEL_MISMATCH_ASK)
		choice = ask_kernel_mismatch(o);
	if (choice == KERNEL_MISMATCH_POWEROFF || choice == KERNEL_MISMATCH_REBOOT) {
		log_msg("image on %s kept; %s: start %s from the boot menu to resume it", path,
			choice == KERNEL_MISMATCH_REBOOT ? "rebooting" : "powering off",
			h->kernel_release);
		sync();
		reboot(choice == KERNEL_MISMATCH_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
		log_error("Failed to %s: %s", choice == KERNEL_MISMATCH_REBOOT ? "reboot" : "power off",
			  strerror(errno));
	}
	return refuse(fd, m, path, h, o, a, "booting on without it");
}

/* The image must come from this machine, with this much memory.  false
 * (and why) when it does not. */
static bool identity_matches(const struct image_header *h, const struct identity *id,
			     char *why, size_t size)
{
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	char then[37], now[37];

	/* MemTotal moves by a page or two between boots of the same machine
	 * (the kernel keeps a copy of its command line, for one); another
	 * memory size moves it by far more than 1/64. */
	uint64_t a = h->mem_total_kib, b = id->mem_total_kib;
	if ((a > b ? a - b : b - a) > a / 64) {
		snprintf(why, size,
			 "the memory size differs: the image was written with %" PRIu64
			 " KiB, this machine has %" PRIu64 " KiB",
			 h->mem_total_kib, id->mem_total_kib);
		return false;
	}
	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		if (type != IMAGE_REC_MACHINE)
			continue;
		image_uuid_format(p, then);
		if (!id->has_machine) {
			snprintf(why, size,
				 "the image comes from machine %s and this machine's identity "
				 "(DMI product UUID) cannot be read",
				 then);
			return false;
		}
		if (memcmp(p, id->machine, 16) != 0) {
			image_uuid_format(id->machine, now);
			snprintf(why, size, "the image comes from another machine (%s, this is %s)",
				 then, now);
			return false;
		}
	}
	return true;
}

/* Every file system mounted at snapshot time must be exactly as it was.
 * false (and why, naming it) when one is not, or cannot be found. */
static bool file_systems_unchanged(const struct image_header *h, const struct resume_opts *o,
				   char *why, size_t size)
{
	const uint8_t *p;
	uint16_t type, len;
	size_t cursor = 0;
	unsigned checked = 0;

	while (image_record_next(h, &cursor, &type, &p, &len) == 1) {
		_cleanup_(freep) char *dev = NULL;
		struct fs_guard then, now;
		char spec[48], u[37], what[160], reason[256];
		int r;

		if (type != IMAGE_REC_FS_GUARD)
			continue;
		fs_guard_decode(p, &then);
		then.digest = image_fs_digest(h, then.uuid);
		fsguard_uuid_string(&then, u, sizeof(u));
		snprintf(what, sizeof(what), "file system %s (%s UUID=%s)", then.mount_point,
			 fsguard_type_name(then.fs_type), u);
		snprintf(spec, sizeof(spec), "UUID=%s", u);
		r = blockdev_wait(spec, o->timeout * 1000, &dev);
		if (r < 0) {
			snprintf(why, size, "%s: its device was not found, so it cannot be checked",
				 what);
			return false;
		}
		r = fsguard_read(dev, &now);
		if (r < 0) {
			snprintf(why, size, "%s: reading its superblock on %s failed: %s", what, dev,
				 strerror(-r));
			return false;
		}
		if (!fsguard_same(&then, &now, reason, sizeof(reason))) {
			snprintf(why, size, "%s on %s: %s", what, dev, reason);
			return false;
		}
		log_debug("%s on %s is as it was at the snapshot", what, dev);
		checked++;
	}
	if (checked)
		log_msg("%u file system%s unchanged since the snapshot", checked,
			checked == 1 ? "" : "s");
	return true;
}
/* The configured overlays, and what a snapshot image decided for them. */
struct boot_plan overlays;
enum rollback_action overlay_action = ROLLBACK_UNSET;

/* cd: the LUKS2 volume the image is in (NULL for a plain target); its
 * image marker goes with the image's validity.  m: the extents of an image
 * in a swap area or image file (NULL: the image starts at byte 0). */
int resume_from(const char *path, const struct resume_opts *o, const struct args *a,
		       struct crypt_device *cd, struct extmap *m)
{
	_cleanup_(closep) int fd = -1, snapfd = -1;
	_cleanup_(pipe_freep) struct pipe *p = NULL;
	struct pipe_opts po = {0};
	struct pipe_stats pst = {0};
	struct image_header h;
	struct identity id;
	struct restore_ctx rc;
	enum image_state state;
	const char *why = NULL;
	char msg[1024], u[37];
	uint64_t size, t0, t1, ahead_mib, load_pages, when;
	unsigned tries = 0;
	bool snapshot = false, golden = false, golden_counted = false;
	struct golden_rec g = {0};
	int r;

	r = blockdev_open(path, a->dry_run ? O_RDONLY : O_RDWR, true, &fd, &size);
	if (r < 0) {
		log_error("Failed to open %s: %s; booting without resuming", path, strerror(-r));
		return r;
	}
	if (m)
		size = m->size;
	r = target_read_header_map(fd, m, &state, &h, &why);
	if (r < 0) {
		log_error("Failed to read %s: %s; booting without resuming", path, strerror(-r));
		return r;
	}
	switch (state) {
	case IMAGE_NONE:
		log_msg("no image on %s", path);
		return 0;
	case IMAGE_INVALIDATED:
		log_msg("no image on %s (the last one was %s)", path,
			image_dead_reason_to_string(h.dead_reason));
		/* Its records still say which COW stores are its own. */
		if (image_snapshot_info(&h, NULL))
			overlays_remember(&overlays, &h);
		return 0;
	case IMAGE_DAMAGED:
		snprintf(msg, sizeof(msg), "damaged header: %s", why);
		goto refuse;
	case IMAGE_UNSUPPORTED:
		snprintf(msg, sizeof(msg), "%s", why);
		goto refuse;
	case IMAGE_VALID:
		break;
	}
	image_uuid_format(h.uuid, u);
	snapshot = image_snapshot_info(&h, NULL);
	if (snapshot)
		overlays_remember(&overlays, &h);
	/* Only a snapshot's own record relaxes the one-shot rule. */
	golden = snapshot && image_golden_info(&h, &g);

	if (o->noresume) {
		/* A snapshot's changes are kept, as by default: recorded as
		 * such, so that a merge cut short is finished (and checked) by
		 * the next boot, as after any keep. */
		if (snapshot)
			overlay_action = ROLLBACK_KEEP;
		log_msg("noresume given: not resuming image %s on %s", u, path);
		if (a->dry_run)
			return 0;
		if (snapshot)
			overlays_record_merge(&overlays, &h);
		r = target_invalidate_map(fd, m, &h, snapshot ? IMAGE_DEAD_KEPT : IMAGE_DEAD_NORESUME,
					  0);
		if (r < 0)
			log_error("Failed to invalidate the image on %s: %s", path, strerror(-r));
		else
			log_msg("image on %s invalidated (noresume): the file systems will "
				"move on without it",
				path);
		return 0;
	}

	/* A snapshot: resume it, or keep or discard what happened since. */
	if (snapshot) {
		overlay_action = overlays_decide(o, &overlays, &h);
		if (overlay_action != ROLLBACK_RESUME) {
			if (a->dry_run)
				return 0;
			/* So that a merge cut short is checked by the boot
			 * that finishes it (said when it cannot be). */
			if (overlay_action == ROLLBACK_KEEP)
				overlays_record_merge(&overlays, &h);
			r = target_invalidate_map(fd, m, &h,
						  overlay_action == ROLLBACK_KEEP ? IMAGE_DEAD_KEPT
										  : IMAGE_DEAD_DISCARDED,
						  0);
			if (r == 0 && cd)
				r = luks_marker_clear(cd);
			if (r < 0) {
				log_error("Failed to invalidate the snapshot image on %s: %s; the "
					  "overlays are left alone",
					  path, strerror(-r));
				overlays.n = 0;
				return r;
			}
			log_msg("snapshot image %s on %s dropped (%s)", u, path,
				rollback_action_to_string(overlay_action));
			return 0;
		}
		if (!a->dry_run && overlays_drop_for_resume(&overlays, &h, true, msg, sizeof(msg)) < 0)
			goto refuse;
	}

	r = identity_read(&id);
	if (r < 0) {
		log_error("Failed to identify the running kernel: %s", strerror(-r));
		return r;
	}
	/* Another build is the kernel's business (KERNEL_CHECKS_BUILD). */
	if (strcmp(h.kernel_release, id.kernel_release) != 0 ||
	    strcmp(h.kernel_version, id.kernel_version) != 0) {
		if (KERNEL_CHECKS_BUILD) {
			snprintf(msg, sizeof(msg), "written by kernel %s %s, running %s %s: this "
				 "architecture's kernel takes only images of its own build",
				 h.kernel_release, h.kernel_version, id.kernel_release,
				 id.kernel_version);
			closep(&snapfd);
			return kernel_mismatch(fd, m, path, &h, o, a, msg);
		}
		log_msg("image written by kernel %s, running %s: the kernel decides whether it "
			"takes it",
			h.kernel_release, id.kernel_release);
	}
	if (h.payload_offset + h.payload_bytes > size) {
		snprintf(msg, sizeof(msg), "image of %" PRIu64 " bytes does not fit on the device "
			 "(%" PRIu64 " bytes): truncated target?",
			 h.payload_offset + h.payload_bytes, size);
		goto refuse;
	}

	if (image_attempt_begun(&h, &when)) {
		char t[64];
		time_t began = (time_t)when;

		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S UTC", gmtime(&began));
		snprintf(msg, sizeof(msg), "a previous resume of this image did not finish (it "
			 "began loading it at %s%s): it is not tried again",
			 t, golden ? ", and the resumed system did not confirm it" : "");
		goto refuse;
	}
	if (!identity_matches(&h, &id, msg, sizeof(msg)) ||
	    !file_systems_unchanged(&h, o, msg, sizeof(msg)))
		goto refuse;

	po.chunk_pages = h.chunk_pages;
	po.workers = (unsigned)o->workers;
	po.worker_nice = RESUME_WORKER_NICE;
	load_pages = image_load_pages(&h);

	/* Rule: lock our memory before loading the image.  On fault: the
	 * read-ahead buffers become memory only as the pipeline's threads
	 * first fill them, mostly on the CPU the kernel leaves idle while it
	 * allocates the image's memory, instead of all of them here before
	 * the load starts. */
	if (!a->dry_run && mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
	    mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		log_msg("Failed to lock memory: %s, ignoring", strerror(errno));

retry:
	/* A retry reads ahead less: memory may be what failed. */
	ahead_mib = size_readahead(o, load_pages, &po) >> tries;
	pipe_opts_readahead(&po, ahead_mib << 20);
	pipe_freep(&p);
	p = NULL;
	r = pipe_new(&po, &p);
	if (r < 0) {
		log_error("Failed to set up the pipeline: %s; booting without resuming",
			  strerror(-r));
		return r;
	}
	pipe_set_map(p, m);

	if (!a->dry_run) {
		r = snapdev_open(NULL, O_WRONLY, &snapfd);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "cannot open %s: %s%s", SNAPDEV_PATH,
				 strerror(-r),
				 r == -EPERM ? " (kernel lockdown under Secure Boot, or nohibernate)"
					     : "");
			goto refuse;
		}
	}

	log_msg("resuming image %s from %s (%" PRIu64 " pages, %" PRIu64 " MiB stored; the "
		"kernel takes %s%" PRIu64 " MiB to load it; reading ahead up to %" PRIu64 " MiB)",
		u, path, h.image_pages, h.payload_bytes >> 20, load_pages ? "" : "about ",
		(load_pages ? load_pages : h.image_pages) * IMAGE_PAGE_SIZE >> 20, ahead_mib);
	/* Count the attempt on disk before loading anything: should this
	 * load crash the machine, the next boot does not try again. */
	if (!a->dry_run) {
		struct image_header attempt = h;

		r = image_attempt_mark(&attempt, (uint64_t)time(NULL));
		if (r == 0)
			r = target_write_header_map(fd, m, &attempt);
		if (r < 0) {
			log_error("Failed to record the resume attempt on %s: %s; booting without "
				  "resuming, the image is kept",
				  path, strerror(-r));
			goto fail;
		}
	}
	rc = (struct restore_ctx){.snapfd = snapfd, .total_pages = h.image_pages, .pipe = p};
	t0 = now_ns();
	rc.start_ns = t0;
	r = pipe_read(p, &h, fd, size, a->dry_run ? NULL : put_snapshot_pages, &rc,
		      on_restore_progress, &rc, &pst);
	if (r == 0 && !a->dry_run)
		r = snapdev_finish_write(snapfd);
	if (r < 0 && kernel_refused(rc.put_error)) {
		char reason[512];

		/* Closed, the kernel drops what it took: nothing is half-loaded.
		 * No load crashed: the attempt is taken back, so that the
		 * kernel that wrote the image can still resume it. */
		closep(&snapfd);
		r = target_write_header_map(fd, m, &h);
		if (r < 0)
			log_error("Failed to take the resume attempt back on %s: %s", path,
				  strerror(-r));
		kernel_reason(reason, sizeof(reason));
		if (!reason[0])
			snprintf(reason, sizeof(reason), "%s (%s)",
				 rc.put_error == -EFAULT ? "its loader does not take the image's page list"
							 : "its loader said nothing more",
				 strerror(-rc.put_error));
		snprintf(msg, sizeof(msg), "kernel %s refused the image of kernel %s: %s",
			 id.kernel_release, h.kernel_release, reason);
		return kernel_mismatch(fd, m, path, &h, o, a, msg);
	}
	if (r < 0) {
		uint64_t bad = pipe_error_chunk(p);

		if (bad != UINT64_MAX)
			snprintf(msg, sizeof(msg), "chunk %" PRIu64 " of %" PRIu64 " %s: %s", bad,
				 h.chunk_count, r == -EBADMSG ? "is damaged" : "failed",
				 r == -EBADMSG ? "checksum or framing mismatch" : strerror(-r));
		else
			snprintf(msg, sizeof(msg), "loading the image failed: %s",
				 r == -EBADMSG ? "payload does not match the header" : strerror(-r));
		/* Only damage refuses at once. */
		if (r == -EBADMSG || a->dry_run)
			goto refuse;
		/* Memory or I/O: the image may well be intact.  Closed, the
		 * kernel drops what it took; the attempt is taken back. */
		closep(&snapfd);
		r = target_write_header_map(fd, m, &h);
		if (r < 0)
			log_error("Failed to take the resume attempt back on %s: %s", path,
				  strerror(-r));
		if (tries < LOAD_RETRIES) {
			tries++;
			log_msg("%s; trying again (%u of %u), reading ahead less", msg, tries,
				LOAD_RETRIES);
			sleep_ms(1000);
			goto retry;
		}
		switch (load_failed(path, o, msg)) {
		case LOAD_FAIL_ASK: /* the answer "retry" */
			tries = 0;
			goto retry;
		case LOAD_FAIL_POWEROFF:
			log_msg("image on %s kept; powering off", path);
			sync();
			reboot(RB_POWER_OFF);
			log_error("Failed to power off: %s", strerror(errno));
			break;
		case LOAD_FAIL_DISCARD:
			break;
		}
		goto refuse;
	}
	t1 = now_ns();
	if (a->dry_run) {
		log_msg("image %s on %s checked: it would resume (%.2f s)", u, path,
			(double)(t1 - t0) / 1e9);
		return 0;
	}

	/* Invalidate before the jump: an image is resumed at most once, and a
	 * restore that fails or crashes from here on never loops.  A golden
	 * image stays valid, counted, and keeps its attempt record: the
	 * resumed system takes it back (snapwrite), so that a restore that
	 * crashes is not tried again either. */
	if (golden) {
		struct image_header counted = h;

		/* The COW stores first: the origins are then exactly as at the
		 * snapshot, which is all a golden image needs. */
		r = overlays_drop_for_resume(&overlays, &h, false, msg, sizeof(msg));
		if (r < 0)
			goto refuse;
		g.resumes++;
		g.last_resume = (uint64_t)time(NULL);
		counted.restore_read_ns = 0;
		r = image_attempt_mark(&counted, g.last_resume);
		if (r == 0)
			r = image_golden_set(&counted, &g);
		if (r == 0)
			r = target_write_header_map(fd, m, &counted);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "counting the resume of the golden image failed: "
				 "%s",
				 strerror(-r));
			goto refuse;
		}
		golden_counted = true;
		log_msg("golden image %s: resume %" PRIu64 "; the image stays valid", u,
			g.resumes);
	} else {
		r = target_invalidate_map(fd, m, &h, IMAGE_DEAD_RESUMED, t1 - t0);
	}
	if (r < 0) {
		log_error("Failed to invalidate the image on %s before restoring: %s; "
			  "booting without resuming",
			  path, strerror(-r));
		goto fail;
	}
	if (cd && !golden) {
		r = luks_marker_clear(cd);
		if (r < 0) {
			log_error("Failed to remove the image marker of the encrypted volume: %s; "
				  "booting without resuming",
				  strerror(-r));
			goto fail;
		}
	}
	/* The restored system has the linear mappings it had at the
	 * snapshot: what was written to the COW stores since must go, or a
	 * later boot would merge it over the resumed system's writes. */
	if (snapshot && !golden) {
		r = overlays_drop_for_resume(&overlays, &h, false, msg, sizeof(msg));
		if (r < 0) {
			overlay_action = ROLLBACK_KEEP;
			log_error("%s; booting without resuming, the changes are kept", msg);
			goto fail;
		}
	}
	/* A swap area gets its signature back now: the restored system has
	 * it active, and the next boot's swapon must find it. */
	if (m && m->kind == EXTMAP_SWAP) {
		r = locator_restore_swap(fd, m);
		if (r < 0)
			log_error("Failed to put the swap signature back on %s: %s (the next "
				  "boot does it)",
				  path, strerror(-r));
	}
	log_msg("image loaded in %.2f s (%.0f MB/s), peak memory %" PRIu64 " KiB; restoring",
		(double)(t1 - t0) / 1e9,
		(double)(h.image_pages * IMAGE_PAGE_SIZE) / 1e3 / ((double)(t1 - t0) / 1e6),
		peak_rss_kib());
	log_msg("of that, %.2f s in the kernel taking pages (%.2f s in one chunk, where it "
		"allocates memory for the whole image; by its end %" PRIu64 " of the %" PRIu64
		" chunks after it were read, %" PRIu64 " checked and decompressed), %.2f s waiting for chunks (%.2f s of it "
		"for the first; %.2f s for the disk, %.2f s for the workers); reading took %.2f s, checking (%s XXH3) and decompressing %.2f s "
		"of %u threads' time",
		(double)rc.kernel_ns / 1e9, (double)rc.longest_ns / 1e9,
		rc.longest_fetched - rc.longest_seq - 1, h.chunk_count - rc.longest_seq - 1,
		rc.longest_worked - rc.longest_seq - 1,
		(double)(t1 - t0 - rc.kernel_ns) / 1e9, (double)rc.first_ns / 1e9,
		(double)pst.wait_read_ns / 1e9, (double)pst.wait_work_ns / 1e9,
		(double)pst.io_ns / 1e9, hash64_impl(),
		(double)pst.work_ns / 1e9, pipe_workers(p));

	/* An image that went down through the platform's S4 comes back
	 * through it (the firmware expects the matching wake-up steps). */
	if (image_power_mode(&h) == IMAGE_POWER_PLATFORM && snapdev_platform_support(snapfd, true) < 0)
		log_msg("the kernel refused platform support; restoring without it");
	r = snapdev_freeze(snapfd);
	if (r < 0) {
		log_error("Failed to freeze processes: %s; booting without resuming",
			  strerror(-r));
		goto fail;
	}
	r = snapdev_atomic_restore(snapfd);
	/* Only reached when the kernel could not jump into the image. */
	snapdev_unfreeze(snapfd);
	log_error("The kernel could not restore the image: %s; booting without resuming",
		  strerror(-r));

	/* Nothing was restored.  Closing /dev/snapshot makes the kernel drop
	 * what was loaded; a refused image is invalidated (refuse()). */
fail:
	closep(&snapfd);
	/* A golden image counted for a restore that did not happen: this
	 * boot runs on its origins, so it must not come back. */
	if (golden_counted) {
		int k = target_invalidate_map(fd, m, &h, IMAGE_DEAD_REFUSED, 0);

		if (k < 0)
			log_error("ERROR: the golden image on %s could not be invalidated (%s): "
				  "the next boot refuses it (its resume was not confirmed)",
				  path, strerror(-k));
		else
			log_msg("golden image on %s invalidated: this boot runs on its origins; "
				"golden snapshot mode ends",
				path);
	}
	return r < 0 ? r : -EIO;
refuse:
	closep(&snapfd);
	return refuse(fd, m, path, state == IMAGE_DAMAGED ? NULL : &h, o, a, msg);
}
