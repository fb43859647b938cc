# shellcheck shell=bash
# The target guard. The target holds an ext4 file system with a file on it,
# the root file system (/dev/vda) is mounted, and the target is then held by
# a device-mapper mapping: snapwrite refuses each, says what it found,
# freezes nothing, and both disks keep their data. Then
# "snapwrite prepare" erases the file system's signature and the same
# device takes an image.
#
# kernels: 6.1

mkdir -p "$WORKDIR/fs"
head -c 65536 /dev/urandom > "$WORKDIR/fs/precious"
want=$(sha256sum < "$WORKDIR/fs/precious")
mkfs.ext4 -q -F -L precious -d "$WORKDIR/fs" "$TARGET_IMG" 64M > /dev/null ||
	fail "mkfs.ext4 of the target failed"
truncate -s "${SNAPTEST_TARGET_MIB}M" "$TARGET_IMG"
before=$(sha256sum < "$TARGET_IMG")

boot b1-guard guard
expect "snapwrite: Target '/dev/vdb' holds ext4 file system LABEL=precious UUID=[0-9a-f-]+ at byte 1080" \
	"snapwrite did not name the file system on the target"
expect "snapwrite: Refusing to overwrite what target '/dev/vdb' holds" "snapwrite did not refuse the file system"
expect "snapwrite: Target '/dev/vda' is mounted at /: refusing to write to it" \
	"snapwrite did not refuse the mounted root"
expect "snapwrite: Target '/dev/vdb' is held by dm-0 " "snapwrite did not refuse the target held by a mapping"
expect_not 'snapwrite: freezing' "snapwrite froze the system for a target it refuses"
expect_result vdb_rc 3
expect_result vda_rc 3
expect_result held_rc 3
[ "$(sha256sum < "$TARGET_IMG")" = "$before" ] || fail "the refused target was written to"
debugfs -R 'cat /precious' "$TARGET_IMG" 2> /dev/null | sha256sum | grep -q -F -- "${want% *}" ||
	fail "the file on the refused target's file system is not intact"

hibernate b2-prepare "snaptest.mib=16 snaptest.prepare=1"
expect 'SNAPTEST: prepare rc=0' "snapwrite prepare failed"
expect 'snapwrite: /dev/vdb is ready for images \(1 signature erased\)' "prepare did not erase the file system signature"
expect_state_valid b2-prepare
