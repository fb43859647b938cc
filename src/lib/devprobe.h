/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a device holds (libblkid signatures) and what holds it (sysfs
 * holders): the target guard of snapwrite is made of these.  snapwrite
 * never writes over a file system, partition table, RAID member, LVM
 * physical volume, LUKS header or swap area by accident; preparing a
 * target for first use (devprobe_wipe) is an explicit step.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DEVPROBE_MAX_SIGS 8 /* enough to describe what a device holds */

struct devprobe_sig {
	char type[32];  /* blkid TYPE or PTTYPE: "ext4", "gpt", "crypto_LUKS", ... */
	char usage[16]; /* "filesystem", "raid", "crypto", "other", "partition table" */
	char label[64];
	char uuid[64];
	uint64_t offset; /* of the magic */
	uint32_t block_size; /* blkid BLOCK_SIZE: the smallest unit the file
			      * system writes (its block; XFS: its sector); 0
			      * when libblkid does not say */
};

/* Every signature libblkid finds on path (superblocks of all kinds and
 * partition tables), up to max.  *ret_n: how many were found (may be more
 * than max).  0 or negative errno. */
int devprobe_signatures(const char *path, struct devprobe_sig *sigs, size_t max, size_t *ret_n);

/* "ext4 file system LABEL=x UUID=y at byte 1080": one line for messages. */
void devprobe_describe(const struct devprobe_sig *s, char *buf, size_t size);

/* Erase every signature devprobe_signatures() finds (the magic bytes only, as
 * wipefs does).  0 or negative errno. */
int devprobe_wipe(const char *path);

/* Devices stacked on path (sysfs holders), as "dm-0 dm-1": 1 if any, 0 if
 * none, negative errno. */
int devprobe_holders(const char *path, char *buf, size_t size);
