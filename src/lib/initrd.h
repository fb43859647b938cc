/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the initramfs of the next boot will set up before snapresume runs,
 * read from the image the running kernel would boot with
 * (/boot/initrd.img-RELEASE or /boot/initramfs-RELEASE.img) and from the
 * kernel command line.
 *
 * The rules, as the generators of Debian 12 behave:
 *  - dracut unlocks the LUKS volumes rd.luks.uuid= names (with systemd in
 *    the image also those rd.luks.name= names, and the volumes of its own
 *    crypttab when the command line names none), every one with rd.auto=1,
 *    none with rd.luks=0; it activates the LVM volumes rd.lvm.lv= or
 *    rd.lvm.vg= name (all with rd.auto=1) and assembles md arrays only
 *    when rd.md.uuid= or rd.auto=1 asks.  Its image carries a command line
 *    of its own (etc/cmdline.d), read as well.
 *  - initramfs-tools unlocks the volumes of its crypttab
 *    (cryptroot/crypttab: those of the root file system, of resume= and
 *    those marked "initramfs"); with lvm2 or mdadm in the image, LVM's
 *    udev rules activate every volume group and mdadm assembles every
 *    array.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum initrd_generator { INITRD_UNKNOWN, INITRD_DRACUT, INITRD_INITRAMFS_TOOLS };

struct initrd_view {
	char path[300];     /* the image, "" when none was found */
	enum initrd_generator gen;
	bool listed;        /* files is its file list */
	bool systemd;       /* systemd runs in it */
	char *files;        /* "\npath\npath\n": each path between newlines */
	char cmdline[8192]; /* the kernel's command line and the image's own */
	char crypttab[8192];
};

/* The image of kernel release krel and what it holds; what cannot be
 * read is left empty (path "" or listed false).  The kernel command line
 * is that of the running system. */
void initrd_view_load(struct initrd_view *v, const char *krel);
/* gen and systemd from files (after files was set). */
void initrd_view_classify(struct initrd_view *v);
void initrd_view_done(struct initrd_view *v);

bool initrd_has_file(const struct initrd_view *v, const char *path);
/* A file of that name (the last component of its path) anywhere in it. */
bool initrd_has_basename(const struct initrd_view *v, const char *name);
/* A kernel module in the image, whatever its compression and whether its
 * name is written with '-' or '_'. */
bool initrd_has_module(const struct initrd_view *v, const char *module);
/* Will it unlock the dm-crypt volume named dm_name (LUKS UUID uuid, "" for
 * a plain volume)? */
bool initrd_unlocks_crypt(const struct initrd_view *v, const char *dm_name, const char *uuid);
bool initrd_activates_lv(const struct initrd_view *v, const char *vg, const char *lv);
bool initrd_assembles_md(const struct initrd_view *v);
