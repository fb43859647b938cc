/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fsguard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "hash.h"
#include "util.h"

/* One line of a mountinfo file:
 * "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw".
 * 0, or -EINVAL for a line that is not one. */
static int parse_line(const char *line, struct fs_mount *m)
{
	const char *sep = strstr(line, " - ");
	char sopts[256] = "";

	memset(m, 0, sizeof(*m));
	if (!sep || sscanf(line, "%*u %*u %u:%u %*s %255s", &m->major, &m->minor,
			   m->mount_point) != 3)
		return -EINVAL;
	if (sscanf(sep + 3, "%31s %127s %255s", m->fstype, m->source, sopts) < 1)
		return -EINVAL;
	/* The super block's options: read-write for every mount of it. */
	m->writable = strncmp(sopts, "rw", 2) == 0 && (sopts[2] == ',' || !sopts[2]);
	return 0;
}

int fsguard_list_mounts(const char *mountinfo, struct fs_mount *mounts, size_t max,
			size_t *ret_n)
{
	char line[4096];
	size_t n = 0;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct fs_mount m;
		bool seen = false;

		if (parse_line(line, &m) < 0)
			continue;
		/* Major 0: no block device (proc, tmpfs, overlay, nfs...), or
		 * one the file system hides behind an anonymous number (btrfs):
		 * then the source names it. */
		if (m.major == 0) {
			struct stat st;

			if (strncmp(m.source, "/dev/", 5) != 0 || stat(m.source, &st) < 0 ||
			    !S_ISBLK(st.st_mode))
				continue;
			m.major = major(st.st_rdev);
			m.minor = minor(st.st_rdev);
		}
		for (size_t i = 0; i < n && i < max; i++)
			if (mounts[i].major == m.major && mounts[i].minor == m.minor) {
				mounts[i].writable |= m.writable;
				seen = true;
			}
		if (seen)
			continue;
		if (n < max)
			mounts[n] = m;
		n++;
	}
	fclose(f);
	*ret_n = n;
	return 0;
}

/* File systems without a block device whose state is in the memory image
 * or is a view of the kernel, and overlay (its layers are other mounts). */
static const char *const nodev_accepted[] = {
	"proc",	   "sysfs",	 "devtmpfs",  "devpts",	    "tmpfs",	"ramfs",
	"cgroup",   "cgroup2",	 "cpuset",    "securityfs", "debugfs",	"tracefs",
	"pstore",   "efivarfs",	 "bpf",	      "mqueue",	    "hugetlbfs", "configfs",
	"fusectl",  "binfmt_misc", "autofs",  "rpc_pipefs", "nsfs",	"selinuxfs",
	"smackfs",  "nfsd",	 "overlay",   "sockfs",	    "pipefs",	"resctrl",
	"zonefs",
};

/* FUSE file systems served by a daemon from memory, by their source. */
static const char *const fuse_from_memory[] = {"gvfsd-fuse", "portal"};

