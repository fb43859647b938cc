/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The check verb: what would make hibernation fail, before the user tries.
 */
#include <errno.h>
#include <fcntl.h>
#include <blkid.h>
#include <getopt.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "ask.h"
#include "blockdev.h"
#include "fsguard.h"
#include "devprobe.h"
#include "format/format.h"
#include "initrd.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "options.h"
#include "pipeline.h"
#include "systemd.h"
#include "snapdev.h"
#include "sysinfo.h"
#include "target.h"
#include "util.h"


#include "snapshot.h"
#include "snapwrite.h"

#ifndef KCONFIG_CHECK
#define KCONFIG_CHECK "/usr/local/lib/snapresume/kernel-config-check"
#endif

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct checks {
	struct out *o;
	unsigned failed, warned;
	bool any;
	bool quiet; /* --quiet: only what is wrong, and the count */
};

static void check_say(struct checks *c, const char *name, enum check_status st,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void check_say(struct checks *c, const char *name, enum check_status st,
		      const char *fmt, ...)
{
	static const char *const word[] = {"ok", "warn", "fail"};
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st == CHECK_FAIL)
		c->failed++;
	else if (st == CHECK_WARN)
		c->warned++;
	if (!c->o->json) {
		if (!c->quiet || st != CHECK_OK)
			printf("%-4s  %s: %s\n", word[st], name, msg);
		return;
	}
	printf("%s\n    {\"name\": \"%s\", \"status\": \"%s\", \"message\": ", c->any ? "," : "",
	       name, word[st]);
	c->any = true;
	json_string(msg);
	putchar('}');
}

/* The kernel's options, through kernel-config/check. */
static void check_kernel_config(struct checks *c, const char *krel)
{
	const char *tool = getenv("SNAPRESUME_KCONFIG_CHECK");
	char cmd[PATH_MAX + 128], line[512], missing[1024] = "";
	FILE *f;
	int status;

	char beside[PATH_MAX + 64];

	if (!tool || !tool[0])
		tool = KCONFIG_CHECK;
	/* Built for one PREFIX, installed with another (make, then make
	 * install PREFIX=/usr): the checker installed beside this program. */
	if (access(tool, X_OK) < 0) {
		ssize_t n = readlink("/proc/self/exe", beside, PATH_MAX);
		char *slash;

		if (n > 0) {
			beside[n] = 0;
			slash = strrchr(beside, '/');
			if (slash && slash - beside >= 5 && strncmp(slash - 5, "/sbin", 5) == 0) {
				strcpy(slash - 5, "/lib/snapresume/kernel-config-check");
				if (access(beside, X_OK) == 0)
					tool = beside;
			}
		}
	}
	if (access(tool, X_OK) < 0) {
		check_say(c, "kernel-config", CHECK_WARN, "the checker %s is not installed", tool);
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s' 2>&1", tool);
	f = popen(cmd, "re");
	if (!f) {
		check_say(c, "kernel-config", CHECK_WARN, "cannot run %s: %s", tool, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "missing: ", 9) == 0 &&
		    strlen(missing) + strlen(line) + 3 < sizeof(missing)) {
			if (missing[0])
				strcat(missing, "; ");
			strcat(missing, line + 9);
		}
	}
	status = pclose(f);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		check_say(c, "kernel-config", CHECK_OK, "every required option is set");
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		check_say(c, "kernel-config", CHECK_FAIL, "missing %s", missing);
	else
		check_say(c, "kernel-config", CHECK_WARN,
			  "no kernel configuration found (/proc/config.gz, /boot/config-%s)", krel);
}

