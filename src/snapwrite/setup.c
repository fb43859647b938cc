/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The setup verb: from installed to working in one command.  What check
 * checks, then the target made one (prepare: shown, asked), target= in
 * /etc/snapwrite.conf, resume= (and resume_offset=) on the kernel command
 * line the distribution's way (GRUB's /etc/default/grub.d, or
 * kernel-install's /etc/kernel/cmdline), and the initramfs rebuilt by the
 * generator that made it.  Every file it writes is recorded, with what
 * was there before, in SETUP_STATE: "setup --undo" puts it back.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blockdev.h"
#include "devprobe.h"
#include "initrd.h"
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "setupedit.h"
#include "sysinfo.h"
#include "util.h"

#include "snapwrite.h"

#ifndef SETUP_STATE
#define SETUP_STATE "/var/lib/snapresume/setup.state"
#endif
#define GRUB_DEFAULT "/etc/default/grub"
#define GRUB_DROPIN_DIR "/etc/default/grub.d"
#define GRUB_DROPIN GRUB_DROPIN_DIR "/snapresume.cfg"
#define KERNEL_CMDLINE "/etc/kernel/cmdline"
#define FILE_MAX 65536

extern char **environ;

enum boot_way { BOOT_NONE, BOOT_GRUB, BOOT_KERNEL_INSTALL };

struct setup_plan {
	char resume[256];        /* resume= */
	uint64_t offset;         /* resume_offset= */
	bool with_offset;        /* swap files and image files */
	bool prepare;            /* the target must be made one (do_prepare) */
	enum boot_way boot;
	enum initrd_generator gen;
	char initrd[300];        /* the running kernel's initramfs */
	char krel[128];
	struct setup_state state; /* the files as they will be */
	bool changes;            /* a file is to change */
};

/* ---- files -------------------------------------------------------------- */

/* path's content (malloc'd, NUL-terminated) and mode: 0, -ENOENT, or
 * -errno (said). */
static int file_get(const char *path, char **ret, size_t *ret_len, mode_t *ret_mode)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_(freep) char *buf = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		log_error("Failed to read '%s': %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size >= FILE_MAX) {
		log_error("'%s' is not a regular file of less than %d bytes", path, FILE_MAX);
		return -EINVAL;
	}
	buf = malloc(FILE_MAX);
	if (!buf)
		return -ENOMEM;
	while ((n = read(fd, buf + len, FILE_MAX - 1 - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		log_error("Failed to read '%s': %s", path, strerror(errno));
		return -EIO;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	*ret_mode = st.st_mode & 07777;
	return 0;
}

/* Replace path by len bytes of text with mode, through a new file renamed
 * over it: a crash leaves the old file or the new one.  0 or -errno (said). */
static int file_put(const char *path, const char *text, size_t len, mode_t mode)
{
	char tmp[300];
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s.snapwrite-new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		log_error("Failed to write '%s': %s", tmp, strerror(errno));
		return -errno;
	}
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		r = -errno;
	else if (len)
		r = pwrite_full(fd, text, len, 0);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		log_error("Failed to write '%s': %s", path, strerror(-r));
		unlink(tmp);
	}
	return r;
}

/* Does path hold exactly text (len bytes)?  Absent holds nothing. */
static bool file_holds(const char *path, const char *text, size_t len, bool *exists)
{
	_cleanup_(freep) char *cur = NULL;
	size_t n;
	mode_t m;

	*exists = file_get(path, &cur, &n, &m) == 0;
	return *exists && n == len && memcmp(cur, text, len) == 0;
}

/* ---- tools -------------------------------------------------------------- */

