/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The stack of block devices under a device, read from sysfs: a
 * partition sits on its disk, a device-mapper device or an md array on
 * its members ("slaves"), a loop device on a file.  What each layer is
 * tells who must set it up before the device can be opened: the disk's
 * driver, the unlocking of a LUKS volume, the activation of an LVM
 * volume, the assembly of an array.
 *
 * The sysfs root is a parameter so that the walk can be tested on a tree
 * made for the test ("/sys" otherwise).
 */
#pragma once

#include <stddef.h>

enum layer_kind {
	LAYER_DISK,  /* a whole disk, made visible by its driver */
	LAYER_PART,  /* a partition of the layer below */
	LAYER_CRYPT, /* dm-crypt: a LUKS volume (uuid set) or plain */
	LAYER_LVM,   /* an LVM logical volume */
	LAYER_MD,    /* an md (software RAID) array */
	LAYER_LOOP,  /* a loop device on a file */
	LAYER_DM,    /* another device-mapper device */
};

#define LAYER_MODULES_LEN 160

struct layer {
	enum layer_kind kind;
	unsigned major, minor;
	unsigned depth;   /* 0: the device asked about */
	char name[32];    /* the kernel's name: vda1, dm-2, md0 */
	char dm_name[128]; /* a device-mapper device's name (vg-lv, luks-...) */
	char uuid[40];    /* LAYER_CRYPT: the LUKS UUID, with dashes ("" plain) */
	char backing[128]; /* LAYER_LOOP: the backing file */
	/* LAYER_DISK: the loadable kernel modules of the drivers from the disk
	 * up to its bus (space separated, as the kernel names them: "virtio_blk
	 * virtio_pci"); built-in drivers are left out. */
	char modules[LAYER_MODULES_LEN];
};

const char *layer_kind_name(enum layer_kind k);

/* The layers of major:minor and everything under it, the device itself
 * first, each device once.  *ret_n may exceed max (the rest is dropped).
 * 0, or -errno (-ENOENT: sysfs has no such device). */
int devstack_walk(const char *sysfs, unsigned major, unsigned minor, struct layer *out,
		  size_t max, size_t *ret_n);

/* LVM's "VG-LV" device-mapper name split into its volume group and logical
 * volume ("--" stands for a dash inside a name).  0, or -EINVAL. */
int lvm_split_name(const char *dm_name, char *vg, size_t vg_size, char *lv, size_t lv_size);
