/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "snapdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/suspend_ioctls.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "format/format.h"
#include "util.h"

int snapdev_open(const char *path, int mode, int *ret_fd)
{
	int fd;

	/* The open mode is the direction: read-only to take a snapshot,
	 * write-only to restore one; the kernel refuses O_RDWR.  Under
	 * lockdown (or nohibernate) the open fails with EPERM. */
	if (mode != O_RDONLY && mode != O_WRONLY)
		return -EINVAL;
	fd = open(path ? path : SNAPDEV_PATH, mode | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

static int snap_ioctl(int fd, unsigned long req, unsigned long arg)
{
	if (ioctl(fd, req, arg) < 0)
		return -errno;
	return 0;
}

int snapdev_freeze(int fd)
{
	/* The kernel syncs filesystems, then freezes every user task except
	 * the calling thread (sibling threads included). */
	return snap_ioctl(fd, SNAPSHOT_FREEZE, 0);
}

int snapdev_unfreeze(int fd)
{
	return snap_ioctl(fd, SNAPSHOT_UNFREEZE, 0);
}

int snapdev_free(int fd)
{
	/* Drops the image the kernel holds; needed before unfreezing after a
	 * snapshot that will not be used. */
	return snap_ioctl(fd, SNAPSHOT_FREE, 0);
}

int snapdev_platform_support(int fd, bool on)
{
	return snap_ioctl(fd, SNAPSHOT_PLATFORM_SUPPORT, on ? 1 : 0);
}

int snapdev_s2ram(int fd)
{
	/* Suspend to RAM from the frozen state, the image taken; returns once
	 * woken (0), or at once when the platform cannot suspend.  The
	 * snapshot is no longer "ready" afterwards: free it before thawing. */
	return snap_ioctl(fd, SNAPSHOT_S2RAM, 0);
}

int snapdev_power_off(int fd)
{
	/* Enter the platform's S4; the kernel does it only when platform
	 * support was on before CREATE_IMAGE, and returns 0 without doing
	 * anything otherwise: then this is -ENOSYS.  Returns only on failure. */
	int r = snap_ioctl(fd, SNAPSHOT_POWER_OFF, 0);

	return r < 0 ? r : -ENOSYS;
}

int snapdev_pref_image_size(int fd, uint64_t bytes)
{
	/* Preferred upper bound for the image: the kernel frees memory down to
	 * it before the snapshot.  Only a preference. */
	return snap_ioctl(fd, SNAPSHOT_PREF_IMAGE_SIZE, (unsigned long)bytes);
}

int snapdev_image_size(int fd, uint64_t *ret_bytes)
{
	loff_t size = 0;

	if (ioctl(fd, SNAPSHOT_GET_IMAGE_SIZE, &size) < 0)
		return -errno;
	*ret_bytes = (uint64_t)size;
	return 0;
}

int snapdev_create_image(int fd, bool *ret_in_suspend)
{
	int in_suspend = 0;

	/* The kernel stores 1 here in the instance that must now save the
	 * image, and 0 when this call "returns" a second time, in the system
	 * restored from that image.  Processes stay frozen either way. */
	if (ioctl(fd, SNAPSHOT_CREATE_IMAGE, &in_suspend) < 0)
		return -errno;
	*ret_in_suspend = in_suspend != 0;
	return 0;
}

/* At most this many pages per readv()/writev(): one vector on the stack. */
#define SNAPDEV_BATCH 256u

/*
 * The kernel moves at most one page per read() or write() on
 * /dev/snapshot, and its file has no vectored operations of its own.  For
 * such a file readv()/writev() call the plain read/write once per vector
 * element inside one system call, stopping at the first short one: a
 * vector of page-sized elements moves many pages per call, which matters
 * when a system call costs microseconds (under emulation, tens).
 */
static void pages_iov(struct iovec *iov, const void *buf, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		iov[i].iov_base = (uint8_t *)buf + (size_t)i * IMAGE_PAGE_SIZE;
		iov[i].iov_len = IMAGE_PAGE_SIZE;
	}
}

int snapdev_read_pages(int fd, void *buf, uint32_t max)
{
	struct iovec iov[SNAPDEV_BATCH];
	uint32_t n = max < SNAPDEV_BATCH ? max : SNAPDEV_BATCH;
	ssize_t got;

	if (n == 0)
		return -EINVAL;
	pages_iov(iov, buf, n);
	do
		got = readv(fd, iov, (int)n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	/* 0 ends the image; the stream is made of whole pages. */
	if (got % IMAGE_PAGE_SIZE)
		return -EIO;
	return (int)(got / IMAGE_PAGE_SIZE);
}

/*
 * The kernel's image header (kernel/power/power.h, struct swsusp_info):
 * struct new_utsname (6 strings of 65 bytes), u32 version_code, unsigned
 * long num_physpages, int cpus, unsigned long image_pages, pages and size,
 * so on a 64-bit kernel image_pages is at byte 416, pages at 424 and size
 * (pages in bytes) at 432.
 */
#define SWSUSP_INFO_IMAGE_PAGES 416u
#define SWSUSP_INFO_PAGES 424u
#define SWSUSP_INFO_SIZE 432u
#define LIST_PER_PAGE (IMAGE_PAGE_SIZE / 8u)

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

void snapdev_stream_feed(struct snapdev_stream *s, const void *pages, uint32_t n)
{
	const uint8_t *pg = pages;

	/* The layout above is a 64-bit kernel's. */
	if (sizeof(unsigned long) != 8)
		s->bad = true;
	/* Past the list (or lost): the data pages say nothing more. */
	if (s->bad || s->listed_all)
		return;
	for (uint32_t i = 0; i < n && !s->bad && !s->listed_all; i++, s->seen++,
		      pg += IMAGE_PAGE_SIZE) {
		if (s->seen == 0) {
			s->data_pages = get_u64(pg + SWSUSP_INFO_IMAGE_PAGES);
			s->pages = get_u64(pg + SWSUSP_INFO_PAGES);
			/* At least the header and one page of the list; the
			 * size field says the same as the page count. */
			s->bad = s->pages < s->data_pages + 2 || s->pages > UINT64_MAX / IMAGE_PAGE_SIZE ||
				 get_u64(pg + SWSUSP_INFO_SIZE) != s->pages * IMAGE_PAGE_SIZE;
		} else if (s->seen < s->pages - s->data_pages) {
			/* A page of the list. */
			for (unsigned j = 0; j < LIST_PER_PAGE && !s->listed_all; j++) {
				if (get_u64(pg + 8u * j) == UINT64_MAX)
					s->listed_all = true;
				else
					s->listed++;
			}
			if (s->seen == s->pages - s->data_pages - 1)
				s->listed_all = true;
			else if (s->listed_all)
				s->bad = true; /* ended before its last page */
		}
	}
}

uint64_t snapdev_stream_load_pages(const struct snapdev_stream *s, uint64_t stream_pages)
{
	uint64_t list_pages;

	if (s->bad || !s->listed_all || stream_pages != s->pages)
		return 0;
	/* Every data page is listed, and the list is as long as its pages
	 * say (the kernel sizes it to the listed pages). */
	list_pages = s->pages - s->data_pages - 1;
	if (s->listed < s->data_pages || s->listed > list_pages * LIST_PER_PAGE ||
	    s->listed <= (list_pages - 1) * LIST_PER_PAGE)
		return 0;
	return s->listed;
}

int snapdev_write_pages(int fd, const void *pages, uint32_t n)
{
	struct iovec iov[SNAPDEV_BATCH];

	/* Pages go back unaltered and in the order they were read. */
	while (n > 0) {
		uint32_t k = n < SNAPDEV_BATCH ? n : SNAPDEV_BATCH;
		ssize_t put;

		pages_iov(iov, pages, k);
		put = writev(fd, iov, (int)k);
		if (put < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* A short count stops before an element the kernel did not
		 * take; the next call gets its error, if it has one. */
		if (put == 0 || put % IMAGE_PAGE_SIZE)
			return -EIO;
		pages = (const uint8_t *)pages + put;
		n -= (uint32_t)(put / IMAGE_PAGE_SIZE);
	}
	return 0;
}

int snapdev_finish_write(int fd)
{
	static const uint8_t dummy[IMAGE_PAGE_SIZE] __attribute__((aligned(64)));

	/* Kernels that leave zero pages out of the stream fill them in when
	 * asked for the next page after the last one; until then they do not
	 * consider the image loaded and refuse SNAPSHOT_ATOMIC_RESTORE.  One
	 * more write() does it and returns 0 when the image is complete; the
	 * buffer's contents are not used. */
	for (;;) {
		ssize_t n = write(fd, dummy, IMAGE_PAGE_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Anything but 0 means the kernel wanted more pages than we had. */
		return n == 0 ? 0 : -EBADMSG;
	}
}

int snapdev_atomic_restore(int fd)
{
	/* Requires frozen processes and a completely loaded image. */
	return snap_ioctl(fd, SNAPSHOT_ATOMIC_RESTORE, 0);
}

int snapdev_set_swap_area(int fd, dev_t dev, uint64_t offset_pages)
{
	/* dev in the kernel's "new" encoding; offset: the page of the swap
	 * header on dev (0 for a partition, resume_offset= for a file). */
	struct resume_swap_area area = {
		.offset = (__kernel_loff_t)offset_pages,
		.dev = (__u32)((minor(dev) & 0xff) | (major(dev) << 8) |
			       ((minor(dev) & ~0xffu) << 12)),
	};

	if (ioctl(fd, SNAPSHOT_SET_SWAP_AREA, &area) < 0)
		return -errno;
	return 0;
}

int snapdev_avail_swap(int fd, uint64_t *ret_bytes)
{
	__kernel_loff_t v = 0;

	if (ioctl(fd, SNAPSHOT_AVAIL_SWAP_SIZE, &v) < 0)
		return -errno;
	*ret_bytes = (uint64_t)v;
	return 0;
}

int snapdev_alloc_swap_page(int fd, uint64_t *ret_offset)
{
	__kernel_loff_t v = 0;

	/* The kernel takes a free slot of the swap area and marks it used,
	 * so that nothing swapped out is overwritten; ENOSPC when full. */
	if (ioctl(fd, SNAPSHOT_ALLOC_SWAP_PAGE, &v) < 0)
		return -errno;
	*ret_offset = (uint64_t)v;
	return 0;
}