/* Is tool an executable in PATH (or a path)?  Its path in buf. */
static bool tool_find(const char *tool, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[1024], *save = NULL;

	if (strchr(tool, '/')) {
		snprintf(buf, size, "%s", tool);
		return access(buf, X_OK) == 0;
	}
	snprintf(dirs, sizeof(dirs), "%s", path && path[0] ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, size, "%s/%s", d, tool);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

static void say_argv(const char *prefix, char *const argv[])
{
	printf("%s", prefix);
	for (size_t i = 0; argv[i]; i++)
		printf(" %s", argv[i]);
	printf("\n");
	fflush(stdout);
}

/* Run argv (no shell) with our stdout and stderr: 0, or -ECHILD (said). */
static int run(char *const argv[])
{
	pid_t pid;
	int status, r;

	say_argv("snapwrite: running", argv);
	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0) {
		log_error("Failed to run %s: %s", argv[0], strerror(r));
		return -ECHILD;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -ECHILD;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("%s failed (%s %d)", argv[0], WIFEXITED(status) ? "exit status" : "signal",
			  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -ECHILD;
	}
	return 0;
}

/* The command that writes GRUB's configuration from /etc/default/grub. */
static bool grub_update_argv(char *argv[4], char *buf, size_t size)
{
	if (tool_find("update-grub", buf, size)) {
		argv[0] = buf, argv[1] = NULL;
		return true;
	}
	if (tool_find("grub-mkconfig", buf, size) && access("/boot/grub", F_OK) == 0) {
		argv[0] = buf, argv[1] = "-o", argv[2] = "/boot/grub/grub.cfg", argv[3] = NULL;
		return true;
	}
	if (tool_find("grub2-mkconfig", buf, size) && access("/boot/grub2", F_OK) == 0) {
		argv[0] = buf, argv[1] = "-o", argv[2] = "/boot/grub2/grub.cfg", argv[3] = NULL;
		return true;
	}
	return false;
}

/* After setup's GRUB run: its configuration must carry resume=. */
static int grub_cfg_check(const struct setup_plan *p, char *const argv[])
{
	const char *cfg = argv[1] ? argv[2] : "/boot/grub/grub.cfg";
	_cleanup_(freep) char *text = NULL;
	char word[300];
	size_t len;
	mode_t m;

	if (!p->resume[0])
		return 0; /* --undo */
	snprintf(word, sizeof(word), "resume=%s", p->resume);
	if (file_get(cfg, &text, &len, &m) < 0 || !strstr(text, word)) {
		log_error("%s ran, but %s has no %s: look at what it printed", argv[0], cfg, word);
		return -ECHILD;
	}
	return 0;
}

/* The boot loader's configuration and the initramfs, made again from what
 * /etc says now.  0 or -ECHILD (said). */
static int regenerate(const struct setup_plan *p, bool dry_run)
{
	char tool[300], kimage[300];
	char *argv[8] = {0};
	int r;

	if (p->boot == BOOT_GRUB) {
		if (!grub_update_argv(argv, tool, sizeof(tool))) {
			log_msg("neither update-grub nor grub-mkconfig is installed: GRUB's "
				"configuration takes the change when it is next made");
		} else if (dry_run) {
			say_argv("would run:", argv);
		} else {
			r = run(argv);
			if (r < 0)
				return r;
			r = grub_cfg_check(p, argv);
			if (r < 0)
				return r;
		}
	}
	if (p->boot == BOOT_KERNEL_INSTALL) {
		/* The boot entry of the running kernel, with the new command
		 * line; kernel-install's plugins make its initramfs as well. */
		snprintf(kimage, sizeof(kimage), "/lib/modules/%s/vmlinuz", p->krel);
		if (access(kimage, R_OK) < 0)
			snprintf(kimage, sizeof(kimage), "/boot/vmlinuz-%s", p->krel);
		if (access(kimage, R_OK) < 0 || !tool_find("kernel-install", tool, sizeof(tool))) {
			log_msg("no kernel image of %s for kernel-install: the boot entries take %s "
				"when kernel-install next adds a kernel",
				p->krel, KERNEL_CMDLINE);
		} else {
			argv[0] = tool, argv[1] = "add", argv[2] = (char *)p->krel, argv[3] = kimage;
			argv[4] = NULL;
			if (dry_run)
				say_argv("would run:", argv);
			else if ((r = run(argv)) < 0)
				return r;
		}
	}
	memset(argv, 0, sizeof(argv));
	if (p->gen == INITRD_DRACUT) {
		tool_find("dracut", tool, sizeof(tool));
		argv[0] = tool, argv[1] = "-f", argv[2] = "--kver", argv[3] = (char *)p->krel;
		argv[4] = (char *)(p->initrd[0] ? p->initrd : NULL);
	} else {
		tool_find("update-initramfs", tool, sizeof(tool));
		argv[0] = tool, argv[1] = "-u", argv[2] = "-k", argv[3] = (char *)p->krel;
	}
	if (dry_run) {
		say_argv("would run:", argv);
		return 0;
	}
	return run(argv);
}

/* ---- the plan ------------------------------------------------------------- */

/* The initramfs generator of this machine: the one whose image the
 * running kernel boots with, else the one installed.  0, or -ENOENT (said). */
static int find_generator(struct setup_plan *p)
{
	_cleanup_(initrd_view_done) struct initrd_view v = {0};
	char tool[300];
	bool dracut = tool_find("dracut", tool, sizeof(tool));
	bool itools = tool_find("update-initramfs", tool, sizeof(tool));

	initrd_view_load(&v, p->krel);
	snprintf(p->initrd, sizeof(p->initrd), "%s", v.path);
	if (v.gen == INITRD_DRACUT && dracut)
		p->gen = INITRD_DRACUT;
	else if (v.gen == INITRD_INITRAMFS_TOOLS && itools)
		p->gen = INITRD_INITRAMFS_TOOLS;
	else if (itools && (!dracut || access("/etc/initramfs-tools", F_OK) == 0))
		p->gen = INITRD_INITRAMFS_TOOLS;
	else if (dracut)
		p->gen = INITRD_DRACUT;
	else {
		log_error("Neither dracut nor update-initramfs is installed: setup cannot put "
			  "snapresume into the initramfs (install one of them, then run setup "
			  "again)");
		return -ENOENT;
	}
	return 0;
}

/* resume= and resume_offset= for the target, and whether prepare must
 * make it one.  0, or -errno (said). */
static int find_resume(const struct args *a, struct setup_plan *p)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) char *path = NULL, *tag = NULL;
	_cleanup_(closep) int fd = -1;
	struct devprobe_sig sigs[DEVPROBE_MAX_SIGS];
	char dev[64], line[256];
	uint64_t size;
	struct stat st;
	bool is_file;
	size_t n = 0;
	int r;

	if (a->target[0] == '/' &&
	    (stat(a->target, &st) < 0 ||
	     (S_ISREG(st.st_mode) && swap_active("/proc/swaps", a->target, &is_file) <= 0 &&
	      file_locator_kind(a->target) != EXTMAP_FILE))) {
		/* An image file to make (or a file prepare refuses). */
		if (a->dry_run) {
			printf("%s is not an image file yet: prepare would make it one%s.\n",
			       a->target, a->file_size ? "" : " (give its size with --size)");
			snprintf(p->resume, sizeof(p->resume), "(its device)");
			p->with_offset = true;
			p->prepare = true;
			return 0;
		}
		r = do_prepare(a);
		if (r < 0)
			return r;
	}
	r = open_extent_target(a, &xt, false, &path, &fd, &size);
	if (r < 0)
		return r;
	if (xt.kind) {
		/* A swap area or an image file: the device holding it. */
		snprintf(dev, sizeof(dev), "/dev/block/%u:%u", major(xt.devnum), minor(xt.devnum));
		if (xt.kind == EXTMAP_SWAP && !xt.swap_file)
			tag = blkid_get_tag_value(NULL, "PARTUUID", dev);
		else
			tag = blkid_get_tag_value(NULL, "UUID", dev);
		if (tag)
			snprintf(p->resume, sizeof(p->resume), "%s=%s",
				 xt.kind == EXTMAP_SWAP && !xt.swap_file ? "PARTUUID" : "UUID", tag);
		else if (realpath(dev, line))
			snprintf(p->resume, sizeof(p->resume), "%s", line);
		else
			snprintf(p->resume, sizeof(p->resume), "%s", a->target);
		p->with_offset = xt.kind == EXTMAP_FILE || xt.swap_file;
		p->offset = xt.offset_pages;
		return 0;
	}

	/* A device: the image goes over what it holds. */
	closep(&fd);
	if (blockdev_resolve(a->target, &path) < 0) {
		log_error("Target '%s' not found", a->target);
		return -ENODEV;
	}
	snprintf(p->resume, sizeof(p->resume), "%s", a->target);
	if (target_is_luks2(a->target))
		return 0; /* its header stays: prepare erases inside it */
	r = devprobe_signatures(path, sigs, DEVPROBE_MAX_SIGS, &n);
	if (r < 0) {
		log_error("Failed to check what '%s' holds: %s", path, strerror(-r));
		return -ENXIO;
	}
	if (n == 0)
		return 0; /* blank, or holding images already */
	p->prepare = true;
	/* A name that the erased content carries would name nothing after. */
	if (strncmp(a->target, "UUID=", 5) == 0 || strncmp(a->target, "LABEL=", 6) == 0) {
		_cleanup_(freep) char *pu = blkid_get_tag_value(NULL, "PARTUUID", path);
		log_error("%s names what is on %s, which setup erases: name the device itself, "
			  "e.g. --target %s%s",
			  a->target, path, pu ? "PARTUUID=" : "", pu ? pu : path);
		return -EINVAL;
	}
	if (a->dry_run)
		for (size_t i = 0; i < n && i < DEVPROBE_MAX_SIGS; i++) {
			devprobe_describe(&sigs[i], line, sizeof(line));
			printf("%s holds %s: setup would erase it (after asking).\n", path, line);
		}
	return 0;
}

