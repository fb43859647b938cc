/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file system guard: what identifies the on-disk state of each file
 * system mounted when the snapshot is taken, read from the devices without
 * mounting anything.  An image must never be resumed after any of them
 * was mounted (and so changed) by another boot.
 *
 * ext2, ext3 and ext4 are guarded: the superblock's UUID, mount count,
 * last mount time and last write time.  Other kinds are "unguarded": the
 * caller decides whether to refuse them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image.h"

struct fs_mount {
	unsigned major, minor;
	char fstype[32];
	char mount_point[256];
	char source[128]; /* the mount source as mountinfo says it */
};

/* The mounts of block devices in a mountinfo file, one per device (bind
 * mounts and repeats dropped).  *ret_n may exceed max.  0 or -errno. */
int fsguard_list_mounts(const char *mountinfo, struct fs_mount *mounts, size_t max,
			size_t *ret_n);

/* Is this file system type one the guard can check? */
bool fsguard_supported(const char *fstype);

/* The device node of major:minor ("/dev/vda", from sysfs). */
int fsguard_devnode(unsigned major, unsigned minor, char *buf, size_t size);

/* Read the ext2/3/4 superblock of dev into ret (fs_type, uuid, counts and
 * times; the caller fills in where it is mounted).  -EMEDIUMTYPE when dev
 * holds no ext2/3/4 file system. */
int fsguard_read(const char *dev, struct fs_guard *ret);

/* Compare the state recorded at snapshot time with the state now.  true
 * when they are the same; otherwise why (a sentence for the console). */
bool fsguard_same(const struct fs_guard *then, const struct fs_guard *now, char *why,
		  size_t size);
