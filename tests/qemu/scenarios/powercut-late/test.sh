# shellcheck shell=bash
# Power cut at the end of the write: the last tenth of the chunks is going
# out (the target is throttled to 20 MB/s so that this takes a while) and
# the header is not committed yet. No valid image may be left, and the next
# boot is a fresh one with the files written before the snapshot intact.
# (A cut after the commit leaves a whole image, which the next boot
# resumes: that is what every resume scenario does after the power-off.)
#
# kernels: 6.12

SNAPTEST_TARGET_OPTS=throttling.bps-write=20000000 \
	boot b1-cut hibernate "snaptest.mib=48" 'snapwrite: progress 90%'
[ "$BOOT_END" = killed ] || fail "no 'progress 90%' line to cut the power on (boot ended by $BOOT_END)"
expect_not 'snapwrite: image committed' "the power cut came after the commit"
expect_state_not_valid b1-cut

boot b2-boot check
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
