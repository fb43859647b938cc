/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "devprobe.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "blockdev.h"
#include "util.h"

static void copy_value(blkid_probe pr, const char *name, char *dst, size_t size)
{
	const char *v = NULL;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, name, &v, NULL) == 0 && v)
		snprintf(dst, size, "%s", v);
}

static blkid_probe probe_new(int fd)
{
	blkid_probe pr = blkid_new_probe();

	if (!pr)
		return NULL;
	if (blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		blkid_free_probe(pr);
		return NULL;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
						      BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	return pr;
}

/* Walk every signature; with wipe, erase each as it is found. */
static int probe_all(const char *path, bool wipe, struct devprobe_sig *sigs, size_t max,
		     size_t *ret_n)
{
	_cleanup_(closep) int fd = open(path, (wipe ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	blkid_probe pr;
	size_t n = 0;
	int r;

	if (fd < 0)
		return -errno;
	pr = probe_new(fd);
	if (!pr)
		return -ENOMEM;
	while ((r = blkid_do_probe(pr)) == 0) {
		if (n < max) {
			struct devprobe_sig *s = &sigs[n];
			char off[32];

			copy_value(pr, "TYPE", s->type, sizeof(s->type));
			copy_value(pr, "USAGE", s->usage, sizeof(s->usage));
			if (!s->type[0]) {
				copy_value(pr, "PTTYPE", s->type, sizeof(s->type));
				snprintf(s->usage, sizeof(s->usage), "partition table");
			}
			copy_value(pr, "LABEL", s->label, sizeof(s->label));
			copy_value(pr, "UUID", s->uuid, sizeof(s->uuid));
			copy_value(pr, "SBMAGIC_OFFSET", off, sizeof(off));
			if (!off[0])
				copy_value(pr, "PTMAGIC_OFFSET", off, sizeof(off));
			s->offset = strtoull(off, NULL, 10);
			copy_value(pr, "BLOCK_SIZE", off, sizeof(off));
			s->block_size = (uint32_t)strtoul(off, NULL, 10);
		}
		n++;
		if (wipe && blkid_do_wipe(pr, 0) < 0) {
			r = errno ? -errno : -EIO;
			blkid_free_probe(pr);
			return r;
		}
	}
	blkid_free_probe(pr);
	if (r < 0)
		return -EIO;
	if (wipe && fsync(fd) < 0)
		return -errno;
	if (ret_n)
		*ret_n = n;
	return 0;
}

int devprobe_signatures(const char *path, struct devprobe_sig *sigs, size_t max, size_t *ret_n)
{
	return probe_all(path, false, sigs, max, ret_n);
}

int devprobe_wipe(const char *path)
{
	return probe_all(path, true, NULL, 0, NULL);
}

void devprobe_describe(const struct devprobe_sig *s, char *buf, size_t size)
{
	const char *what = s->usage;

	if (strcmp(what, "filesystem") == 0)
		what = "file system";
	else if (strcmp(what, "raid") == 0)
		what = "RAID member";
	else if (strcmp(what, "crypto") == 0)
		what = "encrypted volume";
	else if (strcmp(what, "other") == 0)
		what = strcmp(s->type, "swap") == 0 ? "area" : "signature";
	snprintf(buf, size, "%s %s%s%s%s%s at byte %llu", s->type[0] ? s->type : "unknown",
		 what[0] ? what : "signature", s->label[0] ? " LABEL=" : "", s->label,
		 s->uuid[0] ? " UUID=" : "", s->uuid, (unsigned long long)s->offset);
}

int devprobe_holders(const char *path, char *buf, size_t size)
{
	char names[8][BLOCKDEV_NAME_MAX];
	size_t n = 0, len = 0;
	int r;

	buf[0] = '\0';
	r = blockdev_holders(path, names, ARRAY_SIZE(names), &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(names); i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
					i ? " " : "", names[i]);
	return n > 0;
}
