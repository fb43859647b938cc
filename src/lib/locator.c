/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "locator.h"

#include <errno.h>
#include <endian.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsguard.h"
#include "format/format.h"
#include "util.h"

#define MAGIC_EXT4 0xEF53u
#define MAGIC_XFS 0x58465342u
#define MAGIC_BTRFS 0x9123683Eu

/* Split [off, off + len) at extent ends and read or write each piece: one
 * lookup, then the following extents in order. */
static int map_io(const struct extmap *m, int fd, uint8_t *p, size_t len, uint64_t off,
		  bool write)
{
	uint64_t within = 0;
	size_t i = 0;

	if (len && extmap_find(m, off, &i, &within) < 0)
		return -EIO; /* past the end of the map: like past a device's end */
	while (len) {
		uint64_t dev, run;
		int r;

		if (i == m->n)
			return -EIO;
		dev = m->ext[i].offset + within;
		run = m->ext[i].length - within;
		if (run > len)
			run = len;
		r = write ? pwrite_full(fd, p, (size_t)run, dev) : pread_full(fd, p, (size_t)run, dev);
		if (r < 0)
			return r;
		p += run;
		len -= (size_t)run;
		i++;
		within = 0;
	}
	return 0;
}

int extmap_pread(const struct extmap *m, int fd, void *buf, size_t len, uint64_t off)
{
	if (!m)
		return pread_full(fd, buf, len, off);
	return map_io(m, fd, buf, len, off, false);
}

int extmap_pwrite(struct extmap *m, int fd, const void *buf, size_t len, uint64_t off)
{
	if (!m)
		return pwrite_full(fd, buf, len, off);
	if (off + len < off)
		return -EINVAL;
	while (m->size < off + len) {
		uint64_t page;
		int r;

		if (!m->grow)
			return -ENOSPC;
		r = m->grow(m->grow_userdata, &page);
		if (r < 0)
			return r;
		r = extmap_add(m, page, EXTMAP_PAGE);
		if (r < 0)
			return r == -E2BIG ? -ENOSPC : r;
	}
	/* map_io only writes from the buffer. */
	return map_io(m, fd, (uint8_t *)(uintptr_t)buf, len, off, true);
}

int extmap_from_fiemap(int fd, struct extmap *m)
{
	enum { BATCH = 128 };
	const uint32_t bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			     FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED |
			     FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |
			     FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_UNWRITTEN |
			     FIEMAP_EXTENT_SHARED;
	_cleanup_(freep) struct fiemap *fm = NULL;
	uint64_t start = 0, expect = 0;
	bool last = false;
	int r;

	fm = calloc(1, sizeof(*fm) + BATCH * sizeof(struct fiemap_extent));
	if (!fm)
		return -ENOMEM;
	while (!last) {
		memset(fm, 0, sizeof(*fm));
		fm->fm_start = start;
		fm->fm_length = FIEMAP_MAX_OFFSET - start;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
			return errno == ENOTTY ? -EOPNOTSUPP : -errno;
		if (fm->fm_mapped_extents == 0)
			break;
		for (uint32_t i = 0; i < fm->fm_mapped_extents; i++) {
			const struct fiemap_extent *e = &fm->fm_extents[i];

			if (e->fe_flags & bad || e->fe_logical != expect)
				return -EMEDIUMTYPE;
			r = extmap_add(m, e->fe_physical, e->fe_length);
			if (r < 0)
				return r == -EINVAL ? -EMEDIUMTYPE : r;
			expect += e->fe_length;
			start = e->fe_logical + e->fe_length;
			if (e->fe_flags & FIEMAP_EXTENT_LAST)
				last = true;
		}
	}
	return 0;
}

static int read_page(void *userdata, uint64_t off, uint8_t *page)
{
	return pread_full(*(int *)userdata, page, EXTMAP_PAGE, off);
}

