// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What an initramfs image will set up at boot (initrd.h): its files, as
 * lsinitramfs or lsinitrd list them, its crypttab and the command line it
 * reads, and the rules by which dracut and initramfs-tools unlock LUKS
 * volumes, activate LVM volumes and assemble md arrays.
 */
#include "initrd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void initrd_view_done(struct initrd_view *v)
{
	free(v->files);
	v->files = NULL;
}

bool initrd_has_file(const struct initrd_view *v, const char *path)
{
	char needle[PATH_MAX + 2];

	if (!v->files)
		return false;
	snprintf(needle, sizeof(needle), "\n%s\n", path);
	return strstr(v->files, needle) != NULL;
}

bool initrd_has_basename(const struct initrd_view *v, const char *name)
{
	char needle[PATH_MAX + 2];

	if (!v->files)
		return false;
	snprintf(needle, sizeof(needle), "/%s\n", name);
	if (strstr(v->files, needle))
		return true;
	snprintf(needle, sizeof(needle), "\n%s\n", name);
	return strstr(v->files, needle) != NULL;
}

/* Is one of the paths in the image? */
static bool have_any(const struct initrd_view *v, const char *const *paths)
{
	for (; *paths; paths++)
		if (initrd_has_file(v, *paths))
			return true;
	return false;
}

/* A path of the list as lsinitramfs prints it ("usr/sbin/x"), or the last
 * field of an lsinitrd line ("-rwxr-xr-x 1 root root 9 ... usr/sbin/x",
 * "lrwxrwxrwx ... bin -> usr/bin"). */
static const char *list_path(char *line, bool long_format)
{
	char *arrow, *sp;

	line[strcspn(line, "\n")] = 0;
	if (!long_format)
		return line;
	arrow = strstr(line, " -> ");
	if (arrow)
		*arrow = 0;
	sp = strrchr(line, ' ');
	return sp ? sp + 1 : line;
}

static int view_list(struct initrd_view *v)
{
	static const char *const tools[] = {"lsinitramfs", "lsinitrd"};
	char cmd[400], line[1024];
	size_t len = 0, cap = 0;

	for (size_t t = 0; t < ARRAY_SIZE(tools) && !v->listed; t++) {
		FILE *f;

		snprintf(cmd, sizeof(cmd), "%s '%s' 2>/dev/null", tools[t], v->path);
		f = popen(cmd, "re");
		if (!f)
			continue;
		len = 0;
		while (fgets(line, sizeof(line), f)) {
			const char *p = list_path(line, t == 1);
			size_t n = strlen(p);

			if (!n || strchr(p, '\'') || p[0] == '/')
				continue;
			if (len + n + 3 > cap) {
				char *bigger = realloc(v->files, cap = (cap + n + 3) * 2);
				if (!bigger) {
					pclose(f);
					return -ENOMEM;
				}
				v->files = bigger;
			}
			len += (size_t)sprintf(v->files + len, "%s%s\n", len ? "" : "\n", p);
			v->listed = true;
		}
		pclose(f);
	}
	return v->listed ? 0 : -ENOEXEC;
}

/* The content of a file in the image, appended to buf: "lsinitrd -f", or
 * the image unpacked by unmkinitramfs. */
static void view_read(const struct initrd_view *v, const char *file, char *buf, size_t size)
{
	char cmd[PATH_MAX + 200], tmp[] = "/tmp/snapwrite-initramfs.XXXXXX";
	size_t len = strlen(buf);
	FILE *f;
	size_t n;

	if (len + 2 >= size)
		return;
	snprintf(cmd, sizeof(cmd),
		 "if command -v lsinitrd >/dev/null; then lsinitrd -f '%s' '%s'; "
		 "else d=$(mktemp -d %s) && unmkinitramfs '%s' \"$d\" && "
		 "{ cat \"$d/%s\" || cat \"$d/main/%s\"; }; rm -rf \"$d\"; fi 2>/dev/null",
		 file, v->path, tmp, v->path, file, file);
	f = popen(cmd, "re");
	if (!f)
		return;
	n = fread(buf + len, 1, size - len - 2, f);
	buf[len + n] = '\n';
	buf[len + n + 1] = 0;
	pclose(f);
}

