# shellcheck shell=bash
# Leaving golden mode is explicit. After "snapwrite snapshot --golden", the
# first boot returns to the snapshot; in that run the guest writes F and
# runs "snapwrite rollback keep", which says it ends golden mode. The next
# boot keeps that run's changes (merges the COW store into /dev/vda) and
# drops the image: a fresh boot with F on the origin. The boot after that
# is an ordinary one: nothing resumed, nothing merged, F still there.
#
# kernels: none
# full-kernels: 6.12

rollback_setup
take_snapshot b1-snapshot "snaptest.swopt=--golden snaptest.arm_resumed=keep"
expect_result arm_rc none
expect '^SNAPTEST: status golden_resumes: 0' "snapwrite status does not show a golden snapshot"

boot b2-golden check
expect 'snapresume: golden image .*: resume 1; the image stays valid' "snapresume did not resume the golden image"
expect_not '^SNAPTEST: fresh boot' "the guest booted fresh instead of returning to the snapshot"
expect_result pid "$BEFORE_PID"
expect_result f_before absent
expect_result f present
expect_result arm_rc 0
expect '^snapwrite: the next boot ends golden snapshot .*: it keeps the changes this boot made' \
	"snapwrite rollback keep did not say that it ends golden mode"
expect '^SNAPTEST: status next_boot: keep \(armed\): ends golden mode' \
	"snapwrite status does not show that the next boot ends golden mode"

boot b3-keep check
expect 'snapresume: golden snapshot image: keep \(armed by snapwrite rollback\)' \
	"snapresume did not take the armed keep"
expect_no_resume_attempt
expect 'snapresume: overlay snaproot: the changes since the snapshot \([1-9][0-9]* KiB\) merged into /dev/vda' \
	"snapresume did not merge the golden run's changes"
expect_fresh_boot
expect_result f present
expect_result rootfile ok
expect_result overlay linear
expect '^SNAPTEST: status state: invalidated' "the golden image was not dropped"
expect_not '^SNAPTEST: status image_kind' "status still shows a snapshot image"
content=$(debugfs -R 'cat /var/snaptest/F' "$ROOT_IMG" 2> /dev/null)
[ "$content" = "written after the snapshot" ] || fail "F is not on /dev/vda after the merge ('$content')"

boot b4-plain check
expect_fresh_boot
expect_no_resume_attempt
expect_not 'merged into' "an ordinary boot merged something"
expect_not 'golden' "an ordinary boot still speaks of a golden snapshot"
expect_result f present
expect_result overlay linear
expect_fsck_clean
