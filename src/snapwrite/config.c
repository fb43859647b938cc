/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line and /etc/snapwrite.conf.
 */
#include <errno.h>
#include <stddef.h>
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
#include "sleepconf.h"
#include "pipeline.h"
#include "systemd.h"
#include "snapdev.h"
#include "target.h"
#include "util.h"


#include "snapshot.h"
#include "snapwrite.h"

void help(void)
{
	printf("Usage: snapwrite [OPTIONS] COMMAND\n"
	       "\n"
	       "Take a snapshot of the running system and store it as an image that\n"
	       "snapresume restores at the next boot.\n"
	       "\n"
	       "Commands:\n"
	       "  hibernate        snapshot, write the image to the target, power off\n"
	       "  suspend-then-hibernate  suspend to RAM; hibernate when woken by an alarm\n"
	       "                   after HibernateDelaySec= (systemd's sleep.conf), run on\n"
	       "                   when woken before it\n"
	       "  snapshot         the same image, but run on: later changes to the file\n"
	       "                   systems go to copy-on-write overlays (overlay=)\n"
	       "  rollback ACTION  what the next boot does with a snapshot: resume (return\n"
	       "                   to it), keep (merge the changes; the default) or discard;\n"
	       "                   golden: every boot returns to it (keep and discard end\n"
	       "                   that)\n"
	       "  status           show the image on the target (of a locked LUKS2\n"
	       "                   target: whether it is marked as holding one)\n"
	       "  verify           check every chunk of the image on the target\n"
	       "  discard          invalidate the image (a swap area gets its signature\n"
	       "                   back): the next boot does not resume it\n"
	       "  prepare          make a device a target: show what is on it, erase it;\n"
	       "                   or make an image file (a path, with --size)\n"
	       "  check            what would make hibernation fail: kernel, lockdown,\n"
	       "                   initramfs, target size, resume= on the command line\n"
	       "  setup            from installed to working: check, prepare the target\n"
	       "                   (asking), target= in the configuration, resume= on the\n"
	       "                   kernel command line (GRUB or kernel-install), rebuild\n"
	       "                   the initramfs; --undo reverses it, --dry-run shows it\n"
	       "\n"
	       "Options:\n"
	       "  -t, --target=SPEC     where the image goes: a device (/dev/..., UUID=,\n"
	       "                        PARTUUID=, LABEL= or PARTLABEL=), an active swap\n"
	       "                        partition or swap file, or an image file made by\n"
	       "                        prepare (default: target= in the configuration file)\n"
	       "  -c, --config=FILE     configuration file (default " DEFAULT_CONFIG ")\n"
	       "      --mode=MODE       after the image: platform (the firmware's S4),\n"
	       "                        shutdown, reboot; auto (the default): platform\n"
	       "                        when the platform offers S4, else shutdown\n"
	       "      --reboot          the same as --mode=reboot\n"
	       "      --then-suspend    hibernate: suspend to RAM after writing the image\n"
	       "                        (hybrid sleep); woken, run on, image invalidated\n"
	       "      --delay=TIME      suspend-then-hibernate: instead of HibernateDelaySec=\n"
	       "      --workers=N       compression threads (default: one per CPU)\n"
	       "      --image-size=SIZE preferred image size passed to the kernel\n"
	       "      --key-file=FILE   key file that opens a LUKS2 target\n"
	       "      --ask-password    ask for the LUKS2 target's passphrase on the terminal\n"
	       "      --list            verify: print every chunk\n"
	       "      --yes             prepare, setup: do not ask before erasing\n"
	       "      --dry-run         setup: print what it would do, change nothing\n"
	       "      --undo            setup: put back every file setup changed\n"
	       "      --size=SIZE       prepare: size of the image file to make\n"
	       "      --json            status, check: one JSON object\n"
	       "      --golden          snapshot: a golden snapshot, resumed at every boot\n"
	       "                        until 'rollback keep' or 'rollback discard'\n"
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

int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "snapwrite: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'snapwrite --help'.\n");
	return -EINVAL;
}

