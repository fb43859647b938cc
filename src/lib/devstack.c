// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stack of block devices under a device, from sysfs (devstack.h).
 */
#include "devstack.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

const char *layer_kind_name(enum layer_kind k)
{
	static const char *const names[] = {
		[LAYER_DISK] = "disk", [LAYER_PART] = "partition", [LAYER_CRYPT] = "dm-crypt",
		[LAYER_LVM] = "LVM",   [LAYER_MD] = "md",          [LAYER_LOOP] = "loop",
		[LAYER_DM] = "device-mapper",
	};
	return (unsigned)k < ARRAY_SIZE(names) ? names[k] : "?";
}

/* The first line of DIR/FILE into buf, without its newline. */
static int read_attr(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX + 64];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	r = read_text_file(path, buf, size);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int read_devnum(const char *dir, unsigned *major, unsigned *minor)
{
	char buf[32];
	int r = read_attr(dir, "dev", buf, sizeof(buf));

	if (r < 0)
		return r;
	return sscanf(buf, "%u:%u", major, minor) == 2 ? 0 : -EINVAL;
}

static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* "CRYPT-LUKS2-0123...cdef-name": the UUID with its dashes. */
static void luks_uuid_of(const char *dm_uuid, char *out, size_t size)
{
	const char *hex;
	char u[33];

	out[0] = 0;
	if (strncmp(dm_uuid, "CRYPT-LUKS1-", 12) != 0 && strncmp(dm_uuid, "CRYPT-LUKS2-", 12) != 0)
		return;
	hex = dm_uuid + 12;
	if (strlen(hex) < 32 || strspn(hex, "0123456789abcdefABCDEF") < 32)
		return;
	memcpy(u, hex, 32);
	u[32] = 0;
	snprintf(out, size, "%.8s-%.4s-%.4s-%.4s-%.12s", u, u + 8, u + 12, u + 16, u + 20);
}

/* The loadable modules of the drivers from the device dir up to the root
 * of the device tree. */
static void disk_modules(const char *sysfs, const char *blockdir, char *out, size_t size)
{
	char path[PATH_MAX + 64], dev[PATH_MAX], mod[PATH_MAX], *slash;
	size_t len = 0;

	out[0] = 0;
	snprintf(path, sizeof(path), "%s/device", blockdir);
	if (!realpath(path, dev))
		return;
	for (;;) {
		snprintf(path, sizeof(path), "%s/driver/module", dev);
		if (realpath(path, mod)) {
			const char *name = strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod;
			char init[PATH_MAX + 64];

			snprintf(init, sizeof(init), "%s/module/%s/initstate", sysfs, name);
			if (access(init, F_OK) == 0 && !strstr(out, name) && len + strlen(name) + 2 < size)
				len += (size_t)snprintf(out + len, size - len, "%s%s", len ? " " : "", name);
		}
		slash = strrchr(dev, '/');
		if (!slash || slash == dev)
			break;
		*slash = 0;
		if (strcmp(strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev, "devices") == 0)
			break;
	}
}

struct walk {
	const char *sysfs;
	struct layer *out;
	size_t max, n;
};

static int walk(struct walk *w, unsigned major, unsigned minor, unsigned depth)
{
	char path[PATH_MAX + 64], dir[PATH_MAX], buf[256];
	struct layer l = {.major = major, .minor = minor, .depth = depth};
	const char *base;
	int r;

	for (size_t i = 0; i < w->n && i < w->max; i++)
		if (w->out[i].major == major && w->out[i].minor == minor)
			return 0;
	if (depth > 16)
		return -ELOOP;
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", w->sysfs, major, minor);
	if (!realpath(path, dir))
		return -errno;
	base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	snprintf(l.name, sizeof(l.name), "%.31s", base);

	if (exists(dir, "partition")) {
		l.kind = LAYER_PART;
	} else if (exists(dir, "dm")) {
		l.kind = LAYER_DM;
		if (read_attr(dir, "dm/name", buf, sizeof(buf)) == 0)
			snprintf(l.dm_name, sizeof(l.dm_name), "%.127s", buf);
		if (read_attr(dir, "dm/uuid", buf, sizeof(buf)) == 0) {
			if (strncmp(buf, "CRYPT-", 6) == 0) {
				l.kind = LAYER_CRYPT;
				luks_uuid_of(buf, l.uuid, sizeof(l.uuid));
			} else if (strncmp(buf, "LVM-", 4) == 0) {
				l.kind = LAYER_LVM;
			}
		}
	} else if (exists(dir, "md")) {
		l.kind = LAYER_MD;
	} else if (exists(dir, "loop")) {
		l.kind = LAYER_LOOP;
		if (read_attr(dir, "loop/backing_file", buf, sizeof(buf)) == 0)
			snprintf(l.backing, sizeof(l.backing), "%.127s", buf);
	} else {
		l.kind = LAYER_DISK;
		disk_modules(w->sysfs, dir, l.modules, sizeof(l.modules));
	}
	if (w->n < w->max)
		w->out[w->n] = l;
	w->n++;

	if (l.kind == LAYER_PART) {
		unsigned pmaj, pmin;
		char *slash = strrchr(dir, '/');

		*slash = 0;
		r = read_devnum(dir, &pmaj, &pmin);
		return r < 0 ? r : walk(w, pmaj, pmin, depth + 1);
	}
	snprintf(path, sizeof(path), "%s/slaves", dir);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *e;
	r = 0;
	while ((e = readdir(d)) && r == 0) {
		char sdir[PATH_MAX + 400], real[PATH_MAX];
		unsigned smaj, smin;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sdir, sizeof(sdir), "%s/%s", path, e->d_name);
		if (!realpath(sdir, real) || read_devnum(real, &smaj, &smin) < 0)
			continue;
		r = walk(w, smaj, smin, depth + 1);
	}
	closedir(d);
	return r;
}

int devstack_walk(const char *sysfs, unsigned major, unsigned minor, struct layer *out,
		  size_t max, size_t *ret_n)
{
	struct walk w = {.sysfs = sysfs ? sysfs : "/sys", .out = out, .max = max};
	int r = walk(&w, major, minor, 0);

	*ret_n = w.n;
	return w.n ? 0 : r;
}

int lvm_split_name(const char *dm_name, char *vg, size_t vg_size, char *lv, size_t lv_size)
{
	size_t i, o = 0;
	char *dst = vg;
	size_t cap = vg_size;
	bool in_lv = false;

	for (i = 0; dm_name[i]; i++) {
		char c = dm_name[i];

		if (c == '-' && dm_name[i + 1] == '-') {
			i++;
		} else if (c == '-' && !in_lv) {
			if (o >= cap)
				return -EINVAL;
			dst[o] = 0;
			dst = lv, cap = lv_size, o = 0, in_lv = true;
			continue;
		} else if (c == '-') {
			break; /* "-real", "-cow", a layer of the LV, not its name */
		}
		if (o + 1 >= cap)
			return -EINVAL;
		dst[o++] = c;
	}
	if (!in_lv || o == 0 || vg[0] == 0)
		return -EINVAL;
	dst[o] = 0;
	return 0;
}
