/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapresume: what its parts share.  snapresume.c finds the device and
 * what is on it (main, the options, a locator, a swap area); unlock.c
 * opens a LUKS2 volume holding an image; load.c checks an image and hands
 * it to the kernel; rollback-boot.c decides the fate of the overlays.
 *
 * Every function returns 0 (nothing was resumed, and that is fine: no
 * image, an invalid one) or a negative errno after saying why on the
 * console: -ECANCELED for an image refused, anything else a failure.
 * The boot goes on in every case.
 */
#pragma once

#include <stdbool.h>

#include "format/format.h"
#include "locator.h"
#include "options.h"
#include "rollback-boot.h"

#ifndef VERSION
#define VERSION "0.1"
#endif

#define DEFAULT_CONFIG "/etc/snapresume.conf"
#define MAPPING_NAME "snapresume-image"
#define CONSOLE "/dev/console"

struct args {
	const char *cmdline_file;
	const char *config;
	const char *device; /* overrides resume= */
	bool dry_run;       /* check everything, restore nothing */
};

struct crypt_device;

/* load.c: the image on path (in the LUKS2 volume cd, or in the extents m,
 * when not NULL): checked, loaded and restored; returns only when it was
 * not restored. */
int resume_from(const char *path, const struct resume_opts *o, const struct args *a,
		struct crypt_device *cd, struct extmap *m);

/* The overlays of the configuration, and what a snapshot image decided for
 * them (load.c decides, main() sets them up when nothing was resumed). */
extern struct boot_plan overlays;
extern enum rollback_action overlay_action;

/* snapresume.c: what is at page resume_offset= of path. */
int locator_at(const char *path, const struct resume_opts *o, struct extmap *m,
	       enum locator_found *ret_found, const char **ret_why);

/* unlock.c: resume from path, which may be a LUKS2 volume holding the image. */
int resume_path(const char *path, const struct resume_opts *o, const struct args *a);