void initrd_view_classify(struct initrd_view *v)
{
	static const char *const systemd[] = {"usr/lib/systemd/systemd", "lib/systemd/systemd", NULL};

	v->gen = INITRD_UNKNOWN;
	if (initrd_has_file(v, "conf/initramfs.conf"))
		v->gen = INITRD_INITRAMFS_TOOLS;
	else if (v->files && (strstr(v->files, "\nusr/lib/dracut/") || initrd_has_file(v, "usr/lib/dracut")))
		v->gen = INITRD_DRACUT;
	v->systemd = have_any(v, systemd);
}

void initrd_view_load(struct initrd_view *v, const char *krel)
{
	static const char *const fmt[] = {"/boot/initrd.img-%s", "/boot/initramfs-%s.img"};
	memset(v, 0, sizeof(*v));
	if (read_text_file("/proc/cmdline", v->cmdline, sizeof(v->cmdline) - 2) < 0)
		v->cmdline[0] = 0;
	v->cmdline[strcspn(v->cmdline, "\n")] = 0;
	strcat(v->cmdline, " ");
	for (size_t i = 0; i < ARRAY_SIZE(fmt); i++) {
		snprintf(v->path, sizeof(v->path), fmt[i], krel);
		if (access(v->path, R_OK) == 0)
			break;
		v->path[0] = 0;
	}
	if (!v->path[0] || view_list(v) < 0)
		return;
	initrd_view_classify(v);
	if (v->gen == INITRD_INITRAMFS_TOOLS) {
		if (initrd_has_file(v, "cryptroot/crypttab"))
			view_read(v, "cryptroot/crypttab", v->crypttab, sizeof(v->crypttab));
		return;
	}
	if (initrd_has_file(v, "etc/crypttab"))
		view_read(v, "etc/crypttab", v->crypttab, sizeof(v->crypttab));
	/* dracut reads the command line it was built with, too. */
	for (const char *p = strstr(v->files, "\netc/cmdline.d/"); p;
	     p = strstr(p + 1, "\netc/cmdline.d/")) {
		char name[PATH_MAX];
		size_t n = strcspn(p + 1, "\n");

		if (n >= sizeof(name) || n < 20 || strncmp(p + 1 + n - 5, ".conf", 5) != 0)
			continue;
		memcpy(name, p + 1, n);
		name[n] = 0;
		view_read(v, name, v->cmdline, sizeof(v->cmdline));
	}
	for (char *c = v->cmdline; *c; c++)
		if (*c == '\n')
			*c = ' ';
}

/* Does the command line have KEY=VALUE (VALUE NULL: any value; the
 * values of a list option may be comma separated)? */
static bool cmdline_has(const struct initrd_view *v, const char *key, const char *value)
{
	size_t klen = strlen(key);

	for (const char *w = v->cmdline; *w;) {
		size_t n = strcspn(w, " \t");

		if (n > klen && strncmp(w, key, klen) == 0 && w[klen] == '=') {
			const char *val = w + klen + 1, *end = w + n;

			if (!value)
				return true;
			while (val < end) {
				size_t m = strcspn(val, ",");
				size_t vl = strlen(value);

				if (val + m > end)
					m = (size_t)(end - val);
				if (m >= vl && strncmp(val, value, vl) == 0 &&
				    (m == vl || val[vl] == '=' || val[vl] == ' '))
					return true;
				val += m + 1;
			}
		}
		w += n;
		w += strspn(w, " \t");
	}
	return false;
}

/* KEY=0/no/false/off on the command line: a dracut switch turned off. */
static bool cmdline_off(const struct initrd_view *v, const char *key)
{
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (cmdline_has(v, key, no[i]))
			return true;
	return false;
}

/* Does the image's crypttab have a line for the volume (by its name, its
 * UUID or a path naming it)? */
