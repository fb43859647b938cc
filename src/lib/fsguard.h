/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file system guard: what identifies the on-disk state of each file
 * system mounted when the snapshot is taken, read from the devices without
 * mounting anything.  An image must never be resumed after any of them
 * was mounted (and so changed) by another boot.
 *
 * ext2, ext3 and ext4 are guarded by the superblock's UUID, mount count,
 * last mount time and last write time, and a digest of the whole
 * superblock and the journal's superblock (a read-only mount that replays
 * the journal changes those, not the counts); xfs (version 5, internal
 * log) by its UUID, superblock LSN, the head of its log and a digest of
 * its superblock; btrfs by its UUID, generation, log tree root and a
 * digest of its superblock; vfat (an EFI system partition) by a digest of
 * its reserved sectors, FATs and directories.  Other kinds are
 * "unguarded": the caller decides whether to refuse them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/format.h"

struct fs_mount {
	unsigned major, minor;
	char fstype[32];
	char mount_point[256];
	char source[128]; /* the mount source as mountinfo says it */
	bool writable;    /* the super block is mounted read-write */
};

/* The mounts of block devices in a mountinfo file, one per device (bind
 * mounts and repeats dropped).  A file system that shows an anonymous
 * device number (btrfs) is found through its mount source.  *ret_n may exceed max.  0 or -errno. */
int fsguard_list_mounts(const char *mountinfo, struct fs_mount *mounts, size_t max,
			size_t *ret_n);

/*
 * The mounts in a mountinfo file that have no block device, and that are
 * not accepted as they are: neither in memory or a view of the kernel
 * (proc, tmpfs, cgroup2, ...: their state is in the image), nor made of
 * other mounts (overlay), nor a user-space file system served from memory
 * (gvfs, the document portal).  What is left (ZFS datasets, network file
 * systems, FUSE, multi-device file systems named by no single node) the
 * guard cannot check.  Same conventions as fsguard_list_mounts().
 */
int fsguard_list_unguardable(const char *mountinfo, struct fs_mount *mounts, size_t max,
			     size_t *ret_n);

/* Why an unguardable mount (fsguard_list_unguardable) cannot be guarded:
 * "a network file system", "a ZFS dataset", ... */
const char *fsguard_unguardable_kind(const struct fs_mount *m);

/* A block-device file system that cannot be changed by mounting it: a
 * read-only mount of squashfs, erofs, iso9660 or udf (nothing writes to
 * them); accepted without a guard. */
bool fsguard_immutable(const struct fs_mount *m);

/* One mountinfo file per mount namespace of the system ("/proc/PID/mountinfo",
 * this process's own first), up to max; *ret_n how many. */
int fsguard_mountinfo_files(char (*paths)[48], size_t max, size_t *ret_n);

/* Is this file system type one the guard can check? */
bool fsguard_supported(const char *fstype);

/* "ext4", "xfs" or "btrfs" for an IMAGE_FS_* value. */
const char *fsguard_type_name(uint16_t fs_type);

/* The file system's UUID as blkid shows it (UUID= finds it): 8-4-4-4-12
 * hex digits, or XXXX-XXXX for vfat's volume serial. */
void fsguard_uuid_string(const struct fs_guard *g, char *buf, size_t size);

/* The device node of major:minor ("/dev/vda", from sysfs). */
int fsguard_devnode(unsigned major, unsigned minor, char *buf, size_t size);

/* Read what identifies the on-disk state of the file system on dev into
 * ret (fs_type, uuid and its state fields; the caller fills in where it is
 * mounted): the ext2/3/4 superblock; xfs's superblock and the highest LSN
 * in its log (read whole); btrfs's superblock generation and log root.
 * -EMEDIUMTYPE when dev holds none of them, -EPROTONOSUPPORT for an xfs
 * the guard cannot read (version 4, external log). */
int fsguard_read(const char *dev, struct fs_guard *ret);

/* Compare the state recorded at snapshot time with the state now.  true
 * when they are the same; otherwise why (a sentence for the console). */
bool fsguard_same(const struct fs_guard *then, const struct fs_guard *now, char *why,
		  size_t size);
