# shellcheck shell=bash
# Cut the power (kill -9 QEMU) while snapwrite is writing: no valid image may
# be left behind and the next boot is a fresh one.

boot b1-torn hibernate "" 'snapwrite: progress'
[ "$BOOT_END" = killed ] || fail "no 'snapwrite: progress' line to cut the power on (boot ended by $BOOT_END)"
# Only a kill before the commit tests a torn write; a late kill proves nothing.
expect_not 'snapwrite: image committed' "the power cut came after the commit"
# ... and one before any payload reached the disk would not tear anything.
written=$(head -c 16M "$TARGET_IMG" | tr -d '\000' | wc -c)
[ "$written" -gt 0 ] || fail "the power cut came before snapwrite wrote anything to the target"
note "$written non-zero bytes in the first 16 MiB of the target after the cut"
expect_state_not_valid b1-torn

boot b2-boot check
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b2-boot
