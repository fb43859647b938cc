# shellcheck shell=bash
# The file system guard on xfs and btrfs (the guest loads the kernel's
# modules). /dev/vdb1 is the target, vdb2 an xfs and vdb3 a btrfs, both
# mounted and written to when the snapshot is taken. An image file on the
# btrfs is refused. Unchanged, all three file systems pass and the guest
# resumes. (A change to the xfs is detected in the unit tests: a boot
# here that mounts it also mounts the root, which the guard names first.)
#
# kernels: 6.1

xfs_btrfs_target

SNAPTEST_RESUME=/dev/vdb1
hibernate b1-hibernate "snaptest.setup=xfs-btrfs snaptest.mib=64"
expect_not '^SNAPTEST: insmod' "a kernel module did not load"
expect "^snapwrite: Image file '/b/snapimage' refused: it is on btrfs" "snapwrite did not refuse an image file on btrfs"
expect '^SNAPTEST: btrfs image file rc=3$' "the refused image file on btrfs did not end with exit status 3"

boot b2-resume check
expect_resumed 3

