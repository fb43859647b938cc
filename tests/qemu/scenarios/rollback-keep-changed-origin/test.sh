# shellcheck shell=bash
# The origin is the truth. After a snapshot (the guest writes F on the
# overlay), a boot without overlays and without resume= (another boot
# entry, a rescue system) mounts /dev/vda itself read-write and writes a
# file; the next boot with the overlay would keep the changes (the
# default), but its origin is no longer as the snapshot recorded it: the
# COW store is dropped, not merged, the console says which overlay and
# why, and the file that boot wrote is intact (F, written on the overlay,
# is gone with the store).
#
# kernels: 6.12

rollback_setup
take_snapshot b1-snapshot

SNAPTEST_APPEND='' SNAPTEST_ROOT_DEV=/dev/vda SNAPTEST_RESUME='' \
	boot b2-other-system check "snaptest.mark=written-by-another-boot"
expect '^SNAPTEST: marked: written-by-another-boot' "the plain boot did not write its file"
expect_no_resume_attempt

boot b3-overlays check
expect 'snapresume: snapshot image: keep \(the default\)' "snapresume did not take the default keep"
expect 'snapresume: overlay snaproot: the changes since the snapshot are not merged: its origin /dev/vda changed since the snapshot: .*; COW store /dev/vdc dropped' \
	"snapresume did not refuse to merge over the changed origin"
expect_not 'merged into /dev/vda' "the stale COW store was merged over the changed origin"
expect_fresh_boot
expect_result f absent
expect_result overlay linear
expect_fsck_clean
content=$(debugfs -R 'cat /var/snaptest/mark' "$ROOT_IMG" 2> /dev/null)
[ "$content" = written-by-another-boot ] || fail "the other boot's file is not intact ('$content')"
