# shellcheck shell=bash
# Hibernated on 6.1, booted on 6.12: snapresume refuses the image of
# another kernel build with a message, invalidates it, and the boot goes on.
#
# kernels: 6.1

hibernate b1-hibernate "snaptest.mib=32"
written_by=$KVER
kernel_prepare 6.12 || fail "cannot fetch the 6.12 kernel"
initramfs_build || fail "cannot build the 6.12 initramfs"
boot b2-other-kernel check
expect "snapresume: refusing image on /dev/vdb: written by kernel ${written_by//+/\\+} .*, running ${KVER//+/\\+} " \
	"snapresume did not refuse the image of another kernel"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b2-other-kernel
