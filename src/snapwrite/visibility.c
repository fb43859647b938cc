// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Will the next boot's initramfs see every guarded file system?
 *
 * snapresume checks each file system the image guards before it resumes
 * (the fs-guard records), and refuses the image when one of them cannot
 * be found: so a file system on a device the initramfs does not set up
 * (a LUKS volume unlocked only after the switch to the real root, an LV
 * it does not activate, a disk whose driver it lacks, a loop device)
 * would have every resume refused and the image thrown away.  This file
 * finds that out before anything is frozen, from the device stack in
 * sysfs (devstack.h) and what the initramfs of the running kernel holds:
 * its files, its crypttab and the command line it will read.
 *
 * Devices under the root file system and under the target are visible by
 * construction (no boot or resume works without them).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "blockdev.h"
#include "devstack.h"
#include "fsguard.h"
#include "initrd.h"
#include "log.h"
#include "sysinfo.h"
#include "util.h"

#include "snapwrite.h"

#define STACK_MAX 32

/* The devices every boot sees: those under / and under the target. */
struct seen {
	size_t n;
	dev_t devs[STACK_MAX * 2];
};

static void seen_add_stack(struct seen *s, unsigned major, unsigned minor)
{
	struct layer st[STACK_MAX];
	size_t n = 0;

	if (devstack_walk(NULL, major, minor, st, STACK_MAX, &n) < 0)
		return;
	for (size_t i = 0; i < n && i < STACK_MAX && s->n < ARRAY_SIZE(s->devs); i++)
		s->devs[s->n++] = makedev(st[i].major, st[i].minor);
}

static bool seen_has(const struct seen *s, const struct layer *l)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->devs[i] == makedev(l->major, l->minor))
			return true;
	return false;
}

static bool is_overlay(const struct args *a, const char *dm_name)
{
	struct overlay_spec specs[OVERLAY_MAX];
	size_t n = overlay_specs(a, specs);

	for (size_t i = 0; i < n; i++)
		if (strcmp(specs[i].name, dm_name) == 0)
			return true;
	return false;
}

static const char *gen_fix(const struct initrd_view *v, const char *dracut, const char *itools)
{
	static char both[1024];

	if (v->gen == INITRD_DRACUT)
		return dracut;
	if (v->gen == INITRD_INITRAMFS_TOOLS)
		return itools;
	snprintf(both, sizeof(both), "dracut: %.400s; initramfs-tools: %.400s", dracut, itools);
	return both;
}

/* Why the initramfs will not make layer l visible, with the fix; "" when it
 * will (as far as can be told). */
