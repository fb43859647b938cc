/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapwrite: take a snapshot of the running system through /dev/snapshot
 * and store it as a snapresume image, then power off (or run on, with the
 * file systems on copy-on-write overlays).  This file: main(), the verbs
 * and the exit status; snapwrite.h says where everything else is.
 */
#include <errno.h>
#include <libcryptsetup.h>
#include <string.h>

#include "log.h"
#include "luks.h"
#include "snapwrite.h"

/* Exit statuses (snapwrite(8)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,    /* the operation failed or was refused; the system runs on */
	EXIT_USAGE = 2,   /* bad command line or configuration */
	EXIT_TARGET = 3,  /* target missing, busy, too small or failing */
	EXIT_KERNEL = 4,  /* the kernel cannot or will not hibernate */
	EXIT_NOIMAGE = 5, /* status, verify, discard: no valid image on the target */
};

/* A verb's result as the exit status: the table in snapwrite.h. */
static int exit_status(int r)
{
	if (r >= 0)
		return EXIT_OK;
	switch (-r) {
	case EINVAL:
		return EXIT_USAGE;
	case ENODEV:
	case ENXIO:
	case EBUSY:
	case ENOSPC:
	case EMEDIUMTYPE:
	case EEXIST:
	case ENOTBLK:
	case EROFS:
	case EKEYREJECTED:
	case ESTALE:
	case EIO:
	case EACCES:
		return EXIT_TARGET;
	case EPERM:
	case EOPNOTSUPP:
	case ENOSYS:
	case ENOMEM:
	case EDEADLK:
		return EXIT_KERNEL;
	case ENODATA:
		return EXIT_NOIMAGE;
	default:
		return EXIT_FAIL;
	}
}

static const struct verb {
	const char *name;
	int (*run)(const struct args *a);
	bool snapshot;
} verbs[] = {
	{"hibernate", do_hibernate, false},
	{"suspend-then-hibernate", do_suspend_then_hibernate, false},
	{"snapshot", do_hibernate, true},
	{"rollback", do_rollback, false},
	{"status", do_status, false},
	{"verify", do_verify, false},
	{"discard", do_discard, false},
	{"prepare", do_prepare, false},
	{"check", do_check, false},
	{"setup", do_setup, false},
};

int main(int argc, char **argv)
{
	struct args a = {0};
	int r;

	log_init("snapwrite");
	r = parse_args(argc, argv, &a);
	if (r != 0)
		return r > 0 ? EXIT_OK : exit_status(r); /* answered --help or --version */
	log_set_quiet(a.quiet);
	r = load_config(&a);
	if (r < 0)
		return exit_status(r);
	/* One place for libcryptsetup's messages: every device it opens
	 * uses the default callback. */
	crypt_set_log_callback(NULL, log_libcryptsetup, NULL);

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(a.command, verbs[i].name) == 0) {
			a.snapshot = verbs[i].snapshot;
			return exit_status(verbs[i].run(&a));
		}
	return exit_status(usage_error("unknown command '%s'", a.command));
}
