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

#include "resume.h"

/* Exit statuses (snapresume(8)).  On success the program does not return
 * at all: the kernel jumps into the restored system. */
enum {
	EXIT_NOTHING = 0, /* no resume configured, no device or no image */
	EXIT_FAIL = 1,    /* an error while restoring; boot goes on */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3, /* an image was found and refused */
};

/* Every function returns 0 or a negative errno after saying what happened;
 * main() maps the result here, once: -ECANCELED is an image refused (and
 * said why), -EINVAL a usage error, any other error a failure. */
static int exit_status(int r)
{
	if (r >= 0)
		return EXIT_NOTHING;
	if (r == -ECANCELED)
		return EXIT_REFUSED;
	if (r == -EINVAL)
		return -EINVAL;
	return EXIT_FAIL;
}


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
	       "  rd.snap.kernel_mismatch=ask|boot|poweroff|reboot  when the running kernel\n"
	       "                       cannot take the image: ask (default), boot without it,\n"
	       "                       or keep it and power off or reboot\n"
	       "  rd.snap.load_fail=ask|discard|poweroff  when loading fails for memory or I/O\n"
	       "                       after two more tries: ask (default), boot without it,\n"
	       "                       or keep it and power off\n"
	       "  rd.snap.question_timeout=SECONDS  how long those questions wait (default 30)\n"
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
				return -EINVAL;
			}
			a->device = optarg;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("snapresume " VERSION "\n");
			return 1;
		default:
			fprintf(stderr, "Try 'snapresume --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "snapresume: unexpected argument '%s'\nTry 'snapresume --help'.\n",
			argv[optind]);
		return -EINVAL;
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

/* What is at page resume_offset= of path (locator.h); 0, or an exit code
 * after a message. */
int locator_at(const char *path, const struct resume_opts *o, struct extmap *m,
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
		return r;
	}
	return 0;
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
			return -ECANCELED;
		r = blockdev_open(path, O_RDWR, true, &fd, &size);
		if (r == 0)
			r = locator_repair_swap(fd, base);
		if (r > 0)
			log_msg("swap signature restored on %s", path);
		else if (r < 0)
			log_error("Failed to repair the swap header on %s: %s", path, strerror(-r));
		return -ECANCELED;
	case LOC_SWAP:
		log_msg("no image on %s (a swap area without one)", path);
		return 0;
	case LOC_KERNEL:
		log_msg("%s holds an image of the kernel's own hibernation: left to the "
			"kernel's resume",
			path);
		return 0;
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
		return 0;
	}
	if (o->resumedelay)
		sleep_seconds(o->resumedelay);

	r = blockdev_wait(spec, o->timeout * 1000, &path);
	if (r < 0) {
		log_msg("resume device %s not found (waited %" PRIu64 " s); booting normally", spec,
			o->timeout);
		return 0;
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
	if (r != 0)
		return r > 0 ? EXIT_NOTHING : EXIT_USAGE; /* answered --help or --version */

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
		return exit_status(r);
	}
	log_set_debug(o.debug);

	if (o.overlays.n)
		overlays_scan(&o, &overlays);
	r = resume_spec(&o, &a);
	/* Not resumed: the file systems' mappings, before anything mounts. */
	overlays_setup(&o, &overlays, overlay_action, a.dry_run);
	return exit_status(r);
}
