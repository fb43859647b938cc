/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cow.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blockdev.h"
#include "format/format.h"
#include "util.h"

int cow_header_parse(const void *buf, size_t len, enum cow_state *ret_state,
		     uint32_t *ret_chunk_sectors)
{
	const uint8_t *p = buf;
	uint32_t chunk;

	if (len < COW_HEADER_LEN)
		return -EINVAL;
	*ret_state = COW_NONE;
	*ret_chunk_sectors = 0;
	/* Anything else (zeros, or what was on the device before) is not a
	 * store: the kernel starts a new one over it. */
	if (le32_get(p) != COW_MAGIC)
		return 0;
	if (le32_get(p + 8) != 1)
		return -EPROTONOSUPPORT;
	chunk = le32_get(p + 12);
	if (chunk < 8 || (chunk & (chunk - 1)) || chunk > (1u << 20))
		return -EPROTONOSUPPORT;
	*ret_chunk_sectors = chunk;
	*ret_state = le32_get(p + 4) ? COW_VALID : COW_INVALID;
	return 0;
}

int cow_status_parse(const char *status, struct cow_usage *ret)
{
	struct cow_usage u = {0};
	char tail;

	if (strcmp(status, "Invalid") == 0)
		u.invalid = true;
	else if (strcmp(status, "Overflow") == 0)
		u.overflow = true;
	else if (strcmp(status, "Merge failed") == 0)
		u.failed = true;
	else if (sscanf(status, "%" SCNu64 "/%" SCNu64 " %" SCNu64 " %c", &u.allocated, &u.total,
			&u.metadata, &tail) != 3 ||
		 u.total == 0 || u.allocated > u.total || u.metadata > u.allocated)
		return -EINVAL;
	*ret = u;
	return 0;
}

unsigned cow_usage_percent(const struct cow_usage *u)
{
	if (u->invalid || u->overflow)
		return 100;
	if (!u->total)
		return 0;
	return (unsigned)((u->allocated * 100 + u->total - 1) / u->total);
}

int cow_read(const char *path, enum cow_state *ret_state, uint32_t *ret_chunk_sectors)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *page = page_alloc();
	uint64_t size;
	int r;

	if (!page)
		return -ENOMEM;
	r = blockdev_open(path, O_RDONLY, true, &fd, &size);
	if (r < 0)
		return r;
	r = pread_full(fd, page, 4096, 0);
	if (r < 0)
		return r;
	return cow_header_parse(page, 4096, ret_state, ret_chunk_sectors);
}

int cow_count_changes(const char *path, uint32_t chunk_sectors, uint64_t *ret_chunks)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *area = NULL;
	uint64_t size, chunk = (uint64_t)chunk_sectors * 512, per_area, n = 0;
	int r;

	/* The layout of the kernel's persistent store: chunk 0 the header,
	 * then metadata areas of chunk / 16 exceptions (old and new chunk,
	 * little endian), each followed by as many data chunks; the list
	 * ends at the first exception whose new chunk is 0. */
	if (chunk_sectors < 8 || (chunk_sectors & (chunk_sectors - 1)) || chunk > (1u << 20))
		return -EINVAL;
	per_area = chunk / 16;
	r = blockdev_open(path, O_RDONLY, true, &fd, &size);
	if (r < 0)
		return r;
	if (posix_memalign((void **)&area, 4096, chunk) != 0)
		return -ENOMEM;
	for (uint64_t a = 0;; a++) {
		uint64_t off = (1 + a * (per_area + 1)) * chunk;

		if (off + chunk > size)
			break;
		r = pread_full(fd, area, chunk, off);
		if (r < 0)
			return r;
		for (uint64_t i = 0; i < per_area; i++, n++)
			if (le64_get(area + i * 16 + 8) == 0)
				goto done;
	}
done:
	*ret_chunks = n;
	return 0;
}

int cow_drop(const char *path)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *page = page_alloc();
	uint64_t size, len;
	int r;

	if (!page)
		return -ENOMEM;
	r = blockdev_open(path, O_RDWR, true, &fd, &size);
	if (r < 0)
		return r;
	/* The header chunk and metadata area 0 of the largest chunk size
	 * snapwrite uses are both in the first 8 KiB. */
	len = size < 8192 ? size : 8192;
	for (uint64_t off = 0; off + 4096 <= len; off += 4096) {
		r = pwrite_full(fd, page, 4096, off);
		if (r < 0)
			return r;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

static int write_sysfs(const char *path, const char *value)
{
	_cleanup_(closep) int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(value);

	if (fd < 0)
		return -errno;
	if (write(fd, value, n) != (ssize_t)n)
		return -errno;
	return 0;
}

int zram_create(uint64_t bytes, char *buf, size_t size)
{
	char text[32], path[96];
	uint64_t id;
	int r;

	r = read_text_file("/sys/class/zram-control/hot_add", text, sizeof(text));
	if (r == -ENOENT)
		return -ENODEV; /* the zram module is not loaded */
	if (r < 0)
		return r;
	if (parse_u64(strstrip(text), 0, 1 << 20, &id) < 0)
		return -EIO;
	snprintf(path, sizeof(path), "/sys/block/zram%" PRIu64 "/disksize", id);
	snprintf(text, sizeof(text), "%" PRIu64, bytes);
	r = write_sysfs(path, text);
	snprintf(buf, size, "/dev/zram%" PRIu64, id);
	if (r < 0) {
		zram_remove(buf);
		return r;
	}
	return 0;
}

int zram_remove(const char *path)
{
	const char *name = strrchr(path, '/');

	if (!name || strncmp(name + 1, "zram", 4) != 0)
		return -EINVAL;
	return write_sysfs("/sys/class/zram-control/hot_remove", name + 5);
}

int swap_on_disk(const char *swaps_file, char *buf, size_t size)
{
	char line[512], name[256];
	size_t used = 0;
	FILE *f = fopen(swaps_file, "re");
	int found = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	if (size)
		buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s", name) != 1 || strcmp(name, "Filename") == 0)
			continue;
		if (strncmp(name, "/dev/zram", 9) == 0)
			continue;
		found = 1;
		if (used + strlen(name) + 2 < size)
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " " : "",
						  name);
	}
	fclose(f);
	return found;
}
