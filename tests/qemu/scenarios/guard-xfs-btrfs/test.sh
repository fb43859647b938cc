# shellcheck shell=bash
# The file system guard on xfs and btrfs (the guest loads the kernel's
# modules). /dev/vdb1 is the target, vdb2 an xfs and vdb3 a btrfs, both
# mounted and written to when the snapshot is taken. An image file on the
# btrfs is refused. Unchanged, all three file systems pass and the guest
# resumes; after another boot mounted the xfs and wrote to it, the image
# is refused naming the xfs and its log head.

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
SNAPTEST_TARGET_MIB=1024
truncate -s 1G "$TARGET_IMG"
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

hibernate b3-hibernate "snaptest.setup=xfs-btrfs snaptest.mib=64"
SNAPTEST_RESUME=''
boot b4-mount-xfs touch "snaptest.touch=/dev/vdb2:xfs"
expect_result touched /dev/vdb2
SNAPTEST_RESUME=/dev/vdb1
boot b5-refuse check
expect 'snapresume: refusing image on /dev/vdb1: file system /x \(xfs UUID=[0-9a-f-]+\) on /dev/vdb2: it was written since the snapshot \(log head' \
	"snapresume did not refuse the image naming the xfs written since the snapshot"
expect_fresh_boot
