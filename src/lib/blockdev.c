/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "blockdev.h"

#include <blkid.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "util.h"

static const char *const tags[] = {"UUID=", "PARTUUID=", "LABEL=", "PARTLABEL="};

int blockdev_spec_check(const char *spec)
{
	if (!spec || !*spec)
		return -EINVAL;
	if (spec[0] == '/')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t l = strlen(tags[i]);
		if (strncmp(spec, tags[i], l) == 0)
			return spec[l] ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int blockdev_resolve(const char *spec, char **ret_path)
{
	char *path;
	int r;

	r = blockdev_spec_check(spec);
	if (r < 0)
		return r;
	if (spec[0] == '/') {
		if (access(spec, F_OK) < 0)
			return -errno;
		path = strdup(spec);
	} else {
		/* libblkid looks in /dev/disk/by-* first and probes devices
		 * itself when udev has not made the links. */
		path = blkid_evaluate_tag(spec, NULL, NULL);
		if (!path)
			return -ENOENT;
	}
	if (!path)
		return -ENOMEM;
	*ret_path = path;
	return 0;
}

int blockdev_wait(const char *spec, uint64_t timeout_ms, char **ret_path)
{
	uint64_t deadline = now_ns() + timeout_ms * 1000000ULL;

	for (;;) {
		int r = blockdev_resolve(spec, ret_path);
		if (r != -ENOENT)
			return r;
		if (now_ns() >= deadline)
			return timeout_ms ? -ETIMEDOUT : -ENOENT;
		nanosleep(&(struct timespec){.tv_nsec = 200 * 1000000L}, NULL);
	}
}

int blockdev_open(const char *path, int flags, bool direct, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(closep) int fd = -1;
	struct stat st;
	uint64_t size;
	int base = flags | O_CLOEXEC;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode) && (flags & O_ACCMODE) == O_RDWR)
		base |= O_EXCL;
	else if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return -ENOTBLK;

	fd = open(path, base | (direct ? O_DIRECT : 0));
	if (fd < 0 && direct && errno == EINVAL)
		fd = open(path, base); /* no O_DIRECT on this file system */
	if (fd < 0)
		return -errno;

	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return -errno;
	} else {
		if (fstat(fd, &st) < 0)
			return -errno;
		size = (uint64_t)st.st_size;
	}
	*ret_fd = TAKE_FD(fd);
	*ret_size = size;
	return 0;
}

int blockdev_logical_block_size(const char *path, unsigned *ret)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC);
	int lbs;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKSSZGET, &lbs) < 0)
		return -errno;
	if (lbs <= 0)
		return -EIO;
	*ret = (unsigned)lbs;
	return 0;
}

int blockdev_sysfs_list(const char *dir, char (*names)[BLOCKDEV_NAME_MAX], size_t max,
			size_t *ret_n)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	*ret_n = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* Kernel device names are short ("dm-12", "md127"). */
		if (n < max)
			strncpy_pad(names[n], de->d_name, BLOCKDEV_NAME_MAX);
		n++;
	}
	closedir(d);
	*ret_n = n;
	return 0;
}

int blockdev_holders(const char *path, char (*names)[BLOCKDEV_NAME_MAX], size_t max,
		     size_t *ret_n)
{
	char dir[128];
	struct stat st;

	*ret_n = 0;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return 0;
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u/holders", major(st.st_rdev),
		 minor(st.st_rdev));
	return blockdev_sysfs_list(dir, names, max, ret_n);
}