static void check_kernel(struct checks *c)
{
	char buf[256];
	struct stat st;
	char *sel;

	if (stat(SNAPDEV_PATH, &st) == 0 && S_ISCHR(st.st_mode))
		check_say(c, "snapshot-device", CHECK_OK, "%s is there", SNAPDEV_PATH);
	else
		check_say(c, "snapshot-device", CHECK_FAIL,
			  "no %s (kernel without CONFIG_HIBERNATION_SNAPSHOT_DEV)", SNAPDEV_PATH);

	if (read_text_file("/sys/kernel/security/lockdown", buf, sizeof(buf)) < 0) {
		check_say(c, "lockdown", CHECK_WARN,
			  "cannot tell (/sys/kernel/security/lockdown unreadable: securityfs not "
			  "mounted?)");
	} else {
		sel = strchr(buf, '[');
		if (sel && strncmp(sel, "[none]", 6) != 0) {
			sel[strcspn(sel, "]") + 1] = 0;
			check_say(c, "lockdown", CHECK_FAIL,
				  "the kernel is locked down %s: it refuses hibernation (Secure "
				  "Boot; the kernel cannot verify an image)",
				  sel);
		} else {
			check_say(c, "lockdown", CHECK_OK, "no lockdown");
		}
	}

	if (read_text_file("/proc/cmdline", buf, sizeof(buf)) == 0 && strstr(buf, "nohibernate"))
		check_say(c, "hibernation", CHECK_FAIL, "'nohibernate' is on the kernel command line");
	else if (read_text_file("/sys/power/state", buf, sizeof(buf)) < 0 || !strstr(buf, "disk"))
		check_say(c, "hibernation", CHECK_FAIL,
			  "the kernel does not offer it (no 'disk' in /sys/power/state: lockdown, "
			  "nohibernate or no swsusp)");
	else
		check_say(c, "hibernation", CHECK_OK, "the kernel offers it");
}

static void check_initramfs(struct checks *c, const char *krel, struct initrd_view *v)
{
	initrd_view_load(v, krel);
	if (!v->path[0])
		check_say(c, "initramfs", CHECK_WARN, "no initramfs for %s in /boot", krel);
	else if (!v->listed)
		check_say(c, "initramfs", CHECK_WARN,
			  "cannot list %s (neither lsinitramfs nor lsinitrd works)", v->path);
	else if (initrd_has_file(v, "usr/sbin/snapresume") || initrd_has_file(v, "sbin/snapresume"))
		check_say(c, "initramfs", CHECK_OK, "%s has snapresume", v->path);
	else
		check_say(c, "initramfs", CHECK_FAIL,
			  "%s has no snapresume: rebuild it (dracut -f, update-initramfs -u)", v->path);
}

