/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * COW stores on devices: reading the state of the kernel's persistent
 * store, dropping one, and volatile stores on zram.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

/* The kernel's persistent COW store starts with a 16-byte header. */
#define COW_MAGIC 0x70416e53u /* "SnAp" little endian */
#define COW_HEADER_LEN 16

enum cow_state {
	COW_NONE,    /* no store: never used, or dropped */
	COW_VALID,   /* a snapshot with changes that can be merged */
	COW_INVALID, /* overflowed or failed: its changes are lost */
};

/* The state of a store from its first bytes (at least COW_HEADER_LEN).
 * 0, or -EPROTONOSUPPORT for a store version this code does not know. */
int cow_header_parse(const void *buf, size_t len, enum cow_state *ret_state,
		     uint32_t *ret_chunk_sectors);

/* The status line of a snapshot or snapshot-merge target. */
struct cow_usage {
	bool invalid;  /* "Invalid": the store failed or overflowed */
	bool overflow; /* "Overflow" */
	bool failed;   /* "Merge failed" */
	uint64_t allocated, total, metadata; /* sectors */
};

/* 0, or -EINVAL for a line that is none of the above. */
int cow_status_parse(const char *status, struct cow_usage *ret);

/* Percent of the store taken by changes (metadata included), 0-100. */
unsigned cow_usage_percent(const struct cow_usage *u);

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
