/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Finding and opening the device an image lives on.  A device is named by
 * a "spec": an absolute path, or TAG=value with TAG one of UUID, PARTUUID,
 * LABEL, PARTLABEL (the kernel's and fstab's conventions for resume=).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Syntax check only: 0 or -EINVAL. */
int blockdev_spec_check(const char *spec);

/* The device node a spec names right now; -ENOENT when there is none. */
int blockdev_resolve(const char *spec, char **ret_path);

/* Like blockdev_resolve, polling until the device appears or timeout_ms
 * passed (-ENOENT, or -ETIMEDOUT if it never appeared). */
int blockdev_wait(const char *spec, uint64_t timeout_ms, char **ret_path);

/*
 * Open a block device or regular file for image I/O.  flags: O_RDONLY or
 * O_RDWR (O_CLOEXEC is added).  With direct, O_DIRECT is used where the
 * file system allows it (regular files on tmpfs do not).  A block device
 * opened O_RDWR also gets O_EXCL, which fails with EBUSY while it is
 * mounted or held by another device.  *ret_size: usable bytes.
 */
int blockdev_open(const char *path, int flags, bool direct, int *ret_fd, uint64_t *ret_size);

/* The logical block size of a block device (BLKSSZGET): the smallest
 * write it takes.  0 or negative errno (-ENOTTY for a regular file). */
int blockdev_logical_block_size(const char *path, unsigned *ret);

#define BLOCKDEV_NAME_MAX 32

/* The device names in a sysfs directory that lists devices (a device's
 * "holders" or "slaves"), up to max; *ret_n may exceed max.  A missing
 * directory lists none.  0 or negative errno. */
int blockdev_sysfs_list(const char *dir, char (*names)[BLOCKDEV_NAME_MAX], size_t max,
			size_t *ret_n);

/* The devices stacked on path (its sysfs "holders", e.g. "dm-0"), up to
 * max names of BLOCKDEV_NAME_MAX bytes; *ret_n may exceed max.  A path that
 * is not a block device has none.  0 or negative errno. */
int blockdev_holders(const char *path, char (*names)[BLOCKDEV_NAME_MAX], size_t max,
		     size_t *ret_n);