/* Plan the change of path to after (mode for a new file). */
static int plan_file(struct setup_plan *p, const char *path, const char *after, size_t len,
		     mode_t mode)
{
	_cleanup_(freep) char *before = NULL;
	size_t blen = 0;
	int r = file_get(path, &before, &blen, &mode);

	if (r < 0 && r != -ENOENT)
		return r;
	if (!(before && blen == len && memcmp(before, after, len) == 0))
		p->changes = true;
	r = setup_state_add(&p->state, path, false, mode, before, blen, after, len);
	if (r < 0)
		log_error("Failed to plan the change of '%s': %s", path, strerror(-r));
	return r;
}

/* /etc/snapwrite.conf with target=: the first target= line replaced, any
 * other removed, or one added; every other line as it was. */
static int plan_config(const struct args *a, struct setup_plan *p)
{
	_cleanup_(freep) char *text = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	mode_t mode = 0644;
	int r = file_get(a->config, &text, &len, &mode);

	if (r < 0 && r != -ENOENT)
		return r;
	r = conf_set_target(text ? text : "", a->target, &out, &olen);
	if (r < 0)
		return r;
	return plan_file(p, a->config, out, olen, 0644);
}

/* Say which resume= the new one replaces: the running kernel's, and one
 * set in path (GRUB's defaults). */
