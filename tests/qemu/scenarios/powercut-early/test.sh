# shellcheck shell=bash
# Power cut as the write starts (the snapshot is made, no chunk is on disk
# yet; the old header was cleared before freezing): no image, a fresh boot,
# the files written before the snapshot intact.
#
# kernels: 6.12

boot b1-cut hibernate "snaptest.mib=32" 'snapwrite: writing image to '
[ "$BOOT_END" = killed ] || fail "no 'writing image' line to cut the power on (boot ended by $BOOT_END)"
expect_state_not_valid b1-cut

boot b2-boot check
expect 'snapresume: no image on /dev/vdb' "snapresume did not see an empty target"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