static const char *const network_fs[] = {"nfs",	 "nfs4",      "cifs", "smb3",	 "9p",
					 "ceph", "glusterfs", "afs",  "virtiofs", "lustre"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

const char *fsguard_unguardable_kind(const struct fs_mount *m)
{
	if (in_list(m->fstype, network_fs, ARRAY_SIZE(network_fs)))
		return "a network file system";
	if (strcmp(m->fstype, "zfs") == 0)
		return "a ZFS dataset";
	if (strncmp(m->fstype, "fuse", 4) == 0)
		return "a FUSE file system";
	return "a file system with no single device";
}

bool fsguard_immutable(const struct fs_mount *m)
{
	static const char *const ro_types[] = {"squashfs", "erofs", "iso9660", "udf"};

	return !m->writable && in_list(m->fstype, ro_types, ARRAY_SIZE(ro_types));
}

int fsguard_list_unguardable(const char *mountinfo, struct fs_mount *mounts, size_t max,
			     size_t *ret_n)
{
	char line[4096];
	size_t n = 0;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct fs_mount m;
		struct stat st;

		if (parse_line(line, &m) < 0)
			continue;
		if (m.major != 0)
			continue; /* a block device: fsguard_list_mounts */
		/* btrfs and others behind an anonymous number, named by a
		 * device node: fsguard_list_mounts too. */
		if (strncmp(m.source, "/dev/", 5) == 0 && stat(m.source, &st) == 0 &&
		    S_ISBLK(st.st_mode))
			continue;
		if (in_list(m.fstype, nodev_accepted, ARRAY_SIZE(nodev_accepted)))
			continue;
		if (strncmp(m.fstype, "fuse", 4) == 0 &&
		    in_list(m.source, fuse_from_memory, ARRAY_SIZE(fuse_from_memory)))
			continue;
		if (n < max)
			mounts[n] = m;
		n++;
	}
	fclose(f);
	*ret_n = n;
	return 0;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int fsguard_mountinfo_files(char (*paths)[48], size_t max, size_t *ret_n)
{
	_cleanup_(closedirp) DIR *d = NULL;
	ino_t seen[256];
	size_t n = 0, nseen = 0;
	struct dirent *e;
	struct stat st;

	if (max == 0)
		return -EINVAL;
	snprintf(paths[n++], 48, "/proc/self/mountinfo");
	if (stat("/proc/self/ns/mnt", &st) == 0)
		seen[nseen++] = st.st_ino;
	d = opendir("/proc");
	if (!d) {
		*ret_n = n;
		return 0;
	}
	while ((e = readdir(d)) && n < max) {
		char path[64];
		bool known = false;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.24s/ns/mnt", e->d_name);
		if (stat(path, &st) < 0)
			continue; /* gone, or a kernel thread */
		for (size_t i = 0; i < nseen; i++)
			known |= seen[i] == st.st_ino;
		if (known || nseen == ARRAY_SIZE(seen))
			continue;
		seen[nseen++] = st.st_ino;
		snprintf(paths[n++], 48, "/proc/%.24s/mountinfo", e->d_name);
	}
	*ret_n = n;
	return 0;
}

bool fsguard_supported(const char *fstype)
{
	return strcmp(fstype, "ext4") == 0 || strcmp(fstype, "ext3") == 0 ||
	       strcmp(fstype, "ext2") == 0 || strcmp(fstype, "xfs") == 0 ||
	       strcmp(fstype, "btrfs") == 0 || strcmp(fstype, "vfat") == 0;
}

const char *fsguard_type_name(uint16_t fs_type)
{
	switch (fs_type) {
	case IMAGE_FS_EXT4:
		return "ext4";
	case IMAGE_FS_XFS:
		return "xfs";
	case IMAGE_FS_BTRFS:
		return "btrfs";
	case IMAGE_FS_VFAT:
		return "vfat";
	default:
		return "unknown";
	}
}

void fsguard_uuid_string(const struct fs_guard *g, char *buf, size_t size)
{
	char u[37];

	if (g->fs_type == IMAGE_FS_VFAT) {
		uint32_t serial = le32_get(g->uuid);

		snprintf(buf, size, "%04X-%04X", serial >> 16, serial & 0xffff);
		return;
	}
	image_uuid_format(g->uuid, u);
	snprintf(buf, size, "%s", u);
}

int fsguard_devnode(unsigned major, unsigned minor, char *buf, size_t size)
{
	char path[96], line[256];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major, minor);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "DEVNAME=", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "/dev/%s", line + 8);
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* ext2/3/4 superblock fields (offsets within the 1024-byte superblock). */
enum {
	EXT_SB_OFFSET = 1024,
	EXT_MTIME = 0x2c,
	EXT_WTIME = 0x30,
	EXT_MNT_COUNT = 0x34,
	EXT_MAGIC = 0x38,
	EXT_UUID = 0x68,
	EXT_WTIME_HI = 0x274,
	EXT_MTIME_HI = 0x275,
	EXT_MAGIC_VALUE = 0xef53,
};