static void say_replaced(const struct setup_plan *p, const char *path)
{
	_cleanup_(freep) char *text = NULL;
	char cmdline[4096], out[4096], old[256];
	size_t len;
	mode_t m;

	if (read_text_file("/proc/cmdline", cmdline, sizeof(cmdline)) == 0 &&
	    cmdline_set_resume(cmdline, p->resume, p->offset, p->with_offset, out, sizeof(out),
			       old, sizeof(old)) == 0 &&
	    old[0] && strcmp(old, p->resume) != 0)
		printf("The running kernel has resume=%s: the next boot gets resume=%s instead.\n",
		       old, p->resume);
	if (path && file_get(path, &text, &len, &m) == 0) {
		const char *w = strstr(text, "resume=");
		if (w && (w == text || strchr(" \t\"'", w[-1])))
			printf("%s sets %.*s: %s comes after it on the command line, and the last "
			       "resume= is the one taken.\n",
			       path, (int)strcspn(w, " \t\"'\n"), w, GRUB_DROPIN);
	}
}

/* Does grub-mkconfig source the drop-ins of /etc/default/grub.d (Debian's and
 * Ubuntu's do; upstream's and Fedora's do not)?  Read in its script. */
static bool grub_reads_dropins(void)
{
	static const char *const tools[] = {"grub-mkconfig", "grub2-mkconfig"};
	char path[300];

	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		_cleanup_(freep) char *text = NULL;
		size_t len;
		mode_t m;

		if (tool_find(tools[i], path, sizeof(path)) &&
		    file_get(path, &text, &len, &m) == 0 && strstr(text, "/default/grub.d/"))
			return true;
	}
	return false;
}

