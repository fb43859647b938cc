/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapwrite: take a snapshot of the running system through /dev/snapshot
 * and store it as a snapresume image, then power off.
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
#include "guard.h"
#include "format/format.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "parse.h"
#include "pipeline.h"
#include "snapshot.h"
#include "systemd.h"
#include "snapdev.h"
#include "target.h"
#include "util.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

#define DEFAULT_CONFIG "/etc/snapwrite.conf"
#define MAPPING_NAME "snapwrite-image"
#define PASSPHRASE_TRIES 3
#define CREATE_IMAGE_RETRIES 2 /* with a smaller preferred image size */

/* Exit codes (documented in snapwrite(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,     /* the operation failed; the system runs on */
	EXIT_USAGE = 2,    /* bad command line or configuration */
	EXIT_TARGET = 3,   /* target missing, busy, too small or failing */
	EXIT_KERNEL = 4,   /* the kernel cannot or will not hibernate */
	EXIT_NOIMAGE = 5,  /* status/verify: no valid image on the target */
};

struct args {
	const char *command;
	char target[256];
	const char *config;
	bool config_given;
	bool reboot;
	bool list;
	bool quiet;
	uint64_t workers;
	uint64_t image_size; /* SNAPSHOT_PREF_IMAGE_SIZE, 0: kernel default */
	char keyfile[256];   /* opens a LUKS2 target */
	bool ask_password;   /* or: ask for its passphrase on the terminal */
	bool yes;            /* prepare: do not ask */
	bool json;           /* status: JSON */
	uint64_t file_size;  /* prepare: size of an image file to make */
	bool fs_unknown_allow; /* fs_guard_unknown=allow */
	enum { ENC_DEFAULT, ENC_REQUIRED, ENC_OPTIONAL } encryption;
	char conf_target[256]; /* target= of the configuration file */
	/* snapshot and rollback */
	bool snapshot;         /* the command is snapshot: run on afterwards */
	bool ignore_inhibitors; /* --ignore-inhibitors: logind's block locks too */
	const char *action;    /* rollback: resume, keep or discard */
	struct overlay_spec overlays[OVERLAY_MAX]; /* overlay= lines */
	size_t n_overlays;
	uint64_t cow_min;      /* cow_min=: the smallest COW store taken */
	uint64_t monitor_interval; /* monitor_interval=: seconds, 0 none */
};