static bool crypttab_lists(const struct initrd_view *v, const char *dm_name, const char *uuid)
{
	const char *line = v->crypttab;

	while (*line) {
		char name[128] = "", src[256] = "", one[512];
		size_t n = strcspn(line, "\n");

		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), line);
		if (sscanf(one, "%127s %255s", name, src) == 2 && name[0] != '#') {
			bool same = strcmp(name, dm_name) == 0;

			if (uuid[0] && strstr(src, uuid))
				same = true;
			if (same)
				return true;
		}
		line += n + (line[n] ? 1 : 0);
	}
	return false;
}

bool initrd_unlocks_crypt(const struct initrd_view *v, const char *dm_name, const char *uuid)
{
	static const char *const tools[] = {"usr/lib/systemd/systemd-cryptsetup",
					    "lib/systemd/systemd-cryptsetup", "usr/sbin/cryptsetup",
					    "sbin/cryptsetup", NULL};
	bool named;

	if (v->gen == INITRD_INITRAMFS_TOOLS)
		return crypttab_lists(v, dm_name, uuid);
	if (cmdline_off(v, "rd.luks") || (v->listed && !have_any(v, tools)))
		return false;
	named = false;
	if (uuid[0]) {
		char luks_id[48];

		snprintf(luks_id, sizeof(luks_id), "luks-%s", uuid);
		named = cmdline_has(v, "rd.luks.uuid", uuid) ||
			cmdline_has(v, "rd.luks.uuid", luks_id) ||
			(v->systemd && cmdline_has(v, "rd.luks.name", uuid));
	}
	if (named)
		return true;
	if (uuid[0] && cmdline_has(v, "rd.auto", "1"))
		return true;
	/* systemd's generator in the initramfs opens its crypttab's volumes,
	 * unless the command line names volumes of its own. */
	return v->systemd && !cmdline_off(v, "rd.luks.crypttab") &&
	       !cmdline_has(v, "rd.luks.uuid", NULL) && !cmdline_has(v, "rd.luks.name", NULL) &&
	       crypttab_lists(v, dm_name, uuid);
}

bool initrd_activates_lv(const struct initrd_view *v, const char *vg, const char *lv)
{
	static const char *const lvm[] = {"usr/sbin/lvm", "sbin/lvm", NULL};
	char full[300];

	if (v->listed && !have_any(v, lvm))
		return false;
	/* initramfs-tools' lvm2 hook brings LVM's udev rules, which activate
	 * every volume group as it appears. */
	if (v->gen == INITRD_INITRAMFS_TOOLS)
		return true;
	if (cmdline_off(v, "rd.lvm"))
		return false;
	snprintf(full, sizeof(full), "%s/%s", vg, lv);
	return cmdline_has(v, "rd.lvm.lv", full) || cmdline_has(v, "rd.lvm.vg", vg) ||
	       cmdline_has(v, "rd.auto", "1");
}

bool initrd_assembles_md(const struct initrd_view *v)
{
	static const char *const mdadm[] = {"usr/sbin/mdadm", "sbin/mdadm", NULL};

	if (v->listed && !have_any(v, mdadm))
		return false;
	if (v->gen == INITRD_INITRAMFS_TOOLS)
		return true;
	return !cmdline_off(v, "rd.md") &&
	       (cmdline_has(v, "rd.md.uuid", NULL) || cmdline_has(v, "rd.auto", "1"));
}

/* Is the kernel module in the image (any compression, '-' or '_')? */
bool initrd_has_module(const struct initrd_view *v, const char *module)
{
	char want[64];

	snprintf(want, sizeof(want), "%s", module);
	for (char *c = want; *c; c++)
		if (*c == '-')
			*c = '_';
	if (!v->files)
		return false;
	for (const char *p = strstr(v->files, ".ko"); p; p = strstr(p + 1, ".ko")) {
		const char *start = p;
		char name[64];
		size_t n;

		while (start > v->files && start[-1] != '/' && start[-1] != '\n')
			start--;
		n = (size_t)(p - start);
		if (n == 0 || n >= sizeof(name))
			continue;
		memcpy(name, start, n);
		name[n] = 0;
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		if (strcmp(name, want) == 0)
			return true;
	}
	return false;
}