/* /etc/snapwrite.conf (snapwrite(8), "CONFIGURATION"); the value types are
 * those of the initramfs' options (options.h), so a key both programs
 * know takes the same values in both. */
#define A(field) offsetof(struct args, field)
#define A_SIZE(field) sizeof(((struct args *)0)->field)

static const char *const fs_guard_unknown_names[] = {
	[FS_UNKNOWN_REFUSE] = "refuse",
	[FS_UNKNOWN_ALLOW] = "allow",
	NULL,
};
static const char *const fs_guard_visibility_names[] = {
	[FS_VISIBILITY_REFUSE] = "refuse",
	[FS_VISIBILITY_WARN] = "warn",
	NULL,
};
static const char *const temp_swap_names[] = {
	[TEMP_SWAP_AUTO] = "auto",
	[TEMP_SWAP_NO] = "no",
	NULL,
};
static const char *const encryption_names[] = {
	[ENC_DEFAULT] = "", /* not a word: the default follows the target */
	[ENC_REQUIRED] = "required",
	[ENC_OPTIONAL] = "optional",
	NULL,
};

static const char *const mode_names[] = {
	[POWER_AUTO] = "auto",
	[POWER_PLATFORM] = "platform",
	[POWER_SHUTDOWN] = "shutdown",
	[POWER_REBOOT] = "reboot",
	NULL,
};

static const struct opt config_opts[] = {
	{.key = "target", .apply = opt_device, .offset = A(conf_target),
	 .size = A_SIZE(conf_target), .want = "want /dev/..., UUID=, PARTUUID=, LABEL= or PARTLABEL="},
	{.key = "keyfile", .apply = opt_path, .offset = A(keyfile), .size = A_SIZE(keyfile),
	 .want = "want an absolute path"},
	{.key = "fs_guard_unknown", .apply = opt_enum, .offset = A(fs_guard_unknown),
	 .names = fs_guard_unknown_names, .want = "want refuse or allow"},
	{.key = "fs_guard_visibility", .apply = opt_enum, .offset = A(fs_guard_visibility),
	 .names = fs_guard_visibility_names, .want = "want refuse or warn"},
	{.key = "temp_swap", .apply = opt_enum, .offset = A(temp_swap), .names = temp_swap_names,
	 .want = "want auto or no"},
	{.key = "encryption", .apply = opt_enum, .offset = A(encryption), .names = encryption_names,
	 .want = "want required or optional"},
	{.key = "workers", .apply = opt_u64, .offset = A(workers), .min = 1,
	 .max = PIPE_MAX_WORKERS},
	{.key = "image_size", .apply = opt_size, .offset = A(image_size), .max = UINT64_MAX},
	{.key = "overlay", .apply = opt_overlay, .offset = A(overlays),
	 .want = "want NAME,ORIGIN,COW with COW a device or zram:SIZE"},
	{.key = "cow_min", .apply = opt_size, .offset = A(cow_min), .min = 1 << 20,
	 .max = UINT64_MAX / 2, .want = "at least 1M"},
	{.key = "monitor_interval", .apply = opt_u64, .offset = A(monitor_interval), .max = 86400},
	{.key = "oneshot_boot", .apply = opt_bool, .offset = A(oneshot_boot),
	 .want = "want yes or no"},
	{.key = "golden", .apply = opt_bool, .offset = A(golden), .want = "want yes or no"},
	{.key = "mode", .apply = opt_enum, .offset = A(mode), .names = mode_names,
	 .want = "want auto, platform, shutdown or reboot"},
};

/* A line of the configuration that was not applied: an unknown key is
 * stepped over, anything else stops snapwrite. */