static void help(void)
{
	printf("Usage: snapwrite [OPTIONS] COMMAND\n"
	       "\n"
	       "Take a snapshot of the running system and store it as an image that\n"
	       "snapresume restores at the next boot.\n"
	       "\n"
	       "Commands:\n"
	       "  hibernate        snapshot, write the image to the target, power off\n"
	       "  snapshot         the same image, but run on: later changes to the file\n"
	       "                   systems go to copy-on-write overlays (overlay=)\n"
	       "  rollback ACTION  what the next boot does with a snapshot: resume (return\n"
	       "                   to it), keep (merge the changes; the default) or discard\n"
	       "  status           show the image on the target (of a locked LUKS2\n"
	       "                   target: whether it is marked as holding one)\n"
	       "  verify           check every chunk of the image on the target\n"
	       "  discard          invalidate the image (a swap area gets its signature\n"
	       "                   back): the next boot does not resume it\n"
	       "  prepare          make a device a target: show what is on it, erase it;\n"
	       "                   or make an image file (a path, with --size)\n"
	       "  check            what would make hibernation fail: kernel, lockdown,\n"
	       "                   initramfs, target size, resume= on the command line\n"
	       "\n"
	       "Options:\n"
	       "  -t, --target=SPEC     where the image goes: a device (/dev/..., UUID=,\n"
	       "                        PARTUUID=, LABEL= or PARTLABEL=), an active swap\n"
	       "                        partition or swap file, or an image file made by\n"
	       "                        prepare (default: target= in the configuration file)\n"
	       "  -c, --config=FILE     configuration file (default " DEFAULT_CONFIG ")\n"
	       "      --reboot          reboot instead of powering off after hibernate\n"
	       "      --workers=N       compression threads (default: one per CPU)\n"
	       "      --image-size=SIZE preferred image size passed to the kernel\n"
	       "      --key-file=FILE   key file that opens a LUKS2 target\n"
	       "      --ask-password    ask for the LUKS2 target's passphrase on the terminal\n"
	       "      --list            verify: print every chunk\n"
	       "      --yes             prepare: do not ask before erasing\n"
	       "      --size=SIZE       prepare: size of the image file to make\n"
	       "      --json            status, check: one JSON object\n"
	       "      --ignore-inhibitors  hibernate or snapshot although a program holds\n"
	       "                        a systemd inhibitor lock on sleep (what\n"
	       "                        systemd-hibernate.service runs: logind decided)\n"
	       "  -q, --quiet           no progress messages\n"
	       "  -h, --help            show this help\n"
	       "  -V, --version         show the version\n"
	       "\n"
	       "Exit status: 0 success (for hibernate: the system was resumed), 1 failure,\n"
	       "2 usage error, 3 target problem, 4 the kernel cannot hibernate,\n"
	       "5 no valid image (status, verify, discard); check: 1 when a check failed.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "snapwrite: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'snapwrite --help'.\n");
	return EXIT_USAGE;
}

static int load_config(struct args *a)
{
	static char text[65536];
	const char *cursor, *key, *value;
	char buf[512];
	unsigned line = 0;
	int r;

	r = read_text_file(a->config, text, sizeof(text));
	if (r == -ENOENT && !a->config_given)
		return 0;
	if (r < 0) {
		log_error("Failed to read configuration '%s': %s", a->config, strerror(-r));
		return EXIT_USAGE;
	}

	cursor = text;
	while ((r = conf_next(&cursor, buf, sizeof(buf), &key, &value, &line)) != 0) {
		uint64_t v;

		if (r < 0) {
			log_error("%s:%u: not a key=value line", a->config, line);
			return EXIT_USAGE;
		}
		if (strcmp(key, "target") == 0) {
			if (blockdev_spec_check(value) < 0 || strlen(value) >= sizeof(a->target)) {
				log_error("%s:%u: bad target '%s'", a->config, line, value);
				return EXIT_USAGE;
			}
			strcpy(a->conf_target, value);
			if (!a->target[0])
				strcpy(a->target, value);
		} else if (strcmp(key, "keyfile") == 0) {
			if (value[0] != '/' || strlen(value) >= sizeof(a->keyfile)) {
				log_error("%s:%u: bad keyfile '%s' (want an absolute path)", a->config,
					  line, value);
				return EXIT_USAGE;
			}
			if (!a->keyfile[0])
				strcpy(a->keyfile, value);
		} else if (strcmp(key, "fs_guard_unknown") == 0) {
			if (strcmp(value, "refuse") == 0)
				a->fs_unknown_allow = false;
			else if (strcmp(value, "allow") == 0)
				a->fs_unknown_allow = true;
			else {
				log_error("%s:%u: bad fs_guard_unknown '%s' (want refuse or allow)",
					  a->config, line, value);
				return EXIT_USAGE;
			}
		} else if (strcmp(key, "encryption") == 0) {
			if (strcmp(value, "required") == 0)
				a->encryption = ENC_REQUIRED;
			else if (strcmp(value, "optional") == 0)
				a->encryption = ENC_OPTIONAL;
			else {
				log_error("%s:%u: bad encryption '%s' (want required or optional)",
					  a->config, line, value);
				return EXIT_USAGE;
			}
		} else if (strcmp(key, "workers") == 0) {
			if (parse_u64(value, 1, PIPE_MAX_WORKERS, &v) < 0) {
				log_error("%s:%u: bad workers '%s'", a->config, line, value);
				return EXIT_USAGE;
			}
			if (!a->workers)
				a->workers = v;
		} else if (strcmp(key, "image_size") == 0) {
			if (parse_size(value, 0, UINT64_MAX, &v) < 0) {
				log_error("%s:%u: bad image_size '%s'", a->config, line, value);
				return EXIT_USAGE;
			}
			if (!a->image_size)
				a->image_size = v;
		} else if (strcmp(key, "overlay") == 0) {
			struct overlay_spec spec;

			if (overlay_spec_parse(value, &spec) < 0) {
				log_error("%s:%u: bad overlay '%s' (want NAME,ORIGIN,COW with COW a "
					  "device or zram:SIZE)",
					  a->config, line, value);
				return EXIT_USAGE;
			}
			if (a->n_overlays == OVERLAY_MAX) {
				log_error("%s:%u: more than %d overlays", a->config, line,
					  OVERLAY_MAX);
				return EXIT_USAGE;
			}
			a->overlays[a->n_overlays++] = spec;
		} else if (strcmp(key, "cow_min") == 0) {
			if (parse_size(value, 1 << 20, UINT64_MAX / 2, &a->cow_min) < 0) {
				log_error("%s:%u: bad cow_min '%s' (at least 1M)", a->config, line,
					  value);
				return EXIT_USAGE;
			}
		} else if (strcmp(key, "monitor_interval") == 0) {
			if (parse_u64(value, 0, 86400, &a->monitor_interval) < 0) {
				log_error("%s:%u: bad monitor_interval '%s'", a->config, line, value);
				return EXIT_USAGE;
			}
		} else {
			log_msg("%s:%u: unknown key '%s', ignoring", a->config, line, key);
		}
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_REBOOT = 256, OPT_WORKERS, OPT_LIST, OPT_IMAGE_SIZE, OPT_KEY_FILE, OPT_ASK,
	       OPT_YES, OPT_JSON, OPT_SIZE, OPT_IGNORE_INHIBITORS };
	static const struct option opts[] = {
		{"target", required_argument, NULL, 't'},
		{"config", required_argument, NULL, 'c'},
		{"reboot", no_argument, NULL, OPT_REBOOT},
		{"workers", required_argument, NULL, OPT_WORKERS},
		{"image-size", required_argument, NULL, OPT_IMAGE_SIZE},
		{"list", no_argument, NULL, OPT_LIST},
		{"key-file", required_argument, NULL, OPT_KEY_FILE},
		{"ask-password", no_argument, NULL, OPT_ASK},
		{"yes", no_argument, NULL, OPT_YES},
		{"json", no_argument, NULL, OPT_JSON},
		{"size", required_argument, NULL, OPT_SIZE},
		{"ignore-inhibitors", no_argument, NULL, OPT_IGNORE_INHIBITORS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	int c;

	a->config = DEFAULT_CONFIG;
	a->cow_min = ROLLBACK_DEFAULT_COW_MIN;
	a->monitor_interval = 10;
	while ((c = getopt_long(argc, argv, "t:c:qhV", opts, NULL)) >= 0) {
		switch (c) {
		case 't':
			if (blockdev_spec_check(optarg) < 0 || strlen(optarg) >= sizeof(a->target))
				return usage_error("invalid target '%s' (want /dev/..., UUID=, "
						   "PARTUUID=, LABEL= or PARTLABEL=)",
						   optarg);
			strcpy(a->target, optarg);
			break;
		case 'c':
			a->config = optarg;
			a->config_given = true;
			break;
		case OPT_REBOOT:
			a->reboot = true;
			break;
		case OPT_WORKERS:
			if (parse_u64(optarg, 1, PIPE_MAX_WORKERS, &a->workers) < 0)
				return usage_error("invalid --workers '%s'", optarg);
			break;
		case OPT_IMAGE_SIZE:
			if (parse_size(optarg, 0, UINT64_MAX, &a->image_size) < 0)
				return usage_error("invalid --image-size '%s'", optarg);
			break;
		case OPT_LIST:
			a->list = true;
			break;
		case OPT_KEY_FILE:
			if (strlen(optarg) >= sizeof(a->keyfile))
				return usage_error("invalid --key-file '%s'", optarg);
			strcpy(a->keyfile, optarg);
			break;
		case OPT_ASK:
			a->ask_password = true;
			break;
		case OPT_YES:
			a->yes = true;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, 1 << 20, UINT64_MAX / 2, &a->file_size) < 0)
				return usage_error("invalid --size '%s' (at least 1M)", optarg);
			break;
		case OPT_IGNORE_INHIBITORS:
			a->ignore_inhibitors = true;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			help();
			return -1;
		case 'V':
			printf("snapwrite " VERSION "\n");
			return -1;
		default:
			fprintf(stderr, "Try 'snapwrite --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "missing command (hibernate, snapshot, rollback, status, "
					 "verify, discard, prepare or check)");
	a->command = argv[optind++];
	if (strcmp(a->command, "rollback") == 0) {
		if (optind >= argc)
			return usage_error("%s", "rollback: what should the next boot do? "
						 "(resume, keep or discard)");
		a->action = argv[optind++];
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

/* ---- progress while frozen ------------------------------------------- */

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

/* ---- hibernate ------------------------------------------------------- */

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

/* Open the device an image is read from or written to; an exit code. */
static int open_device(const char *path, int flags, int *ret_fd, uint64_t *ret_size)
{
	int r = blockdev_open(path, flags, true, ret_fd, ret_size);

	if (r == -EBUSY) {
		log_error("Target '%s' is in use (mounted, or held by another device)", path);
		return EXIT_TARGET;
	}
	if (r < 0) {
		log_error("Failed to open target '%s': %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	return 0;
}

static int open_target(const struct args *a, int flags, char **ret_path, int *ret_fd,
		       uint64_t *ret_size)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	if (!a->target[0]) {
		log_error("No target: give --target or set target= in %s", a->config);
		return EXIT_USAGE;
	}
	r = blockdev_resolve(a->target, &path);
	if (r < 0) {
		log_error("Failed to find target '%s': %s", a->target, strerror(-r));
		return EXIT_TARGET;
	}
	r = open_device(path, flags, ret_fd, ret_size);
	if (r)
		return r;
	*ret_path = TAKE_PTR(path);
	return 0;
}

/* ---- encrypted targets ------------------------------------------------- */

/* Ask the person running snapwrite: on standard input when it is a
 * terminal (the prompt on standard error), else on the controlling one. */
static int ask_user(const char *prompt, bool echo, char *buf, size_t size)
{
	if (isatty(STDIN_FILENO))
		return ask_fd(STDIN_FILENO, STDERR_FILENO, prompt, echo, 0, buf, size);
	return ask_line(ASK_TERMINAL, "/dev/tty", prompt, echo, 0, buf, size);
}

/* The LUKS2 volume an image goes into, and what we did to it. */
struct crypt_target {
	struct crypt_device *cd; /* the volume, when there is one */
	char volume[256];        /* its device */
	bool opened;             /* we activated MAPPING_NAME */
	bool marked;             /* we set the image marker */
};

/* Undo what was done to the volume: the marker goes (on every path that
 * returns; the powered-off one does not), the mapping we opened is closed. */
static void crypt_target_done(struct crypt_target *ct)
{
	int r;

	if (ct->marked) {
		/* The volume's header may have changed since it was loaded (in
		 * the resumed system, snapresume removed the marker): read it
		 * again. */
		luks_freep(&ct->cd);
		r = luks_open(ct->volume, &ct->cd);
		if (r == 0)
			r = luks_marker_clear(ct->cd);
		if (r < 0)
			log_error("Failed to remove the image marker of %s: %s", ct->volume,
				  strerror(-r));
	}
	if (ct->opened) {
		r = luks_deactivate(MAPPING_NAME);
		if (r < 0)
			log_error("Failed to close the mapping %s: %s", MAPPING_NAME, strerror(-r));
	}
	luks_freep(&ct->cd);
}

static int unlock_target(const struct args *a, struct crypt_target *ct)
{
	static char pass[512];
	char prompt[320];
	int r;

	if (a->keyfile[0]) {
		r = luks_activate_keyfile(ct->cd, MAPPING_NAME, a->keyfile);
		if (r < 0) {
			log_error("Key file %s does not open %s: %s", a->keyfile, ct->volume,
				  r == -EPERM ? "it matches no key slot" : strerror(-r));
			return EXIT_TARGET;
		}
		ct->opened = true;
		return 0;
	}
	if (!a->ask_password) {
		log_error("Target %s is a LUKS2 volume: give keyfile= in %s, --key-file or "
			  "--ask-password, or open it before",
			  ct->volume, a->config);
		return EXIT_USAGE;
	}
	(void)mlock(pass, sizeof(pass));
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", ct->volume);
	for (unsigned i = 1; i <= PASSPHRASE_TRIES; i++) {
		r = ask_user(prompt, false, pass, sizeof(pass));
		if (r < 0) {
			log_error("Failed to read a passphrase: %s", strerror(-r));
			return EXIT_USAGE;
		}
		r = luks_activate_passphrase(ct->cd, MAPPING_NAME, pass, (size_t)r);
		explicit_bzero(pass, sizeof(pass));
		if (r == 0) {
			ct->opened = true;
			return 0;
		}
		if (r != -EPERM) {
			log_error("Failed to open %s: %s", ct->volume, strerror(-r));
			return EXIT_TARGET;
		}
		log_msg("wrong passphrase for %s (try %u of %u)", ct->volume, i, PASSPHRASE_TRIES);
	}
	return EXIT_TARGET;
}

/* Is spec's device encrypted (a LUKS2 volume, or on dm-crypt)? */
static bool spec_encrypted(const char *spec)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	_cleanup_(freep) char *dev = NULL;

	if (!spec[0] || blockdev_resolve(spec, &dev) < 0)
		return false;
	if (luks_open(dev, &cd) == 0)
		return true;
	return luks_device_encrypted(dev, NULL, 0) > 0;
}

/* Is path in use?  An exit code (with a message) when it is mounted or
 * has devices stacked on it: those are never written, prepared or not. */
static int guard_in_use(const char *path)
{
	static struct fs_mount mounts[256];
	char what[512];
	struct stat st;
	size_t n = 0;

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	    fsguard_list_mounts("/proc/self/mountinfo", mounts, ARRAY_SIZE(mounts), &n) == 0)
		for (size_t i = 0; i < n && i < ARRAY_SIZE(mounts); i++)
			if (mounts[i].major == major(st.st_rdev) &&
			    mounts[i].minor == minor(st.st_rdev)) {
				log_error("Target '%s' is mounted at %s: refusing to write to it",
					  path, mounts[i].mount_point);
				return EXIT_TARGET;
			}
	if (guard_holders(path, what, sizeof(what)) > 0) {
		log_error("Target '%s' is held by %s (device-mapper, RAID or LVM on top of it): "
			  "refusing to write to it",
			  path, what);
		return EXIT_TARGET;
	}
	return 0;
}

/* The target guard: path must hold one of our headers, or nothing libblkid
 * recognises.  Anything else is somebody's data; an exit code. */
static int guard_target(const char *path)
{
	_cleanup_(closep) int fd = -1;
	struct guard_sig sigs[GUARD_MAX_SIGS];
	struct image_header h;
	enum image_state state;
	char line[256];
	uint64_t size;
	size_t n = 0;
	int r;

	r = guard_in_use(path);
	if (r)
		return r;
	/* Ours: any header with our magic, valid or not. */
	if (blockdev_open(path, O_RDONLY, true, &fd, &size) == 0 &&
	    target_read_header(fd, &state, &h, NULL) == 0 && state != IMAGE_NONE)
		return 0;
	r = guard_probe(path, sigs, GUARD_MAX_SIGS, &n);
	if (r < 0) {
		log_error("Failed to check what target '%s' holds: %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n && i < GUARD_MAX_SIGS; i++) {
		guard_sig_describe(&sigs[i], line, sizeof(line));
		log_error("Target '%s' holds %s", path, line);
	}
	log_error("Refusing to overwrite what target '%s' holds. If it may go, make the "
		  "device a target with 'snapwrite prepare --target %s'",
		  path, path);
	return EXIT_TARGET;
}

/* The policy: by default, encryption is required when the configured
 * target is encrypted, so that a --target elsewhere cannot leak.  An exit
 * code when writing to path (encrypted or not) is refused. */
static int encryption_policy(const struct args *a, bool encrypted, const char *path)
{
	bool required = a->encryption == ENC_REQUIRED ||
			(a->encryption == ENC_DEFAULT && spec_encrypted(a->conf_target));

	if (required && !encrypted) {
		log_error("Refusing to write a memory image unencrypted to '%s' (encryption is "
			  "required%s): use a LUKS2 volume as the target",
			  path,
			  a->encryption == ENC_REQUIRED ? " by " DEFAULT_CONFIG
							: " because the configured target is encrypted");
		return EXIT_TARGET;
	}
	return 0;
}

/* ---- extent targets: swap areas and image files ----------------------- */

/* An image kept in extents of a device (locator.h): an active swap area,
 * or an image file made by "snapwrite prepare". */
struct xtarget {
	uint32_t kind;         /* 0: none (a device or LUKS2 volume), or EXTMAP_* */
	bool swap_file;
	dev_t devnum;          /* the device holding the extents */
	uint64_t offset_pages; /* resume_offset= */
	struct extmap map;     /* FILE: from its locator; SWAP: grown while writing */
	int snapfd;            /* SWAP: where free swap pages come from */
};

static void xtarget_done(struct xtarget *xt)
{
	extmap_done(&xt->map);
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

/* A device that a file system or swapon holds: opened without O_EXCL,
 * O_DIRECT, written only inside the extents that are ours. */
static int open_shared(const char *path, int flags, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(closep) int fd = open(path, flags | O_DIRECT | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags | O_CLOEXEC); /* a copy on a file system without O_DIRECT */
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (S_ISBLK(st.st_mode) ? ioctl(fd, BLKGETSIZE64, ret_size) < 0
				 : (*ret_size = (uint64_t)st.st_size, false))) {
		log_error("Failed to open '%s': %s", path, strerror(errno));
		return EXIT_TARGET;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* resume= and resume_offset= (in pages of 4096 bytes) for a target at
 * page offset_pages of dev.  On a LUKS2 volume's mapping, also the form
 * that names the volume: snapresume unlocks it and looks at the same
 * offset inside. */
static void print_resume_hint(const char *dev, uint64_t offset_pages)
{
	char tag[128], backing[256];
	_cleanup_(freep) char *uuid = blkid_get_tag_value(NULL, "UUID", dev);
	_cleanup_(freep) char *luks = NULL;

	if (uuid)
		snprintf(tag, sizeof(tag), "UUID=%s", uuid);
	else
		snprintf(tag, sizeof(tag), "%s", dev);
	log_msg("kernel command line for this target: resume=%s resume_offset=%" PRIu64, tag,
		offset_pages);
	if (luks_device_encrypted(dev, backing, sizeof(backing)) > 0 && backing[0]) {
		luks = blkid_get_tag_value(NULL, "UUID", backing);
		log_msg("or, for snapresume to unlock %s itself: resume=%s%s resume_offset=%" PRIu64,
			backing, luks ? "UUID=" : "", luks ? luks : backing, offset_pages);
	}
}

/* An image file: check its file system, find its extents and the device.
 * *full gets all of the file's extents, xt->map the image's part. */
static int file_target_map(const char *file, int flags, struct xtarget *xt, struct extmap *full,
			   char *dev, size_t devsize)
{
	_cleanup_(closep) int fd = open(file, flags | O_CLOEXEC);
	const char *why = NULL;
	int r;

	if (fd < 0) {
		log_error("Failed to open image file '%s': %s", file, strerror(errno));
		return EXIT_TARGET;
	}
	if (file_fs_check(fd, &why) < 0) {
		log_error("Image file '%s' refused: %s", file, why);
		return EXIT_TARGET;
	}
	r = file_device(fd, dev, devsize, &xt->devnum);
	if (r < 0) {
		log_error("Failed to find the device holding '%s': %s", file, strerror(-r));
		return EXIT_TARGET;
	}
	r = file_image_map(fd, full, &xt->map);
	if (r == -EMEDIUMTYPE) {
		log_error("Image file '%s' is not usable: too small, or not fully written "
			  "(holes, unwritten or shared extents); make it with 'snapwrite prepare "
			  "--target %s --size SIZE'",
			  file, file);
		return EXIT_TARGET;
	}
	if (r < 0) {
		log_error("Failed to map the blocks of '%s': %s", file, strerror(-r));
		return EXIT_TARGET;
	}
	xt->kind = EXTMAP_FILE;
	xt->offset_pages = xt->map.base / EXTMAP_PAGE;
	return 0;
}

/* Does the regular file start with a locator?  The kind it claims
 * (EXTMAP_FILE: an image file; EXTMAP_SWAP: a copy of a swap partition
 * holding an image), 0, or a negative errno (with a message). */
static int file_locator_kind(const char *path)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *page = NULL;
	uint64_t size;
	int r;

	/* O_DIRECT: a device's page cache may not have what snapwrite wrote. */
	r = blockdev_open(path, O_RDONLY, true, &fd, &size);
	if (r == 0 && posix_memalign((void **)&page, EXTMAP_PAGE, EXTMAP_PAGE) != 0)
		r = -ENOMEM;
	if (r == 0 && size < EXTMAP_PAGE)
		return 0;
	if (r == 0)
		r = pread_full(fd, page, EXTMAP_PAGE, 0);
	if (r < 0) {
		log_error("Failed to read '%s': %s", path, strerror(-r));
		return r;
	}
	return (int)extmap_locator_kind(page);
}

/*
 * Is the target an extent target?  0 with xt->kind 0 when it is not; 0
 * with the device opened (*ret_path, *ret_fd, *ret_size) when it is; else
 * an exit code.  write: for hibernate (an image file must be one that
 * "snapwrite prepare" made and that has not moved since).
 */
static int open_extent_target(const struct args *a, struct xtarget *xt, bool write,
			      char **ret_path, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct extmap full, stored;
	enum locator_found found;
	const char *why = NULL;
	char dev[256];
	struct stat st;
	bool is_file = false;
	uint64_t size;
	int r;

	xt->kind = 0;
	if (a->target[0] == '/')
		path = strdup(a->target);
	else if (blockdev_resolve(a->target, &path) < 0)
		return 0; /* not found: the device path reports it */
	if (!path)
		return EXIT_FAIL;
	if (stat(path, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)))
		return 0;
	r = swap_active("/proc/swaps", path, &is_file);
	if (r < 0) {
		log_error("Failed to read /proc/swaps: %s", strerror(-r));
		return EXIT_FAIL;
	}

	if (r > 0) {
		/* An active swap area: partition, or file on a file system. */
		xt->kind = EXTMAP_SWAP;
		xt->swap_file = is_file;
		if (is_file) {
			r = file_target_map(path, O_RDONLY, xt, &full, dev, sizeof(dev));
			extmap_done(&xt->map);
			if (r)
				return r;
			xt->kind = EXTMAP_SWAP;
			xt->offset_pages = full.ext[0].offset / EXTMAP_PAGE;
			extmap_done(&full);
		} else {
			snprintf(dev, sizeof(dev), "%s", path);
			xt->devnum = st.st_rdev;
			xt->offset_pages = 0;
		}
		r = open_shared(dev, write ? O_RDWR : O_RDONLY, &fd, &size);
		if (r)
			return r;
		extmap_init(&xt->map, EXTMAP_SWAP, xt->offset_pages * EXTMAP_PAGE);
		if (write) {
			_cleanup_(freep) uint8_t *page = NULL;
			if (posix_memalign((void **)&page, EXTMAP_PAGE, EXTMAP_PAGE) != 0)
				return EXIT_FAIL;
			r = pread_full(fd, page, EXTMAP_PAGE, xt->map.base);
			if (r < 0) {
				log_error("Failed to read the swap header of '%s': %s", path,
					  strerror(-r));
				return EXIT_TARGET;
			}
			if (!extmap_swap_header_ok(page, &why)) {
				log_error("Swap area '%s' cannot hold an image: %s", path, why);
				return EXIT_TARGET;
			}
		}
	} else if (S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)) {
		r = file_locator_kind(path);
		if (r < 0)
			return EXIT_TARGET;
		if (r == EXTMAP_SWAP && write) {
			log_error("'%s' is a swap area holding an image, and not active: resume it, "
				  "or 'snapwrite discard' it and swapon it, to hibernate into it",
				  path);
			return EXIT_TARGET;
		}
		if (r == EXTMAP_SWAP) {
			/* A swap partition (or a copy of one) with an image in it,
			 * which keeps it from being swapped on. */
			snprintf(dev, sizeof(dev), "%s", path);
			r = open_shared(dev, O_RDONLY, &fd, &size);
			if (r)
				return r;
			extmap_init(&xt->map, EXTMAP_SWAP, 0);
			xt->kind = EXTMAP_SWAP;
			goto done;
		}
		if (S_ISBLK(st.st_mode) || (r != EXTMAP_FILE && !write))
			return 0; /* a device (or a copy of one, as the tests have) */
		if (r != EXTMAP_FILE) {
			log_error("'%s' is not an image file: make it one with 'snapwrite prepare "
				  "--target %s --size SIZE'",
				  path, path);
			return EXIT_TARGET;
		}
		r = file_target_map(path, O_RDONLY, xt, &full, dev, sizeof(dev));
		extmap_done(&full);
		if (r)
			return r;
		r = open_shared(dev, write ? O_RDWR : O_RDONLY, &fd, &size);
		if (r)
			return r;
		r = locator_read(fd, xt->map.base, &stored, &found, &why);
		if (r < 0) {
			log_error("Failed to read the locator of '%s': %s", path, strerror(-r));
			return EXIT_TARGET;
		}
		if (found == LOC_OURS && stored.kind == EXTMAP_FILE &&
		    !extmap_same(&stored, &xt->map))
			why = "its blocks moved";
		else if (found == LOC_OURS && stored.kind != EXTMAP_FILE)
			why = "the locator is not an image file's";
		else if (found != LOC_OURS && !why)
			why = "no locator on the device";
		extmap_done(&stored);
		if (why) {
			log_error("Image file '%s' is not where its locator says (%s): copied, "
				  "moved or damaged since 'snapwrite prepare'; prepare it again",
				  path, why);
			return EXIT_TARGET;
		}
		extmap_done(&stored);
	}
done:
	*ret_path = strdup(dev);
	if (!*ret_path)
		return EXIT_FAIL;
	*ret_fd = TAKE_FD(fd);
	*ret_size = size;
	return 0;
}

/*
 * Find the device the image is written to.  A LUKS2 target is opened (or
 * its open mapping used); the encryption policy is applied.  *ret_path is
 * the device written to, which is opened into *ret_fd.
 */
static int open_write_target(const struct args *a, struct crypt_target *ct, struct xtarget *xt,
			     bool guard, char **ret_path, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(freep) char *dev = NULL, *write_path = NULL;
	char buf[256];
	bool encrypted;
	int r;

	if (!a->target[0]) {
		log_error("No target: give --target or set target= in %s", a->config);
		return EXIT_USAGE;
	}
	if (xt) {
		r = open_extent_target(a, xt, true, ret_path, ret_fd, ret_size);
		if (r)
			return r;
		if (xt->kind) {
			r = luks_device_encrypted(*ret_path, buf, sizeof(buf));
			encrypted = r > 0;
			/* An image file in a file system on a LUKS2 volume: the
			 * volume gets the image marker, so that snapresume
			 * unlocks it to look inside. */
			if (xt->kind == EXTMAP_FILE && buf[0] && luks_open(buf, &ct->cd) == 0) {
				strncpy_pad(ct->volume, buf, sizeof(ct->volume));
				crypt_set_log_callback(ct->cd, log_libcryptsetup, NULL);
			}
			r = encryption_policy(a, encrypted, a->target);
			if (r) {
				freep(ret_path);
				closep(ret_fd);
			}
			return r;
		}
	}
	r = blockdev_resolve(a->target, &dev);
	if (r < 0) {
		log_error("Failed to find target '%s': %s", a->target, strerror(-r));
		return EXIT_TARGET;
	}
	crypt_set_log_callback(NULL, log_libcryptsetup, NULL);
	r = luks_open(dev, &ct->cd);
	if (r == 0) {
		/* A LUKS2 volume: the image goes inside. */
		encrypted = true;
		strncpy_pad(ct->volume, dev, sizeof(ct->volume));
		crypt_set_log_callback(ct->cd, log_libcryptsetup, NULL);
		r = luks_active_holder(dev, buf, sizeof(buf));
		if (r > 0) {
			log_msg("%s is open as %s: writing into it", dev, buf);
			write_path = strdup(buf);
		} else {
			r = unlock_target(a, ct);
			if (r)
				return r;
			luks_mapper_path(MAPPING_NAME, buf, sizeof(buf));
			write_path = strdup(buf);
		}
		if (!write_path)
			return EXIT_FAIL;
	} else if (r == -EPROTONOSUPPORT) {
		log_error("Target %s is a LUKS1 volume; images need LUKS2 (cryptsetup convert "
			  "--type luks2)",
			  dev);
		return EXIT_TARGET;
	} else {
		/* A plain device, or an open mapping named directly. */
		r = luks_device_encrypted(dev, buf, sizeof(buf));
		encrypted = r > 0;
		if (buf[0] && luks_open(buf, &ct->cd) == 0) {
			strncpy_pad(ct->volume, buf, sizeof(ct->volume));
			crypt_set_log_callback(ct->cd, log_libcryptsetup, NULL);
		}
		write_path = TAKE_PTR(dev);
	}

	r = encryption_policy(a, encrypted, write_path);
	if (r)
		return r;

	r = guard ? guard_target(write_path) : guard_in_use(write_path);
	if (r)
		return r;
	r = open_device(write_path, O_RDWR, ret_fd, ret_size);
	if (r)
		return r;
	*ret_path = TAKE_PTR(write_path);
	return 0;
}

/* ---- the file system guard ---------------------------------------------- */

#define FS_GUARD_MAX 32

/* The file systems whose state goes into the image. */
struct fs_plan {
	size_t n;
	struct fs_mount mounts[FS_GUARD_MAX];
	char devs[FS_GUARD_MAX][80];
};

/*
 * Before anything is frozen: every mounted block-device file system must be
 * one the guard can check (or fs_guard_unknown=allow), and readable.  An
 * exit code.
 */
static int fs_guard_plan(const struct args *a, struct fs_plan *plan)
{
	struct fs_mount all[FS_GUARD_MAX * 2];
	struct fs_guard g;
	size_t n = 0, unknown = 0;
	int r;

	r = fsguard_list_mounts("/proc/self/mountinfo", all, ARRAY_SIZE(all), &n);
	if (r < 0) {
		log_error("Failed to read the mount table: %s", strerror(-r));
		return EXIT_FAIL;
	}
	if (n > ARRAY_SIZE(all)) {
		log_error("Too many mounted file systems (%zu) to guard", n);
		return EXIT_FAIL;
	}
	plan->n = 0;
	for (size_t i = 0; i < n; i++) {
		struct fs_mount *m = &all[i];
		bool supported = fsguard_supported(m->fstype);

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
			if (a->fs_unknown_allow)
				log_msg("warning: %s (%s, %s) is not guarded: a boot that mounts it "
					"before the resume would go unnoticed",
					m->mount_point, m->fstype, m->source);
			else
				log_error("%s (%s, %s) cannot be guarded: the resume could not tell "
					  "whether another boot changed it",
					  m->mount_point, m->fstype, m->source);
			continue;
		}
		if (plan->n == FS_GUARD_MAX) {
			log_error("Too many file systems to guard (at most %d)", FS_GUARD_MAX);
			return EXIT_FAIL;
		}
		if (r < 0) {
			log_error("Failed to read the superblock of %s (%s): %s", m->mount_point,
				  m->source, strerror(-r));
			return EXIT_FAIL;
		}
		plan->mounts[plan->n++] = *m;
	}
	if (unknown && !a->fs_unknown_allow) {
		log_error("Refusing to hibernate with unguarded file systems mounted; set "
			  "fs_guard_unknown=allow in %s to hibernate anyway",
			  a->config);
		return EXIT_FAIL;
	}
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

/* ---- snapshot and rollback ------------------------------------------ */

/* The overlays: overlay= of the configuration, then rd.snap.overlay= of
 * the kernel command line (the initramfs made the mappings from those)
 * for names the configuration does not have.  How many. */
static size_t overlay_specs(const struct args *a, struct overlay_spec *specs)
{
	static char cmdline[4096];
	static struct resume_opts o;
	size_t n = a->n_overlays;

	memcpy(specs, a->overlays, n * sizeof(*specs));
	resume_opts_init(&o);
	if (read_text_file("/proc/cmdline", cmdline, sizeof(cmdline)) == 0)
		resume_opts_apply_cmdline(&o, cmdline, NULL);
	for (size_t i = 0; i < o.n_overlays && n < OVERLAY_MAX; i++) {
		bool seen = false;

		for (size_t j = 0; j < a->n_overlays; j++)
			seen |= strcmp(specs[j].name, o.overlays[i].name) == 0;
		if (!seen)
			specs[n++] = o.overlays[i];
	}
	return n;
}

static void plan_undop(struct ovl_plan **p)
{
	if (*p)
		rollback_plan_undo(*p);
}

static int do_hibernate(const struct args *a)
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
	uint64_t pref, tried[CREATE_IMAGE_RETRIES] = {0};
	unsigned tries;
	struct identity id;
	uint64_t size, t_freeze, t_snap, t_done, image_bytes = 0, load_pages;
	bool in_suspend;
	char u[37];
	char inhibitors[512];
	int r;

	/* As systemctl does: a block lock on sleep stops us, unless told. */
	if (!a->ignore_inhibitors && sleep_inhibitors(inhibitors, sizeof(inhibitors)) > 0) {
		log_error("Sleep is inhibited by %s; nothing was done (--ignore-inhibitors "
			  "hibernates anyway; 'systemd-inhibit --list' shows the locks)",
			  inhibitors);
		return EXIT_FAIL;
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
		return EXIT_TARGET;
	}
	r = identity_read(&id);
	if (r < 0) {
		log_error("Failed to identify the running kernel: %s", strerror(-r));
		return EXIT_FAIL;
	}
	r = fs_guard_plan(a, &plan);
	if (r)
		return r;
	if (a->snapshot) {
		undo = &oplan;
		r = rollback_plan(specs, overlay_specs(a, specs), a->cow_min, path, &oplan);
		if (r)
			return r > 0 ? EXIT_FAIL : EXIT_TARGET;
	}
	if (id.has_machine) {
		r = image_record_add(&h, IMAGE_REC_MACHINE, id.machine, sizeof(id.machine));
		if (r < 0)
			return EXIT_FAIL;
	}
	r = image_uuid_generate(h.uuid);
	if (r < 0) {
		log_error("Failed to generate an image UUID: %s", strerror(-r));
		return EXIT_FAIL;
	}
	image_uuid_format(h.uuid, u);

	/* Every buffer is allocated now: nothing large is allocated while the
	 * system is frozen. */
	r = pipe_new(&po, &p);
	if (r < 0) {
		log_error("Failed to set up the pipeline: %s", strerror(-r));
		return EXIT_FAIL;
	}

	r = snapdev_open(NULL, O_RDONLY, &snapfd);
	if (r == -EPERM) {
		log_error("The kernel refuses hibernation (kernel lockdown under Secure Boot, "
			  "or 'nohibernate'): %s not available", SNAPDEV_PATH);
		return EXIT_KERNEL;
	}
	if (r < 0) {
		log_error("Failed to open %s: %s (kernel without "
			  "CONFIG_HIBERNATION_SNAPSHOT_DEV, or another user has it)",
			  SNAPDEV_PATH, strerror(-r));
		return EXIT_KERNEL;
	}

	if (xt.kind == EXTMAP_SWAP) {
		uint64_t avail = 0;

		r = snapdev_set_swap_area(snapfd, xt.devnum, xt.offset_pages);
		if (r < 0) {
			log_error("The kernel does not take '%s' (page %" PRIu64 " of %s) as a swap "
				  "area: %s",
				  a->target, xt.offset_pages, path, strerror(-r));
			return EXIT_TARGET;
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
		return EXIT_TARGET;
	}
	/* An encrypted volume says in its plaintext metadata that it may hold
	 * an image, so that the initramfs asks for a key only then.  Set
	 * before the image exists: there is never a valid image without it. */
	if (ct.cd) {
		r = luks_marker_set(ct.cd, u);
		if (r < 0) {
			log_error("Failed to mark %s as holding an image: %s", ct.volume,
				  strerror(-r));
			return EXIT_TARGET;
		}
		ct.marked = true;
	}

	progress_open(&pr, a->quiet);

	/* Rule: mlockall() before the snapshot, so that the image's writer
	 * never needs to page anything in while the system is frozen. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		log_error("Failed to lock memory: %s", strerror(errno));
		return EXIT_FAIL;
	}

	log_msg("freezing the system");
	t_freeze = now_ns();
	r = snapdev_freeze(snapfd);
	if (r < 0) {
		munlockall();
		log_error("Failed to freeze processes: %s", strerror(-r));
		return EXIT_KERNEL;
	}
	/* Not enough memory for the snapshot: ask the kernel for a smaller
	 * image (it frees more page cache first), twice, then give up. */
	pref = a->image_size;
	for (tries = 0;; tries++) {
		if (pref && (r = snapdev_pref_image_size(snapfd, pref)) < 0)
			progress_say(&pr, "failed to set the preferred image size: %s, ignoring",
				     strerror(-r));
		r = snapdev_create_image(snapfd, &in_suspend);
		if ((r != -ENOMEM && r != -ENOSPC) || tries == CREATE_IMAGE_RETRIES)
			break;
		pref = (pref ? pref : id.mem_total_kib * 1024 / 5 * 2) / 2;
		tried[tries] = pref;
		progress_say(&pr, "not enough memory for the snapshot; trying a %" PRIu64
			     " MiB image", pref >> 20);
	}
	if (r < 0) {
		snapdev_unfreeze(snapfd);
		munlockall();
		if (r == -ENOMEM || r == -ENOSPC) {
			log_error("The kernel could not make a snapshot: not enough free memory "
				  "(also with preferred image sizes of %" PRIu64 " and %" PRIu64
				  " MiB); nothing was written, the system runs on",
				  tried[0] >> 20, tried[1] >> 20);
		} else {
			log_error("The kernel could not make a snapshot: %s", strerror(-r));
		}
		return EXIT_KERNEL;
	}
	if (in_suspend && tries)
		progress_say(&pr, "snapshot made with a preferred image size of %" PRIu64 " MiB",
			     pref >> 20);

	if (!in_suspend) {
		/* This is the system restored from the image: the same call
		 * returns a second time. */
		snapshot_cancel(snapfd);
		munlockall();
		report_resumed(fd, map, h.uuid);
		return EXIT_OK;
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
			snapshot_cancel(snapfd);
			munlockall();
			log_error("Failed to start the image in swap area '%s': %s", a->target,
				  strerror(-r));
			return EXIT_TARGET;
		}
	}
	src.snapfd = snapfd;
	pipe_set_map(p, map);
	r = pipe_write(p, h.uuid, read_snapshot_pages, &src, fd, IMAGE_HEADER_SIZE, size,
		       on_write_progress, &pr, &st);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (r < 0) {
		snapshot_cancel(snapfd);
		munlockall();
		if (r == -ENOSPC && xt.kind == EXTMAP_SWAP)
			log_error("Swap area '%s' is too full for the image (%" PRIu64 " MiB "
				  "taken when it ran out); nothing was committed",
				  a->target, map->size >> 20);
		else if (r == -ENOSPC)
			log_error("Target '%s' (%" PRIu64 " MiB) is too small for the image; "
				  "nothing was committed",
				  path, size >> 20);
		else
			log_error("Failed to write the image to '%s': %s; nothing was committed",
				  path, strerror(-r));
		return r == -ENOSPC ? EXIT_TARGET : EXIT_FAIL;
	}

	t_done = now_ns();
	r = fs_guard_record(&plan, &h);
	if (r == 0 && a->snapshot) {
		r = rollback_records(&oplan, &h);
		if (r < 0)
			log_error("Failed to record the overlays: %s", strerror(-r));
		/* The image is complete: from now on, what the system writes
		 * goes to the COW stores, and the origins stay as it expects. */
		if (r == 0)
			r = rollback_insert(&oplan);
	}
	if (r < 0) {
		snapshot_cancel(snapfd);
		munlockall();
		log_error("Nothing was committed; the system runs on");
		return EXIT_FAIL;
	}
	/* For snapresume's read-ahead: how much memory the kernel will take
	 * at the load.  Optional: without it snapresume reads ahead less. */
	load_pages = snapdev_stream_load_pages(&src.stream, st.pages);
	if (load_pages) {
		uint8_t rec[8];

		le64_put(rec, load_pages);
		if (image_record_add(&h, IMAGE_REC_LOAD_PAGES, rec, sizeof(rec)) < 0)
			load_pages = 0;
	}
	if (!load_pages)
		log_msg("the kernel's page list was not understood or did not fit in the "
			"header: snapresume will read ahead less");
	pipe_header_fill(p, &st, IMAGE_HEADER_SIZE, &h);
	h.created_unix = (uint64_t)time(NULL);
	h.mem_total_kib = id.mem_total_kib;
	h.snapshot_ns = t_snap - t_freeze;
	h.write_ns = t_done - t_snap;
	memcpy(h.kernel_release, id.kernel_release, sizeof(h.kernel_release));
	memcpy(h.kernel_version, id.kernel_version, sizeof(h.kernel_version));

	/* Commit: the payload is on stable storage, now the header. */
	r = target_write_header_map(fd, map, &h);
	if (r == 0 && xt.kind == EXTMAP_SWAP)
		r = swap_commit(fd, &xt);
	if (r < 0) {
		/* A torn header fails its checksum; clear it anyway. */
		target_clear_header_map(fd, map);
		if (a->snapshot)
			rollback_revert(&oplan);
		snapshot_cancel(snapfd);
		munlockall();
		log_error("Failed to commit the image header on '%s': %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	progress_say(&pr,
		     "image committed: %s, %" PRIu64 " pages (%" PRIu64 " MiB) in %" PRIu64
		     " MiB, %" PRIu64 " chunks, %.2f s (%.0f MB/s), peak memory %" PRIu64
		     " KiB; %s",
		     u, st.pages, (st.pages * IMAGE_PAGE_SIZE) >> 20, st.disk_bytes >> 20,
		     st.chunks, (double)(t_done - t_snap) / 1e9,
		     mb_per_s(st.pages * IMAGE_PAGE_SIZE, t_done - t_snap), peak_rss_kib(),
		     a->snapshot ? "running on" : a->reboot ? "rebooting" : "powering off");

	if (a->snapshot) {
		snapshot_cancel(snapfd);
		munlockall();
		undo = NULL; /* the zram stores are in use now */
		log_msg("snapshot %s taken in %.2f s; the system runs on, its changes go to "
			"the overlays:",
			u, (double)(now_ns() - t_freeze) / 1e9);
		for (size_t i = 0; i < oplan.n; i++)
			log_msg("  %s: origin %s, COW store %s (%" PRIu64 " MiB%s)",
				oplan.o[i].spec.name, oplan.o[i].origin, oplan.o[i].cow,
				oplan.o[i].cow_sectors >> 11,
				oplan.o[i].spec.zram_bytes ? ", volatile" : "");
		log_msg("the next boot keeps the changes (merges them) unless 'snapwrite "
			"rollback resume' or 'rollback discard' says otherwise");
		if (a->monitor_interval)
			rollback_monitor(&oplan, (unsigned)a->monitor_interval);
		return EXIT_OK;
	}

	/* The devices were thawed for writing; power off from this state. */
	reboot(a->reboot ? RB_AUTOBOOT : RB_POWER_OFF);

	/* Still here: the image must not be resumed after the system ran on. */
	r = -errno;
	target_invalidate_map(fd, map, &h, IMAGE_DEAD_CANCELLED, 0);
	if (xt.kind == EXTMAP_SWAP)
		locator_restore_swap(fd, map);
	snapshot_cancel(snapfd);
	munlockall();
	log_error("Failed to power off: %s; image invalidated", strerror(-r));
	return EXIT_FAIL;
}

/* ---- status, verify and discard ---------------------------------------- */

/* status output: "key: value" lines, or one JSON object (--json). */
struct out {
	bool json;
	bool any;
};

/* value as a JSON string, quotes included. */
static void json_string(const char *value)
{
	putchar('"');
	for (const char *c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	putchar('"');
}

static void out_raw(struct out *o, const char *key, const char *value, bool quote)
{
	if (!o->json) {
		printf("%s: %s\n", key, value);
		return;
	}
	printf("%s\n  \"%s\": ", o->any ? "," : "{", key);
	o->any = true;
	if (quote)
		json_string(value);
	else
		fputs(value, stdout);
}

static void out_str(struct out *o, const char *key, const char *value)
{
	out_raw(o, key, value, true);
}

static void out_u64(struct out *o, const char *key, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	out_raw(o, key, b, false);
}

static void out_secs(struct out *o, const char *key, uint64_t ns)
{
	char b[32];
	snprintf(b, sizeof(b), "%.3f", (double)ns / 1e9);
	out_raw(o, key, b, false);
}

static void out_end(struct out *o)
{
	if (o->json)
		printf("%s}\n", o->any ? "\n" : "{");
}

static void print_header(struct out *o, const char *path, enum image_state state,
			 const struct image_header *h, const char *why)
{
	char u[37], t[64];
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

/*
 * Open the target read-only (O_RDWR for discard) and read its header; an
 * exit code on failure.  For an extent target, xt gets its map (a swap
 * area without an image: state none, and no map).
 */
static int open_target_header(const struct args *a, int flags, struct xtarget *xt,
			      char **ret_path, int *ret_fd, uint64_t *ret_size,
			      enum image_state *ret_state, struct image_header *ret_h,
			      const char **ret_why)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	enum locator_found found;
	struct extmap m;
	int r;

	if (!a->target[0]) {
		log_error("No target: give --target or set target= in %s", a->config);
		return EXIT_USAGE;
	}
	r = open_extent_target(a, xt, false, &path, &fd, ret_size);
	if (r)
		return r;
	if (xt->kind == 0) {
		r = open_target(a, flags, &path, &fd, ret_size);
		if (r)
			return r;
	} else if (flags != O_RDONLY) {
		closep(&fd);
		r = open_shared(path, flags, &fd, ret_size);
		if (r)
			return r;
	}
	if (xt->kind == EXTMAP_SWAP) {
		r = locator_read(fd, xt->map.base, &m, &found, ret_why);
		if (r < 0) {
			log_error("Failed to read the swap header of '%s': %s", path, strerror(-r));
			return EXIT_TARGET;
		}
		if (found != LOC_OURS) {
			*ret_state = found == LOC_DAMAGED ? IMAGE_DAMAGED : IMAGE_NONE;
			if (found != LOC_DAMAGED)
				*ret_why = "a swap area without an image";
			goto done;
		}
		m.kind = EXTMAP_SWAP;
		extmap_done(&xt->map);
		xt->map = m;
	}
	if (xt->kind)
		*ret_size = xt->map.size;
	r = target_read_header_map(fd, xt->kind ? &xt->map : NULL, ret_state, ret_h, ret_why);
	if (r < 0) {
		log_error("Failed to read the header of '%s': %s", path, strerror(-r));
		return EXIT_TARGET;
	}
done:
	*ret_path = TAKE_PTR(path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* status of a target that is a LUKS2 volume: read through its open mapping,
 * or, while it is locked, what its image marker says.  -1 when the target
 * is not a LUKS2 volume. */
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
		return -1;
	crypt_set_log_callback(NULL, log_libcryptsetup, NULL);
	if (luks_open(dev, &cd) < 0)
		return -1;
	marked = luks_marker_get(cd, u);
	if (marked < 0) {
		log_error("Failed to read the tokens of %s: %s", dev, strerror(-marked));
		return EXIT_TARGET;
	}
	if (luks_active_holder(dev, mapping, sizeof(mapping)) > 0 &&
	    blockdev_open(mapping, O_RDONLY, true, &fd, &size) == 0 &&
	    target_read_header(fd, &state, &h, &why) == 0) {
		print_header(o, mapping, state, &h, why);
		snprintf(line, sizeof(line), "luks2 %s (open)", dev);
		out_str(o, "encryption", line);
		out_str(o, "marker", marked ? u : "none");
		out_end(o);
		return state == IMAGE_VALID ? EXIT_OK : EXIT_NOIMAGE;
	}
	out_str(o, "target", dev);
	out_str(o, "state", marked ? "locked" : "none");
	out_str(o, "encryption", "luks2 (locked)");
	if (marked)
		out_str(o, "uuid", u);
	out_end(o);
	return marked ? EXIT_OK : EXIT_NOIMAGE;
}

/* The snapshot side of status: what the next boot does with a snapshot
 * image, and each overlay's state and COW usage. */
static void print_overlays(struct out *o, const struct args *a, const struct image_header *h)
{
	static struct overlay_spec specs[OVERLAY_MAX];
	enum rollback_action armed;
	size_t n = overlay_specs(a, specs);
	char key[96], line[320];

	if (h && image_snapshot_info(h, &armed)) {
		out_str(o, "image_kind", "snapshot");
		snprintf(line, sizeof(line), "%s%s", rollback_action_to_string(armed ? armed : ROLLBACK_KEEP),
			 armed ? " (armed)" : " (the default)");
		out_str(o, "next_boot", line);
	}
	for (size_t i = 0; i < n; i++) {
		struct ovl_state st;

		snprintf(key, sizeof(key), "overlay_%s", specs[i].name);
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

static int do_status(const struct args *a)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct out o = {.json = a->json};
	struct image_header h;
	enum image_state state;
	const char *why = NULL;
	char buf[256];
	uint64_t size;
	int r;

	r = status_encrypted(a, &o);
	if (r >= 0)
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
	out_end(&o);
	return state == IMAGE_VALID ? EXIT_OK : EXIT_NOIMAGE;
}

/* Invalidate the image on the target: the next boot does not resume it.  A
 * swap area gets its signature back; a locked LUKS2 volume loses its
 * marker (its image cannot be resumed without it). */
static int do_discard(const struct args *a)
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
			return r < 0 ? EXIT_TARGET : EXIT_NOIMAGE;
		}
		r = luks_marker_clear(cd);
		if (r < 0) {
			log_error("Failed to remove the image marker of %s: %s", dev, strerror(-r));
			return EXIT_TARGET;
		}
		log_msg("image %s in %s discarded (its marker removed)", u, dev);
		return EXIT_OK;
	}
	r = open_target_header(a, O_RDWR, &xt, &path, &fd, &size, &state, &h, &why);
	if (r)
		return r;
	if (xt.kind == EXTMAP_SWAP && state == IMAGE_DAMAGED) {
		r = locator_repair_swap(fd, xt.map.base);
		log_msg("damaged locator on %s%s", path,
			r > 0 ? ": swap signature restored" : "; nothing to restore");
		return EXIT_NOIMAGE;
	}
	if (state != IMAGE_VALID) {
		log_msg("no image to discard on %s (%s)", path, why ? why : image_state_to_string(state));
		if (xt.kind == EXTMAP_SWAP && xt.map.n)
			goto restore; /* an invalid image left the locator */
		return EXIT_NOIMAGE;
	}
	r = target_invalidate_map(fd, xt.kind ? &xt.map : NULL, &h, IMAGE_DEAD_DISCARDED, 0);
	if (r < 0) {
		log_error("Failed to invalidate the image on %s: %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	image_uuid_format(h.uuid, u);
	log_msg("image %s on %s discarded", u, path);
	if (xt.kind != EXTMAP_SWAP)
		return EXIT_OK;
restore:
	r = locator_restore_swap(fd, &xt.map);
	if (r < 0) {
		log_error("Failed to put the swap signature back on %s: %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	log_msg("swap signature restored on %s", path);
	return state == IMAGE_VALID ? EXIT_OK : EXIT_NOIMAGE;
}

/* Arm the next boot: what it does with the snapshot image on the target. */
static int do_rollback(const struct args *a)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	enum rollback_action act = rollback_action_from_string(a->action);
	struct image_header h, armed;
	enum image_state state;
	const char *why = NULL;
	char u[37];
	uint64_t size;
	int r;

	if (act == ROLLBACK_UNSET)
		return usage_error("rollback: unknown action '%s' (want resume, keep or discard)",
				   a->action);
	r = open_target_header(a, O_RDWR, &xt, &path, &fd, &size, &state, &h, &why);
	if (r)
		return r;
	if (state != IMAGE_VALID) {
		log_error("No snapshot image on %s (%s): nothing to arm", path,
			  why ? why : image_state_to_string(state));
		return EXIT_NOIMAGE;
	}
	if (!image_snapshot_info(&h, NULL)) {
		log_error("The image on %s is a hibernation image, not a snapshot: the next boot "
			  "resumes it ('snapwrite discard' drops it)",
			  path);
		return EXIT_NOIMAGE;
	}
	/* The same header with the armed action replaced. */
	armed = h;
	if (image_snapshot_arm(&armed, act) < 0) {
		log_error("No room for the armed action in the image header");
		return EXIT_FAIL;
	}
	r = target_write_header_map(fd, xt.kind ? &xt.map : NULL, &armed);
	if (r < 0) {
		log_error("Failed to write the header on %s: %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	image_uuid_format(h.uuid, u);
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
	return EXIT_OK;
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

static int do_verify(const struct args *a)
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
		return EXIT_NOIMAGE;
	}
	po.chunk_pages = h.chunk_pages;
	r = pipe_new(&po, &p);
	if (r < 0) {
		log_error("Failed to set up the pipeline: %s", strerror(-r));
		return EXIT_FAIL;
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
		return EXIT_NOIMAGE;
	}
	log_msg("image on '%s' verified: %" PRIu64 " chunks, %" PRIu64 " pages%s", path,
		st.chunks, st.pages, state == IMAGE_INVALIDATED ? " (invalidated)" : "");
	return state == IMAGE_VALID ? EXIT_OK : EXIT_NOIMAGE;
}

/* ---- prepare ------------------------------------------------------------ */

/* Write len bytes of page at file offset off; an exit code. */
static int file_put(int fd, const char *file, const void *page, size_t len, uint64_t off)
{
	int r = pwrite_full(fd, page, len, off);

	if (r < 0) {
		log_error("Failed to write '%s': %s", file, strerror(-r));
		return EXIT_TARGET;
	}
	return 0;
}

/*
 * Make an image file: written through (no holes, no unwritten extents),
 * then its locator and map written through the file system as well,
 * while it is still an ordinary file.  From then on only its blocks on the
 * device are written, and only by snapwrite.
 */
static int prepare_file(const struct args *a, const char *file)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) uint8_t *buf = NULL;
	_cleanup_(closep) int fd = -1;
	struct extmap full, again;
	const char *why = NULL;
	char answer[16], dev[256];
	uint64_t size = ALIGN_UP(a->file_size, (uint64_t)EXTMAP_PAGE), off;
	bool is_file;
	uint32_t room;
	struct stat st;
	int r;

	if (!a->file_size) {
		log_error("To make '%s' an image file, give its size with --size", file);
		return EXIT_USAGE;
	}
	if (stat(file, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			log_error("'%s' is not a regular file", file);
			return EXIT_TARGET;
		}
		if (swap_active("/proc/swaps", file, &is_file) > 0) {
			log_error("'%s' is an active swap file: hibernate into it as it is", file);
			return EXIT_TARGET;
		}
		r = file_locator_kind(file);
		if (r < 0)
			return EXIT_TARGET;
		if (r != EXTMAP_FILE) {
			log_error("'%s' exists and is not an image file: refusing to overwrite it "
				  "(remove it first if it may go)",
				  file);
			return EXIT_TARGET;
		}
		printf("%s is an image file: it will be made again, %" PRIu64 " MiB; the image "
		       "in it is lost.\n",
		       file, size >> 20);
	} else {
		printf("%s will be made an image file of %" PRIu64 " MiB.\n", file, size >> 20);
	}
	if (!a->yes) {
		fflush(stdout);
		r = ask_user("Type 'yes' to go on: ", true, answer, sizeof(answer));
		if (r < 0 || strcmp(answer, "yes") != 0) {
			log_error("Not confirmed: %s left as it was", file);
			return EXIT_USAGE;
		}
	}

	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("Failed to create '%s': %s", file, strerror(errno));
		return EXIT_TARGET;
	}
	if (file_fs_check(fd, &why) < 0) {
		log_error("Image file '%s' refused: %s", file, why);
		unlink(file);
		return EXIT_TARGET;
	}
	if (ftruncate(fd, 0) < 0 || posix_memalign((void **)&buf, EXTMAP_PAGE, 1 << 20) != 0) {
		log_error("Failed to set up '%s': %s", file, strerror(errno));
		return EXIT_TARGET;
	}
	memset(buf, 0, 1 << 20);
	for (off = 0; off < size; off += 1 << 20) {
		r = file_put(fd, file, buf, (size_t)(size - off < (1 << 20) ? size - off : 1 << 20),
			     off);
		if (r)
			return r;
	}
	if (fsync(fd) < 0) {
		log_error("Failed to write '%s': %s", file, strerror(errno));
		return EXIT_TARGET;
	}

	r = file_image_map(fd, &full, &xt.map);
	room = extmap_pages_for(full.n);
	extmap_done(&full);
	if (r < 0) {
		log_error("Failed to map the blocks of '%s': %s", file,
			  r == -EMEDIUMTYPE ? "too small, or its extents are not plain ones"
					    : strerror(-r));
		return EXIT_TARGET;
	}
	memset(buf, 0, EXTMAP_PAGE);
	for (uint32_t i = 0; i < xt.map.nmap; i++) {
		extmap_map_page_encode(&xt.map, i, buf);
		r = file_put(fd, file, buf, EXTMAP_PAGE, (uint64_t)(1 + i) * EXTMAP_PAGE);
		if (r)
			return r;
	}
	memset(buf, 0, EXTMAP_PAGE);
	extmap_locator_encode(&xt.map, buf);
	r = file_put(fd, file, buf, EXTMAP_PAGE, 0);
	if (r)
		return r;
	if (fsync(fd) < 0) {
		log_error("Failed to write '%s': %s", file, strerror(errno));
		return EXIT_TARGET;
	}
	/* The blocks must not have moved while we wrote the map. */
	r = file_image_map(fd, &full, &again);
	extmap_done(&full);
	if (r == 0 && !extmap_same(&again, &xt.map))
		r = -ESTALE;
	extmap_done(&again);
	if (r < 0) {
		log_error("The blocks of '%s' moved while it was prepared: %s", file, strerror(-r));
		return EXIT_TARGET;
	}
	r = file_device(fd, dev, sizeof(dev), NULL);
	if (r < 0) {
		log_error("Failed to find the device holding '%s': %s", file, strerror(-r));
		return EXIT_TARGET;
	}
	log_msg("%s is ready for images: %" PRIu64 " MiB in %zu extent%s on %s, image from file "
		"page %u",
		file, xt.map.size >> 20, xt.map.n, xt.map.n == 1 ? "" : "s", dev, 1 + room);
	print_resume_hint(dev, xt.map.base / EXTMAP_PAGE);
	return EXIT_OK;
}

static int do_prepare(const struct args *a)
{
	_cleanup_(crypt_target_done) struct crypt_target ct = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct guard_sig sigs[GUARD_MAX_SIGS];
	char line[256], answer[16];
	uint64_t size;
	size_t n = 0;
	struct stat st;
	int r;

	/* A path that is no device: an image file on a file system. */
	if (a->target[0] == '/' && (stat(a->target, &st) < 0 || S_ISREG(st.st_mode)))
		return prepare_file(a, a->target);
	r = open_write_target(a, &ct, NULL, false, &path, &fd, &size);
	if (r)
		return r;
	r = guard_probe(path, sigs, GUARD_MAX_SIGS, &n);
	if (r < 0) {
		log_error("Failed to check what '%s' holds: %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	if (n == 0)
		printf("%s holds no file system, partition table or other signature.\n", path);
	for (size_t i = 0; i < n && i < GUARD_MAX_SIGS; i++) {
		guard_sig_describe(&sigs[i], line, sizeof(line));
		printf("%s holds %s: it will be erased.\n", path, line);
	}
	printf("Everything on %s (%" PRIu64 " MiB) will be overwritten by hibernation images.\n",
	       path, size >> 20);
	if (!a->yes) {
		fflush(stdout);
		r = ask_user("Type 'yes' to go on: ", true, answer, sizeof(answer));
		if (r < 0 || strcmp(answer, "yes") != 0) {
			log_error("Not confirmed: %s left as it was", path);
			return EXIT_USAGE;
		}
	}
	r = guard_wipe(path);
	if (r < 0) {
		log_error("Failed to erase the signatures on '%s': %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	r = target_clear_header(fd);
	if (r < 0) {
		log_error("Failed to clear the header of '%s': %s", path, strerror(-r));
		return EXIT_TARGET;
	}
	log_msg("%s is ready for images (%zu signature%s erased)", path, n, n == 1 ? "" : "s");
	return EXIT_OK;
}

/* ---- check -------------------------------------------------------------- */

#ifndef KCONFIG_CHECK
#define KCONFIG_CHECK "/usr/local/lib/snapresume/kernel-config-check"
#endif

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct checks {
	struct out *o;
	unsigned failed, warned;
	bool any;
};

static void check_say(struct checks *c, const char *name, enum check_status st,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void check_say(struct checks *c, const char *name, enum check_status st,
		      const char *fmt, ...)
{
	static const char *const word[] = {"ok", "warn", "fail"};
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st == CHECK_FAIL)
		c->failed++;
	else if (st == CHECK_WARN)
		c->warned++;
	if (!c->o->json) {
		printf("%-4s  %s: %s\n", word[st], name, msg);
		return;
	}
	printf("%s\n    {\"name\": \"%s\", \"status\": \"%s\", \"message\": ", c->any ? "," : "",
	       name, word[st]);
	c->any = true;
	json_string(msg);
	putchar('}');
}

/* The kernel's options, through kernel-config/check. */
static void check_kernel_config(struct checks *c, const char *krel)
{
	const char *tool = getenv("SNAPRESUME_KCONFIG_CHECK");
	char cmd[600], line[512], missing[1024] = "";
	FILE *f;
	int status;

	if (!tool || !tool[0])
		tool = KCONFIG_CHECK;
	if (access(tool, X_OK) < 0) {
		check_say(c, "kernel-config", CHECK_WARN, "the checker %s is not installed", tool);
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s' 2>&1", tool);
	f = popen(cmd, "re");
	if (!f) {
		check_say(c, "kernel-config", CHECK_WARN, "cannot run %s: %s", tool, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "missing: ", 9) == 0 &&
		    strlen(missing) + strlen(line) + 3 < sizeof(missing)) {
			if (missing[0])
				strcat(missing, "; ");
			strcat(missing, line + 9);
		}
	}
	status = pclose(f);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		check_say(c, "kernel-config", CHECK_OK, "every required option is set");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		check_say(c, "kernel-config", CHECK_FAIL, "missing %s", missing);
	else
		check_say(c, "kernel-config", CHECK_WARN,
			  "no kernel configuration found (/proc/config.gz, /boot/config-%s)", krel);
}

static void check_kernel(struct checks *c)
{
	char buf[256];
	struct stat st;
	char *sel;

	if (stat(SNAPDEV_PATH, &st) == 0 && S_ISCHR(st.st_mode))
		check_say(c, "snapshot-device", CHECK_OK, "%s is there", SNAPDEV_PATH);
	else
		check_say(c, "snapshot-device", CHECK_FAIL,
			  "no %s (kernel without CONFIG_HIBERNATION_SNAPSHOT_DEV)", SNAPDEV_PATH);

	if (read_text_file("/sys/kernel/security/lockdown", buf, sizeof(buf)) < 0) {
		check_say(c, "lockdown", CHECK_WARN,
			  "cannot tell (/sys/kernel/security/lockdown unreadable: securityfs not "
			  "mounted?)");
	} else {
		sel = strchr(buf, '[');
		if (sel && strncmp(sel, "[none]", 6) != 0) {
			sel[strcspn(sel, "]") + 1] = 0;
			check_say(c, "lockdown", CHECK_FAIL,
				  "the kernel is locked down %s: it refuses hibernation (Secure "
				  "Boot; the kernel cannot verify an image)",
				  sel);
		} else {
			check_say(c, "lockdown", CHECK_OK, "no lockdown");
		}
	}

	if (read_text_file("/proc/cmdline", buf, sizeof(buf)) == 0 && strstr(buf, "nohibernate"))
		check_say(c, "hibernation", CHECK_FAIL, "'nohibernate' is on the kernel command line");
	else if (read_text_file("/sys/power/state", buf, sizeof(buf)) < 0 || !strstr(buf, "disk"))
		check_say(c, "hibernation", CHECK_FAIL,
			  "the kernel does not offer it (no 'disk' in /sys/power/state: lockdown, "
			  "nohibernate or no swsusp)");
	else
		check_say(c, "hibernation", CHECK_OK, "the kernel offers it");
}

/* Does the initramfs of the running kernel carry snapresume? */
static void check_initramfs(struct checks *c, const char *krel)
{
	static const char *const fmt[] = {"/boot/initrd.img-%s", "/boot/initramfs-%s.img"};
	static const char *const tools[] = {"lsinitramfs", "lsinitrd"};
	char path[300], cmd[400], line[512];
	bool found = false, listed = false;

	for (size_t i = 0; i < ARRAY_SIZE(fmt) && !listed; i++) {
		snprintf(path, sizeof(path), fmt[i], krel);
		if (access(path, R_OK) < 0)
			continue;
		for (size_t t = 0; t < ARRAY_SIZE(tools) && !listed; t++) {
			FILE *f;
			snprintf(cmd, sizeof(cmd), "%s '%s' 2>/dev/null", tools[t], path);
			f = popen(cmd, "re");
			if (!f)
				continue;
			while (fgets(line, sizeof(line), f)) {
				listed = true;
				line[strcspn(line, "\n")] = 0;
				size_t n = strlen(line);
				if (n >= 10 && strcmp(line + n - 10, "snapresume") == 0)
					found = true;
			}
			pclose(f);
		}
		if (!listed) {
			check_say(c, "initramfs", CHECK_WARN,
				  "cannot list %s (neither lsinitramfs nor lsinitrd works)", path);
			return;
		}
	}
	if (!listed)
		check_say(c, "initramfs", CHECK_WARN, "no initramfs for %s in /boot", krel);
	else if (found)
		check_say(c, "initramfs", CHECK_OK, "%s has snapresume", path);
	else
		check_say(c, "initramfs", CHECK_FAIL,
			  "%s has no snapresume: rebuild it (dracut -f, update-initramfs -u)", path);
}

/* The target: there, big enough for the memory in use, named by resume=. */
static void check_target(struct checks *c, const struct args *a)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL, *named = NULL;
	_cleanup_(closep) int fd = -1;
	char cmdline[4096];
	struct resume_opts o;
	struct stat st_t, st_n;
	uint64_t size = 0, in_use, room;
	const char *w;
	int r;

	if (!a->target[0]) {
		check_say(c, "target", CHECK_FAIL, "no target: set target= in %s", a->config);
		return;
	}
	r = open_extent_target(a, &xt, false, &path, &fd, &size);
	if (r == 0 && !xt.kind) {
		closep(&fd);
		if (blockdev_resolve(a->target, &path) < 0) {
			check_say(c, "target", CHECK_FAIL, "'%s' not found", a->target);
			return;
		}
		r = blockdev_open(path, O_RDONLY, false, &fd, &size);
		if (r < 0) {
			check_say(c, "target", CHECK_FAIL, "cannot open %s: %s", path, strerror(-r));
			return;
		}
	} else if (r) {
		check_say(c, "target", CHECK_FAIL, "'%s' cannot hold images (see above)", a->target);
		return;
	}

	/* The image holds the memory in use, compressed; compression is
	 * not promised, so the room should hold it uncompressed. */
	in_use = (meminfo_kib("MemTotal") - meminfo_kib("MemAvailable")) * 1024;
	room = size;
	if (xt.kind == EXTMAP_FILE)
		room = xt.map.size;
	if (xt.kind == EXTMAP_SWAP)
		room = (meminfo_kib("SwapFree")) * 1024;
	w = xt.kind == EXTMAP_FILE ? "image file" : xt.kind == EXTMAP_SWAP ? "free swap" : "target";
	if (room < in_use / 2)
		check_say(c, "target-size", CHECK_FAIL,
			  "%s %s has %" PRIu64 " MiB; memory in use is %" PRIu64 " MiB", w,
			  a->target, room >> 20, in_use >> 20);
	else if (room < in_use)
		check_say(c, "target-size", CHECK_WARN,
			  "%s %s has %" PRIu64 " MiB, less than the %" PRIu64 " MiB of memory in "
			  "use: enough only if it compresses",
			  w, a->target, room >> 20, in_use >> 20);
	else
		check_say(c, "target-size", CHECK_OK,
			  "%s %s has %" PRIu64 " MiB for %" PRIu64 " MiB of memory in use", w,
			  a->target, room >> 20, in_use >> 20);

	/* The kernel command line must lead snapresume to it. */
	resume_opts_init(&o);
	if (read_text_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0) {
		check_say(c, "cmdline", CHECK_WARN, "cannot read the kernel command line");
		return;
	}
	resume_opts_apply_cmdline(&o, cmdline, NULL);
	if (!o.resume[0]) {
		check_say(c, "cmdline", CHECK_FAIL, "no resume= on the kernel command line");
		return;
	}
	if (blockdev_resolve(o.resume, &named) < 0 || stat(named, &st_n) < 0) {
		check_say(c, "cmdline", CHECK_FAIL, "resume=%s names no device here", o.resume);
		return;
	}
	if (stat(path, &st_t) < 0 || st_t.st_rdev != st_n.st_rdev ||
	    (xt.kind && o.resume_offset != xt.offset_pages) ||
	    (!xt.kind && o.resume_offset != 0)) {
		check_say(c, "cmdline", CHECK_FAIL,
			  "resume=%s resume_offset=%" PRIu64 " is not the target (want the device "
			  "%s, resume_offset=%" PRIu64 ")",
			  o.resume, o.resume_offset, path, xt.kind ? xt.offset_pages : 0);
		return;
	}
	if (o.noresume)
		check_say(c, "cmdline", CHECK_FAIL, "'noresume' is on the kernel command line");
	else
		check_say(c, "cmdline", CHECK_OK, "resume=%s%s leads to the target", o.resume,
			  xt.kind ? " with resume_offset=" : "");
}

/* Everything that would make hibernation fail, before the user tries. */
static int do_check(const struct args *a)
{
	struct out o = {.json = a->json};
	struct checks c = {.o = &o};
	struct identity id;

	if (identity_read(&id) < 0)
		strcpy(id.kernel_release, "?");
	if (o.json)
		printf("{\n  \"kernel\": \"%s\",\n  \"checks\": [", id.kernel_release);
	check_kernel_config(&c, id.kernel_release);
	check_kernel(&c);
	check_initramfs(&c, id.kernel_release);
	check_target(&c, a);
	if (o.json)
		printf("\n  ],\n  \"failed\": %u,\n  \"warnings\": %u\n}\n", c.failed, c.warned);
	else
		printf("%u problem%s, %u warning%s\n", c.failed, c.failed == 1 ? "" : "s", c.warned,
		       c.warned == 1 ? "" : "s");
	return c.failed ? EXIT_FAIL : EXIT_OK;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	int r;

	log_init("snapwrite");
	r = parse_args(argc, argv, &a);
	if (r < 0)
		return EXIT_OK; /* --help, --version */
	if (r > 0)
		return r;
	log_set_quiet(a.quiet);
	r = load_config(&a);
	if (r)
		return r;

	if (strcmp(a.command, "hibernate") == 0)
		return do_hibernate(&a);
	if (strcmp(a.command, "snapshot") == 0) {
		a.snapshot = true;
		return do_hibernate(&a);
	}
	if (strcmp(a.command, "rollback") == 0)
		return do_rollback(&a);
	if (strcmp(a.command, "status") == 0)
		return do_status(&a);
	if (strcmp(a.command, "verify") == 0)
		return do_verify(&a);
	if (strcmp(a.command, "prepare") == 0)
		return do_prepare(&a);
	if (strcmp(a.command, "discard") == 0)
		return do_discard(&a);
	if (strcmp(a.command, "check") == 0)
		return do_check(&a);
	return usage_error("unknown command '%s'", a.command);
}