static void layer_problem(const struct initrd_view *v, const struct args *a,
			  const struct layer *l, char *why, size_t size)
{
	char fix_d[400], fix_i[400], vg[128], lv[128];

	why[0] = 0;
	switch (l->kind) {
	case LAYER_PART:
		return;
	case LAYER_DISK:
		if (!v->listed)
			return;
		for (const char *m = l->modules; *m;) {
			char mod[64];
			size_t n = strcspn(m, " ");

			snprintf(mod, sizeof(mod), "%.*s", (int)n, m);
			m += n + strspn(m + n, " ");
			if (initrd_has_module(v, mod))
				continue;
			snprintf(fix_d, sizeof(fix_d), "add_drivers+=\" %s \" in /etc/dracut.conf.d/, then dracut -f", mod);
			snprintf(fix_i, sizeof(fix_i), "add %s to /etc/initramfs-tools/modules, then update-initramfs -u", mod);
			snprintf(why, size,
				 "its disk %s needs the kernel module %s, which %s does not hold (%s)",
				 l->name, mod, v->path, gen_fix(v, fix_d, fix_i));
			return;
		}
		return;
	case LAYER_CRYPT:
		if (initrd_unlocks_crypt(v, l->dm_name, l->uuid))
			return;
		if (l->uuid[0])
			snprintf(fix_d, sizeof(fix_d),
				 "add rd.luks.uuid=%s rd.luks.name=%s=%s to the kernel command line",
				 l->uuid, l->uuid, l->dm_name);
		else
			snprintf(fix_d, sizeof(fix_d),
				 "give its line in /etc/crypttab the option force, then dracut -f");
		snprintf(fix_i, sizeof(fix_i),
			 "give its line in /etc/crypttab the option initramfs, then update-initramfs -u");
		if (l->uuid[0])
			snprintf(vg, sizeof(vg), " (LUKS UUID %s)", l->uuid);
		else
			vg[0] = 0;
		snprintf(why, size, "it is on the dm-crypt volume %s%s, which the initramfs%s%s does not unlock (%s)",
			 l->dm_name, vg, v->path[0] ? " " : "", v->path, gen_fix(v, fix_d, fix_i));
		return;
	case LAYER_LVM:
		if (lvm_split_name(l->dm_name, vg, sizeof(vg), lv, sizeof(lv)) < 0)
			snprintf(vg, sizeof(vg), "?"), snprintf(lv, sizeof(lv), "%s", l->dm_name);
		if (initrd_activates_lv(v, vg, lv))
			return;
		snprintf(fix_d, sizeof(fix_d), "add rd.lvm.lv=%s/%s to the kernel command line", vg, lv);
		snprintf(fix_i, sizeof(fix_i), "install lvm2, then update-initramfs -u");
		snprintf(why, size, "it is on the logical volume %s/%s, which the initramfs%s%s does not activate (%s)",
			 vg, lv, v->path[0] ? " " : "", v->path, gen_fix(v, fix_d, fix_i));
		return;
	case LAYER_MD:
		if (initrd_assembles_md(v))
			return;
		snprintf(why, size,
			 "it is on the md array %s, which the initramfs%s%s does not assemble (%s)",
			 l->name, v->path[0] ? " " : "", v->path,
			 gen_fix(v, "add rd.md.uuid=UUID (mdadm --detail) to the kernel command line",
				 "install mdadm, then update-initramfs -u"));
		return;
	case LAYER_LOOP:
		snprintf(why, size,
			 "it is on the loop device %s (%s), which no initramfs sets up (unmount it "
			 "before hibernating)",
			 l->name, l->backing[0] ? l->backing : "no backing file");
		return;
	case LAYER_DM:
		if (is_overlay(a, l->dm_name))
			return; /* snapresume makes it (overlay=) */
		snprintf(why, size,
			 "it is on the device-mapper device %s, which snapwrite cannot tell the "
			 "initramfs sets up (set fs_guard_visibility=warn if it does)",
			 l->dm_name);
		return;
	}
}

int guard_visibility(const struct args *a, const struct fs_plan *plan, struct initrd_view *view,
		     guard_visibility_fn fn, void *userdata)
{
	_cleanup_(initrd_view_done) struct initrd_view own = {0};
	struct initrd_view *v = view;
	struct identity id;
	struct seen seen = {0};
	struct stat st;
	unsigned problems = 0;

	if (!view && identity_read(&id) < 0)
		return -EIO;
	for (size_t i = 0; i < plan->n; i++)
		if (strcmp(plan->mounts[i].mount_point, "/") == 0)
			seen_add_stack(&seen, plan->mounts[i].major, plan->mounts[i].minor);
	if (a->target[0]) {
		_cleanup_(freep) char *dev = NULL;

		if (blockdev_resolve(a->target, &dev) == 0 && stat(dev, &st) == 0 &&
		    S_ISBLK(st.st_mode))
			seen_add_stack(&seen, major(st.st_rdev), minor(st.st_rdev));
		else if (stat(a->target, &st) == 0)
			seen_add_stack(&seen, major(st.st_dev), minor(st.st_dev));
	}

	for (size_t i = 0; i < plan->n; i++) {
		const struct fs_mount *m = &plan->mounts[i];
		struct layer st_[STACK_MAX];
		char why[2048] = "";
		size_t n = 0;
		int r;

		r = devstack_walk(NULL, m->major, m->minor, st_, STACK_MAX, &n);
		if (r < 0)
			snprintf(why, sizeof(why), "its device stack cannot be read from sysfs: %s",
				 strerror(-r));
		for (size_t k = 0; r == 0 && k < n && k < STACK_MAX && !why[0]; k++) {
			if (seen_has(&seen, &st_[k]))
				continue;
			/* Listing the initramfs takes seconds: only for a
			 * device that every boot does not see anyway. */
			if (!v) {
				initrd_view_load(&own, id.kernel_release);
				v = &own;
			}
			layer_problem(v, a, &st_[k], why, sizeof(why));
		}
		if (why[0])
			problems++;
		fn(userdata, m, v && v->path[0] ? v->path : NULL, why[0] ? why : NULL);
	}
	return problems ? -ECANCELED : 0;
}
