/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the target guard (devprobe.h) on files: what libblkid finds
 * (a file system made by mkfs.ext4, a swap area by mkswap, a DOS partition
 * table written by hand), the wipe that prepares a target, and the mount
 * table lookup; the file system guard's superblock reader and comparison.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsguard.h"
#include "devprobe.h"
#include "format/format.h"
#include "util.h"

static char dir[64], file[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/test-guard.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	snprintf(file, sizeof(file), "%s/dev", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(file);
	rmdir(dir);
	return 0;
}

static void blank(void)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 32 << 20), 0);
	close(fd);
}

static void run(const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "%s '%s' > /dev/null 2>&1", cmd, file);
	if (system(line) != 0)
		fail_msg("'%s' failed", line);
}

static void test_blank(void **state)
{
	struct devprobe_sig sigs[4];
	size_t n = 99;

	(void)state;
	blank();
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(devprobe_signatures("/nonexistent/dev", sigs, 4, &n), -ENOENT);
}

static void test_ext4_found_and_wiped(void **state)
{
	struct devprobe_sig sigs[4];
	char line[256];
	size_t n = 0;

	(void)state;
	blank();
	run("mkfs.ext4 -q -F -L guarded -U 0e0c7e41-a969-4856-8d0a-fe05b7de7df8");
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sigs[0].type, "ext4");
	assert_string_equal(sigs[0].usage, "filesystem");
	assert_string_equal(sigs[0].label, "guarded");
	assert_string_equal(sigs[0].uuid, "0e0c7e41-a969-4856-8d0a-fe05b7de7df8");
	assert_int_equal(sigs[0].offset, 1080);
	devprobe_describe(&sigs[0], line, sizeof(line));
	assert_string_equal(line, "ext4 file system LABEL=guarded "
				  "UUID=0e0c7e41-a969-4856-8d0a-fe05b7de7df8 at byte 1080");

	assert_int_equal(devprobe_wipe(file), 0);
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_int_equal(n, 0);
}

static void blank_mib(unsigned mib);

/* The unit each file system writes in, which a COW store must not exceed
 * (snapwrite snapshot): ext4's block, XFS's sector; none for swap. */
static void test_block_size(void **state)
{
	struct devprobe_sig sigs[4];
	size_t n = 0;

	(void)state;
	blank();
	run("mkfs.ext4 -q -F -b 1024");
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sigs[0].block_size, 1024);
	blank();
	run("mkfs.ext4 -q -F -b 4096");
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_int_equal(sigs[0].block_size, 4096);
	blank_mib(320);
	run("mkfs.xfs -q -f -s size=512 -b size=4096");
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_string_equal(sigs[0].type, "xfs");
	assert_int_equal(sigs[0].block_size, 512);
	blank();
	run("mkswap");
	assert_int_equal(devprobe_signatures(file, sigs, 4, &n), 0);
	assert_string_equal(sigs[0].type, "swap");
	assert_int_equal(sigs[0].block_size, 0);
}

