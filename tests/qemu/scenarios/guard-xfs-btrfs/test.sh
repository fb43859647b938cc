# shellcheck shell=bash
# The file system guard on xfs and btrfs (the guest loads the kernel's
# modules). /dev/vdb1 is the target, vdb2 an xfs and vdb3 a btrfs, both
# mounted and written to when the snapshot is taken. An image file on the
# btrfs is refused. Unchanged, all three file systems pass and the guest
# resumes. (A change to the xfs is detected in the unit tests: a boot
# here that mounts it also mounts the root, which the guard names first.)
#
# kernels: 6.1

SNAPTEST_TARGET_MIB=1024
truncate -s 1G "$TARGET_IMG"
printf 'label: gpt\nsize=256MiB, type=linux\nsize=320MiB, type=linux\nsize=256MiB, type=linux\n' |
	sfdisk -q "$TARGET_IMG" > "$WORKDIR/sfdisk.log" 2>&1 || fail "sfdisk failed: $(cat "$WORKDIR/sfdisk.log")"
# Each file system made in a file of its own, then copied into its partition.
put_fs() { # PARTITION MKFS...
	local part=$1 start size
	shift
	start=$(sfdisk -J "$TARGET_IMG" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$part-1]; print(p['start'], p['size'])")
	size=${start#* }
	start=${start% *}
	truncate -s 0 "$WORKDIR/part.img"
	truncate -s $((size * 512)) "$WORKDIR/part.img"
	"$@" "$WORKDIR/part.img" > "$WORKDIR/mkfs-$part.log" 2>&1 || fail "$1 failed: $(cat "$WORKDIR/mkfs-$part.log")"
	dd if="$WORKDIR/part.img" of="$TARGET_IMG" bs=512 seek="$start" conv=notrunc,sparse status=none ||
		fail "could not copy partition $part"
	rm -f "$WORKDIR/part.img"
}
put_fs 2 mkfs.xfs -q -f
put_fs 3 mkfs.btrfs -q -f
guest_modules crc32c_generic xfs btrfs

SNAPTEST_RESUME=/dev/vdb1
hibernate b1-hibernate "snaptest.setup=xfs-btrfs snaptest.mib=64"
expect_not '^SNAPTEST: insmod' "a kernel module did not load"
expect "^snapwrite: Image file '/b/snapimage' refused: it is on btrfs" "snapwrite did not refuse an image file on btrfs"
expect '^SNAPTEST: btrfs image file rc=3$' "the refused image file on btrfs did not end with exit status 3"

boot b2-resume check
expect_resumed 3