/* More ext2/3/4 superblock fields, for finding the journal. */
enum {
	EXT_FIRST_DATA_BLOCK = 0x14,
	EXT_LOG_BLOCK_SIZE = 0x18,
	EXT_INODES_PER_GROUP = 0x28,
	EXT_INODE_SIZE = 0x58,
	EXT_FEATURE_COMPAT = 0x5c,
	EXT_FEATURE_INCOMPAT = 0x60,
	EXT_JOURNAL_INUM = 0xe0,
	EXT_JOURNAL_DEV = 0xe4,
	EXT_DESC_SIZE = 0xfe,
	EXT_COMPAT_HAS_JOURNAL = 0x4,
	EXT_INCOMPAT_64BIT = 0x80,
	EXT_INODE_FLAGS = 0x20,
	EXT_INODE_BLOCK = 0x28,
	EXT_EXTENTS_FL = 0x80000,
	EXT_EXTENT_MAGIC = 0xf30a,
	JBD2_MAGIC = 0xc03b3998, /* big-endian, at the journal superblock's start */
};

/* Read the block-size unit at byte off into buf (bs bytes, bs <= 65536). */
static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	return pread_full(fd, buf, len, off);
}

/*
 * The first block of the ext3/ext4 internal journal (its superblock): the
 * journal inode's block 0, through its extent tree or its first direct
 * block.  0 with *ret_block, or an error when it cannot be found.
 */
static int ext_journal_block(int fd, const uint8_t *sb, uint64_t *ret_block)
{
	_cleanup_(freep) uint8_t *buf = NULL;
	uint32_t bs = 1024u << (le32_get(sb + EXT_LOG_BLOCK_SIZE) & 15);
	uint32_t inum = le32_get(sb + EXT_JOURNAL_INUM), ipg = le32_get(sb + EXT_INODES_PER_GROUP);
	uint32_t isize = le16_get(sb + EXT_INODE_SIZE), dsize = 32, group, index;
	uint64_t gdt = le32_get(sb + EXT_FIRST_DATA_BLOCK) + 1, table, block;
	const uint8_t *node;
	int r;

	if (!(le32_get(sb + EXT_FEATURE_COMPAT) & EXT_COMPAT_HAS_JOURNAL) || !inum ||
	    le32_get(sb + EXT_JOURNAL_DEV) || !ipg || isize < 128 || isize > bs || bs > 65536)
		return -ENOENT; /* no journal, or an external one */
	if (le32_get(sb + EXT_FEATURE_INCOMPAT) & EXT_INCOMPAT_64BIT)
		dsize = le16_get(sb + EXT_DESC_SIZE) >= 64 ? le16_get(sb + EXT_DESC_SIZE) : 32;
	if (posix_memalign((void **)&buf, 4096, bs < 4096 ? 4096 : bs) != 0)
		return -ENOMEM;
	group = (inum - 1) / ipg;
	index = (inum - 1) % ipg;
	/* The group's descriptor, then its inode table. */
	r = read_at(fd, buf, bs, (gdt + (uint64_t)group * dsize / bs) * bs);
	if (r < 0)
		return r;
	node = buf + (uint64_t)group * dsize % bs;
	table = le32_get(node + 0x8);
	if (dsize >= 64)
		table |= (uint64_t)le32_get(node + 0x28) << 32;
	r = read_at(fd, buf, bs, (table + (uint64_t)index * isize / bs) * bs);
	if (r < 0)
		return r;
	node = buf + (uint64_t)index * isize % bs;
	if (!(le32_get(node + EXT_INODE_FLAGS) & EXT_EXTENTS_FL)) {
		*ret_block = le32_get(node + EXT_INODE_BLOCK); /* ext3: a direct block */
		return *ret_block ? 0 : -ENOENT;
	}
	/* An extent tree: from the root in the inode down to a leaf, always
	 * following the entry that covers logical block 0 (the first). */
	uint8_t root[60];
	memcpy(root, node + EXT_INODE_BLOCK, sizeof(root));
	node = root;
	for (int level = 0; level < 6; level++) {
		uint16_t entries = le16_get(node + 2), depth = le16_get(node + 6);

		if (le16_get(node) != EXT_EXTENT_MAGIC || entries == 0)
			return -ENOENT;
		if (depth == 0) {
			if (le32_get(node + 12) != 0)
				return -ENOENT;
			*ret_block = (uint64_t)le16_get(node + 12 + 6) << 32 | le32_get(node + 12 + 8);
			return 0;
		}
		block = (uint64_t)le16_get(node + 12 + 8) << 32 | le32_get(node + 12 + 4);
		r = read_at(fd, buf, bs, block * bs);
		if (r < 0)
			return r;
		node = buf;
	}
	return -ENOENT;
}

