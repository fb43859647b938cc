/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The running system as the image records it: the kernel, the memory and
 * the machine (procfs, sysfs, uname).  Reads only, so every call is safe
 * while the system is frozen.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "format/header.h"

/* Identity of the running system as recorded in a header. */
struct identity {
	char kernel_release[IMAGE_KREL_LEN];
	char kernel_version[IMAGE_KVER_LEN];
	uint64_t mem_total_kib;
	/* The DMI product UUID (the machine's, set by its firmware), when the
	 * firmware gives a real one. */
	bool has_machine;
	uint8_t machine[16];
};

int identity_read(struct identity *ret);

/* A /proc/meminfo value ("MemTotal", "SwapFree", ...) in KiB; 0 when
 * missing. */
uint64_t meminfo_kib(const char *key);

/* Peak resident memory of this process (VmHWM) in KiB; 0 if unknown.
 * Reads procfs only, so it is safe while the system is frozen. */
uint64_t peak_rss_kib(void);
