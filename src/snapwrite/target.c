/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finding and opening a target: a device, a LUKS2 volume (unlocked into a
 * mapping), an active swap area or an image file; the target guard and the
 * encryption policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <blkid.h>
#include <getopt.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <inttypes.h>
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
#include "locator.h"
#include "log.h"
#include "luks.h"
#include "options.h"
#include "pipeline.h"
#include "systemd.h"
#include "snapdev.h"
#include "target.h"
#include "util.h"


#include "snapshot.h"
#include "snapwrite.h"

/* Ask the person running snapwrite: on standard input when it is a
 * terminal (the prompt on standard error), else on the controlling one. */
int ask_user(const char *prompt, bool echo, char *buf, size_t size)
{
	if (isatty(STDIN_FILENO))
		return ask_fd(STDIN_FILENO, STDERR_FILENO, prompt, echo, 0, buf, size);
	return ask_line(ASK_TERMINAL, "/dev/tty", prompt, echo, 0, buf, size);
}

/* Open the device an image is read from or written to; an exit code. */
static int open_device(const char *path, int flags, int *ret_fd, uint64_t *ret_size)
{
	int r = blockdev_open(path, flags, true, ret_fd, ret_size);

	if (r == -EBUSY) {
		log_error("Target '%s' is in use (mounted, or held by another device)", path);
		return -EBUSY;
	}
	if (r < 0) {
		log_error("Failed to open target '%s': %s", path, strerror(-r));
		return -ENXIO;
	}
	return 0;
}

int target_required(const struct args *a)
{
	if (a->target[0])
		return 0;
	log_error("No target: give --target or set target= in %s", a->config);
	return -EINVAL;
}

int open_target(const struct args *a, int flags, char **ret_path, int *ret_fd,
		       uint64_t *ret_size)
{
	_cleanup_(freep) char *path = NULL;
	int r;

	r = target_required(a);
	if (r < 0)
		return r;
	r = blockdev_resolve(a->target, &path);
	if (r < 0) {
		log_error("Failed to find target '%s': %s", a->target, strerror(-r));
		return -ENODEV;
	}
	r = open_device(path, flags, ret_fd, ret_size);
	if (r)
		return r;
	*ret_path = TAKE_PTR(path);
	return 0;
}

/* Undo what was done to the volume: the marker goes (on every path that
 * returns; the powered-off one does not), the mapping we opened is closed. */
void crypt_target_done(struct crypt_target *ct)
{
	int r;

	if (ct->marked) {
		/* The volume's header may have changed since it was loaded (in
		 * the resumed system, snapresume removed the marker): read it
		 * again. */
		luks_freep(&ct->cd);
		r = luks_open(ct->volume, &ct->cd);
		if (r == 0)
			r = luks_marker_clear(ct->cd);
		if (r < 0)
			log_error("Failed to remove the image marker of %s: %s", ct->volume,
				  strerror(-r));
	}
	if (ct->opened) {
		r = luks_deactivate(MAPPING_NAME);
		if (r < 0)
			log_error("Failed to close the mapping %s: %s", MAPPING_NAME, strerror(-r));
	}
	luks_freep(&ct->cd);
}