int locator_read(int fd, uint64_t base, struct extmap *m, enum locator_found *ret_found,
		 const char **ret_why)
{
	_cleanup_(freep) uint8_t *page = page_alloc();
	int r;

	if (!page)
		return -ENOMEM;
	*ret_why = NULL;
	extmap_init(m, 0, base);
	r = pread_full(fd, page, EXTMAP_PAGE, base);
	if (r < 0)
		return r;
	if (extmap_is_locator(page)) {
		r = extmap_decode(page, base, read_page, &fd, m, ret_why);
		if (r == -EBADMSG || r == -EINVAL || r == -E2BIG) {
			/* What the map says cannot be: damage. */
			*ret_found = LOC_DAMAGED;
			if (!*ret_why)
				*ret_why = r == -EBADMSG ? "checksum or field mismatch" : strerror(-r);
			return 0;
		}
		/* Failing to read a map page (or to hold the map) is no
		 * damage: the image may be intact, and must not be repaired
		 * away. */
		if (r < 0)
			return r;
		*ret_found = LOC_OURS;
		return 0;
	}
	if (memcmp(page + EXTMAP_SIG_OFFSET, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN) == 0)
		*ret_found = LOC_SWAP;
	else if (memcmp(page + EXTMAP_SIG_OFFSET, "S1SUSPEND", 9) == 0 ||
		 memcmp(page + EXTMAP_SIG_OFFSET, "S2SUSPEND", 9) == 0 ||
		 memcmp(page + EXTMAP_SIG_OFFSET, "ULSUSPEND", 9) == 0 ||
		 memcmp(page + EXTMAP_SIG_OFFSET, "LINHIB0001", 10) == 0)
		*ret_found = LOC_KERNEL;
	else
		*ret_found = LOC_NONE;
	return 0;
}

static int write_synced(int fd, const uint8_t *page, uint64_t off)
{
	int r = pwrite_full(fd, page, EXTMAP_PAGE, off);
	if (r < 0)
		return r;
	return fdatasync(fd) < 0 ? -errno : 0;
}

int locator_write(int fd, const struct extmap *m)
{
	_cleanup_(freep) uint8_t *page = page_alloc();
	int r;

	if (!page)
		return -ENOMEM;
	if (m->nmap != extmap_pages_for(m->n))
		return -EINVAL;
	for (uint32_t i = 0; i < m->nmap; i++) {
		extmap_map_page_encode(m, i, page);
		r = pwrite_full(fd, page, EXTMAP_PAGE, m->map_pages[i]);
		if (r < 0)
			return r;
	}
	if (fdatasync(fd) < 0)
		return -errno;
	r = pread_full(fd, page, EXTMAP_PAGE, m->base);
	if (r < 0)
		return r;
	extmap_locator_encode(m, page);
	return write_synced(fd, page, m->base);
}

int locator_restore_swap(int fd, const struct extmap *m)
{
	_cleanup_(freep) uint8_t *page = page_alloc();
	int r;

	if (!page)
		return -ENOMEM;
	if (m->kind != EXTMAP_SWAP)
		return -EINVAL;
	r = pread_full(fd, page, EXTMAP_PAGE, m->base);
	if (r < 0)
		return r;
	extmap_restore_swap(m, page);
	return write_synced(fd, page, m->base);
}

int locator_repair_swap(int fd, uint64_t base)
{
	_cleanup_(freep) uint8_t *page = page_alloc();
	struct extmap m;
	int r;

	if (!page)
		return -ENOMEM;
	r = pread_full(fd, page, EXTMAP_PAGE, base);
	if (r < 0)
		return r;
	if (le32_get(page + 1024) != 1 || le32_get(page + 1028) == 0)
		return 0; /* no swap header version and size: not a swap area */
	extmap_init(&m, EXTMAP_SWAP, base);
	memcpy(m.saved_sig, EXTMAP_SWAP_SIG, EXTMAP_SIG_LEN);
	extmap_restore_swap(&m, page);
	r = write_synced(fd, page, base);
	return r < 0 ? r : 1;
}