static int config_report(void *userdata, unsigned line, const char *key, const char *value,
			 const struct opt *opt, int r)
{
	const char *file = userdata;

	if (!key) {
		log_error("%s:%u: not a key=value line", file, line);
		return -EINVAL;
	}
	if (r == 0) {
		log_msg("%s:%u: unknown key '%s', ignoring", file, line, key);
		return 0;
	}
	if (opt->apply == opt_overlay && r == -ERANGE)
		log_error("%s:%u: more than %d overlays", file, line, OVERLAY_MAX);
	else
		log_error("%s:%u: bad %s '%s'%s%s%s", file, line, key, value ? value : "",
			  opt->want ? " (" : "", opt->want ? opt->want : "", opt->want ? ")" : "");
	return -EINVAL;
}

int load_config(struct args *a)
{
	static char text[65536];
	/* What the command line gave wins over the file. */
	char keyfile[sizeof(a->keyfile)];
	uint64_t workers = a->workers, image_size = a->image_size;
	bool golden = a->golden; /* --golden */
	int mode = a->mode;
	int r;

	r = read_text_file(a->config, text, sizeof(text));
	if (r == -ENOENT && !a->config_given)
		return 0;
	if (r < 0) {
		log_error("Failed to read configuration '%s': %s", a->config, strerror(-r));
		return -EINVAL;
	}
	memcpy(keyfile, a->keyfile, sizeof(keyfile));
	r = conf_read(text, config_opts, ARRAY_SIZE(config_opts), a, config_report,
		      (void *)a->config);
	if (r < 0)
		return r;
	if (!a->target[0])
		memcpy(a->target, a->conf_target, sizeof(a->target));
	if (keyfile[0])
		memcpy(a->keyfile, keyfile, sizeof(keyfile));
	if (workers)
		a->workers = workers;
	if (image_size)
		a->image_size = image_size;
	if (golden)
		a->golden = true;
	if (a->mode_given)
		a->mode = mode;
	return 0;
}

int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_REBOOT = 256, OPT_WORKERS, OPT_LIST, OPT_IMAGE_SIZE, OPT_KEY_FILE, OPT_ASK,
	       OPT_YES, OPT_JSON, OPT_SIZE, OPT_IGNORE_INHIBITORS, OPT_GOLDEN, OPT_DRY_RUN,
	       OPT_UNDO, OPT_MODE, OPT_THEN_SUSPEND, OPT_DELAY };
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
		{"golden", no_argument, NULL, OPT_GOLDEN},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"undo", no_argument, NULL, OPT_UNDO},
		{"mode", required_argument, NULL, OPT_MODE},
		{"then-suspend", no_argument, NULL, OPT_THEN_SUSPEND},
		{"delay", required_argument, NULL, OPT_DELAY},
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
			a->mode = POWER_REBOOT; /* --mode=reboot */
			a->mode_given = true;
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
		case OPT_GOLDEN:
			a->golden = true;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_UNDO:
			a->undo = true;
			break;
		case OPT_MODE: {
			int m = -1;

			for (int i = 0; mode_names[i]; i++)
				if (strcmp(optarg, mode_names[i]) == 0)
					m = i;
			if (m < 0)
				return usage_error("invalid --mode '%s' (want auto, platform, "
						   "shutdown or reboot)",
						   optarg);
			a->mode = m;
			a->mode_given = true;
			break;
		}
		case OPT_THEN_SUSPEND:
			a->then_suspend = true;
			break;
		case OPT_DELAY:
			if (parse_timespan_usec(optarg, &a->delay_usec) < 0 || !a->delay_usec ||
			    a->delay_usec == UINT64_MAX)
				return usage_error("invalid --delay '%s' (want a time span: 90, "
						   "20s, 30min, 2h)",
						   optarg);
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("snapwrite " VERSION "\n");
			return 1;
		default:
			fprintf(stderr, "Try 'snapwrite --help'.\n");
			return -EINVAL;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "missing command (hibernate, suspend-then-hibernate, "
					 "snapshot, rollback, status, verify, discard, prepare, "
					 "check or setup)");
	a->command = argv[optind++];
	if (strcmp(a->command, "rollback") == 0) {
		if (optind >= argc)
			return usage_error("%s", "rollback: what should the next boot do? "
						 "(resume, keep, discard or golden)");
		a->action = argv[optind++];
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}