static void test_swap_and_count_beyond_max(void **state)
{
	struct devprobe_sig sigs[1];
	size_t n = 0;

	(void)state;
	blank();
	run("mkswap -L sw");
	assert_int_equal(devprobe_signatures(file, sigs, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sigs[0].type, "swap");
	/* No room for any: still counted. */
	assert_int_equal(devprobe_signatures(file, NULL, 0, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(devprobe_wipe(file), 0);
	assert_int_equal(devprobe_signatures(file, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
}

/* A DOS partition table with one Linux partition from sector 2048. */
static void test_partition_table(void **state)
{
	uint8_t mbr[512] = {0};
	struct devprobe_sig sigs[2];
	size_t n = 0;
	int fd;

	(void)state;
	blank();
	mbr[446 + 4] = 0x83;
	le32_put(&mbr[446 + 8], 2048);
	le32_put(&mbr[446 + 12], 4096);
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	fd = open(file, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite_full(fd, mbr, sizeof(mbr), 0), 0);
	close(fd);
	assert_int_equal(devprobe_signatures(file, sigs, 2, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sigs[0].type, "dos");
	assert_string_equal(sigs[0].usage, "partition table");
	assert_int_equal(sigs[0].offset, 510);
}

static void test_holders(void **state)
{
	char names[64];

	(void)state;
	/* A file has no holders. */
	blank();
	assert_int_equal(devprobe_holders(file, names, sizeof(names)), 0);
	assert_string_equal(names, "");
}

/* ---- the file system guard (fsguard.h) ----------------------------------- */

static void test_fs_mounts(void **state)
{
	struct fs_mount m[4];
	char mi[160];
	size_t n = 0;
	FILE *f;

	(void)state;
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	f = fopen(mi, "w");
	assert_non_null(f);
	fputs("21 1 0:20 / /proc rw - proc proc rw\n"
	      "28 1 254:3 / / rw,relatime shared:1 - ext4 /dev/vda3 rw\n"
	      "29 28 0:25 / /tmp rw - tmpfs tmpfs rw\n"
	      "40 28 254:17 / /srv/data rw - xfs /dev/vdb1 rw\n"
	      "41 28 254:3 /var/lib /var/lib rw shared:2 - ext4 /dev/vda3 rw\n"
	      "garbage line\n",
	      f);
	fclose(f);
	assert_int_equal(fsguard_list_mounts(mi, m, 4, &n), 0);
	/* proc and tmpfs have no device; the bind mount repeats /dev/vda3. */
	assert_int_equal(n, 2);
	assert_int_equal(m[0].major, 254);
	assert_int_equal(m[0].minor, 3);
	assert_string_equal(m[0].mount_point, "/");
	assert_string_equal(m[0].fstype, "ext4");
	assert_string_equal(m[0].source, "/dev/vda3");
	assert_string_equal(m[1].mount_point, "/srv/data");
	assert_string_equal(m[1].fstype, "xfs");
	assert_true(fsguard_supported("ext4"));
	assert_true(fsguard_supported("ext2"));
	assert_true(fsguard_supported("xfs"));
	assert_true(fsguard_supported("vfat"));
	assert_false(fsguard_supported("exfat"));
	/* Room for one: the count still says two. */
	assert_int_equal(fsguard_list_mounts(mi, m, 1, &n), 0);
	assert_int_equal(n, 2);

	/* btrfs shows an anonymous device number (0:N): its source names the
	 * device.  Any block device of this machine stands in for it. */
	{
		char dev[300] = "", line[400];
		struct stat st;
		DIR *d = opendir("/sys/class/block");
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d)))
			if (de->d_name[0] != '.') {
				snprintf(dev, sizeof(dev), "/dev/%s", de->d_name);
				if (stat(dev, &st) == 0 && S_ISBLK(st.st_mode))
					break;
				dev[0] = 0;
			}
		closedir(d);
		assert_true(dev[0]);
		f = fopen(mi, "w");
		assert_non_null(f);
		snprintf(line, sizeof(line),
			 "50 28 0:47 / /home rw - btrfs %s rw\n"
			 "51 28 0:48 / /mnt rw - btrfs none rw\n",
			 dev);
		fputs(line, f);
		fclose(f);
		assert_int_equal(fsguard_list_mounts(mi, m, 4, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(m[0].major, major(st.st_rdev));
		assert_int_equal(m[0].minor, minor(st.st_rdev));
		assert_string_equal(m[0].fstype, "btrfs");
	}
	unlink(mi);
	assert_int_equal(fsguard_list_mounts(mi, m, 4, &n), -ENOENT);
}

/* What a read-only mount that replays the journal changes: the
 * superblock's feature flags (the recovery flag) and the journal's own
 * superblock (its start and sequence), not the mount count or the times.
 * The digest sees both. */
static void test_fs_digest_ext4(void **state)
{
	struct fs_guard a, b;
	char why[256];
	uint8_t byte;
	uint64_t jblock = 0;
	int fd;

	(void)state;
	blank();
	run("mkfs.ext4 -q -F -b 4096 -J size=4");
	assert_int_equal(fsguard_read(file, &a), 0);
	assert_true(a.digest != 0);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_true(a.digest == b.digest);
	assert_true(fsguard_same(&a, &b, why, sizeof(why)));

	/* The recovery flag (incompat 0x4) set, as a mounted file system has
	 * it, and cleared again, as a replay leaves it: only the digest moves. */
	fd = open(file, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread_full(fd, &byte, 1, 1024 + 0x60), 0);
	byte ^= 0x4;
	assert_int_equal(pwrite_full(fd, &byte, 1, 1024 + 0x60), 0);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_int_equal(a.mount_count, b.mount_count);
	assert_true(a.mount_time == b.mount_time && a.write_time == b.write_time);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "superblock or its journal's changed since the snapshot"));
	byte ^= 0x4;
	assert_int_equal(pwrite_full(fd, &byte, 1, 1024 + 0x60), 0);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_true(fsguard_same(&a, &b, why, sizeof(why)));

	/* The journal's superblock: found through the journal inode (the
	 * debugfs of e2fsprogs says where its block 0 is), its sequence moved. */
	{
		FILE *p;
		char cmd[256], line[256];

		snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap <8> 0' %s 2>/dev/null", file);
		p = popen(cmd, "r");
		assert_non_null(p);
		if (fgets(line, sizeof(line), p))
			jblock = strtoull(line, NULL, 10);
		pclose(p);
	}
	assert_true(jblock > 0);
	assert_int_equal(pread_full(fd, &byte, 1, jblock * 4096 + 24), 0); /* s_sequence */
	byte ^= 0x1;
	assert_int_equal(pwrite_full(fd, &byte, 1, jblock * 4096 + 24), 0);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	/* A guard recorded without a digest (an older image) still compares. */
	a.digest = 0;
	assert_true(fsguard_same(&a, &b, why, sizeof(why)));
	close(fd);
}

/* Mounts without a block device: in memory, kernel views, overlay and FUSE
 * from memory are accepted; network file systems, ZFS, other FUSE and a
 * multi-device source are not; block devices are fsguard_list_mounts'. */
static void test_fs_unguardable(void **state)
{
	struct fs_mount m[8];
	char mi[160];
	size_t n = 0;
	FILE *f;

	(void)state;
	snprintf(mi, sizeof(mi), "%s/mountinfo", dir);
	f = fopen(mi, "w");
	assert_non_null(f);
	fputs("21 1 0:20 / /proc rw - proc proc rw\n"
	      "28 1 254:3 / / rw,relatime shared:1 - ext4 /dev/vda3 rw\n"
	      "29 28 0:25 / /tmp rw - tmpfs tmpfs rw\n"
	      "30 28 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
	      "31 28 0:27 / /merged rw - overlay overlay rw,lowerdir=/a,upperdir=/b\n"
	      "32 28 0:28 / /run/user/1000/gvfs rw - fuse.gvfsd-fuse gvfsd-fuse rw\n"
	      "33 28 0:29 / /srv/nfs rw - nfs4 server:/export rw\n"
	      "34 28 0:30 / /tank rw - zfs tank/home rw\n"
	      "35 28 0:31 / /mnt/ssh ro - fuse.sshfs me@host:/ ro\n"
	      "36 28 0:32 / /mnt/b rw - bcachefs /dev/sda:/dev/sdb rw\n",
	      f);
	fclose(f);
	assert_int_equal(fsguard_list_unguardable(mi, m, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(m[0].mount_point, "/srv/nfs");
	assert_string_equal(fsguard_unguardable_kind(&m[0]), "a network file system");
	assert_true(m[0].writable);
	assert_string_equal(m[1].mount_point, "/tank");
	assert_string_equal(fsguard_unguardable_kind(&m[1]), "a ZFS dataset");
	assert_string_equal(m[2].mount_point, "/mnt/ssh");
	assert_string_equal(fsguard_unguardable_kind(&m[2]), "a FUSE file system");
	assert_false(m[2].writable);
	assert_string_equal(m[3].mount_point, "/mnt/b");
	assert_string_equal(fsguard_unguardable_kind(&m[3]), "a file system with no single device");
	/* Read-only image file systems cannot change; a writable one can. */
	struct fs_mount sq = {.writable = false};
	strcpy(sq.fstype, "squashfs");
	assert_true(fsguard_immutable(&sq));
	sq.writable = true;
	assert_false(fsguard_immutable(&sq));
	strcpy(sq.fstype, "vfat");
	sq.writable = false;
	assert_false(fsguard_immutable(&sq));
	unlink(mi);
}

static void test_fs_read_and_compare(void **state)
{
	struct fs_guard a, b;
	uint8_t want[16];
	char why[256];

	(void)state;
	blank();
	assert_int_equal(fsguard_read(file, &a), -EMEDIUMTYPE);
	run("mkfs.ext4 -q -F -U 0e0c7e41-a969-4856-8d0a-fe05b7de7df8");
	assert_int_equal(fsguard_read(file, &a), 0);
	assert_int_equal(a.fs_type, IMAGE_FS_EXT4);
	assert_int_equal(image_uuid_parse("0E0C7E41-a969-4856-8d0a-fe05b7de7df8\n", want), 0);
	assert_memory_equal(a.uuid, want, 16);
	assert_int_equal(a.mount_count, 0);

	b = a;
	assert_true(fsguard_same(&a, &b, why, sizeof(why)));
	/* What "tune2fs -C" does to the mount count, a mount does too. */
	run("tune2fs -C 5");
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_int_equal(b.mount_count, 5);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "mounted since the snapshot (mount count 0 -> 5"));
	b = a;
	b.write_time++;
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "written since the snapshot"));
	b = a;
	b.uuid[0] ^= 1;
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "another file system"));

	assert_int_equal(image_uuid_parse("0e0c7e41-a969-4856-8d0a-fe05b7de7df", want), -EINVAL);
	assert_int_equal(image_uuid_parse("0e0c7e41+a969-4856-8d0a-fe05b7de7df8", want), -EINVAL);
	assert_int_equal(image_uuid_parse("0e0c7e41-a969-4856-8d0a-fe05b7de7df8x", want), -EINVAL);
}

