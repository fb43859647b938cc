/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapresume: in the initramfs, before the root file system is mounted,
 * find a snapresume image, check it, and hand it to the kernel to resume.
 *
 * Whatever happens, the boot goes on: a missing device or image is normal,
 * a bad image is refused (and invalidated, because the file systems are
 * about to move on without it), and every refusal says why on the console.
 */
#include <errno.h>
#include <fcntl.h>
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

#ifndef VERSION
#define VERSION "0.1"
#endif

#define DEFAULT_CONFIG "/etc/snapresume.conf"
#define MAPPING_NAME "snapresume-image"
#define CONSOLE "/dev/console"

/* Exit codes (documented in snapresume(8)).  On success the program does
 * not return at all: the kernel jumps into the restored system. */
enum {
	EXIT_NOTHING = 0, /* no resume configured, no device or no image */
	EXIT_FAIL = 1,    /* an error while restoring; boot goes on */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3, /* an image was found and refused */
};

struct args {
	const char *cmdline_file;
	const char *config;
	const char *device; /* overrides resume= */
	bool dry_run;       /* check everything, restore nothing */
};

static void help(void)
{
	printf("Usage: snapresume [OPTIONS]\n"
	       "\n"
	       "Resume a system from a snapwrite image.  Runs in the initramfs before the\n"
	       "root file system is mounted; reads its settings from the kernel command line.\n"
	       "\n"
	       "Kernel command line:\n"
	       "  resume=SPEC          the image's device: /dev/..., UUID=, PARTUUID=, LABEL=\n"
	       "                       or PARTLABEL=\n"
	       "  noresume             do not resume; an image found is invalidated\n"
	       "  resumedelay=SECONDS  wait before looking for the device\n"
	       "  rd.snap.timeout=SECONDS  how long to wait for the device (default %d)\n"
	       "  rd.snap.keep         never invalidate a refused image\n"
	       "  rd.snap.workers=N    decompression threads (default: one per CPU)\n"
	       "  rd.snap.debug        more messages\n"
	       "\n"
	       "Encrypted (LUKS2) targets, on the command line or without the rd.snap.\n"
	       "prefix in " DEFAULT_CONFIG ":\n"
	       "  rd.snap.keyfile=PATH key file in the initramfs, tried after LUKS2 tokens\n"
	       "  rd.snap.tries=N      passphrase tries before asking what to do (default %d)\n"
	       "  rd.snap.ask_timeout=SECONDS  give up waiting for a passphrase (default 0:\n"
	       "                       wait forever)\n"
	       "  rd.snap.unlock_fail=ask|discard|poweroff  when the image cannot be unlocked:\n"
	       "                       ask (default), boot without it (it is invalidated),\n"
	       "                       or power off keeping it\n"
	       "\n"
	       "Options:\n"
	       "      --cmdline=FILE   read the command line from FILE, not /proc/cmdline\n"
	       "      --config=FILE    configuration file (default " DEFAULT_CONFIG ")\n"
	       "      --device=SPEC    use this device instead of resume=\n"
	       "      --dry-run        check the image, do not restore or invalidate it\n"
	       "  -h, --help           show this help\n"
	       "  -V, --version        show the version\n"
	       "\n"
	       "Exit status: 0 nothing to resume, 1 restore failed, 2 usage error,\n"
	       "3 image refused.  After a successful resume the program does not return.\n",
	       RESUME_DEFAULT_TIMEOUT, RESUME_DEFAULT_TRIES);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_CMDLINE = 256, OPT_CONFIG, OPT_DEVICE, OPT_DRY_RUN };
	static const struct option opts[] = {
		{"cmdline", required_argument, NULL, OPT_CMDLINE},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"device", required_argument, NULL, OPT_DEVICE},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) >= 0) {
		switch (c) {
		case OPT_CMDLINE:
			a->cmdline_file = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_DEVICE:
			if (blockdev_spec_check(optarg) < 0) {
				fprintf(stderr, "snapresume: invalid device '%s'\n", optarg);
				return EXIT_USAGE;
			}
			a->device = optarg;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case 'h':
			help();
			return -1;
		case 'V':
			printf("snapresume " VERSION "\n");
			return -1;
		default:
			fprintf(stderr, "Try 'snapresume --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "snapresume: unexpected argument '%s'\nTry 'snapresume --help'.\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return 0;
}

static void bad_cmdline_value(const char *key)
{
	log_msg("bad value for '%s' on the kernel command line, ignoring", key);
}

static int read_cmdline(const char *file, struct resume_opts *o)
{
	char text[4096];
	int r;

	r = read_text_file(file, text, sizeof(text));
	if (r < 0)
		return r;
	resume_opts_apply_cmdline(o, text, bad_cmdline_value);
	return 0;
}

/* The initramfs configuration: settings that are no business of the kernel
 * command line (a key file's path, the unlock policy).  The command line,
 * read after it, wins. */
static int config_report(void *userdata, unsigned line, const char *key, const char *value,
			 const struct opt *opt, int r)
{
	const char *file = userdata;

	(void)value;
	(void)opt;
	if (!key)
		log_msg("%s:%u: not a key=value line, ignoring", file, line);
	else if (r == 0)
		log_msg("%s:%u: unknown key '%s', ignoring", file, line, key);
	else
		log_msg("%s:%u: bad value for '%s', ignoring", file, line, key);
	return 0;
}

static int read_config(const char *file, bool given, struct resume_opts *o)
{
	char text[8192];
	int r;

	r = read_text_file(file, text, sizeof(text));
	if (r == -ENOENT && !given)
		return 0;
	if (r < 0)
		return r;
	return conf_read(text, resume_conf_opts, resume_conf_opts_n, o, config_report,
			 (void *)file);
}

static void sleep_seconds(uint64_t s)
{
	struct timespec ts = {.tv_sec = (time_t)s};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

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

/* Refuse the image: say why and (unless told to keep it) invalidate it. */
static int refuse(int fd, struct extmap *m, const char *path, const struct image_header *h,
		  const struct resume_opts *o, const struct args *a, const char *why)
{
	int r;

	log_error("refusing image on %s: %s", path, why);
	if (o->keep || a->dry_run) {
		log_msg("image on %s kept (%s); booting without resuming", path,
			a->dry_run ? "--dry-run" : "rd.snap.keep");
		return EXIT_REFUSED;
	}
	r = h ? target_invalidate_map(fd, m, h, IMAGE_DEAD_REFUSED, 0)
	      : target_clear_header_map(fd, m);
	if (r < 0)
		log_error("Failed to invalidate the image on %s: %s", path, strerror(-r));
	else
		log_msg("image on %s invalidated; booting without resuming", path);
	return EXIT_REFUSED;
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
		image_uuid_format(then.uuid, u);
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
static struct boot_plan overlays;
static enum rollback_action overlay_action = ROLLBACK_UNSET;

/* cd: the LUKS2 volume the image is in (NULL for a plain target); its
 * image marker goes with the image's validity.  m: the extents of an image
 * in a swap area or image file (NULL: the image starts at byte 0). */
static int resume_from(const char *path, const struct resume_opts *o, const struct args *a,
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
	uint64_t size, t0, t1, ahead_mib, load_pages;
	bool snapshot;
	int r;

	r = blockdev_open(path, a->dry_run ? O_RDONLY : O_RDWR, true, &fd, &size);
	if (r < 0) {
		log_error("Failed to open %s: %s; booting without resuming", path, strerror(-r));
		return EXIT_FAIL;
	}
	if (m)
		size = m->size;
	r = target_read_header_map(fd, m, &state, &h, &why);
	if (r < 0) {
		log_error("Failed to read %s: %s; booting without resuming", path, strerror(-r));
		return EXIT_FAIL;
	}
	switch (state) {
	case IMAGE_NONE:
		log_msg("no image on %s", path);
		return EXIT_NOTHING;
	case IMAGE_INVALIDATED:
		log_msg("no image on %s (the last one was %s)", path,
			image_dead_reason_to_string(h.dead_reason));
		return EXIT_NOTHING;
	case IMAGE_DAMAGED:
		snprintf(msg, sizeof(msg), "damaged header: %s", why);
		return refuse(fd, m, path, NULL, o, a, msg);
	case IMAGE_UNSUPPORTED:
		snprintf(msg, sizeof(msg), "%s", why);
		return refuse(fd, m, path, &h, o, a, msg);
	case IMAGE_VALID:
		break;
	}
	image_uuid_format(h.uuid, u);

	if (o->noresume) {
		log_msg("noresume given: not resuming image %s on %s", u, path);
		if (a->dry_run)
			return EXIT_NOTHING;
		r = target_invalidate_map(fd, m, &h, IMAGE_DEAD_NORESUME, 0);
		if (r < 0)
			log_error("Failed to invalidate the image on %s: %s", path, strerror(-r));
		else
			log_msg("image on %s invalidated (noresume): the file systems will "
				"move on without it",
				path);
		return EXIT_NOTHING;
	}

	/* A snapshot: resume it, or keep or discard what happened since. */
	snapshot = image_snapshot_info(&h, NULL);
	if (snapshot) {
		overlay_action = overlays_decide(o, &overlays, &h);
		if (overlay_action != ROLLBACK_RESUME) {
			if (a->dry_run)
				return EXIT_NOTHING;
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
				return EXIT_FAIL;
			}
			log_msg("snapshot image %s on %s dropped (%s)", u, path,
				rollback_action_to_string(overlay_action));
			return EXIT_NOTHING;
		}
		if (!a->dry_run && overlays_drop_for_resume(&overlays, &h, true, msg, sizeof(msg)) < 0)
			return refuse(fd, m, path, &h, o, a, msg);
	}

	r = identity_read(&id);
	if (r < 0) {
		log_error("Failed to identify the running kernel: %s", strerror(-r));
		return EXIT_FAIL;
	}
	/* An image only fits the exact kernel build that wrote it. */
	if (strcmp(h.kernel_release, id.kernel_release) != 0 ||
	    strcmp(h.kernel_version, id.kernel_version) != 0) {
		snprintf(msg, sizeof(msg), "written by kernel %s %s, running %s %s",
			 h.kernel_release, h.kernel_version, id.kernel_release, id.kernel_version);
		return refuse(fd, m, path, &h, o, a, msg);
	}
	if (h.payload_offset + h.payload_bytes > size) {
		snprintf(msg, sizeof(msg), "image of %" PRIu64 " bytes does not fit on the device "
			 "(%" PRIu64 " bytes): truncated target?",
			 h.payload_offset + h.payload_bytes, size);
		return refuse(fd, m, path, &h, o, a, msg);
	}

	if (!identity_matches(&h, &id, msg, sizeof(msg)))
		return refuse(fd, m, path, &h, o, a, msg);
	if (!file_systems_unchanged(&h, o, msg, sizeof(msg)))
		return refuse(fd, m, path, &h, o, a, msg);

	po.chunk_pages = h.chunk_pages;
	po.workers = (unsigned)o->workers;
	po.worker_nice = RESUME_WORKER_NICE;
	load_pages = image_load_pages(&h);
	ahead_mib = size_readahead(o, load_pages, &po);
	r = pipe_new(&po, &p);
	if (r < 0) {
		log_error("Failed to set up the pipeline: %s; booting without resuming",
			  strerror(-r));
		return EXIT_FAIL;
	}
	pipe_set_map(p, m);

	if (!a->dry_run) {
		r = snapdev_open(NULL, O_WRONLY, &snapfd);
		if (r < 0) {
			snprintf(msg, sizeof(msg), "cannot open %s: %s%s", SNAPDEV_PATH,
				 strerror(-r),
				 r == -EPERM ? " (kernel lockdown under Secure Boot, or nohibernate)"
					     : "");
			return refuse(fd, m, path, &h, o, a, msg);
		}
		/* Rule: lock our memory before loading the image.  On fault:
		 * the read-ahead buffers become memory only as the pipeline's
		 * threads first fill them, mostly on the CPU the kernel leaves
		 * idle while it allocates the image's memory, instead of all
		 * of them here before the load starts. */
		if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) < 0 &&
		    mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
			log_msg("Failed to lock memory: %s, ignoring", strerror(errno));
	}

	log_msg("resuming image %s from %s (%" PRIu64 " pages, %" PRIu64 " MiB stored; the "
		"kernel takes %s%" PRIu64 " MiB to load it; reading ahead up to %" PRIu64 " MiB)",
		u, path, h.image_pages, h.payload_bytes >> 20, load_pages ? "" : "about ",
		(load_pages ? load_pages : h.image_pages) * IMAGE_PAGE_SIZE >> 20, ahead_mib);
	rc = (struct restore_ctx){.snapfd = snapfd, .total_pages = h.image_pages, .pipe = p};
	t0 = now_ns();
	rc.start_ns = t0;
	r = pipe_read(p, &h, fd, size, a->dry_run ? NULL : put_snapshot_pages, &rc,
		      on_restore_progress, &rc, &pst);
	if (r == 0 && !a->dry_run)
		r = snapdev_finish_write(snapfd);
	if (r < 0) {
		uint64_t bad = pipe_error_chunk(p);

		/* Closing /dev/snapshot makes the kernel drop what was loaded. */
		closep(&snapfd);
		if (bad != UINT64_MAX)
			snprintf(msg, sizeof(msg), "chunk %" PRIu64 " of %" PRIu64 " is damaged: %s",
				 bad, h.chunk_count,
				 r == -EBADMSG ? "checksum or framing mismatch" : strerror(-r));
		else
			snprintf(msg, sizeof(msg), "loading the image failed: %s",
				 r == -EBADMSG ? "payload does not match the header" : strerror(-r));
		return refuse(fd, m, path, &h, o, a, msg);
	}
	t1 = now_ns();
	if (a->dry_run) {
		log_msg("image %s on %s checked: it would resume (%.2f s)", u, path,
			(double)(t1 - t0) / 1e9);
		return EXIT_NOTHING;
	}

	/* Invalidate before the jump: an image is resumed at most once, and a
	 * restore that fails or crashes from here on never loops. */
	r = target_invalidate_map(fd, m, &h, IMAGE_DEAD_RESUMED, t1 - t0);
	if (r < 0) {
		closep(&snapfd);
		log_error("Failed to invalidate the image on %s before restoring: %s; "
			  "booting without resuming",
			  path, strerror(-r));
		return EXIT_FAIL;
	}
	if (cd) {
		r = luks_marker_clear(cd);
		if (r < 0) {
			closep(&snapfd);
			log_error("Failed to remove the image marker of the encrypted volume: %s; "
				  "booting without resuming",
				  strerror(-r));
			return EXIT_FAIL;
		}
	}
	/* The restored system has the linear mappings it had at the
	 * snapshot: what was written to the COW stores since must go, or a
	 * later boot would merge it over the resumed system's writes. */
	if (snapshot) {
		r = overlays_drop_for_resume(&overlays, &h, false, msg, sizeof(msg));
		if (r < 0) {
			closep(&snapfd);
			overlay_action = ROLLBACK_KEEP;
			log_error("%s; booting without resuming, the changes are kept", msg);
			return EXIT_FAIL;
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

	r = snapdev_freeze(snapfd);
	if (r < 0) {
		log_error("Failed to freeze processes: %s; booting without resuming",
			  strerror(-r));
		return EXIT_FAIL;
	}
	r = snapdev_atomic_restore(snapfd);
	/* Only reached when the kernel could not jump into the image. */
	snapdev_unfreeze(snapfd);
	log_error("The kernel could not restore the image: %s; booting without resuming",
		  strerror(-r));
	return EXIT_FAIL;
}

/* ---- encrypted targets ------------------------------------------------- */

enum unlock_result {
	UNLOCKED,
	UNLOCK_DISCARD,  /* boot without resuming, the image invalidated */
	UNLOCK_POWEROFF, /* power off, the image kept */
};

/* Ask what to do after the passphrase tries ran out.  true: try again. */
static bool ask_try_again(const char *path)
{
	char answer[64];
	int r;

	for (;;) {
		log_msg("the image on %s could not be unlocked.", path);
		r = ask_line(ASK_AUTO, CONSOLE,
			     "Type 'discard' to boot without resuming (the hibernated session "
			     "is lost), or press Enter to try again: ",
			     true, 0, answer, sizeof(answer));
		if (r < 0) {
			log_error("cannot ask on %s: %s", CONSOLE, strerror(-r));
			return false;
		}
		if (strcmp(answer, "discard") == 0)
			return false;
		if (answer[0] == '\0')
			return true;
		log_msg("answer 'discard' or press Enter");
	}
}

static enum unlock_result unlock(struct crypt_device *cd, const char *path,
				 const struct resume_opts *o)
{
	char prompt[320];
	static char pass[512]; /* not on the stack: locked and wiped in one place */
	int r;

	r = luks_activate_token(cd, MAPPING_NAME);
	if (r == 0) {
		log_msg("%s unlocked with a LUKS2 token", path);
		return UNLOCKED;
	}
	if (r != -ENOENT)
		log_msg("no LUKS2 token unlocked %s: %s", path, strerror(-r));
	if (o->keyfile[0]) {
		r = luks_activate_keyfile(cd, MAPPING_NAME, o->keyfile);
		if (r == 0) {
			log_msg("%s unlocked with key file %s", path, o->keyfile);
			return UNLOCKED;
		}
		log_msg("key file %s does not unlock %s: %s", o->keyfile, path,
			r == -EPERM ? "it matches no key slot" : strerror(-r));
	}

	(void)mlock(pass, sizeof(pass));
	snprintf(prompt, sizeof(prompt), "Passphrase for the hibernation image on %s: ", path);
	for (;;) {
		bool ask_more = true;

		for (uint64_t i = 1; i <= o->tries && ask_more; i++) {
			r = ask_line(ASK_AUTO, CONSOLE, prompt, false, (unsigned)o->ask_timeout, pass,
				     sizeof(pass));
			if (r < 0) {
				if (r == -ETIMEDOUT)
					log_msg("no passphrase typed within %" PRIu64 " s",
						o->ask_timeout);
				else
					log_error("cannot ask for the passphrase on %s: %s", CONSOLE,
						  strerror(-r));
				ask_more = false;
				break;
			}
			r = luks_activate_passphrase(cd, MAPPING_NAME, pass, (size_t)r);
			explicit_bzero(pass, sizeof(pass));
			if (r == 0) {
				log_msg("%s unlocked", path);
				return UNLOCKED;
			}
			if (r == -EPERM)
				log_msg("wrong passphrase for %s (try %" PRIu64 " of %" PRIu64 ")", path,
					i, o->tries);
			else
				log_error("failed to unlock %s: %s", path, strerror(-r));
		}
		switch (o->unlock_fail) {
		case UNLOCK_FAIL_DISCARD:
			log_msg("rd.snap.unlock_fail=discard: giving up on the image on %s", path);
			return UNLOCK_DISCARD;
		case UNLOCK_FAIL_POWEROFF:
			return UNLOCK_POWEROFF;
		case UNLOCK_FAIL_ASK:
			if (!ask_try_again(path))
				return UNLOCK_DISCARD;
			break;
		}
	}
}

/* What is at page resume_offset= of path (locator.h); 0, or an exit code
 * after a message. */
static int locator_at(const char *path, const struct resume_opts *o, struct extmap *m,
		      enum locator_found *ret_found, const char **ret_why)
{
	_cleanup_(closep) int fd = -1;
	uint64_t base = o->resume_offset * EXTMAP_PAGE, size;
	int r;

	r = blockdev_open(path, O_RDONLY, true, &fd, &size);
	if (r == 0)
		r = base + EXTMAP_PAGE <= size ? locator_read(fd, base, m, ret_found, ret_why)
					       : -ERANGE;
	if (r < 0) {
		log_error("Failed to read %s at page %" PRIu64 ": %s; booting without resuming",
			  path, o->resume_offset, strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

/* Inside an unlocked LUKS2 volume: the image at its start, or, with
 * resume_offset=, an image file of a file system in it (its locator at
 * that page of the volume). */
static int resume_in_volume(const char *mapped, const struct resume_opts *o,
			    const struct args *a, struct crypt_device *cd)
{
	enum locator_found found;
	struct extmap m;
	const char *why = NULL;
	int ret;

	if (!o->resume_offset)
		return resume_from(mapped, o, a, cd, NULL);
	ret = locator_at(mapped, o, &m, &found, &why);
	if (ret)
		return ret;
	if (found != LOC_OURS || m.kind != EXTMAP_FILE) {
		extmap_done(&m);
		log_msg("no image file in the encrypted volume at page %" PRIu64 "%s%s",
			o->resume_offset, why ? ": " : "", why ? why : "");
		return found == LOC_DAMAGED ? EXIT_REFUSED : EXIT_NOTHING;
	}
	ret = resume_from(mapped, o, a, cd, &m);
	extmap_done(&m);
	return ret;
}

/* Resume from path, which may be a LUKS2 volume holding the image. */
static int resume_path(const char *path, const struct resume_opts *o, const struct args *a)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	char mapped[256], u[37];
	int r, ret;

	r = luks_open(path, &cd);
	if (r == -EMEDIUMTYPE && o->resume_offset) {
		log_msg("no image on %s at page %" PRIu64, path, o->resume_offset);
		return EXIT_NOTHING;
	}
	if (r == -EMEDIUMTYPE)
		return resume_from(path, o, a, NULL, NULL);
	if (r == -EPROTONOSUPPORT) {
		log_msg("%s is a LUKS1 volume; images are only kept in LUKS2 volumes "
			"(cryptsetup convert --type luks2)",
			path);
		return EXIT_NOTHING;
	}
	if (r < 0) {
		log_error("Failed to read the LUKS2 header of %s: %s; booting without resuming",
			  path, strerror(-r));
		return EXIT_FAIL;
	}

	/* The marker says whether there is anything to unlock for. */
	r = luks_marker_get(cd, u);
	if (r < 0) {
		log_error("Failed to read the tokens of %s: %s; booting without resuming", path,
			  strerror(-r));
		return EXIT_FAIL;
	}
	if (r == 0) {
		log_msg("no image in the encrypted volume %s", path);
		return EXIT_NOTHING;
	}
	if (o->noresume && !a->dry_run) {
		r = luks_marker_clear(cd);
		if (r < 0) {
			log_error("Failed to invalidate the image in %s: %s", path, strerror(-r));
			return EXIT_FAIL;
		}
		log_msg("noresume given: image %s in %s invalidated: the file systems will move "
			"on without it",
			u, path);
		return EXIT_NOTHING;
	}

	log_msg("image %s is in the encrypted volume %s", u, path);
	switch (unlock(cd, path, o)) {
	case UNLOCKED:
		break;
	case UNLOCK_POWEROFF:
		log_msg("rd.snap.unlock_fail=poweroff: image %s in %s kept; powering off", u, path);
		sync();
		reboot(RB_POWER_OFF);
		/* Still running: the boot goes on, so the image must go. */
		log_error("Failed to power off: %s", strerror(errno));
		__attribute__((fallthrough));
	case UNLOCK_DISCARD:
		if (o->keep || a->dry_run) {
			log_msg("image %s in %s kept (%s); booting without resuming", u, path,
				a->dry_run ? "--dry-run" : "rd.snap.keep");
			return EXIT_REFUSED;
		}
		r = luks_marker_clear(cd);
		if (r < 0)
			log_error("Failed to invalidate the image in %s: %s", path, strerror(-r));
		else
			log_msg("image %s in %s invalidated; booting without resuming", u, path);
		return EXIT_REFUSED;
	}

	luks_mapper_path(MAPPING_NAME, mapped, sizeof(mapped));
	ret = resume_in_volume(mapped, o, a, cd);

	/* Still here: nothing was restored.  The image inside is invalid,
	 * refused or absent (or kept, on request): the marker follows it. */
	if (!o->keep && !a->dry_run) {
		r = luks_marker_clear(cd);
		if (r < 0)
			log_error("Failed to remove the image marker of %s: %s", path, strerror(-r));
	}
	r = luks_deactivate(MAPPING_NAME);
	if (r < 0)
		log_error("Failed to close %s: %s", mapped, strerror(-r));
	else
		log_msg("closed %s", mapped);
	return ret;
}

/* After an image in a swap area was not restored: when it is no longer
 * valid (invalidated, refused, damaged), the swap area gets its signature
 * back; a kept image keeps the locator, so the next boot finds it. */
static void swap_settle(const char *path, struct extmap *m, const struct args *a)
{
	_cleanup_(closep) int fd = -1;
	struct image_header h;
	enum image_state state;
	const char *why;
	uint64_t size;
	int r;

	if (m->kind != EXTMAP_SWAP || a->dry_run)
		return;
	r = blockdev_open(path, O_RDWR, true, &fd, &size);
	if (r == 0)
		r = target_read_header_map(fd, m, &state, &h, &why);
	if (r == 0 && state == IMAGE_VALID)
		return;
	if (r == 0)
		r = locator_restore_swap(fd, m);
	if (r < 0)
		log_error("Failed to put the swap signature back on %s: %s", path, strerror(-r));
	else
		log_msg("swap signature restored on %s", path);
}

/* resume= names a device; resume_offset= the page on it where an image's
 * locator is (a swap file's or image file's first page, 0 for a swap
 * partition).  Without a locator there, the image starts at byte 0 (a
 * partition, or a LUKS2 volume holding it). */
static int resume_device(const char *path, const struct resume_opts *o, const struct args *a)
{
	_cleanup_(closep) int fd = -1;
	uint64_t base = o->resume_offset * EXTMAP_PAGE, size;
	enum locator_found found;
	struct extmap m;
	const char *why = NULL;
	int r, ret;

	ret = locator_at(path, o, &m, &found, &why);
	if (ret)
		return ret;
	switch (found) {
	case LOC_OURS:
		log_debug("image locator on %s at page %" PRIu64 ": %zu extents, %" PRIu64
			  " MiB",
			  path, o->resume_offset, m.n, m.size >> 20);
		ret = resume_from(path, o, a, NULL, &m);
		swap_settle(path, &m, a);
		extmap_done(&m);
		return ret;
	case LOC_DAMAGED:
		log_error("refusing image on %s: its locator at page %" PRIu64 " is damaged: %s",
			  path, o->resume_offset, why);
		if (o->keep || a->dry_run)
			return EXIT_REFUSED;
		r = blockdev_open(path, O_RDWR, true, &fd, &size);
		if (r == 0)
			r = locator_repair_swap(fd, base);
		if (r > 0)
			log_msg("swap signature restored on %s", path);
		else if (r < 0)
			log_error("Failed to repair the swap header on %s: %s", path, strerror(-r));
		return EXIT_REFUSED;
	case LOC_SWAP:
		log_msg("no image on %s (a swap area without one)", path);
		return EXIT_NOTHING;
	case LOC_KERNEL:
		log_msg("%s holds an image of the kernel's own hibernation: left to the "
			"kernel's resume",
			path);
		return EXIT_NOTHING;
	case LOC_NONE:
		break;
	}
	/* An image at the start, or a LUKS2 volume to look into. */
	return resume_path(path, o, a);
}

static int resume_spec(const struct resume_opts *o, const struct args *a)
{
	_cleanup_(freep) char *path = NULL;
	const char *spec = a->device ? a->device : o->resume;
	int r;

	if (!spec[0]) {
		log_debug("no resume= on the kernel command line: nothing to resume");
		return EXIT_NOTHING;
	}
	if (o->resumedelay)
		sleep_seconds(o->resumedelay);

	r = blockdev_wait(spec, o->timeout * 1000, &path);
	if (r < 0) {
		log_msg("resume device %s not found (waited %" PRIu64 " s); booting normally", spec,
			o->timeout);
		return EXIT_NOTHING;
	}
	return resume_device(path, o, a);
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct resume_opts o;
	int r;

	log_init("snapresume");
	/* One place for libcryptsetup's messages: every device uses it. */
	crypt_set_log_callback(NULL, log_libcryptsetup, NULL);
	r = parse_args(argc, argv, &a);
	if (r < 0)
		return EXIT_NOTHING;
	if (r > 0)
		return r;

	resume_opts_init(&o);
	r = read_config(a.config ? a.config : DEFAULT_CONFIG, a.config != NULL, &o);
	if (r < 0) {
		log_error("Failed to read %s: %s", a.config ? a.config : DEFAULT_CONFIG,
			  strerror(-r));
		return a.config ? EXIT_USAGE : EXIT_FAIL;
	}
	r = read_cmdline(a.cmdline_file ? a.cmdline_file : "/proc/cmdline", &o);
	if (r < 0) {
		log_error("Failed to read the kernel command line: %s", strerror(-r));
		return EXIT_FAIL;
	}
	log_set_debug(o.debug);

	if (o.overlays.n)
		overlays_scan(&o, &overlays);
	r = resume_spec(&o, &a);
	/* Not resumed: the file systems' mappings, before anything mounts. */
	overlays_setup(&o, &overlays, overlay_action, a.dry_run);
	return r;
}
