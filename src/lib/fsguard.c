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
	       strcmp(fstype, "btrfs") == 0;
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
	default:
		return "unknown";
	}
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