/* The target: there, big enough for the memory in use, named by resume=. */
static void check_target(struct checks *c, const struct args *a, bool cmdline_too)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL, *named = NULL;
	_cleanup_(closep) int fd = -1;
	char cmdline[4096];
	struct resume_opts o;
	struct stat st_t, st_n;
	uint64_t size = 0, in_use, room;
	const char *w;
	int r;

	if (!a->target[0]) {
		check_say(c, "target", CHECK_FAIL, "no target: set target= in %s", a->config);
		return;
	}
	r = open_extent_target(a, &xt, false, &path, &fd, &size);
	if (r == 0 && !xt.kind) {
		closep(&fd);
		if (blockdev_resolve(a->target, &path) < 0) {
			check_say(c, "target", CHECK_FAIL, "'%s' not found", a->target);
			return;
		}
		r = blockdev_open(path, O_RDONLY, false, &fd, &size);
		if (r < 0) {
			check_say(c, "target", CHECK_FAIL, "cannot open %s: %s", path, strerror(-r));
			return;
		}
	} else if (r) {
		check_say(c, "target", CHECK_FAIL, "'%s' cannot hold images (see above)", a->target);
		return;
	}

	/* A swap target is also where the kernel's own hibernation would
	 * write, if anything reached it: its image is not snapresume's. */
	if (xt.kind == EXTMAP_SWAP) {
		char res[64] = "", off[64] = "0";
		unsigned maj, min;

		read_text_file("/sys/power/resume", res, sizeof(res));
		read_text_file("/sys/power/resume_offset", off, sizeof(off));
		if (sscanf(res, "%u:%u", &maj, &min) == 2 && makedev(maj, min) == xt.devnum &&
		    strtoull(off, NULL, 10) == xt.offset_pages)
			check_say(c, "kernel-hibernation", CHECK_WARN,
				  "the kernel's resume device is this swap area (/sys/power/resume "
				  "%u:%u): its own hibernation (echo disk > /sys/power/state, a tool "
				  "that bypasses systemd) would write an image there that snapresume "
				  "does not resume, and the memory state would be lost; hibernate with "
				  "systemctl or snapwrite",
				  maj, min);
	}

	/* The image holds the memory in use, compressed; compression is
	 * not promised, so the room should hold it uncompressed. */
	in_use = (meminfo_kib("MemTotal") - meminfo_kib("MemAvailable")) * 1024;
	room = size;
	if (xt.kind == EXTMAP_FILE)
		room = xt.map.size;
	if (xt.kind == EXTMAP_SWAP)
		room = (meminfo_kib("SwapFree")) * 1024;
	w = xt.kind == EXTMAP_FILE ? "image file" : xt.kind == EXTMAP_SWAP ? "free swap" : "target";
	if (room < in_use / 2)
		check_say(c, "target-size", CHECK_FAIL,
			  "%s %s has %" PRIu64 " MiB; memory in use is %" PRIu64 " MiB", w,
			  a->target, room >> 20, in_use >> 20);
	else if (room < in_use)
		check_say(c, "target-size", CHECK_WARN,
			  "%s %s has %" PRIu64 " MiB, less than the %" PRIu64 " MiB of memory in "
			  "use: enough only if it compresses",
			  w, a->target, room >> 20, in_use >> 20);
	else
		check_say(c, "target-size", CHECK_OK,
			  "%s %s has %" PRIu64 " MiB for %" PRIu64 " MiB of memory in use", w,
			  a->target, room >> 20, in_use >> 20);

	/* More in use than the kernel can copy: swap must take the rest. */
	if (tempswap_wanted(a) && (xt.kind || target_is_luks2(a->target)))
		check_say(c, "memory", CHECK_FAIL,
			  "%" PRIu64 " MiB of memory in use, more than the snapshot can copy, and "
			  "too little swap for the rest: only a plain dedicated target serves as "
			  "swap meanwhile",
			  in_use >> 20);
	else if (tempswap_wanted(a))
		check_say(c, "memory", CHECK_OK,
			  "%" PRIu64 " MiB of memory in use, more than the snapshot can copy: the "
			  "target serves as swap while hibernating (temp_swap=auto)",
			  in_use >> 20);
	else if (a->temp_swap == TEMP_SWAP_NO && (in_use >> 10) * 100 > meminfo_kib("MemTotal") * 45)
		check_say(c, "memory", CHECK_WARN,
			  "%" PRIu64 " MiB of memory in use, more than the snapshot can copy, and "
			  "temp_swap=no: the hibernation fails unless swap takes the rest",
			  in_use >> 20);
	else
		check_say(c, "memory", CHECK_OK, "%" PRIu64 " MiB of memory in use", in_use >> 20);

	/* The kernel command line must lead snapresume to it. */
	if (!cmdline_too)
		return;
	resume_opts_init(&o);
	if (read_text_file("/proc/cmdline", cmdline, sizeof(cmdline)) < 0) {
		check_say(c, "cmdline", CHECK_WARN, "cannot read the kernel command line");
		return;
	}
	resume_opts_apply_cmdline(&o, cmdline, NULL);
	if (!o.resume[0]) {
		check_say(c, "cmdline", CHECK_FAIL, "no resume= on the kernel command line");
		return;
	}
	if (blockdev_resolve(o.resume, &named) < 0 || stat(named, &st_n) < 0) {
		check_say(c, "cmdline", CHECK_FAIL, "resume=%s names no device here", o.resume);
		return;
	}
	if (stat(path, &st_t) < 0 || st_t.st_rdev != st_n.st_rdev ||
	    (xt.kind && o.resume_offset != xt.offset_pages) ||
	    (!xt.kind && o.resume_offset != 0)) {
		check_say(c, "cmdline", CHECK_FAIL,
			  "resume=%s resume_offset=%" PRIu64 " is not the target (want the device "
			  "%s, resume_offset=%" PRIu64 ")",
			  o.resume, o.resume_offset, path, xt.kind ? xt.offset_pages : 0);
		return;
	}
	if (o.noresume)
		check_say(c, "cmdline", CHECK_FAIL, "'noresume' is on the kernel command line");
	else
		check_say(c, "cmdline", CHECK_OK, "resume=%s%s leads to the target", o.resume,
			  xt.kind ? " with resume_offset=" : "");
}

