/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's userland hibernation interface, /dev/snapshot
 * (Documentation/power/userland-swsusp.rst, kernel/power/user.c).
 *
 * Writing an image:   snapdev_open(O_RDONLY) -> freeze -> create_image
 *                     -> read_pages until 0 -> power off (or free+unfreeze)
 * Restoring an image: snapdev_open(O_WRONLY) -> write_pages for every page
 *                     -> finish_write -> freeze -> atomic_restore
 *
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure, and prints nothing.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SNAPDEV_PATH "/dev/snapshot"

/* mode is O_RDONLY (to take a snapshot) or O_WRONLY (to restore one). */
int snapdev_open(const char *path, int mode, int *ret_fd);

int snapdev_freeze(int fd);
int snapdev_unfreeze(int fd);
int snapdev_free(int fd);
/* Platform support (ACPI S4) for the next CREATE_IMAGE or ATOMIC_RESTORE:
 * set before either. */
int snapdev_platform_support(int fd, bool on);
/* Hybrid sleep: suspend to RAM, frozen, after the image was saved. */
int snapdev_s2ram(int fd);
/* Platform mode: enter S4 through the platform.  Returns only on failure. */
int snapdev_power_off(int fd);
int snapdev_pref_image_size(int fd, uint64_t bytes);
int snapdev_image_size(int fd, uint64_t *ret_bytes);

/* Make the snapshot.  *ret_in_suspend is true in the instance that has an
 * image to save, false in the instance that was just restored from one. */
int snapdev_create_image(int fd, bool *ret_in_suspend);

/* Up to max (> 0) pages of the image into buf, in one system call: the
 * number read (maybe fewer), 0 at the end of the image, or -errno. */
int snapdev_read_pages(int fd, void *buf, uint32_t max);

/* Hand n pages back to the kernel, in as few system calls as it takes. */
int snapdev_write_pages(int fd, const void *pages, uint32_t n);

/*
 * How many pages the kernel allocates to load a snapshot stream back: one
 * for every page the image restores, those it holds (data pages) and
 * those it only lists (pages of zeros, 6.3 and later).  The stream opens
 * with the kernel's image header (struct swsusp_info: its total and data
 * page counts) and the page list (one unsigned long per page, ended by
 * ~0 unless the list fills its last page); feed it the stream's pages in
 * order.  load_pages is known once the list was seen and the header made
 * sense; a stream whose length then differs from the header's count must
 * not be trusted (snapdev_stream_load_pages checks that).
 */
struct snapdev_stream {
	uint64_t seen;       /* pages fed so far, up to the end of the list */
	uint64_t pages;      /* the header's: all pages in the stream */
	uint64_t data_pages; /* the header's: pages of data */
	uint64_t listed;     /* pages in the list so far */
	bool bad;            /* not a stream this code understands */
	bool listed_all;     /* the list ended */
};

void snapdev_stream_feed(struct snapdev_stream *s, const void *pages, uint32_t n);
/* The pages the kernel allocates for the whole stream of `stream_pages`
 * pages, or 0 when that is not known. */
uint64_t snapdev_stream_load_pages(const struct snapdev_stream *s, uint64_t stream_pages);

/* After the last page: let the kernel finish loading (see the .c file). */
int snapdev_finish_write(int fd);

/* Jump into the loaded image.  Returns only on failure. */
int snapdev_atomic_restore(int fd);

/* Swap areas (the image in an active swap partition or swap file): name
 * the area by its device and the page of its header, then ask for free
 * slots one page at a time; each comes back as a byte offset on dev.
 * The slots stay taken until /dev/snapshot is closed. */
int snapdev_set_swap_area(int fd, dev_t dev, uint64_t offset_pages);
int snapdev_avail_swap(int fd, uint64_t *ret_bytes);
int snapdev_alloc_swap_page(int fd, uint64_t *ret_offset);