/* The kernel command line, the distribution's way. */
static int plan_cmdline(struct setup_plan *p)
{
	_cleanup_(freep) char *text = NULL;
	char buf[4096], old[256], tool[300];
	struct stat st;
	size_t len = 0;
	mode_t mode = 0644;
	int r;

	if (access(GRUB_DEFAULT, F_OK) == 0 || access("/boot/grub/grub.cfg", F_OK) == 0) {
		p->boot = BOOT_GRUB;
		if (!grub_reads_dropins()) {
			log_error("This GRUB's configuration tool does not read %s/*.cfg: add "
				  "resume=%s%s%" PRIu64 " to GRUB_CMDLINE_LINUX in %s yourself and "
				  "regenerate grub.cfg, or use kernel-install (%s)",
				  GRUB_DROPIN_DIR, p->resume, p->with_offset ? " resume_offset=" : "",
				  p->with_offset ? p->offset : 0, GRUB_DEFAULT, KERNEL_CMDLINE);
			return -ENOENT;
		}
		if (stat(GRUB_DROPIN_DIR, &st) < 0) {
			r = setup_state_add(&p->state, GRUB_DROPIN_DIR, true, 0755, NULL, 0, NULL, 0);
			if (r < 0)
				return r;
			p->changes = true;
		}
		r = grub_dropin_text(p->resume, p->offset, p->with_offset, buf, sizeof(buf));
		if (r < 0) {
			log_error("resume=%s cannot go into GRUB's configuration as it is", p->resume);
			return -EINVAL;
		}
		say_replaced(p, GRUB_DEFAULT);
		return plan_file(p, GRUB_DROPIN, buf, strlen(buf), 0644);
	}
	if (access(KERNEL_CMDLINE, F_OK) == 0 || tool_find("kernel-install", tool, sizeof(tool))) {
		char out[4096];
		/* kernel-install takes /etc/kernel/cmdline, and without it the
		 * running kernel's command line. */
		p->boot = BOOT_KERNEL_INSTALL;
		r = file_get(KERNEL_CMDLINE, &text, &len, &mode);
		if (r == -ENOENT) {
			r = read_text_file("/proc/cmdline", buf, sizeof(buf));
			if (r < 0) {
				log_error("Failed to read /proc/cmdline: %s", strerror(-r));
				return r;
			}
			/* The boot loader's own words are not the kernel's. */
			text = strdup(buf);
			if (!text)
				return -ENOMEM;
			for (char *w; (w = strstr(text, "BOOT_IMAGE=")) || (w = strstr(text, "initrd="));)
				memset(w, ' ', strcspn(w, " \t\n"));
		} else if (r < 0) {
			return r;
		}
		r = cmdline_set_resume(text, p->resume, p->offset, p->with_offset, out,
				       sizeof(out) - 1, old, sizeof(old));
		if (r < 0) {
			log_error("Failed to set resume= in %s: %s", KERNEL_CMDLINE,
				  r == -EINVAL ? "not a plain device name" : "too long");
			return -EINVAL;
		}
		if (old[0] && strcmp(old, p->resume) != 0)
			printf("%s has resume=%s: it becomes resume=%s.\n", KERNEL_CMDLINE, old,
			       p->resume);
		say_replaced(p, NULL);
		strcat(out, "\n");
		return plan_file(p, KERNEL_CMDLINE, out, strlen(out), mode);
	}
	log_error("No GRUB (%s) and no kernel-install (%s) here: setup does not know how this "
		  "machine's boot loader takes its kernel command line. Add resume=%s%s%" PRIu64
		  " to it yourself, set target= in the configuration, and rebuild the initramfs",
		  GRUB_DEFAULT, KERNEL_CMDLINE, p->resume,
		  p->with_offset ? " resume_offset=" : "", p->with_offset ? p->offset : 0);
	return -ENOENT;
}

