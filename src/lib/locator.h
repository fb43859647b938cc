/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Extent targets on a device (extmap.h for the format): reading and writing
 * the locator and its map pages, swap areas (/proc/swaps) and preallocated
 * image files (their physical extents and file system).
 *
 * An image file is laid out as: file page 0 the locator, file pages 1..R
 * room for the map pages (R = map pages for the whole file's extents), the
 * rest the image (its header first).  resume_offset= is the device page
 * of file page 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "format/extmap.h"

/* Read or write len bytes at logical offset off through the map, split at
 * extent ends (m NULL: at off on fd directly).  Writing past the end grows
 * the map when it has a grow function, else fails with -ENOSPC. */
int extmap_pread(const struct extmap *m, int fd, void *buf, size_t len, uint64_t off);
int extmap_pwrite(struct extmap *m, int fd, const void *buf, size_t len, uint64_t off);

/* The physical extents of an open regular file (FIEMAP, after a sync), in
 * file order, appended to m.  -EOPNOTSUPP for a file system without it;
 * -EMEDIUMTYPE for holes, inline, encoded, shared, unwritten or delayed
 * extents (the file is not a plain, fully written one). */
int extmap_from_fiemap(int fd, struct extmap *m);

enum locator_found {
	LOC_NONE,    /* nothing we know at that page */
	LOC_OURS,    /* a locator, decoded into the map */
	LOC_DAMAGED, /* our signature, but the locator or its map is bad */
	LOC_SWAP,    /* a plain swap area's header (no image) */
	LOC_KERNEL,  /* the kernel's own hibernation image signature */
};

/* Read the page at base on fd (opened O_DIRECT or not) and, when it is a
 * locator, its map pages into m (kind and all; extmap_done() it).
 * *ret_why names a LOC_DAMAGED problem.  0 or a negative errno (I/O). */
int locator_read(int fd, uint64_t base, struct extmap *m, enum locator_found *ret_found,
		 const char **ret_why);

/* Write m's map pages (m->map_pages set) and then its locator page at
 * m->base, keeping the page's bytes before 1536 (a swap header's); sync
 * between and after: the locator is the last thing to reach the disk. */
int locator_write(int fd, const struct extmap *m);

/* Put the swap signature back at m->base (kind EXTMAP_SWAP), and sync. */
int locator_restore_swap(int fd, const struct extmap *m);

/* A damaged locator over what still looks like a swap header (version 1):
 * put SWAPSPACE2 back so that swapon works.  1 if repaired, 0 if the page
 * does not look like a swap header, or a negative errno. */
int locator_repair_swap(int fd, uint64_t base);

/* Is path an active swap area (/proc/swaps, read from swaps_file)?  1 and
 * *ret_is_file, 0 when not listed, negative errno. */
int swap_active(const char *swaps_file, const char *path, bool *ret_is_file);

/* The file system an image or swap file may live on: 0, or -EMEDIUMTYPE
 * with *ret_why (btrfs, or a file system without fixed block addresses). */
int file_fs_check(int fd, const char **ret_why);

/* Is the image file at path safe from everyone but root?  It must be owned
 * by root and writable by nobody else, in a directory owned by root that
 * nobody else can write to (whoever can write either could plant an image
 * the next boot resumes).  0, or -EACCES with *ret_why; other errors as
 * stat() gives them. */
int file_owner_check(const char *path, const char **ret_why);

/* The device node holding a file (st_dev), e.g. "/dev/vdb". */
int file_device(int fd, char *buf, size_t size, dev_t *ret_dev);

/* An active swap file's first page: the device the kernel swaps to (its
 * node in dev, its number in *ret_dev) and the byte offset there, which
 * divided by the page size is resume_offset=.  On btrfs the address FIEMAP
 * gives is mapped through the chunk tree to the device (single profile, as
 * btrfs requires of swap files).  0, or -errno (-EMEDIUMTYPE: the first
 * page has no fixed place). */
int swapfile_start(const char *path, char *dev, size_t devsize, dev_t *ret_dev,
		   uint64_t *ret_offset);

/* An image file's maps from its physical extents: *full all of it, *image
 * the part after the locator and map room, with kind EXTMAP_FILE, base,
 * nmap and map_pages set.  -EMEDIUMTYPE when the file is too small, not a
 * multiple of 4096 bytes or not fully written. */
int file_image_map(int fd, struct extmap *full, struct extmap *image);
