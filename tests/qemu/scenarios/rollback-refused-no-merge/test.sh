# shellcheck shell=bash
# A refused resume never leads to a merge. "rollback resume" is armed; a
# boot without overlays and without resume= writes to /dev/vda itself; the
# next boot's guard refuses the image (the root file system was mounted
# since) and the stale COW store is dropped, not merged: the file the other
# boot wrote is intact.
#
# kernels: 6.1

rollback_setup
take_snapshot b1-snapshot "snaptest.arm=resume"
expect_result arm_rc 0

SNAPTEST_APPEND='' SNAPTEST_ROOT_DEV=/dev/vda SNAPTEST_RESUME='' \
	boot b2-other-system check "snaptest.mark=written-by-another-boot"
expect '^SNAPTEST: marked: written-by-another-boot' "the plain boot did not write its file"

boot b3-overlays check
expect 'snapresume: refusing image on /dev/vdb: file system / .*it was mounted since the snapshot' \
	"the guard did not refuse the image"
expect 'snapresume: overlay snaproot: the changes since the snapshot are not merged: the snapshot image was refused; COW store /dev/vdc dropped' \
	"snapresume did not say why the store is not merged"
expect_not 'merged into /dev/vda' "the stale COW store was merged after a refused resume"
expect_fresh_boot
expect_result f absent
expect_fsck_clean
content=$(debugfs -R 'cat /var/snaptest/mark' "$ROOT_IMG" 2> /dev/null)
[ "$content" = written-by-another-boot ] || fail "the other boot's file is not intact ('$content')"
