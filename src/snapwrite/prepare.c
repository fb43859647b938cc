/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The prepare verb: make a device or an image file a target.
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

/* Before erasing: 'yes' typed, or --yes.  0, or -EINVAL (said). */
static int confirm(const struct args *a, const char *what)
{
	char answer[16];
	int r;

	if (a->yes)
		return 0;
	fflush(stdout);
	r = ask_user("Type 'yes' to go on: ", true, answer, sizeof(answer));
	if (r < 0 || strcmp(answer, "yes") != 0) {
		log_error("Not confirmed: %s left as it was", what);
		return -EINVAL;
	}
	return 0;
}

/* Write len bytes of page at file offset off; an exit code. */
static int file_put(int fd, const char *file, const void *page, size_t len, uint64_t off)
{
	int r = pwrite_full(fd, page, len, off);

	if (r < 0) {
		log_error("Failed to write '%s': %s", file, strerror(-r));
		return -ENXIO;
	}
	return 0;
}

/*
 * Make an image file: written through (no holes, no unwritten extents),
 * then its locator and map written through the file system as well,
 * while it is still an ordinary file.  From then on only its blocks on the
 * device are written, and only by snapwrite.
 */
static int prepare_file(const struct args *a, const char *file)
{
	_cleanup_(xtarget_done) struct xtarget xt = {0};
	_cleanup_(freep) uint8_t *buf = NULL;
	_cleanup_(closep) int fd = -1;
	struct extmap full, again;
	const char *why = NULL;
	char dev[256];
	uint64_t size = ALIGN_UP(a->file_size, (uint64_t)EXTMAP_PAGE), off;
	bool is_file, existed;
	uint32_t room;
	struct stat st;
	int r;

	if (!a->file_size) {
		log_error("To make '%s' an image file, give its size with --size", file);
		return -EINVAL;
	}
	existed = stat(file, &st) == 0;
	if (existed) {
		if (!S_ISREG(st.st_mode)) {
			log_error("'%s' is not a regular file", file);
			return -ENXIO;
		}
		if (swap_active("/proc/swaps", file, &is_file) > 0) {
			log_error("'%s' is an active swap file: hibernate into it as it is", file);
			return -ENXIO;
		}
		r = file_locator_kind(file);
		if (r < 0)
			return -ENXIO;
		if (r != EXTMAP_FILE) {
			log_error("'%s' exists and is not an image file: refusing to overwrite it "
				  "(remove it first if it may go)",
				  file);
			return -ENXIO;
		}
		printf("%s is an image file: it will be made again, %" PRIu64 " MiB; the image "
		       "in it is lost.\n",
		       file, size >> 20);
	} else {
		printf("%s will be made an image file of %" PRIu64 " MiB.\n", file, size >> 20);
	}
	r = confirm(a, file);
	if (r < 0)
		return r;

	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_error("Failed to create '%s': %s", file, strerror(errno));
		return -ENXIO;
	}
	/* Root's alone, whatever it was before (hibernate checks it). */
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0600) < 0) {
		log_error("Failed to make '%s' root's: %s", file, strerror(errno));
		return -ENXIO;
	}
	r = file_owner_check(file, &why);
	if (r < 0) {
		log_error("Image file '%s' refused: %s", file, r == -EACCES ? why : strerror(-r));
		if (!existed)
			unlink(file);
		return -EACCES;
	}
	if (file_fs_check(fd, &why) < 0) {
		log_error("Image file '%s' refused: %s", file, why);
		unlink(file);
		return -ENXIO;
	}
	if (ftruncate(fd, 0) < 0 || posix_memalign((void **)&buf, EXTMAP_PAGE, 1 << 20) != 0) {
		log_error("Failed to set up '%s': %s", file, strerror(errno));
		return -ENXIO;
	}
	memset(buf, 0, 1 << 20);
	for (off = 0; off < size; off += 1 << 20) {
		r = file_put(fd, file, buf, (size_t)(size - off < (1 << 20) ? size - off : 1 << 20),
			     off);
		if (r)
			return r;
	}
	if (fsync(fd) < 0) {
		log_error("Failed to write '%s': %s", file, strerror(errno));
		return -ENXIO;
	}

	r = file_image_map(fd, &full, &xt.map);
	room = extmap_pages_for(full.n);
	extmap_done(&full);
	if (r < 0) {
		log_error("Failed to map the blocks of '%s': %s", file,
			  r == -EMEDIUMTYPE ? "too small, or its extents are not plain ones"
					    : strerror(-r));
		return -ENXIO;
	}
	memset(buf, 0, EXTMAP_PAGE);
	for (uint32_t i = 0; i < xt.map.nmap; i++) {
		extmap_map_page_encode(&xt.map, i, buf);
		r = file_put(fd, file, buf, EXTMAP_PAGE, (uint64_t)(1 + i) * EXTMAP_PAGE);
		if (r)
			return r;
	}
	memset(buf, 0, EXTMAP_PAGE);
	extmap_locator_encode(&xt.map, buf);
	r = file_put(fd, file, buf, EXTMAP_PAGE, 0);
	if (r)
		return r;
	if (fsync(fd) < 0) {
		log_error("Failed to write '%s': %s", file, strerror(errno));
		return -ENXIO;
	}
	/* The blocks must not have moved while we wrote the map. */
	r = file_image_map(fd, &full, &again);
	extmap_done(&full);
	if (r == 0 && !extmap_same(&again, &xt.map))
		r = -ESTALE;
	extmap_done(&again);
	if (r < 0) {
		log_error("The blocks of '%s' moved while it was prepared: %s", file, strerror(-r));
		return -ENXIO;
	}
	r = file_device(fd, dev, sizeof(dev), NULL);
	if (r < 0) {
		log_error("Failed to find the device holding '%s': %s", file, strerror(-r));
		return -ENXIO;
	}
	log_msg("%s is ready for images: %" PRIu64 " MiB in %zu extent%s on %s, image from file "
		"page %u",
		file, xt.map.size >> 20, xt.map.n, xt.map.n == 1 ? "" : "s", dev, 1 + room);
	print_resume_hint(dev, xt.map.base / EXTMAP_PAGE);
	return 0;
}