/*
 * ext2/3/4: the mount count and times for the messages, and a digest of
 * what any write changes: the whole superblock (a read-only mount that
 * replays the journal clears its recovery flag but leaves the mount count
 * and times alone) and the journal's superblock (its sequence and start
 * move with every replay and every commit).
 */
static void read_ext(int fd, const uint8_t *sb, struct fs_guard *ret)
{
	_cleanup_(freep) uint8_t *jsb = NULL;
	uint64_t block, digest;

	ret->fs_type = IMAGE_FS_EXT4;
	ret->mount_count = le16_get(sb + EXT_MNT_COUNT);
	memcpy(ret->uuid, sb + EXT_UUID, 16);
	ret->mount_time = le32_get(sb + EXT_MTIME) | (uint64_t)sb[EXT_MTIME_HI] << 32;
	ret->write_time = le32_get(sb + EXT_WTIME) | (uint64_t)sb[EXT_WTIME_HI] << 32;
	digest = hash64(sb, 1024, 0);
	if (ext_journal_block(fd, sb, &block) == 0 &&
	    posix_memalign((void **)&jsb, 4096, 4096) == 0 &&
	    read_at(fd, jsb, 4096, block * (1024u << (le32_get(sb + EXT_LOG_BLOCK_SIZE) & 15))) ==
		    0 &&
	    be32_get(jsb) == JBD2_MAGIC)
		digest = hash64(jsb, 1024, digest);
	ret->digest = digest ? digest : 1;
}

/* xfs superblock fields (big-endian, from byte 0 of the device). */
enum {
	XFS_BLOCKSIZE = 4,
	XFS_UUID = 32,
	XFS_LOGSTART = 48,
	XFS_AGBLOCKS = 84,
	XFS_LOGBLOCKS = 96,
	XFS_VERSIONNUM = 100,
	XFS_AGBLKLOG = 124,
	XFS_SB_LSN = 240, /* version 5: LSN of the superblock's last write */
	XFS_LOG_MAGIC = 0xFEEDBABE,
	XFS_LOG_BB = 512,
	XFS_LOG_LSN = 16, /* in a log record header */
};

/*
 * xfs: every change goes through the log first, each log record carries
 * its LSN (cycle << 32 | block), and any mount that writes (log recovery,
 * a transaction, the unmount record) writes a record with a higher one.
 * So the highest LSN in the log, with the superblock's own LSN, is what a
 * later mount moves.  The log is read whole: record headers start at a
 * 512-byte boundary with their magic, other log blocks start with their
 * cycle number instead.
 */
