// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A dedicated target as temporary swap, for a system with more than about
 * half of its memory in use.
 *
 * The kernel copies every page it saves into free memory while the system
 * is frozen, so without swap the memory in use must fit twice.  With swap
 * active it pushes part of memory out first (it reclaims towards its
 * preferred image size).  So when the memory in use would not fit and no
 * swap could take the rest, snapwrite makes the dedicated target a swap
 * area for the hibernation (labelled "snapwrite-tmp"), swaps on to it,
 * and writes the image around the pages swapped out, as into any active
 * swap partition; snapresume restores the swap signature after loading.
 * Back from the image (or when the hibernation did not happen) snapwrite
 * swaps off again, which brings those pages back, and clears the swap
 * signature, so the target is a dedicated target again and no swap is
 * left active that was not before.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <unistd.h>

#include "blockdev.h"
#include "format/format.h"
#include "log.h"
#include "sysinfo.h"
#include "util.h"

#include "snapwrite.h"

/* The swap header (version 1, as mkswap writes it): in the first page,
 * after 1024 bytes of boot block; native byte order. */
enum {
	SWAP_VERSION = 1024,
	SWAP_LAST_PAGE = 1028,
	SWAP_NR_BADPAGES = 1032,
	SWAP_UUID = 1036,
	SWAP_LABEL = 1052,
	SWAP_MAGIC = 4096 - 10,
};

bool tempswap_wanted(const struct args *a)
{
	uint64_t total = meminfo_kib("MemTotal"), avail = meminfo_kib("MemAvailable");
	uint64_t swap_free = meminfo_kib("SwapFree"), in_use, fits;

	if (a->temp_swap == TEMP_SWAP_NO || !total || avail > total)
		return false;
	total <<= 10, avail <<= 10, swap_free <<= 10;
	in_use = total - avail;
	/* What the kernel's default preferred image size (2/5 of memory)
	 * and a margin leave room for; the rest must go to swap. */
	fits = total * 45 / 100;
	if (in_use <= fits)
		return false;
	return swap_free < in_use - total * 2 / 5;
}

int tempswap_on(const char *path, int *fd, uint64_t size, struct xtarget *xt)
{
	_cleanup_(freep) uint8_t *page = NULL;
	struct stat st;
	uint32_t v;
	int r;

	if (size / EXTMAP_PAGE < 16 || size / EXTMAP_PAGE - 1 > UINT32_MAX)
		return -ENOSPC;
	if (fstat(*fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	if (posix_memalign((void **)&page, EXTMAP_PAGE, EXTMAP_PAGE) != 0)
		return -ENOMEM;
	memset(page, 0, EXTMAP_PAGE);
	v = 1;
	memcpy(page + SWAP_VERSION, &v, 4);
	v = (uint32_t)(size / EXTMAP_PAGE - 1);
	memcpy(page + SWAP_LAST_PAGE, &v, 4);
	r = image_uuid_generate(page + SWAP_UUID);
	if (r < 0)
		return r;
	memcpy(page + SWAP_LABEL, TEMPSWAP_LABEL, strlen(TEMPSWAP_LABEL));
	memcpy(page + SWAP_MAGIC, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
	r = pwrite_full(*fd, page, EXTMAP_PAGE, 0);
	if (r == 0 && fdatasync(*fd) < 0)
		r = -errno;
	if (r < 0)
		return r;
	/* swapon needs the device for itself; written to as an active swap
	 * area from now on (open_shared). */
	closep(fd);
	if (swapon(path, 0) < 0) {
		r = -errno;
		tempswap_clear(path);
		return r;
	}
	r = open_shared(path, O_RDWR, fd, &size);
	if (r) {
		tempswap_off(path);
		return r;
	}
	xt->kind = EXTMAP_SWAP;
	xt->swap_file = false;
	xt->devnum = st.st_rdev;
	xt->offset_pages = 0;
	extmap_init(&xt->map, EXTMAP_SWAP, 0);
	log_msg("%" PRIu64 " MiB of memory in use: %s is swap until the hibernation is over",
		(meminfo_kib("MemTotal") - meminfo_kib("MemAvailable")) >> 10, path);
	return 0;
}

int tempswap_clear(const char *path)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *page = NULL;
	uint64_t size;
	int r;

	r = blockdev_open(path, O_RDWR, true, &fd, &size);
	if (r < 0)
		return r;
	if (posix_memalign((void **)&page, EXTMAP_PAGE, EXTMAP_PAGE) != 0)
		return -ENOMEM;
	r = pread_full(fd, page, EXTMAP_PAGE, 0);
	if (r < 0)
		return r;
	/* Only our own swap signature goes. */
	if (memcmp(page + SWAP_MAGIC, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN) != 0 ||
	    memcmp(page + SWAP_LABEL, TEMPSWAP_LABEL, strlen(TEMPSWAP_LABEL)) != 0)
		return 0;
	memset(page, 0, EXTMAP_PAGE);
	r = pwrite_full(fd, page, EXTMAP_PAGE, 0);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	return r;
}

int tempswap_off(const char *path)
{
	int r;

	if (swapoff(path) < 0) {
		r = -errno;
		log_error("Failed to swap off the temporary swap %s: %s; 'swapoff %s' ends it",
			  path, strerror(-r), path);
		return r;
	}
	r = tempswap_clear(path);
	if (r < 0)
		log_error("Failed to clear the temporary swap signature of %s: %s", path,
			  strerror(-r));
	return r;
}
