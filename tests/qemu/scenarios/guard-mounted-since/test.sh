# shellcheck shell=bash
# The file system guard. An image is taken; then a plain boot (no resume=
# at all, so snapresume does not even look) mounts the root file system
# read-write and runs; then a boot that would resume finds the root's
# mount count and mount time changed since the snapshot: it refuses the
# image, names the file system, invalidates it and boots with the files on
# disk intact.
#
# kernels: 6.1

hibernate b1-hibernate "snaptest.mib=16"
expect_state_valid b1-hibernate

SNAPTEST_RESUME='' boot b2-plain check
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_valid b2-plain

boot b3-resume check
expect 'snapresume: refusing image on /dev/vdb: file system / \(ext4 UUID=[0-9a-f-]+\) on /dev/vda: it was mounted since the snapshot \(mount count [0-9]+ -> [0-9]+' \
	"snapresume did not refuse the image of a file system mounted since"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b3-resume