int do_prepare(const struct args *a)
{
	_cleanup_(crypt_target_done) struct crypt_target ct = {0};
	_cleanup_(freep) char *path = NULL;
	_cleanup_(closep) int fd = -1;
	struct devprobe_sig sigs[DEVPROBE_MAX_SIGS];
	char line[256];
	uint64_t size;
	size_t n = 0;
	struct stat st;
	int r;

	/* A path that is no device: an image file on a file system. */
	if (a->target[0] == '/' && (stat(a->target, &st) < 0 || S_ISREG(st.st_mode)))
		return prepare_file(a, a->target);
	r = open_write_target(a, &ct, NULL, false, &path, &fd, &size);
	if (r)
		return r;
	r = devprobe_signatures(path, sigs, DEVPROBE_MAX_SIGS, &n);
	if (r < 0) {
		log_error("Failed to check what '%s' holds: %s", path, strerror(-r));
		return -ENXIO;
	}
	if (n == 0)
		printf("%s holds no file system, partition table or other signature.\n", path);
	for (size_t i = 0; i < n && i < DEVPROBE_MAX_SIGS; i++) {
		devprobe_describe(&sigs[i], line, sizeof(line));
		printf("%s holds %s: it will be erased.\n", path, line);
	}
	printf("Everything on %s (%" PRIu64 " MiB) will be overwritten by hibernation images.\n",
	       path, size >> 20);
	r = confirm(a, path);
	if (r < 0)
		return r;
	r = devprobe_wipe(path);
	if (r < 0) {
		log_error("Failed to erase the signatures on '%s': %s", path, strerror(-r));
		return -ENXIO;
	}
	r = target_clear_header(fd);
	if (r < 0) {
		log_error("Failed to clear the header of '%s': %s", path, strerror(-r));
		return -ENXIO;
	}
	log_msg("%s is ready for images (%zu signature%s erased)", path, n, n == 1 ? "" : "s");
	return 0;
}