static int read_xfs(int fd, const uint8_t *sb, struct fs_guard *ret)
{
	enum { CHUNK = 1 << 20 };
	_cleanup_(freep) uint8_t *buf = NULL;
	uint32_t bsize = be32_get(sb + XFS_BLOCKSIZE), agblocks = be32_get(sb + XFS_AGBLOCKS);
	uint64_t logstart = be64_get(sb + XFS_LOGSTART), head = 0, start, len;
	unsigned agblklog = sb[XFS_AGBLKLOG];
	int r;

	if ((be32_get(sb + XFS_VERSIONNUM) >> 16 & 0xf) != 5)
		return -EPROTONOSUPPORT; /* version 4: no LSNs to go by */
	if (logstart == 0 || agblklog >= 64 || bsize < 512 || bsize > 65536)
		return -EPROTONOSUPPORT; /* an external log */
	start = ((logstart >> agblklog) * agblocks + (logstart & ((1ULL << agblklog) - 1))) * bsize;
	len = (uint64_t)be32_get(sb + XFS_LOGBLOCKS) * bsize;
	if (posix_memalign((void **)&buf, 4096, CHUNK) != 0)
		return -ENOMEM;
	for (uint64_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		r = pread_full(fd, buf, n, start + off);
		if (r < 0)
			return r;
		for (size_t b = 0; b + XFS_LOG_BB <= n; b += XFS_LOG_BB)
			if (be32_get(buf + b) == XFS_LOG_MAGIC && be64_get(buf + b + XFS_LOG_LSN) > head)
				head = be64_get(buf + b + XFS_LOG_LSN);
	}
	ret->fs_type = IMAGE_FS_XFS;
	memcpy(ret->uuid, sb + XFS_UUID, 16);
	ret->mount_time = be64_get(sb + XFS_SB_LSN);
	ret->write_time = head;
	ret->digest = hash64(sb, 512, 0) | 1; /* the superblock's sector; never 0 */
	return 0;
}

/* btrfs superblock fields (little-endian, from its start at 64 KiB). */
enum {
	BTRFS_SB_OFFSET = 65536,
	BTRFS_FSID = 32,
	BTRFS_MAGIC = 64,
	BTRFS_GENERATION = 72,
	BTRFS_LOG_ROOT = 96,
};

/* btrfs: every committed transaction raises the superblock's generation;
 * an fsync between commits writes a log tree, whose root the superblock
 * names. */
static int read_btrfs(int fd, struct fs_guard *ret)
{
	_cleanup_(freep) uint8_t *sb = NULL;
	int r;

	if (posix_memalign((void **)&sb, 4096, 4096) != 0)
		return -ENOMEM;
	r = pread_full(fd, sb, 4096, BTRFS_SB_OFFSET);
	if (r == -EIO || r == -ENODATA)
		return -EMEDIUMTYPE; /* a device too small to be btrfs */
	if (r < 0)
		return r;
	if (memcmp(sb + BTRFS_MAGIC, "_BHRfS_M", 8) != 0)
		return -EMEDIUMTYPE;
	ret->fs_type = IMAGE_FS_BTRFS;
	memcpy(ret->uuid, sb + BTRFS_FSID, 16);
	ret->mount_time = le64_get(sb + BTRFS_LOG_ROOT);
	ret->write_time = le64_get(sb + BTRFS_GENERATION);
	ret->digest = hash64(sb, 4096, 0) | 1; /* the whole superblock; never 0 */
	return 0;
}

/* FAT12/16/32 boot sector fields. */
enum {
	FAT_BPS = 11,       /* u16 bytes per sector */
	FAT_SPC = 13,       /* u8 sectors per cluster */
	FAT_RSVD = 14,      /* u16 reserved sectors (boot sector, FSInfo, ...) */
	FAT_NFATS = 16,     /* u8 */
	FAT_ROOT_ENTS = 17, /* u16, 0 on FAT32 */
	FAT_TOTSEC16 = 19,
	FAT_FATSZ16 = 22,
	FAT_TOTSEC32 = 32,
	FAT_FATSZ32 = 36,
	FAT_ROOT_CLUS = 44,
	FAT_SERIAL16 = 39, /* volume serial, FAT12/16 */
	FAT_SERIAL32 = 67, /* FAT32 */
};

/* Bounds of what the vfat guard reads: an EFI system partition holds a few
 * MiB of tables and directories. */
#define FAT_MAX_BYTES (256ull << 20)
#define FAT_MAX_DIRS 65536u

struct fat {
	int fd;
	unsigned bps, spc, bits; /* bits: 12, 16 or 32 */
	uint64_t fat_off, data_off, clusters, read;
	uint8_t *table; /* the first FAT */
	uint64_t hash;
};