static int unlock_target(const struct args *a, struct crypt_target *ct)
{
	static char pass[512];
	char prompt[320];
	int r;

	if (a->keyfile[0]) {
		r = luks_activate_keyfile(ct->cd, MAPPING_NAME, a->keyfile);
		if (r < 0) {
			log_error("Key file %s does not open %s: %s", a->keyfile, ct->volume,
				  r == -EPERM ? "it matches no key slot" : strerror(-r));
			return -EKEYREJECTED;
		}
		ct->opened = true;
		return 0;
	}
	/* Then its tokens (a TPM2 one: the PCRs of this boot), as
	 * snapresume and systemd-cryptsetup try them. */
	r = luks_activate_token(ct->cd, MAPPING_NAME);
	if (r == 0) {
		log_msg("%s unlocked with a LUKS2 token", ct->volume);
		ct->opened = true;
		return 0;
	}
	if (r != -ENOENT)
		log_msg("no LUKS2 token unlocked %s: %s", ct->volume, strerror(-r));
	if (!a->ask_password) {
		log_error("Target %s is a LUKS2 volume no token unlocks: give keyfile= in %s, "
			  "--key-file or --ask-password, or open it before",
			  ct->volume, a->config);
		return -EINVAL;
	}
	(void)mlock(pass, sizeof(pass));
	snprintf(prompt, sizeof(prompt), "Passphrase for %s: ", ct->volume);
	for (unsigned i = 1; i <= PASSPHRASE_TRIES; i++) {
		r = ask_user(prompt, false, pass, sizeof(pass));
		if (r < 0) {
			log_error("Failed to read a passphrase: %s", strerror(-r));
			return -EINVAL;
		}
		r = luks_activate_passphrase(ct->cd, MAPPING_NAME, pass, (size_t)r);
		explicit_bzero(pass, sizeof(pass));
		if (r == 0) {
			ct->opened = true;
			return 0;
		}
		if (r != -EPERM) {
			log_error("Failed to open %s: %s", ct->volume, strerror(-r));
			return -ENXIO;
		}
		log_msg("wrong passphrase for %s (try %u of %u)", ct->volume, i, PASSPHRASE_TRIES);
	}
	return -EKEYREJECTED;
}

bool target_is_luks2(const char *spec)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	_cleanup_(freep) char *dev = NULL;

	return spec[0] && blockdev_resolve(spec, &dev) == 0 && luks_open(dev, &cd) == 0;
}

/* Is spec's device encrypted (a LUKS2 volume, or on dm-crypt)? */
static bool spec_encrypted(const char *spec)
{
	_cleanup_(luks_freep) struct crypt_device *cd = NULL;
	_cleanup_(freep) char *dev = NULL;

	if (!spec[0] || blockdev_resolve(spec, &dev) < 0)
		return false;
	if (luks_open(dev, &cd) == 0)
		return true;
	return luks_device_encrypted(dev, NULL, 0) > 0;
}

/* Is path in use?  An exit code (with a message) when it is mounted or
 * has devices stacked on it: those are never written, prepared or not. */
int guard_in_use(const char *path)
{
	static struct fs_mount mounts[256];
	char what[512];
	struct stat st;
	size_t n = 0;

	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode) &&
	    fsguard_list_mounts("/proc/self/mountinfo", mounts, ARRAY_SIZE(mounts), &n) == 0)
		for (size_t i = 0; i < n && i < ARRAY_SIZE(mounts); i++)
			if (mounts[i].major == major(st.st_rdev) &&
			    mounts[i].minor == minor(st.st_rdev)) {
				log_error("Target '%s' is mounted at %s: refusing to write to it",
					  path, mounts[i].mount_point);
				return -EBUSY;
			}
	if (devprobe_holders(path, what, sizeof(what)) > 0) {
		log_error("Target '%s' is held by %s (device-mapper, RAID or LVM on top of it): "
			  "refusing to write to it",
			  path, what);
		return -EBUSY;
	}
	return 0;
}

/* The target guard: path must hold one of our headers, or nothing libblkid
 * recognises.  Anything else is somebody's data; an exit code. */
static int guard_target(const char *path)
{
	_cleanup_(closep) int fd = -1;
	struct devprobe_sig sigs[DEVPROBE_MAX_SIGS];
	struct image_header h;
	enum image_state state;
	char line[256];
	uint64_t size;
	size_t n = 0;
	int r;

	r = guard_in_use(path);
	if (r)
		return r;
	/* Ours: any header with our magic, valid or not. */
	if (blockdev_open(path, O_RDONLY, true, &fd, &size) == 0 &&
	    target_read_header(fd, &state, &h, NULL) == 0 && state != IMAGE_NONE)
		return 0;
	r = devprobe_signatures(path, sigs, DEVPROBE_MAX_SIGS, &n);
	if (r < 0) {
		log_error("Failed to check what target '%s' holds: %s", path, strerror(-r));
		return -ENXIO;
	}
	if (n == 0)
		return 0;
	/* Ours too: the swap area a hibernation made of the target
	 * (tempswap.c) and did not clear, e.g. a boot that refused it. */
	if (n == 1 && strcmp(sigs[0].type, "swap") == 0 &&
	    strcmp(sigs[0].label, TEMPSWAP_LABEL) == 0)
		return 0;
	for (size_t i = 0; i < n && i < DEVPROBE_MAX_SIGS; i++) {
		devprobe_describe(&sigs[i], line, sizeof(line));
		log_error("Target '%s' holds %s", path, line);
	}
	log_error("Refusing to overwrite what target '%s' holds. If it may go, make the "
		  "device a target with 'snapwrite prepare --target %s'",
		  path, path);
	return -EEXIST;
}

