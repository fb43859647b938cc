# shellcheck shell=bash
# Discard: "snapwrite rollback discard" after the snapshot; the next boot
# drops image and COW store: the root file system is back at the snapshot
# (F gone, the file written before it intact), a cold boot, fsck clean.
#
# kernels: 6.1

rollback_setup
take_snapshot b1-snapshot "snaptest.arm=discard"
expect_result arm_rc 0

boot b2-discard check
expect 'snapresume: snapshot image: discard \(armed by snapwrite rollback\)' \
	"snapresume did not take the armed action"
expect 'snapresume: overlay snaproot: the changes since the snapshot discarded' \
	"snapresume did not drop the COW store"
expect_fresh_boot
expect_not 'snapresume: resuming image' "snapresume resumed a discarded snapshot"
expect_result f absent
expect_result rootfile ok
expect_result overlay linear
expect_fsck_clean
