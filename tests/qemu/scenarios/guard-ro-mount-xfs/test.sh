# shellcheck shell=bash
# The same for xfs: an xfs mounted and written to at the snapshot is
# mounted read-only by another boot, which recovers its log (and keeps the
# root's journal alone: root read-only, rootflags=noload, so that the root
# passes the guard); the next boot refuses the image naming the xfs.
#
# kernels: 6.1

xfs_btrfs_target

SNAPTEST_RESUME=/dev/vdb1
hibernate b1-hibernate "snaptest.setup=xfs-btrfs snaptest.mib=64"

SNAPTEST_RESUME='' SNAPTEST_ROOT_MODE=ro SNAPTEST_APPEND="rootflags=noload rd.skipfsck" \
	boot b2-ro-mount romount "snaptest.romount=/dev/vdb2:xfs"
expect_result mounted /dev/vdb2

boot b3-resume check
expect 'snapresume: refusing image on /dev/vdb1: file system /x \(xfs UUID=[0-9a-f-]+\) on /dev/vdb2: ' \
	"snapresume did not refuse the image of the xfs a read-only mount wrote to"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