/* The policy: by default, encryption is required when the configured
 * target is encrypted, so that a --target elsewhere cannot leak, and when
 * any dm-crypt volume is active, whose keys are in the image (unless
 * encryption=optional).  0, or -EMEDIUMTYPE (said) when writing to path
 * (encrypted or not) is refused. */
static int encryption_policy(const struct args *a, bool encrypted, const char *path)
{
	char volumes[256];
	bool conf = a->encryption == ENC_DEFAULT && spec_encrypted(a->conf_target);
	bool active = a->encryption == ENC_DEFAULT && !conf &&
		      dmcrypt_active(volumes, sizeof(volumes)) > 0;

	if (encrypted || (a->encryption != ENC_REQUIRED && !conf && !active))
		return 0;
	if (active)
		log_error("Refusing to write a memory image unencrypted to '%s': dm-crypt volumes "
			  "are active (%s), and the image would hold their keys in the clear; use a "
			  "LUKS2 volume as the target, or set encryption=optional in "
			  DEFAULT_CONFIG " to accept that",
			  path, volumes);
	else
		log_error("Refusing to write a memory image unencrypted to '%s' (encryption is "
			  "required%s): use a LUKS2 volume as the target",
			  path,
			  a->encryption == ENC_REQUIRED ? " by " DEFAULT_CONFIG
							: " because the configured target is encrypted");
	return -EMEDIUMTYPE;
}

void xtarget_done(struct xtarget *xt)
{
	extmap_done(&xt->map);
}

/* A device that a file system or swapon holds: opened without O_EXCL,
 * O_DIRECT, written only inside the extents that are ours. */
int open_shared(const char *path, int flags, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(closep) int fd = open(path, flags | O_DIRECT | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags | O_CLOEXEC); /* a copy on a file system without O_DIRECT */
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (S_ISBLK(st.st_mode) ? ioctl(fd, BLKGETSIZE64, ret_size) < 0
				 : (*ret_size = (uint64_t)st.st_size, false))) {
		log_error("Failed to open '%s': %s", path, strerror(errno));
		return -ENXIO;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* resume= and resume_offset= (in pages of 4096 bytes) for a target at
 * page offset_pages of dev.  On a LUKS2 volume's mapping, also the form
 * that names the volume: snapresume unlocks it and looks at the same
 * offset inside. */
void print_resume_hint(const char *dev, uint64_t offset_pages)
{
	char tag[128], backing[256];
	_cleanup_(freep) char *uuid = blkid_get_tag_value(NULL, "UUID", dev);
	_cleanup_(freep) char *luks = NULL;

	if (uuid)
		snprintf(tag, sizeof(tag), "UUID=%s", uuid);
	else
		snprintf(tag, sizeof(tag), "%s", dev);
	log_msg("kernel command line for this target: resume=%s resume_offset=%" PRIu64, tag,
		offset_pages);
	if (luks_device_encrypted(dev, backing, sizeof(backing)) > 0 && backing[0]) {
		luks = blkid_get_tag_value(NULL, "UUID", backing);
		log_msg("or, for snapresume to unlock %s itself: resume=%s%s resume_offset=%" PRIu64,
			backing, luks ? "UUID=" : "", luks ? luks : backing, offset_pages);
	}
}

/* An image file: check its file system, find its extents and the device.
 * *full gets all of the file's extents, xt->map the image's part. */
int file_target_map(const char *file, int flags, struct xtarget *xt, struct extmap *full,
			   char *dev, size_t devsize)
{
	_cleanup_(closep) int fd = open(file, flags | O_CLOEXEC);
	const char *why = NULL;
	int r;

	if (fd < 0) {
		log_error("Failed to open image file '%s': %s", file, strerror(errno));
		return -ENXIO;
	}
	if (file_fs_check(fd, &why) < 0) {
		log_error("Image file '%s' refused: %s", file, why);
		return -ENXIO;
	}
	r = file_device(fd, dev, devsize, &xt->devnum);
	if (r < 0) {
		log_error("Failed to find the device holding '%s': %s", file, strerror(-r));
		return -ENXIO;
	}
	r = file_image_map(fd, full, &xt->map);
	if (r == -EMEDIUMTYPE) {
		log_error("Image file '%s' is not usable: too small, or not fully written "
			  "(holes, unwritten or shared extents); make it with 'snapwrite prepare "
			  "--target %s --size SIZE'",
			  file, file);
		return -ENXIO;
	}
	if (r < 0) {
		log_error("Failed to map the blocks of '%s': %s", file, strerror(-r));
		return -ENXIO;
	}
	xt->kind = EXTMAP_FILE;
	xt->offset_pages = xt->map.base / EXTMAP_PAGE;
	return 0;
}

/* Does the regular file start with a locator?  The kind it claims
 * (EXTMAP_FILE: an image file; EXTMAP_SWAP: a copy of a swap partition
 * holding an image), 0, or a negative errno (with a message). */
int file_locator_kind(const char *path)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *page = NULL;
	uint64_t size;
	int r;

	/* O_DIRECT: a device's page cache may not have what snapwrite wrote. */
	r = blockdev_open(path, O_RDONLY, true, &fd, &size);
	if (r == 0 && posix_memalign((void **)&page, EXTMAP_PAGE, EXTMAP_PAGE) != 0)
		r = -ENOMEM;
	if (r == 0 && size < EXTMAP_PAGE)
		return 0;
	if (r == 0)
		r = pread_full(fd, page, EXTMAP_PAGE, 0);
	if (r < 0) {
		log_error("Failed to read '%s': %s", path, strerror(-r));
		return r;
	}
	return (int)extmap_locator_kind(page);
}