static int fat_hash_range(struct fat *f, uint64_t off, uint64_t len)
{
	_cleanup_(freep) uint8_t *buf = NULL;
	const size_t step = 1 << 20;

	if ((f->read += len) > FAT_MAX_BYTES)
		return -EFBIG;
	if (posix_memalign((void **)&buf, 4096, step) != 0)
		return -ENOMEM;
	while (len) {
		size_t n = len < step ? (size_t)len : step;
		int r = pread_full(f->fd, buf, n, off);

		if (r < 0)
			return r;
		f->hash = hash64(buf, n, f->hash);
		off += n;
		len -= n;
	}
	return 0;
}

/* The FAT entry of cluster c (the next cluster of its chain); 0 past the
 * table. */
static uint32_t fat_next(const struct fat *f, uint32_t c)
{
	if (c < 2 || c >= f->clusters + 2)
		return 0;
	if (f->bits == 32)
		return le32_get(f->table + 4 * (uint64_t)c) & 0x0fffffff;
	if (f->bits == 16)
		return le16_get(f->table + 2 * (uint64_t)c);
	uint16_t v = le16_get(f->table + c + c / 2);
	return c & 1 ? v >> 4 : v & 0xfff;
}

static bool fat_chain_end(const struct fat *f, uint32_t c)
{
	uint32_t eoc = f->bits == 32 ? 0x0ffffff7 : f->bits == 16 ? 0xfff7 : 0xff7;

	return c < 2 || c >= eoc || c >= f->clusters + 2;
}

/* Hash the directory whose chain starts at cluster c, and queue its
 * subdirectories. */
static int fat_hash_dir(struct fat *f, uint32_t c, uint32_t *queue, size_t *qn)
{
	const uint64_t csize = (uint64_t)f->spc * f->bps;
	_cleanup_(freep) uint8_t *buf = NULL;
	uint64_t steps = 0;
	int r;

	if (posix_memalign((void **)&buf, 4096, csize) != 0)
		return -ENOMEM;
	for (; !fat_chain_end(f, c); c = fat_next(f, c)) {
		if (++steps > f->clusters || (f->read += csize) > FAT_MAX_BYTES)
			return -EFBIG; /* a loop in the chain, or too much */
		r = pread_full(f->fd, buf, csize, f->data_off + (uint64_t)(c - 2) * csize);
		if (r < 0)
			return r;
		f->hash = hash64(buf, csize, f->hash);
		for (uint64_t e = 0; e + 32 <= csize; e += 32) {
			const uint8_t *d = buf + e;
			uint32_t sub;

			if (d[0] == 0)
				return 0;
			if (d[0] == 0xe5 || (d[11] & 0x3f) == 0x0f || !(d[11] & 0x10) || d[0] == '.')
				continue;
			sub = (uint32_t)le16_get(d + 26) | (f->bits == 32 ? (uint32_t)le16_get(d + 20) << 16 : 0);
			if (sub < 2)
				continue;
			if (*qn == FAT_MAX_DIRS)
				return -EFBIG;
			queue[(*qn)++] = sub;
		}
	}
	return 0;
}

/* vfat: nothing in the boot sector counts mounts or writes, but every write
 * of a file changes the FAT (its clusters) or its directory entry (size,
 * modification time), and a mount by Linux sets and clears the dirty flag
 * of the FAT.  The digest covers the reserved sectors (boot sector,
 * FSInfo), every copy of the FAT, the FAT12/16 root directory and every
 * directory's clusters.  -EMEDIUMTYPE when bs is not a FAT boot sector. */