/* Whether the image would be encrypted, and whether it must be: the keys
 * of active dm-crypt volumes are in memory. */
static void check_encryption(struct checks *c, const struct args *a)
{
	_cleanup_(freep) char *dev = NULL;
	char volumes[256];
	int active = dmcrypt_active(volumes, sizeof(volumes));
	bool encrypted = target_is_luks2(a->target) ||
			 (a->target[0] && blockdev_resolve(a->target, &dev) == 0 &&
			  luks_device_encrypted(dev, NULL, 0) > 0);

	if (!a->target[0])
		return;
	if (encrypted)
		check_say(c, "encryption", CHECK_OK, "the image is encrypted (the target is on dm-crypt)");
	else if (active > 0 && a->encryption == ENC_OPTIONAL)
		check_say(c, "encryption", CHECK_WARN,
			  "dm-crypt volumes are active (%s): the image holds their keys in the "
			  "clear (encryption=optional)",
			  volumes);
	else if (active > 0 || a->encryption == ENC_REQUIRED)
		check_say(c, "encryption", CHECK_FAIL,
			  "the target is not encrypted, and %s: hibernate refuses it (a LUKS2 "
			  "target; or encryption=optional)",
			  active > 0 ? "dm-crypt volumes are active, whose keys the image would hold"
				     : "encryption=required");
	else
		check_say(c, "encryption", CHECK_OK,
			  "the target is not encrypted; no dm-crypt volume is active");
}

static void say_visible(void *userdata, const struct fs_mount *m, const char *initramfs,
			const char *why)
{
	struct checks *c = userdata;

	if (why)
		check_say(c, "fs-guard", CHECK_FAIL, "%s (%s, %s) cannot be checked by the next boot: %s",
			  m->mount_point, m->fstype, m->source, why);
	else
		check_say(c, "fs-guard", CHECK_OK, "%s (%s, %s) is guarded%s%s", m->mount_point,
			  m->fstype, m->source, initramfs ? "; its device is visible to " : "",
			  initramfs ? initramfs : "");
}

/* The file systems the image would guard: each one accounted for, and
 * visible to the initramfs of the next boot. */
static void check_guard(struct checks *c, const struct args *a, struct initrd_view *view)
{
	static struct fs_plan plan;
	int r;

	r = fs_guard_plan(a, &plan);
	if (r < 0) {
		check_say(c, "fs-guard", CHECK_FAIL,
			  "mounted file systems that cannot be guarded (see above)");
		return;
	}
	r = guard_visibility(a, &plan, view, say_visible, c);
	if (r < 0 && r != -ECANCELED)
		check_say(c, "fs-guard", CHECK_WARN, "cannot tell what the initramfs sees: %s",
			  strerror(-r));
}

/* A LUKS2 target's tokens (systemd-cryptenroll's TPM2, FIDO2, PKCS#11):
 * each can unlock the image at boot only when the initramfs holds its
 * libcryptsetup plugin (and what the plugin loads, which the listing does
 * not show; snapresume's initramfs module installs both together). */