/*
 * Is the target an extent target?  0 with xt->kind 0 when it is not; 0
 * with the device opened (*ret_path, *ret_fd, *ret_size) when it is; else
 * an exit code.  write: for hibernate (an image file must be one that
 * "snapwrite prepare" made and that has not moved since).
 */
int open_extent_target(const struct args *a, struct xtarget *xt, bool write,
			      char **ret_path, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct extmap full, stored;
	enum locator_found found;
	const char *why = NULL;
	char dev[256];
	struct stat st;
	bool is_file = false;
	uint64_t size;
	int r;

	xt->kind = 0;
	if (a->target[0] == '/')
		path = strdup(a->target);
	else if (blockdev_resolve(a->target, &path) < 0)
		return 0; /* not found: the device path reports it */
	if (!path)
		return -ENOMEM;
	if (stat(path, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)))
		return 0;
	r = swap_active("/proc/swaps", path, &is_file);
	if (r < 0) {
		log_error("Failed to read /proc/swaps: %s", strerror(-r));
		return r == -EINVAL || r == -ENXIO ? -EBADMSG : r;
	}

	if (r > 0) {
		/* An active swap area: partition, or file on a file system. */
		xt->kind = EXTMAP_SWAP;
		xt->swap_file = is_file;
		if (is_file) {
			uint64_t start = 0;

			r = swapfile_start(path, dev, sizeof(dev), &xt->devnum, &start);
			if (r < 0 || start % EXTMAP_PAGE) {
				log_error("Failed to find where swap file '%s' starts on its device: %s",
					  path, r < 0 ? strerror(-r) : "not on a page boundary");
				return -ENXIO;
			}
			xt->offset_pages = start / EXTMAP_PAGE;
		} else {
			snprintf(dev, sizeof(dev), "%s", path);
			xt->devnum = st.st_rdev;
			xt->offset_pages = 0;
		}
		r = open_shared(dev, write ? O_RDWR : O_RDONLY, &fd, &size);
		if (r)
			return r;
		extmap_init(&xt->map, EXTMAP_SWAP, xt->offset_pages * EXTMAP_PAGE);
		if (write) {
			_cleanup_(freep) uint8_t *page = NULL;
			if (posix_memalign((void **)&page, EXTMAP_PAGE, EXTMAP_PAGE) != 0)
				return -ENOMEM;
			r = pread_full(fd, page, EXTMAP_PAGE, xt->map.base);
			if (r < 0) {
				log_error("Failed to read the swap header of '%s': %s", path,
					  strerror(-r));
				return -ENXIO;
			}
			if (!extmap_swap_header_ok(page, &why)) {
				log_error("Swap area '%s' cannot hold an image: %s", path, why);
				return -ENXIO;
			}
		}
	} else if (S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)) {
		r = file_locator_kind(path);
		if (r < 0)
			return -ENXIO;
		if (r == EXTMAP_SWAP && write) {
			log_error("'%s' is a swap area holding an image, and not active: resume it, "
				  "or 'snapwrite discard' it and swapon it, to hibernate into it",
				  path);
			return -ENXIO;
		}
		if (r == EXTMAP_SWAP) {
			/* A swap partition (or a copy of one) with an image in it,
			 * which keeps it from being swapped on. */
			snprintf(dev, sizeof(dev), "%s", path);
			r = open_shared(dev, O_RDONLY, &fd, &size);
			if (r)
				return r;
			extmap_init(&xt->map, EXTMAP_SWAP, 0);
			xt->kind = EXTMAP_SWAP;
			goto done;
		}
		if (S_ISBLK(st.st_mode) || (r != EXTMAP_FILE && !write))
			return 0; /* a device (or a copy of one, as the tests have) */
		if (r != EXTMAP_FILE) {
			log_error("'%s' is not an image file: make it one with 'snapwrite prepare "
				  "--target %s --size SIZE'",
				  path, path);
			return -ENXIO;
		}
		r = file_target_map(path, O_RDONLY, xt, &full, dev, sizeof(dev));
		extmap_done(&full);
		if (r)
			return r;
		if (write) {
			r = file_owner_check(path, &why);
			if (r < 0) {
				log_error("Image file '%s' refused: %s; 'snapwrite prepare --target %s "
					  "--size SIZE' makes it root's (in a directory only root can "
					  "write to)",
					  path, r == -EACCES ? why : strerror(-r), path);
				return -EACCES;
			}
			why = NULL;
		}
		r = open_shared(dev, write ? O_RDWR : O_RDONLY, &fd, &size);
		if (r)
			return r;
		r = locator_read(fd, xt->map.base, &stored, &found, &why);
		if (r < 0) {
			log_error("Failed to read the locator of '%s': %s", path, strerror(-r));
			return -ENXIO;
		}
		if (found == LOC_OURS && stored.kind == EXTMAP_FILE &&
		    !extmap_same(&stored, &xt->map))
			why = "its blocks moved";
		else if (found == LOC_OURS && stored.kind != EXTMAP_FILE)
			why = "the locator is not an image file's";
		else if (found != LOC_OURS && !why)
			why = "no locator on the device";
		extmap_done(&stored);
		if (why) {
			log_error("Image file '%s' is not where its locator says (%s): copied, "
				  "moved or damaged since 'snapwrite prepare'; prepare it again",
				  path, why);
			return -ENXIO;
		}
		extmap_done(&stored);
	}
