# shellcheck shell=bash
# An appliance: nobody types the passphrase. With rd.snap.ask_timeout=5 and
# rd.snap.unlock_fail=discard, snapresume stops waiting, says so, drops the
# image (its marker) and the boot goes on without asking anything more.
#
# kernels: 6.12

luks_format passphrase

SNAPTEST_ANSWERS=("$ASK_WRITE" "$LUKS_PASS")
hibernate b1-hibernate "snaptest.mib=48 snaptest.swopt=--ask-password"
expect_marker b1-hibernate

boot b2-boot check "rd.snap.ask_timeout=5 rd.snap.unlock_fail=discard"
expect 'snapresume: no passphrase typed within 5 s' "the prompt did not time out"
expect 'snapresume: rd.snap.unlock_fail=discard: giving up on the image on /dev/vdb' \
	"snapresume did not apply the unattended policy"
expect_not "$ASK_GIVE_UP" "snapresume asked although the policy decides"
expect 'snapresume: image [0-9a-f-]+ in /dev/vdb invalidated; booting without resuming' \
	"snapresume did not say the image was invalidated"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_no_marker b2-boot
