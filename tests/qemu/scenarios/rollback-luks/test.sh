# shellcheck shell=bash
# Snapshot mode with a LUKS2 target: the image marker stays while the
# system runs on, so "snapwrite rollback resume" (which unlocks the volume
# with the key file of /etc/snapwrite.conf) finds and arms the image, and
# the initramfs unlocks the volume and returns to the snapshot.
#
# kernels: none
# full-kernels: 6.12

luks_format keyfile
rollback_setup
take_snapshot b1-snapshot "snaptest.conf=/dev/vdb snaptest.confline=keyfile=/etc/snapresume/image.key snaptest.arm=resume"
expect_result arm_rc 0
expect '^snapwrite: the next boot returns to snapshot' "snapwrite rollback did not arm the image in the volume"
expect_marker b1-snapshot
expect_ciphertext

boot b2-resume check
expect 'snapresume: image [0-9a-f-]+ is in the encrypted volume /dev/vdb' \
	"snapresume did not find the marked snapshot image"
expect 'snapresume: snapshot image: resume \(armed by snapwrite rollback\)' \
	"snapresume did not take the armed action"
expect_back_at_snapshot
expect_no_marker b2-resume
expect_fsck_clean
