# shellcheck shell=bash
# A golden image is refused like any other when its origin changed. After
# "snapwrite snapshot --golden", a boot without overlays and without
# resume= (another boot entry, a rescue system) mounts /dev/vda itself and
# writes a file. The next boot with the overlay finds the root file system
# no longer as the golden image recorded it: it refuses the image and says
# why, invalidates it (golden mode ends), drops the COW store without
# merging it, and boots afresh with the other boot's file intact; status
# shows the image as refused, and the boot after that is a plain one.
#
# kernels: none
# full-kernels: 6.12

rollback_setup
take_snapshot b1-snapshot "snaptest.swopt=--golden"
expect '^SNAPTEST: status image_kind: golden snapshot' "snapwrite status does not show a golden snapshot"

SNAPTEST_APPEND='' SNAPTEST_ROOT_DEV=/dev/vda SNAPTEST_RESUME='' \
	boot b2-other-system check "snaptest.mark=written-by-another-boot"
expect '^SNAPTEST: marked: written-by-another-boot' "the plain boot did not write its file"
expect_no_resume_attempt

boot b3-overlays check
expect 'snapresume: golden snapshot image: resume \(golden: every boot returns to it\)' \
	"snapresume did not take the golden image's resume"
expect 'snapresume: refusing image on /dev/vdb: file system / \(ext4 UUID=[0-9a-f-]*\) on /dev/vda: ' \
	"snapresume did not refuse the golden image over the changed root, saying why"
expect 'snapresume: image on /dev/vdb invalidated; booting without resuming' \
	"snapresume did not invalidate the refused golden image"
expect 'snapresume: golden snapshot mode ends: the boots from now on are ordinary ones' \
	"snapresume did not say that golden mode ended"
expect_no_resume_attempt
expect 'snapresume: overlay snaproot: the changes since the snapshot are not merged: the snapshot image was refused; COW store /dev/vdc dropped' \
	"snapresume did not drop the COW store of the refused golden image"
expect_not 'merged into /dev/vda' "the COW store was merged over the changed origin"
expect_fresh_boot
expect_result f absent
expect_result overlay linear
expect_not '^SNAPTEST: status image_kind: golden' "status still shows a golden snapshot after the refusal"
expect '^SNAPTEST: status invalidated: refused' "status does not show the golden image as refused"
content=$(debugfs -R 'cat /var/snaptest/mark' "$ROOT_IMG" 2> /dev/null)
[ "$content" = written-by-another-boot ] || fail "the other boot's file is not intact ('$content')"

boot b4-plain check
expect_fresh_boot
expect_no_resume_attempt
expect_result overlay linear
content=$(debugfs -R 'cat /var/snaptest/mark' "$ROOT_IMG" 2> /dev/null)
[ "$content" = written-by-another-boot ] || fail "the other boot's file is gone after a plain boot ('$content')"