/* ---- state -------------------------------------------------------------- */

static int state_load(struct setup_state *s, bool *exists)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;
	mode_t m;
	int r = file_get(SETUP_STATE, &text, &len, &m);

	*exists = r == 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = setup_state_decode(text, len, s);
	if (r < 0)
		log_error("%s is damaged: setup cannot tell what it changed (%s)", SETUP_STATE,
			  strerror(-r));
	return r;
}

/* The record's folder, when setup made it and nothing else is in it. */
static void state_dir_remove(void)
{
	char dir[] = SETUP_STATE;

	*strrchr(dir, '/') = 0;
	(void)rmdir(dir);
}

static int state_save(const struct setup_state *s)
{
	_cleanup_(freep) char *text = NULL;
	char dir[] = SETUP_STATE, *slash = strrchr(dir, '/');
	size_t len;
	int r;

	*slash = 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_error("Failed to make '%s': %s", dir, strerror(errno));
		return -errno;
	}
	r = setup_state_encode(s, &text, &len);
	return r < 0 ? r : file_put(SETUP_STATE, text, len, 0600);
}

/* ---- the verb ----------------------------------------------------------- */

static int plan_common(const struct args *a, struct setup_plan *p)
{
	struct identity id;

	if (identity_read(&id) < 0) {
		log_error("Failed to read the running kernel's release");
		return -EIO;
	}
	snprintf(p->krel, sizeof(p->krel), "%s", id.kernel_release);
	(void)a;
	return find_generator(p);
}

static int setup_undo(const struct args *a)
{
	_cleanup_(setup_state_done) struct setup_state s = {0};
	struct setup_plan p = {0};
	bool exists, changed = false;
	int r;

	r = state_load(&s, &exists);
	if (r < 0)
		return r;
	if (!exists) {
		log_msg("nothing to undo: %s does not exist (setup has not changed this machine)",
			SETUP_STATE);
		return 0;
	}
	/* Never lose an edit made since: every file as setup left it. */
	for (size_t i = 0; i < s.n; i++) {
		struct setup_file *f = &s.files[i];
		bool there;

		if (f->dir || file_holds(f->path, f->after, f->after_len, &there))
			continue;
		log_error("%s was changed after setup wrote it%s", f->path,
			  there ? "" : " (it is gone)");
		changed = true;
	}
	if (changed) {
		log_error("Not undoing: that would lose those changes. Put back what setup wrote "
			  "(%s holds it) or carry the changes over by hand, then run setup --undo "
			  "again",
			  SETUP_STATE);
		return -ECANCELED;
	}
	r = plan_common(a, &p);
	if (r < 0)
		return r;
	if (setup_state_find(&s, GRUB_DROPIN))
		p.boot = BOOT_GRUB;
	else if (setup_state_find(&s, KERNEL_CMDLINE))
		p.boot = BOOT_KERNEL_INSTALL;
	for (size_t i = s.n; i-- > 0;) {
		struct setup_file *f = &s.files[i];

		if (a->dry_run) {
			printf("would %s %s\n",
			       f->dir ? "remove the folder" : f->existed ? "restore" : "remove",
			       f->path);
			continue;
		}
		if (f->dir)
			r = rmdir(f->path) < 0 && errno != ENOENT ? -errno : 0;
		else if (f->existed)
			r = file_put(f->path, f->before, f->before_len, f->mode);
		else
			r = unlink(f->path) < 0 && errno != ENOENT ? -errno : 0;
		if (r < 0) {
			if (f->dir || !f->existed)
				log_error("Failed to remove '%s': %s", f->path, strerror(-r));
			return r;
		}
		log_msg("%s %s", f->dir || !f->existed ? "removed" : "restored", f->path);
	}
	if (a->dry_run)
		return regenerate(&p, true);
	if (unlink(SETUP_STATE) < 0) {
		log_error("Failed to remove '%s': %s", SETUP_STATE, strerror(errno));
		return -errno;
	}
	state_dir_remove();
	r = regenerate(&p, false);
	if (r < 0)
		return r;
	log_msg("setup undone (a target it erased keeps its images: 'snapwrite discard', or "
		"use the device again)");
	return 0;
}

