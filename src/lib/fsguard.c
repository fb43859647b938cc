/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fsguard.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

int fsguard_list_mounts(const char *mountinfo, struct fs_mount *mounts, size_t max,
			size_t *ret_n)
{
	char line[4096];
	size_t n = 0;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct fs_mount m = {0};
		const char *sep = strstr(line, " - ");
		bool seen = false;

		/* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw" */
		if (!sep || sscanf(line, "%*u %*u %u:%u %*s %255s", &m.major, &m.minor,
				   m.mount_point) != 3)
			continue;
		if (sscanf(sep + 3, "%31s %127s", m.fstype, m.source) < 1)
			continue;
		/* Major 0: no block device (proc, tmpfs, overlay, nfs...). */
		if (m.major == 0)
			continue;
		for (size_t i = 0; i < n && i < max; i++)
			if (mounts[i].major == m.major && mounts[i].minor == m.minor)
				seen = true;
		if (seen)
			continue;
		if (n < max)
			mounts[n] = m;
		n++;
	}
	fclose(f);
	*ret_n = n;
	return 0;
}

bool fsguard_supported(const char *fstype)
{
	return strcmp(fstype, "ext4") == 0 || strcmp(fstype, "ext3") == 0 ||
	       strcmp(fstype, "ext2") == 0;
}

int fsguard_devnode(unsigned major, unsigned minor, char *buf, size_t size)
{
	char path[96], line[256];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major, minor);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "DEVNAME=", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "/dev/%s", line + 8);
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* ext2/3/4 superblock fields (offsets within the 1024-byte superblock). */
enum {
	EXT_SB_OFFSET = 1024,
	EXT_MTIME = 0x2c,
	EXT_WTIME = 0x30,
	EXT_MNT_COUNT = 0x34,
	EXT_MAGIC = 0x38,
	EXT_UUID = 0x68,
	EXT_WTIME_HI = 0x274,
	EXT_MTIME_HI = 0x275,
	EXT_MAGIC_VALUE = 0xef53,
};

int fsguard_read(const char *dev, struct fs_guard *ret)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *buf = NULL;
	const uint8_t *sb;
	int r;

	/* O_DIRECT: the device, not what this kernel's cache remembers. */
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (fd < 0 && errno == EINVAL)
		fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (posix_memalign((void **)&buf, 4096, 4096) != 0)
		return -ENOMEM;
	r = pread_full(fd, buf, 4096, 0);
	if (r < 0)
		return r;
	sb = buf + EXT_SB_OFFSET;
	if (le16_get(sb + EXT_MAGIC) != EXT_MAGIC_VALUE)
		return -EMEDIUMTYPE;
	memset(ret, 0, sizeof(*ret));
	ret->fs_type = IMAGE_FS_EXT4;
	ret->mount_count = le16_get(sb + EXT_MNT_COUNT);
	memcpy(ret->uuid, sb + EXT_UUID, 16);
	ret->mount_time = le32_get(sb + EXT_MTIME) | (uint64_t)sb[EXT_MTIME_HI] << 32;
	ret->write_time = le32_get(sb + EXT_WTIME) | (uint64_t)sb[EXT_WTIME_HI] << 32;
	return 0;
}

static void format_time(uint64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, size, "%" PRIu64, t);
}

bool fsguard_same(const struct fs_guard *then, const struct fs_guard *now, char *why,
		  size_t size)
{
	char a[40], b[40];

	if (memcmp(then->uuid, now->uuid, 16) != 0) {
		snprintf(why, size, "it is another file system now (its UUID changed)");
		return false;
	}
	if (then->mount_count != now->mount_count || then->mount_time != now->mount_time) {
		format_time(then->mount_time, a, sizeof(a));
		format_time(now->mount_time, b, sizeof(b));
		snprintf(why, size,
			 "it was mounted since the snapshot (mount count %" PRIu32 " -> %" PRIu32
			 ", last mounted %s, then %s)",
			 then->mount_count, now->mount_count, a, b);
		return false;
	}
	if (then->write_time != now->write_time) {
		format_time(then->write_time, a, sizeof(a));
		format_time(now->write_time, b, sizeof(b));
		snprintf(why, size, "it was written since the snapshot (last write %s, then %s)", a,
			 b);
		return false;
	}
	return true;
}
