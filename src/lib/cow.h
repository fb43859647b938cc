/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * COW stores on devices: reading the state of the kernel's persistent
 * store, dropping one, and volatile stores on zram.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "overlay.h"

/* The state of the store on the device at path (and its chunk size). */
int cow_read(const char *path, enum cow_state *ret_state, uint32_t *ret_chunk_sectors);

/* How many chunks of changes the persistent store on path holds (its
 * exceptions, counted in its metadata areas).  0 or negative errno. */
int cow_count_changes(const char *path, uint32_t chunk_sectors, uint64_t *ret_chunks);

/* Drop the store on path: its header and first metadata area are zeroed,
 * so that neither a merge nor the kernel finds its changes again. */
int cow_drop(const char *path);

/* A new zram device of bytes (its path into buf, "/dev/zramN"). */
int zram_create(uint64_t bytes, char *buf, size_t size);

/* Remove a zram device zram_create() made. */
int zram_remove(const char *path);

/* The active swap areas that are not on zram, as a space-separated list
 * into buf: 1 if any, 0 if none, negative errno. */
int swap_on_disk(const char *swaps_file, char *buf, size_t size);