/* A blank file of size MiB. */
static void blank_mib(unsigned mib)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)mib << 20), 0);
	close(fd);
}

/* xfs: the head of the log moves with any write; a copy of the log record
 * header after the last one, with a higher LSN, is what a mount that logs
 * one transaction leaves. */
static void test_fs_xfs(void **state)
{
	struct fs_guard a, b;
	uint8_t want[16], bb[512];
	char why[256];
	off_t off, at = -1;
	int fd;

	(void)state;
	blank_mib(320);
	run("mkfs.xfs -q -f -m uuid=5a0c7e41-a969-4856-8d0a-fe05b7de7df8");
	assert_int_equal(fsguard_read(file, &a), 0);
	assert_int_equal(a.fs_type, IMAGE_FS_XFS);
	assert_string_equal(fsguard_type_name(a.fs_type), "xfs");
	assert_int_equal(image_uuid_parse("5a0c7e41-a969-4856-8d0a-fe05b7de7df8", want), 0);
	assert_memory_equal(a.uuid, want, 16);
	assert_true(a.write_time >> 32 >= 1); /* mkfs's unmount record, cycle 1 */
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_true(fsguard_same(&a, &b, why, sizeof(why)));

	fd = open(file, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	for (off = 0; off < (off_t)320 << 20; off += 512) {
		assert_int_equal(pread_full(fd, bb, 512, (uint64_t)off), 0);
		if (bb[0] == 0xfe && bb[1] == 0xed && bb[2] == 0xba && bb[3] == 0xbe &&
		    (bb[16] | bb[17] | bb[18] | bb[19]) != 0) {
			at = off;
			break;
		}
	}
	assert_true(at >= 0);
	bb[23] += 8; /* the same cycle, a later block */
	assert_int_equal(pwrite_full(fd, bb, 512, (uint64_t)at + 4096), 0);
	close(fd);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_true(b.write_time > a.write_time);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "written since the snapshot (log head"));

	/* Version 4 (no CRCs, no LSNs in the superblock): not guarded. */
	blank_mib(320);
	run("mkfs.xfs -q -f -m crc=0");
	assert_int_equal(fsguard_read(file, &a), -EPROTONOSUPPORT);
}

