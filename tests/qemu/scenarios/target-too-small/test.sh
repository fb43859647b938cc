# shellcheck shell=bash
# A failure after the snapshot was taken and before the image is committed:
# the target (64 MiB) is smaller than the compressed image (~160 MiB), so
# the write runs out of space part way. snapwrite must free the snapshot,
# thaw the system and say why; the workload runs on with its memory intact;
# the kernel logs no warning from the thaw (the pipeline's threads must be
# gone by then); no valid image is left, and the next boot is fresh.
#
# kernels: 6.12

truncate -s 64M "$TARGET_IMG"

boot b1-hibernate hibernate
expect 'snapwrite: writing image to /dev/vdb ' "snapwrite did not get as far as writing"
expect 'snapwrite: Target .* is too small for the image; nothing was committed' \
	"snapwrite did not report the target as too small"
expect_not 'snapwrite: image committed' "snapwrite committed an image that cannot fit"
expect_result hibernated no
expect_result snapwrite_rc 3
expect_result alive yes
expect_result verify ok
expect_result tmpfs ok
after=$(result counter_after)
before=$(sed -n 's/^SNAPTEST: before hibernate .*counter=\([0-9]*\)$/\1/p' "$LOG")
if [ -z "$after" ] || [ -z "$before" ] || [ "$after" -le "$before" ]; then
	fail "the workload did not run on after the failed hibernation: before=${before:-?} after=${after:-?}"
fi
expect_not 'WARNING: |BUG: |Oops' "the kernel complained while snapwrite gave up"
expect_state_not_valid b1-hibernate

boot b2-boot check
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
