# shellcheck shell=bash
# Power cut during the resume, after the image was loaded and invalidated
# and before the jump into it: the next boot is a fresh one (no resume
# loop), the image is marked as resumed, the files on disk are intact.
#
# kernels: 6.12

hibernate b1-hibernate "snaptest.mib=32"
boot b2-cut check "" 'snapresume: image loaded in'
[ "$BOOT_END" = killed ] || fail "no 'image loaded' line to cut the power on (boot ended by $BOOT_END)"
expect_state_not_valid b2-cut
grep -q '^invalidated: resumed' "$WORKDIR/status-b2-cut.txt" ||
	fail "host: the image was not invalidated as resumed before the jump"

boot b3-boot check
expect 'snapresume: no image on /dev/vdb \(the last one was resumed\)' "snapresume did not see the invalidated image"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
