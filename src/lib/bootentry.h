/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Boot loader entries of a kernel: which menu entry of a GRUB
 * configuration (grub.cfg), or which Boot Loader Specification entry
 * (systemd-boot's loader/entries/NAME.conf), boots a given kernel release.
 * Pure functions on text; snapwrite points the next boot at the entry of
 * the kernel that wrote an image (oneshot_boot=).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The GRUB entry that boots kernel release krel, as GRUB's "default" and
 * grub-reboot take it: "SUBMENU>ENTRY", each part the entry's id
 * ($menuentry_id_option) or, without one, its title.  The first entry
 * whose linux line loads vmlinuz-KREL wins, recovery entries (a title with
 * "recovery mode", or "single" among the arguments) only when nothing
 * else does.  *title gets its title (may be NULL).  0, -ENOENT when no
 * entry boots krel, -ENAMETOOLONG when the result does not fit.
 */
int bootentry_grub(const char *cfg, const char *krel, char *buf, size_t size, char *title,
		   size_t title_size);

/* Does the Boot Loader Specification entry text boot kernel release krel
 * (its "version" is krel, or its "linux" path ends in a name with krel)? */
bool bootentry_bls_boots(const char *entry, const char *krel);