/* /proc/swaps escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = 0;
}

int swap_active(const char *swaps_file, const char *path, bool *ret_is_file)
{
	enum { TEXT_MAX = 65536 };
	_cleanup_(freep) char *text = malloc(TEXT_MAX);
	struct stat want, st;
	char *line, *save = NULL;
	int r;

	if (!text)
		return -ENOMEM;
	if (stat(path, &want) < 0)
		return -errno;
	r = read_text_file(swaps_file, text, TEXT_MAX);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[4096], type[32];

		if (sscanf(line, "%4095s %31s", name, type) != 2 || strcmp(name, "Filename") == 0)
			continue;
		unescape(name);
		if (stat(name, &st) < 0)
			continue;
		if (S_ISBLK(want.st_mode) ? (S_ISBLK(st.st_mode) && st.st_rdev == want.st_rdev)
					  : (st.st_dev == want.st_dev && st.st_ino == want.st_ino)) {
			*ret_is_file = S_ISREG(st.st_mode);
			return 1;
		}
	}
	return 0;
}

int file_fs_check(int fd, const char **ret_why)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -errno;
	switch ((uint32_t)sf.f_type) {
	case MAGIC_EXT4:
	case MAGIC_XFS:
		*ret_why = NULL;
		return 0;
	case MAGIC_BTRFS:
		*ret_why = "it is on btrfs, which moves file data (copy-on-write, several "
			   "devices): a raw write there could land in other files; use a "
			   "partition, or a swap file with the kernel's own hibernation";
		return -EMEDIUMTYPE;
	default:
		*ret_why = "its file system is not ext2/3/4 or xfs, the ones whose file "
			   "blocks keep a fixed place on one device";
		return -EMEDIUMTYPE;
	}
}

int file_owner_check(const char *path, const char **ret_why)
{
	char dir[4096];
	struct stat st;
	char *slash;

	if (stat(path, &st) < 0)
		return -errno;
	if (st.st_uid != 0) {
		*ret_why = "it is not owned by root";
		return -EACCES;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*ret_why = "its group or others can write to it";
		return -EACCES;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) < 0)
		return -errno;
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		*ret_why = "its directory is not root's alone (another user could replace it)";
		return -EACCES;
	}
	return 0;
}

int file_device(int fd, char *buf, size_t size, dev_t *ret_dev)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (ret_dev)
		*ret_dev = st.st_dev;
	if (major(st.st_dev) == 0)
		return -EMEDIUMTYPE; /* tmpfs, overlay: no block device */
	return fsguard_devnode(major(st.st_dev), minor(st.st_dev), buf, size);
}

int file_image_map(int fd, struct extmap *full, struct extmap *image)
{
	uint64_t skip, off;
	uint32_t room;
	struct stat st;
	int r;

	extmap_init(full, EXTMAP_FILE, 0);
	extmap_init(image, EXTMAP_FILE, 0);
	if (fstat(fd, &st) < 0)
		return -errno;
	r = extmap_from_fiemap(fd, full);
	if (r < 0)
		return r;
	/* Every byte of the file on the device: no hole at the end either. */
	if ((uint64_t)st.st_size != full->size)
		return -EMEDIUMTYPE;
	room = extmap_pages_for(full->n);
	skip = (uint64_t)(1 + room) * EXTMAP_PAGE;
	/* Room for a header and two pages of payload at least. */
	if (full->n == 0 || full->size < skip + 3 * (uint64_t)EXTMAP_PAGE)
		return -EMEDIUMTYPE;

	extmap_init(image, EXTMAP_FILE, full->ext[0].offset);
	for (off = skip; off < full->size;) {
		uint64_t dev, run;
		r = extmap_lookup(full, off, &dev, &run);
		if (r < 0)
			return r;
		r = extmap_add(image, dev, run);
		if (r < 0)
			return r;
		off += run;
	}
	image->nmap = extmap_pages_for(image->n);
	for (uint32_t i = 0; i < image->nmap; i++) {
		uint64_t dev, run;
		r = extmap_lookup(full, (uint64_t)(1 + i) * EXTMAP_PAGE, &dev, &run);
		if (r < 0)
			return r;
		image->map_pages[i] = dev;
	}
	return 0;
}

/* Where file offset 0 of fd is, as FIEMAP says it: for most file systems
 * a byte offset on their device; for btrfs an address in its own logical
 * space. */