static void check_tokens(struct checks *c, const struct args *a, const struct initrd_view *il)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	_cleanup_(freep) char *dev = NULL;
	struct luks_token t[16];
	char backing[256] = "", file[128];
	const char *vol;
	size_t n = 0;

	if (!a->target[0] || blockdev_resolve(a->target, &dev) < 0)
		return;
	vol = dev;
	if (luks_open(vol, &cd) < 0) {
		/* A mapping of the volume: the tokens are the volume's. */
		if (luks_device_encrypted(dev, backing, sizeof(backing)) <= 0 || !backing[0] ||
		    luks_open(backing, &cd) < 0)
			return;
		vol = backing;
	}
	if (luks_tokens(cd, t, ARRAY_SIZE(t), &n) < 0)
		return;
	if (n == 0) {
		check_say(c, "luks2-tokens", CHECK_OK,
			  "%s has no token: the initramfs asks for the passphrase (or uses the "
			  "key file of /etc/snapresume.conf)",
			  vol);
		return;
	}
	for (size_t i = 0; i < n && i < ARRAY_SIZE(t); i++) {
		char name[32];

		snprintf(name, sizeof(name), "luks2-token-%d", t[i].id);
		snprintf(file, sizeof(file), LUKS_TOKEN_PLUGIN, t[i].type);
		if (t[i].builtin)
			check_say(c, name, CHECK_OK, "%s token %d (%s): built into libcryptsetup", vol,
				  t[i].id, t[i].type);
		else if (!t[i].plugin)
			check_say(c, name, CHECK_FAIL,
				  "%s token %d (%s): no plugin for it on this system (%s/%s): the "
				  "initramfs cannot use it either; install it (Debian: systemd, "
				  "systemd-cryptsetup) and rebuild the initramfs",
				  vol, t[i].id, t[i].type, crypt_token_external_path() ?: "?", file);
		else if (!il->listed)
			check_say(c, name, CHECK_WARN,
				  "%s token %d (%s): cannot tell whether the initramfs has %s (it "
				  "could not be listed)",
				  vol, t[i].id, t[i].type, file);
		else if (initrd_has_basename(il, file))
			check_say(c, name, CHECK_OK,
				  "%s token %d (%s): %s has its plugin %s: the image is unlocked "
				  "with it at boot",
				  vol, t[i].id, t[i].type, il->path, file);
		else
			check_say(c, name, CHECK_FAIL,
				  "%s token %d (%s): %s lacks its plugin %s: the boot would ask for "
				  "the passphrase; rebuild it (dracut -f, update-initramfs -u)",
				  vol, t[i].id, t[i].type, il->path, file);
	}
}

/* A kernel update: the running kernel's modules are gone (its package was
 * replaced on disk), and the boot loader's entry for it. */
static void check_kernel_update(struct checks *c, const struct args *a, const char *krel)
{
	struct boot_oneshot b;
	char path[300];
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/lib/modules/%s", krel);
	if (stat("/lib/modules", &st) < 0)
		check_say(c, "kernel-update", CHECK_OK,
			  "no /lib/modules: cannot tell whether a kernel update is pending");
	else if (stat(path, &st) < 0 && errno == ENOENT)
		check_say(c, "kernel-update", CHECK_WARN,
			  "%s is gone: the running kernel's package was replaced (an update is "
			  "pending); the next boot starts another kernel, which resumes the image "
			  "only if its loader takes it (snapresume(8)); oneshot_boot=yes starts %s "
			  "again",
			  path, krel);
	else
		check_say(c, "kernel-update", CHECK_OK, "the running kernel %s is installed", krel);

	r = bootloader_find(krel, &b);
	if (r == 0)
		check_say(c, "bootloader", CHECK_OK, "%s (%s): the entry of %s is '%s'%s", b.loader,
			  b.config, krel, b.entry,
			  a->oneshot_boot ? "; hibernate makes it the next boot's (oneshot_boot=yes)"
					  : "; oneshot_boot=yes would make it the next boot's");
	else
		check_say(c, "bootloader", a->oneshot_boot ? CHECK_FAIL : CHECK_OK, "%s%s%s%s",
			  bootloader_problem(r), b.loader[0] ? " (" : "", b.loader,
			  b.loader[0] ? ")" : "");
}

/* How the machine goes down after the image, and whether every systemd
 * verb that hibernates goes through snapwrite. */
