/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line and /etc/snapwrite.conf.
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

int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "snapwrite: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'snapwrite --help'.\n");
	return -EINVAL;
}

int load_config(struct args *a)
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
		return -EINVAL;
	}

	cursor = text;
	while ((r = conf_next(&cursor, buf, sizeof(buf), &key, &value, &line)) != 0) {
		uint64_t v;

		if (r < 0) {
			log_error("%s:%u: not a key=value line", a->config, line);
			return -EINVAL;
		}
		if (strcmp(key, "target") == 0) {
			if (blockdev_spec_check(value) < 0 || strlen(value) >= sizeof(a->target)) {
				log_error("%s:%u: bad target '%s'", a->config, line, value);
				return -EINVAL;
			}
			strcpy(a->conf_target, value);
			if (!a->target[0])
				strcpy(a->target, value);
		} else if (strcmp(key, "keyfile") == 0) {
			if (value[0] != '/' || strlen(value) >= sizeof(a->keyfile)) {
				log_error("%s:%u: bad keyfile '%s' (want an absolute path)", a->config,
					  line, value);
				return -EINVAL;
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
				return -EINVAL;
			}
		} else if (strcmp(key, "encryption") == 0) {
			if (strcmp(value, "required") == 0)
				a->encryption = ENC_REQUIRED;
			else if (strcmp(value, "optional") == 0)
				a->encryption = ENC_OPTIONAL;
			else {
				log_error("%s:%u: bad encryption '%s' (want required or optional)",
					  a->config, line, value);
				return -EINVAL;
			}
		} else if (strcmp(key, "workers") == 0) {
			if (parse_u64(value, 1, PIPE_MAX_WORKERS, &v) < 0) {
				log_error("%s:%u: bad workers '%s'", a->config, line, value);
				return -EINVAL;
			}
			if (!a->workers)
				a->workers = v;
		} else if (strcmp(key, "image_size") == 0) {
			if (parse_size(value, 0, UINT64_MAX, &v) < 0) {
				log_error("%s:%u: bad image_size '%s'", a->config, line, value);
				return -EINVAL;
			}
			if (!a->image_size)
				a->image_size = v;
		} else if (strcmp(key, "overlay") == 0) {
			struct overlay_spec spec;

			if (overlay_spec_parse(value, &spec) < 0) {
				log_error("%s:%u: bad overlay '%s' (want NAME,ORIGIN,COW with COW a "
					  "device or zram:SIZE)",
					  a->config, line, value);
				return -EINVAL;
			}
			if (a->n_overlays == OVERLAY_MAX) {
				log_error("%s:%u: more than %d overlays", a->config, line,
					  OVERLAY_MAX);
				return -EINVAL;
			}
			a->overlays[a->n_overlays++] = spec;
		} else if (strcmp(key, "cow_min") == 0) {
			if (parse_size(value, 1 << 20, UINT64_MAX / 2, &a->cow_min) < 0) {
				log_error("%s:%u: bad cow_min '%s' (at least 1M)", a->config, line,
					  value);
				return -EINVAL;
			}
		} else if (strcmp(key, "monitor_interval") == 0) {
			if (parse_u64(value, 0, 86400, &a->monitor_interval) < 0) {
				log_error("%s:%u: bad monitor_interval '%s'", a->config, line, value);
				return -EINVAL;
			}
		} else {
			log_msg("%s:%u: unknown key '%s', ignoring", a->config, line, key);
		}
	}
	return 0;
}

int parse_args(int argc, char **argv, struct args *a)
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