int do_setup(const struct args *a)
{
	_cleanup_(setup_state_done) struct setup_state old = {0};
	struct setup_plan p = {0};
	bool had_state;
	int r;

	/* Its lines and the tools' in the order they happen, in a log too. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (a->undo)
		return setup_undo(a);
	r = target_required(a);
	if (r < 0)
		return r;
	r = state_load(&old, &had_state);
	if (r < 0)
		return r;
	r = plan_common(a, &p);
	if (r < 0)
		return r;
	/* What check checks, except what setup is about to set. */
	r = check_for_setup(a);
	if (r < 0) {
		log_error("Not set up: fix the failed checks above, then run setup again");
		goto out;
	}
	r = find_resume(a, &p);
	if (r < 0)
		goto out;
	/* Earlier setups' record: what was there before the first stays. */
	p.state = old;
	memset(&old, 0, sizeof(old));
	snprintf(p.state.target, sizeof(p.state.target), "%s", a->target);
	r = plan_config(a, &p);
	if (r == 0)
		r = plan_cmdline(&p);
	if (r < 0)
		goto out;

	printf("Target: %s; kernel command line: resume=%s%s", a->target, p.resume,
	       p.with_offset ? " resume_offset=" : "\n");
	if (p.with_offset)
		printf("%" PRIu64 "\n", p.offset);
	for (size_t i = 0; i < p.state.n; i++) {
		const struct setup_file *f = &p.state.files[i];
		bool there;

		if (f->dir)
			printf("%s %s (a folder)\n", a->dry_run ? "would make" : "makes", f->path);
		else if (!file_holds(f->path, f->after, f->after_len, &there))
			printf("%s %s\n", a->dry_run ? "would write" : "writes", f->path);
	}
	if (!p.changes && !p.prepare) {
		log_msg("already set up: nothing to change");
		r = 0;
		goto out;
	}
	if (a->dry_run) {
		if (p.prepare)
			printf("would prepare %s (after showing what is on it and asking)\n",
			       a->target);
		r = regenerate(&p, true);
		goto out;
	}
	if (p.prepare && a->target[0] != '/') {
		r = do_prepare(a);
		if (r < 0)
			goto out;
	} else if (p.prepare) {
		/* An image file: made by find_resume already. */
	}
	if (!p.changes) {
		log_msg("%s prepared; nothing else to change", a->target);
		r = 0;
		goto out;
	}
	/* The record first: whatever happens next, --undo knows. */
	r = state_save(&p.state);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < p.state.n; i++) {
		const struct setup_file *f = &p.state.files[i];
		bool there;

		if (f->dir) {
			if (mkdir(f->path, 0755) < 0 && errno != EEXIST) {
				r = -errno;
				log_error("Failed to make '%s': %s", f->path, strerror(errno));
				goto out;
			}
			continue;
		}
		if (file_holds(f->path, f->after, f->after_len, &there))
			continue;
		r = file_put(f->path, f->after, f->after_len, f->mode);
		if (r < 0)
			goto out;
	}
	r = regenerate(&p, false);
	if (r < 0) {
		log_error("The files are written (see %s), the step above failed: once it is "
			  "fixed, run it and the ones after it by hand ('snapwrite setup --dry-run "
			  "--undo' lists them), or undo with 'snapwrite setup --undo'",
			  SETUP_STATE);
		goto out;
	}
	log_msg("set up: the next boot resumes from %s; 'snapwrite setup --undo' reverses it",
		a->target);
out:
	setup_state_done(&p.state);
	return r;
}