static void test_fs_btrfs(void **state)
{
	struct fs_guard a, b;
	uint8_t want[16], v[8];
	char why[256];
	int fd;

	(void)state;
	blank_mib(256);
	run("mkfs.btrfs -q -f -U 6b0c7e41-a969-4856-8d0a-fe05b7de7df8");
	assert_int_equal(fsguard_read(file, &a), 0);
	assert_int_equal(a.fs_type, IMAGE_FS_BTRFS);
	assert_int_equal(image_uuid_parse("6b0c7e41-a969-4856-8d0a-fe05b7de7df8", want), 0);
	assert_memory_equal(a.uuid, want, 16);
	assert_true(a.write_time > 0);
	assert_int_equal(a.mount_time, 0);

	fd = open(file, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	le64_put(v, a.write_time + 1); /* a committed transaction */
	assert_int_equal(pwrite_full(fd, v, 8, 65536 + 72), 0);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "(generation"));
	le64_put(v, a.write_time);
	assert_int_equal(pwrite_full(fd, v, 8, 65536 + 72), 0);
	le64_put(v, 30 << 20); /* an fsync's log tree */
	assert_int_equal(pwrite_full(fd, v, 8, 65536 + 96), 0);
	close(fd);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "fsync log"));
	assert_true(fsguard_supported("btrfs") && fsguard_supported("xfs"));
	assert_false(fsguard_supported("exfat"));
}