static void check_sleep(struct checks *c, const struct args *a)
{
	static const char *const verbs[] = {"hibernate", "hybrid-sleep", "suspend-then-hibernate"};
	char exec[256], theirs[1024] = "";
	bool s3 = s3_offered(), mem = suspend_offered(), any = true;
	unsigned ours = 0;
	int mode;

	if (a->mode != POWER_AUTO) {
		mode = a->mode;
		if (mode == POWER_PLATFORM && !platform_s4_offered())
			check_say(c, "mode", CHECK_FAIL,
				  "mode=platform, but the platform offers no S4 (/sys/power/disk): "
				  "hibernate refuses; mode=auto or shutdown powers off instead");
		else
			check_say(c, "mode", CHECK_OK, "%s (mode=%s)", power_mode_name(mode),
				  power_mode_name(mode));
	} else if (platform_s4_offered()) {
		check_say(c, "mode", CHECK_OK, "platform (the firmware's S4, which the platform "
					       "offers; mode=shutdown powers off without it)");
	} else {
		check_say(c, "mode", CHECK_OK, "shutdown (the platform offers no S4)");
	}

	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		char unit[64];
		size_t n;

		snprintf(unit, sizeof(unit), "systemd-%s.service", verbs[i]);
		if (unit_exec_start(unit, exec, sizeof(exec)) < 0) {
			any = false;
			break;
		}
		n = strlen(exec);
		if (n >= 16 && strcmp(exec + n - 16, "/snapwrite-sleep") == 0)
			ours++;
		else
			snprintf(theirs + strlen(theirs), sizeof(theirs) - strlen(theirs), "%s%s (%s)",
				 theirs[0] ? ", " : "", verbs[i], exec[0] ? exec : "no ExecStart");
	}
	if (!any)
		check_say(c, "sleep-verbs", CHECK_OK,
			  "no systemd to ask: 'snapwrite hibernate' is the way to hibernate");
	else if (theirs[0])
		check_say(c, "sleep-verbs", CHECK_FAIL,
			  "systemctl %s would not go through snapwrite: the kernel's own "
			  "hibernation would run (the drop-ins of make install are missing or "
			  "overridden)",
			  theirs);
	else
		check_say(c, "sleep-verbs", CHECK_OK,
			  "systemctl hibernate, hybrid-sleep and suspend-then-hibernate go through "
			  "snapwrite%s",
			  !mem ? "; no suspend to RAM here, so only hibernate is offered"
			  : !s3 ? "; no S3 here (suspend-to-idle only), so hybrid-sleep is not "
				  "offered"
				: "");
}

/* Everything that would make hibernation fail, before the user tries. */
int do_check(const struct args *a)
{
	struct out o = {.json = a->json};
	struct checks c = {.o = &o, .quiet = a->quiet};
	_cleanup_(initrd_view_done) struct initrd_view il = {0};
	struct identity id;

	if (identity_read(&id) < 0)
		strcpy(id.kernel_release, "?");
	if (o.json)
		printf("{\n  \"kernel\": \"%s\",\n  \"checks\": [", id.kernel_release);
	check_kernel_config(&c, id.kernel_release);
	check_kernel(&c);
	check_initramfs(&c, id.kernel_release, &il);
	check_target(&c, a, true);
	check_encryption(&c, a);
	check_guard(&c, a, &il);
	check_tokens(&c, a, &il);
	check_kernel_update(&c, a, id.kernel_release);
	check_sleep(&c, a);
	/* logind offers the verbs that hibernate only while this passes. */
	sleep_allow_update(c.failed == 0);
	if (o.json)
		printf("\n  ],\n  \"failed\": %u,\n  \"warnings\": %u\n}\n", c.failed, c.warned);
	else
		printf("%u problem%s, %u warning%s\n", c.failed, c.failed == 1 ? "" : "s", c.warned,
		       c.warned == 1 ? "" : "s");
	return c.failed ? -ECANCELED : 0;
}

/* Before setup: what check checks, but not the kernel command line nor
 * the initramfs (setup sets both), nor the boot loader's entry; a target
 * that is an image file still to make is checked once it is made. */
int check_for_setup(const struct args *a)
{
	struct out o = {0};
	struct checks c = {.o = &o};
	struct identity id;
	struct stat st;

	if (identity_read(&id) < 0)
		strcpy(id.kernel_release, "?");
	check_kernel_config(&c, id.kernel_release);
	check_kernel(&c);
	if (a->target[0] != '/' || stat(a->target, &st) == 0)
		check_target(&c, a, false);
	check_encryption(&c, a);
	check_guard(&c, a, NULL);
	printf("%u problem%s, %u warning%s\n", c.failed, c.failed == 1 ? "" : "s", c.warned,
	       c.warned == 1 ? "" : "s");
	fflush(stdout); /* before setup's messages on stderr */
	return c.failed ? -ECANCELED : 0;
}