static int read_vfat(int fd, const uint8_t *bs, struct fs_guard *ret)
{
	_cleanup_(freep) uint32_t *queue = NULL;
	struct fat f = {.fd = fd};
	uint64_t rsvd, nfats, fatsz, totsec, root_bytes, data_sec;
	size_t qn = 0;
	int r;

	f.bps = le16_get(bs + FAT_BPS);
	f.spc = bs[FAT_SPC];
	rsvd = le16_get(bs + FAT_RSVD);
	nfats = bs[FAT_NFATS];
	if (bs[510] != 0x55 || bs[511] != 0xaa || (f.bps != 512 && f.bps != 1024 && f.bps != 2048 &&
						      f.bps != 4096) ||
	    !f.spc || (f.spc & (f.spc - 1)) || !rsvd || !nfats || nfats > 4)
		return -EMEDIUMTYPE;
	fatsz = le16_get(bs + FAT_FATSZ16) ? le16_get(bs + FAT_FATSZ16) : le32_get(bs + FAT_FATSZ32);
	totsec = le16_get(bs + FAT_TOTSEC16) ? le16_get(bs + FAT_TOTSEC16) : le32_get(bs + FAT_TOTSEC32);
	root_bytes = (uint64_t)le16_get(bs + FAT_ROOT_ENTS) * 32;
	data_sec = rsvd + nfats * fatsz + (root_bytes + f.bps - 1) / f.bps;
	if (!fatsz || totsec <= data_sec)
		return -EMEDIUMTYPE;
	f.clusters = (totsec - data_sec) / f.spc;
	/* As Linux tells them: FAT32 has no 16-bit FAT size; FAT12 has at
	 * most 4084 clusters. */
	f.bits = !le16_get(bs + FAT_FATSZ16) ? 32 : f.clusters < 4085 ? 12 : 16;
	if (fatsz * f.bps < (f.clusters + 2) * f.bits / 8)
		return -EMEDIUMTYPE; /* the FAT cannot map every cluster */
	f.fat_off = rsvd * f.bps;
	f.data_off = data_sec * f.bps;

	ret->fs_type = IMAGE_FS_VFAT;
	memcpy(ret->uuid, bs + (f.bits == 32 ? FAT_SERIAL32 : FAT_SERIAL16), 4);
	if (fatsz * f.bps > FAT_MAX_BYTES / 4)
		return -EFBIG;
	if (posix_memalign((void **)&f.table, 4096, fatsz * f.bps) != 0)
		return -ENOMEM;
	r = pread_full(fd, f.table, fatsz * f.bps, f.fat_off);
	if (r == 0)
		r = fat_hash_range(&f, 0, f.fat_off + nfats * fatsz * f.bps + root_bytes);
	queue = calloc(FAT_MAX_DIRS, sizeof(*queue));
	if (r == 0 && !queue)
		r = -ENOMEM;
	if (r == 0 && f.bits == 32)
		queue[qn++] = le32_get(bs + FAT_ROOT_CLUS);
	if (r == 0 && f.bits != 32) {
		/* The root directory's entries, for its subdirectories. */
		_cleanup_(freep) uint8_t *root = NULL;
		uint64_t roff = f.fat_off + nfats * fatsz * f.bps;
		uint64_t rlen = (root_bytes + f.bps - 1) / f.bps * f.bps;

		if (posix_memalign((void **)&root, 4096, rlen) != 0)
			r = -ENOMEM;
		else
			r = pread_full(fd, root, rlen, roff);
		for (uint64_t e = 0; r == 0 && e + 32 <= root_bytes; e += 32) {
			const uint8_t *d = root + e;

			if (d[0] == 0)
				break;
			if (d[0] == 0xe5 || (d[11] & 0x3f) == 0x0f || !(d[11] & 0x10) || d[0] == '.' ||
			    le16_get(d + 26) < 2)
				continue;
			queue[qn++] = le16_get(d + 26);
		}
	}
	for (size_t i = 0; r == 0 && i < qn; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = queue[j] == queue[i];
		if (!seen)
			r = fat_hash_dir(&f, queue[i], queue, &qn);
	}
	free(f.table);
	if (r < 0)
		return r;
	ret->digest = f.hash | 1;
	return 0;
}

