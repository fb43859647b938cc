# shellcheck shell=bash
# The same for xfs: an xfs mounted and written to at the snapshot is
# mounted read-only by another boot, which recovers its log (and keeps the
# root's journal alone: root read-only, rootflags=noload, so that the root
# passes the guard); the next boot refuses the image naming the xfs.
#
# kernels: 6.1

SNAPTEST_TARGET_MIB=1024
truncate -s 1G "$TARGET_IMG"
printf 'label: gpt\nsize=256MiB, type=linux\nsize=320MiB, type=linux\nsize=256MiB, type=linux\n' |
	sfdisk -q "$TARGET_IMG" > "$WORKDIR/sfdisk.log" 2>&1 || fail "sfdisk failed: $(cat "$WORKDIR/sfdisk.log")"
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

SNAPTEST_RESUME='' SNAPTEST_ROOT_MODE=ro SNAPTEST_APPEND=rootflags=noload \
	boot b2-ro-mount romount "snaptest.romount=/dev/vdb2:xfs"
expect_result mounted /dev/vdb2

boot b3-resume check
expect 'snapresume: refusing image on /dev/vdb1: file system /x \(xfs UUID=[0-9a-f-]+\) on /dev/vdb2: ' \
	"snapresume did not refuse the image of the xfs a read-only mount wrote to"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
