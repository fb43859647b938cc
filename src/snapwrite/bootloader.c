/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pointing the next boot at the running kernel (oneshot_boot=yes): an image
 * comes back best under the kernel that wrote it, and after a kernel update
 * the boot loader's default is another one.  GRUB keeps a one-shot choice
 * in its environment block (next_entry, what grub-reboot sets; grub.cfg
 * takes it as the default once and clears it); systemd-boot in the
 * LoaderEntryOneShot EFI variable (bootctl set-oneshot).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootentry.h"
#include "log.h"
#include "snapwrite.h"
#include "util.h"

/* GRUB's own layouts: Debian's and Fedora's. */
static const struct {
	const char *dir;    /* grub.cfg and grubenv */
	const char *editenv;
} grubs[] = {
	{"/boot/grub", "grub-editenv"},
	{"/boot/grub2", "grub2-editenv"},
};

static const char *const bls_dirs[] = {"/efi/loader/entries", "/boot/efi/loader/entries",
				       "/boot/loader/entries"};

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* The command name in the usual places of a root's PATH, or NULL. */
static const char *find_tool(const char *name, char *buf, size_t size)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(buf, size, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

/* Run argv (no shell), its output to ours; 0, or -EIO when it failed. */
static int run(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static int grub_find(const char *krel, struct boot_oneshot *ret)
{
	static char cfg[1 << 20];

	for (size_t i = 0; i < ARRAY_SIZE(grubs); i++) {
		char path[300];
		int r;

		snprintf(path, sizeof(path), "%s/grub.cfg", grubs[i].dir);
		r = read_text_file(path, cfg, sizeof(cfg));
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		snprintf(ret->loader, sizeof(ret->loader), "GRUB");
		snprintf(ret->config, sizeof(ret->config), "%s", path);
		snprintf(ret->env, sizeof(ret->env), "%s/grubenv", grubs[i].dir);
		if (!find_tool(grubs[i].editenv, ret->tool, sizeof(ret->tool)))
			return -ENOEXEC;
		return bootentry_grub(cfg, krel, ret->entry, sizeof(ret->entry), ret->title,
				      sizeof(ret->title)) < 0
			       ? -ESRCH
			       : 0;
	}
	return -ENOENT;
}

static int bls_find(const char *krel, struct boot_oneshot *ret)
{
	static char text[16384];
	bool any = false;

	for (size_t i = 0; i < ARRAY_SIZE(bls_dirs); i++) {
		_cleanup_(closedirp) DIR *d = opendir(bls_dirs[i]);
		struct dirent *e;

		if (!d)
			continue;
		any = true;
		snprintf(ret->loader, sizeof(ret->loader), "systemd-boot");
		snprintf(ret->config, sizeof(ret->config), "%s", bls_dirs[i]);
		while ((e = readdir(d))) {
			char path[600];
			size_t n = strlen(e->d_name);

			if (n < 6 || strcmp(e->d_name + n - 5, ".conf") != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", bls_dirs[i], e->d_name);
			if (read_text_file(path, text, sizeof(text)) < 0 ||
			    !bootentry_bls_boots(text, krel))
				continue;
			snprintf(ret->entry, sizeof(ret->entry), "%s", e->d_name);
			snprintf(ret->title, sizeof(ret->title), "%s", e->d_name);
			return find_tool("bootctl", ret->tool, sizeof(ret->tool)) ? 0 : -ENOEXEC;
		}
	}
	return any ? -ESRCH : -ENOENT;
}

int bootloader_find(const char *krel, struct boot_oneshot *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = grub_find(krel, ret);
	if (r != -ENOENT)
		return r;
	memset(ret, 0, sizeof(*ret));
	return bls_find(krel, ret);
}

int bootloader_set_oneshot(const struct boot_oneshot *b)
{
	char arg[600];

	if (strcmp(b->loader, "GRUB") == 0) {
		/* What grub-reboot does, without its shell library. */
		snprintf(arg, sizeof(arg), "next_entry=%s", b->entry);
		return run((char *const[]){(char *)b->tool, (char *)b->env, "set", arg, NULL});
	}
	return run((char *const[]){(char *)b->tool, "set-oneshot", (char *)b->entry, NULL});
}

int bootloader_clear_oneshot(const struct boot_oneshot *b)
{
	if (strcmp(b->loader, "GRUB") == 0)
		return run((char *const[]){(char *)b->tool, (char *)b->env, "unset", "next_entry",
					   NULL});
	return run((char *const[]){(char *)b->tool, "set-oneshot", "", NULL});
}

const char *bootloader_problem(int r)
{
	switch (r) {
	case -ENOENT:
		return "no GRUB configuration (/boot/grub/grub.cfg, /boot/grub2/grub.cfg) and no "
		       "systemd-boot entries";
	case -ESRCH:
		return "no entry of the boot loader starts the running kernel";
	case -ENOEXEC:
		return "the boot loader's tool (grub-editenv, grub2-editenv or bootctl) is not "
		       "installed";
	default:
		return strerror(-r);
	}
}