/* "mtools COMMAND" on the test's FAT image, as another system writes to an
 * EFI system partition without Linux mounting it. */
static void mtools(const char *cmd)
{
	char line[512];

	snprintf(line, sizeof(line), "MTOOLS_SKIP_CHECK=1 %s > /dev/null 2>&1", cmd);
	for (char *p = strstr(line, "IMG"); p; p = strstr(line, "IMG")) {
		char rest[512];

		snprintf(rest, sizeof(rest), "%s", p + 3);
		snprintf(p, sizeof(line) - (size_t)(p - line), "'%s'%s", file, rest);
	}
	if (system(line) != 0)
		fail_msg("'%s' failed", line);
}

/* vfat: a digest of the boot sector, FSInfo, FATs and directories, so that
 * a file written anywhere, even in a subdirectory, with the same size, is
 * seen. */
static void check_vfat(const char *mkfs, unsigned mib)
{
	struct fs_guard a, b, c;
	char why[256], u[16];

	blank_mib(mib);
	run(mkfs);
	assert_int_equal(fsguard_read(file, &a), 0);
	assert_int_equal(a.fs_type, IMAGE_FS_VFAT);
	assert_string_equal(fsguard_type_name(a.fs_type), "vfat");
	fsguard_uuid_string(&a, u, sizeof(u));
	assert_string_equal(u, "ABCD-1234");
	assert_true(a.digest != 0);
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_true(fsguard_same(&a, &b, why, sizeof(why)));

	mtools("mmd -i IMG ::EFI ::EFI/debian");
	mtools("sh -c 'echo one > /tmp/snapguard-vfat.txt && mcopy -i IMG /tmp/snapguard-vfat.txt ::EFI/debian/grub.cfg'");
	assert_int_equal(fsguard_read(file, &b), 0);
	assert_false(fsguard_same(&a, &b, why, sizeof(why)));
	assert_non_null(strstr(why, "FAT, a directory or its boot sector changed"));

	/* The same size, in the subdirectory: its entry's time changes. */
	sleep(2);
	mtools("sh -c 'echo two > /tmp/snapguard-vfat.txt && mcopy -o -i IMG /tmp/snapguard-vfat.txt ::EFI/debian/grub.cfg'");
	assert_int_equal(fsguard_read(file, &c), 0);
	assert_false(fsguard_same(&b, &c, why, sizeof(why)));
	unlink("/tmp/snapguard-vfat.txt");
}

static void test_fs_vfat(void **state)
{
	(void)state;
	assert_true(fsguard_supported("vfat"));
	check_vfat("mkfs.vfat -F 32 -s 1 -i ABCD1234", 64);
	check_vfat("mkfs.vfat -F 16 -i ABCD1234", 32);
	check_vfat("mkfs.vfat -F 12 -i ABCD1234", 4);

	/* Not FAT: a zeroed device is no file system at all. */
	struct fs_guard g;
	blank();
	assert_int_equal(fsguard_read(file, &g), -EMEDIUMTYPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_ext4_found_and_wiped),
		cmocka_unit_test(test_block_size),
		cmocka_unit_test(test_swap_and_count_beyond_max),
		cmocka_unit_test(test_partition_table),
		cmocka_unit_test(test_holders),
		cmocka_unit_test(test_fs_mounts),
		cmocka_unit_test(test_fs_unguardable),
		cmocka_unit_test(test_fs_read_and_compare),
		cmocka_unit_test(test_fs_digest_ext4),
		cmocka_unit_test(test_fs_xfs),
		cmocka_unit_test(test_fs_btrfs),
		cmocka_unit_test(test_fs_vfat),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