int fsguard_read(const char *dev, struct fs_guard *ret)
{
	_cleanup_(closep) int fd = -1;
	_cleanup_(freep) uint8_t *buf = NULL;
	int r;

	/* O_DIRECT: the device, not what this kernel's cache remembers. */
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (fd < 0 && errno == EINVAL)
		fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (posix_memalign((void **)&buf, 4096, 4096) != 0)
		return -ENOMEM;
	r = pread_full(fd, buf, 4096, 0);
	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	if (le16_get(buf + EXT_SB_OFFSET + EXT_MAGIC) == EXT_MAGIC_VALUE) {
		read_ext(fd, buf + EXT_SB_OFFSET, ret);
		return 0;
	}
	if (memcmp(buf, "XFSB", 4) == 0)
		return read_xfs(fd, buf, ret);
	r = read_vfat(fd, buf, ret);
	if (r != -EMEDIUMTYPE)
		return r;
	return read_btrfs(fd, ret);
}

static void format_time(uint64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm))
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(buf, size, "%" PRIu64, t);
}

/* What the mount count, times and log positions do not show: a digest of
 * the superblocks (when the image recorded one). */
static bool digest_same(const struct fs_guard *then, const struct fs_guard *now, char *why,
			size_t size)
{
	if (!then->digest || then->digest == now->digest)
		return true;
	snprintf(why, size,
		 "its superblock%s changed since the snapshot (a read-only mount that replayed "
		 "its journal, or another system's write)",
		 then->fs_type == IMAGE_FS_EXT4 ? " or its journal's" : "");
	return false;
}

bool fsguard_same(const struct fs_guard *then, const struct fs_guard *now, char *why,
		  size_t size)
{
	char a[40], b[40];

	if (then->fs_type != now->fs_type || memcmp(then->uuid, now->uuid, 16) != 0) {
		snprintf(why, size, "it is another file system now (its UUID changed)");
		return false;
	}
	if (then->fs_type == IMAGE_FS_XFS) {
		if (then->write_time == now->write_time && then->mount_time == now->mount_time)
			return digest_same(then, now, why, size);
		snprintf(why, size,
			 "it was written since the snapshot (log head %" PRIu64 ":%" PRIu64
			 " -> %" PRIu64 ":%" PRIu64 ", superblock LSN %" PRIu64 ":%" PRIu64
			 " -> %" PRIu64 ":%" PRIu64 ")",
			 then->write_time >> 32, then->write_time & 0xffffffff, now->write_time >> 32,
			 now->write_time & 0xffffffff, then->mount_time >> 32,
			 then->mount_time & 0xffffffff, now->mount_time >> 32,
			 now->mount_time & 0xffffffff);
		return false;
	}
	if (then->fs_type == IMAGE_FS_VFAT) {
		if (then->digest == now->digest)
			return true;
		snprintf(why, size,
			 "its FAT, a directory or its boot sector changed since the snapshot "
			 "(another system wrote to it, or mounted it)");
		return false;
	}
	if (then->fs_type == IMAGE_FS_BTRFS) {
		if (then->write_time != now->write_time) {
			snprintf(why, size,
				 "it was written since the snapshot (generation %" PRIu64 " -> %" PRIu64
				 ")",
				 then->write_time, now->write_time);
			return false;
		}
		if (then->mount_time != now->mount_time) {
			snprintf(why, size, "an fsync log was written since the snapshot");
			return false;
		}
		return digest_same(then, now, why, size);
	}
	if (then->mount_count != now->mount_count || then->mount_time != now->mount_time) {
		format_time(then->mount_time, a, sizeof(a));
		format_time(now->mount_time, b, sizeof(b));
		snprintf(why, size,
			 "it was mounted since the snapshot (mount count %" PRIu32 " -> %" PRIu32
			 ", last mounted %s, then %s)",
			 then->mount_count, now->mount_count, a, b);
		return false;
	}
	if (then->write_time != now->write_time) {
		format_time(then->write_time, a, sizeof(a));
		format_time(now->write_time, b, sizeof(b));
		snprintf(why, size, "it was written since the snapshot (last write %s, then %s)", a,
			 b);
		return false;
	}
	return digest_same(then, now, why, size);
}

