# shellcheck shell=bash
# A crash while loading must not loop. The guest is killed while snapresume
# loads the image (reading the target throttled, so that the load lasts);
# the image had recorded, before anything was loaded, that an attempt began.
# The next boot refuses it with "a previous resume of this image did not
# finish" and boots on with the files on disk intact.
#
# kernels: 6.12

hibernate b1-hibernate
SNAPTEST_TARGET_OPTS=throttling.bps-read=$((16 << 20)) boot b2-crash check "" 'snapresume: progress 30%'
[ "$BOOT_END" = killed ] || fail "no progress line to kill the guest on (boot ended by $BOOT_END)"
expect 'snapresume: resuming image' "snapresume did not start loading"
expect_state_valid b2-crash

boot b3-boot check
expect 'snapresume: refusing image on /dev/vdb: a previous resume of this image did not finish \(it began loading it at [0-9-]+ [0-9:]+ UTC\)' \
	"snapresume did not refuse the image whose load did not finish"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b3-boot