done:
	*ret_path = strdup(dev);
	if (!*ret_path)
		return -ENOMEM;
	*ret_fd = TAKE_FD(fd);
	*ret_size = size;
	return 0;
}

/*
 * Find the device the image is written to.  A LUKS2 target is opened (or
 * its open mapping used); the encryption policy is applied.  *ret_path is
 * the device written to, which is opened into *ret_fd.
 */
int open_write_target(const struct args *a, struct crypt_target *ct, struct xtarget *xt,
			     bool guard, char **ret_path, int *ret_fd, uint64_t *ret_size)
{
	_cleanup_(freep) char *dev = NULL, *write_path = NULL;
	char buf[256];
	bool encrypted;
	int r;

	r = target_required(a);
	if (r < 0)
		return r;
	if (xt) {
		r = open_extent_target(a, xt, true, ret_path, ret_fd, ret_size);
		if (r)
			return r;
		if (xt->kind) {
			r = luks_device_encrypted(*ret_path, buf, sizeof(buf));
			encrypted = r > 0;
			/* An image file in a file system on a LUKS2 volume: the
			 * volume gets the image marker, so that snapresume
			 * unlocks it to look inside. */
			if (xt->kind == EXTMAP_FILE && buf[0] && luks_open(buf, &ct->cd) == 0) {
				strncpy_pad(ct->volume, buf, sizeof(ct->volume));
			}
			r = encryption_policy(a, encrypted, a->target);
			if (r) {
				freep(ret_path);
				closep(ret_fd);
			}
			return r;
		}
	}
	r = blockdev_resolve(a->target, &dev);
	if (r < 0) {
		log_error("Failed to find target '%s': %s", a->target, strerror(-r));
		return -ENODEV;
	}
	r = luks_open(dev, &ct->cd);
	if (r == 0) {
		/* A LUKS2 volume: the image goes inside. */
		encrypted = true;
		strncpy_pad(ct->volume, dev, sizeof(ct->volume));
		r = luks_active_holder(dev, buf, sizeof(buf));
		if (r > 0) {
			log_msg("%s is open as %s: writing into it", dev, buf);
			write_path = strdup(buf);
		} else {
			r = unlock_target(a, ct);
			if (r)
				return r;
			luks_mapper_path(MAPPING_NAME, buf, sizeof(buf));
			write_path = strdup(buf);
		}
		if (!write_path)
			return -ENOMEM;
	} else if (r == -EPROTONOSUPPORT) {
		log_error("Target %s is a LUKS1 volume; images need LUKS2 (cryptsetup convert "
			  "--type luks2)",
			  dev);
		return -EMEDIUMTYPE;
	} else {
		/* A plain device, or an open mapping named directly. */
		r = luks_device_encrypted(dev, buf, sizeof(buf));
		encrypted = r > 0;
		if (buf[0] && luks_open(buf, &ct->cd) == 0) {
			strncpy_pad(ct->volume, buf, sizeof(ct->volume));
		}
		write_path = TAKE_PTR(dev);
	}

	/* What is wrong with the device itself first, then the policy. */
	r = guard ? guard_target(write_path) : guard_in_use(write_path);
	if (r)
		return r;
	r = encryption_policy(a, encrypted, write_path);
	if (r)
		return r;
	r = open_device(write_path, O_RDWR, ret_fd, ret_size);
	if (r)
		return r;
	*ret_path = TAKE_PTR(write_path);
	return 0;
}