static int first_extent(int fd, uint64_t *ret)
{
	_cleanup_(freep) struct fiemap *fm = NULL;

	fm = calloc(1, sizeof(*fm) + sizeof(struct fiemap_extent));
	if (!fm)
		return -ENOMEM;
	fm->fm_start = 0;
	fm->fm_length = EXTMAP_PAGE;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
		return -errno;
	if (fm->fm_mapped_extents < 1 || fm->fm_extents[0].fe_logical != 0 ||
	    (fm->fm_extents[0].fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
					   FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_INLINE |
					   FIEMAP_EXTENT_NOT_ALIGNED)))
		return -EMEDIUMTYPE;
	*ret = fm->fm_extents[0].fe_physical;
	return 0;
}

/* btrfs: the device and byte offset holding logical address logical, from
 * the chunk tree (a chunk of the single profile: one stripe).  Needs
 * CAP_SYS_ADMIN. */
static int btrfs_physical(int fd, uint64_t logical, char *dev, size_t devsize, uint64_t *ret)
{
	struct btrfs_ioctl_search_args args;
	struct btrfs_ioctl_search_key *sk = &args.key;
	uint64_t start = 0, devid = 0, phys = 0;
	bool found = false;

	memset(&args, 0, sizeof(args));
	sk->tree_id = BTRFS_CHUNK_TREE_OBJECTID;
	sk->min_objectid = sk->max_objectid = BTRFS_FIRST_CHUNK_TREE_OBJECTID;
	sk->min_type = sk->max_type = BTRFS_CHUNK_ITEM_KEY;
	sk->max_offset = logical; /* chunks are keyed by their logical start */
	sk->max_transid = UINT64_MAX;
	for (;;) {
		size_t pos = 0;

		sk->nr_items = 4096;
		if (ioctl(fd, BTRFS_IOC_TREE_SEARCH, &args) < 0)
			return -errno;
		if (sk->nr_items == 0)
			break;
		for (uint32_t i = 0; i < sk->nr_items; i++) {
			struct btrfs_ioctl_search_header h;
			const struct btrfs_chunk *c;

			if (pos + sizeof(h) > sizeof(args.buf))
				return -EBADMSG;
			memcpy(&h, args.buf + pos, sizeof(h));
			pos += sizeof(h);
			if (pos + h.len > sizeof(args.buf) || h.len < sizeof(*c))
				return -EBADMSG;
			c = (const struct btrfs_chunk *)(args.buf + pos);
			pos += h.len;
			start = h.offset;
			if (h.type != BTRFS_CHUNK_ITEM_KEY || logical < start ||
			    logical - start >= le64toh(c->length))
				continue;
			if (le16toh(c->num_stripes) != 1)
				return -EMEDIUMTYPE; /* DUP, RAID: not a swap file's */
			devid = le64toh(c->stripe.devid);
			phys = le64toh(c->stripe.offset) + (logical - start);
			found = true;
		}
		if (start == UINT64_MAX || start >= logical)
			break;
		sk->min_offset = start + 1;
	}
	if (!found)
		return -ENOENT;

	struct btrfs_ioctl_dev_info_args di;
	memset(&di, 0, sizeof(di));
	di.devid = devid;
	if (ioctl(fd, BTRFS_IOC_DEV_INFO, &di) < 0)
		return -errno;
	snprintf(dev, devsize, "%s", (const char *)di.path);
	*ret = phys;
	return 0;
}

int swapfile_start(const char *path, char *dev, size_t devsize, dev_t *ret_dev,
		   uint64_t *ret_offset)
{
	_cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct statfs sf;
	struct stat st;
	uint64_t first = 0;
	int r;

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sf) < 0)
		return -errno;
	r = first_extent(fd, &first);
	if (r < 0)
		return r;
	if ((uint32_t)sf.f_type == MAGIC_BTRFS) {
		r = btrfs_physical(fd, first, dev, devsize, ret_offset);
		if (r < 0)
			return r;
		if (stat(dev, &st) < 0)
			return -errno;
		if (!S_ISBLK(st.st_mode))
			return -ENOTBLK;
		*ret_dev = st.st_rdev;
		return 0;
	}
	r = file_device(fd, dev, devsize, ret_dev);
	if (r < 0)
		return r;
	*ret_offset = first;
	return 0;
}