/*
 * Open the target read-only (O_RDWR for discard) and read its header; an
 * exit code on failure.  For an extent target, xt gets its map (a swap
 * area without an image: state none, and no map).
 */
int open_target_header(const struct args *a, int flags, struct xtarget *xt,
			      char **ret_path, int *ret_fd, uint64_t *ret_size,
			      enum image_state *ret_state, struct image_header *ret_h,
			      const char **ret_why)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	enum locator_found found;
	struct extmap m;
	int r;

	r = target_required(a);
	if (r < 0)
		return r;
	r = open_extent_target(a, xt, false, &path, &fd, ret_size);
	if (r)
		return r;
	if (xt->kind == 0) {
		r = open_target(a, flags, &path, &fd, ret_size);
		if (r)
			return r;
	} else if (flags != O_RDONLY) {
		closep(&fd);
		r = open_shared(path, flags, &fd, ret_size);
		if (r)
			return r;
	}
	if (xt->kind == EXTMAP_SWAP) {
		r = locator_read(fd, xt->map.base, &m, &found, ret_why);
		if (r < 0) {
			log_error("Failed to read the swap header of '%s': %s", path, strerror(-r));
			return -ENXIO;
		}
		if (found != LOC_OURS) {
			*ret_state = found == LOC_DAMAGED ? IMAGE_DAMAGED : IMAGE_NONE;
			if (found != LOC_DAMAGED)
				*ret_why = "a swap area without an image";
			goto done;
		}
		m.kind = EXTMAP_SWAP;
		extmap_done(&xt->map);
		xt->map = m;
	}
	if (xt->kind)
		*ret_size = xt->map.size;
	r = target_read_header_map(fd, xt->kind ? &xt->map : NULL, ret_state, ret_h, ret_why);
	if (r < 0) {
		log_error("Failed to read the header of '%s': %s", path, strerror(-r));
		return -ENXIO;
	}
done:
	*ret_path = TAKE_PTR(path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}
