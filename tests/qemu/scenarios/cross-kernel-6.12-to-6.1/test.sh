# shellcheck shell=bash
# The other way round: hibernated under 6.12, the next boot starts 6.1.
# 6.12 leaves zero pages out of the image and marks them in its page list,
# which 6.1's loader does not take: the kernel refuses the image, and
# snapresume says so with the kernel that wrote it. Nothing is invalidated
# before the question times out (nobody answers here); then the boot goes
# on without it, the root file system intact. (kernel-mismatch-choice
# answers the question.)
#
# kernels: none
# full-kernels: 6.12

hibernate b1-hibernate
written_by=$KVER
kernel_prepare 6.1 || fail "cannot fetch the 6.1 kernel"
initramfs_build || fail "cannot build the 6.1 initramfs"
boot b2-boot-6.1 check "rd.snap.question_timeout=5"
expect "snapresume: the running kernel cannot resume the image on /dev/vdb: kernel ${KVER//+/\\+} refused the image of kernel ${written_by//+/\\+}: " \
	"snapresume did not report the 6.1 kernel refusing the 6.12 image"
expect "snapresume: the image can come back under the kernel that wrote it: ${written_by//+/\\+} " \
	"snapresume did not name the kernel that wrote the image"
expect "Type 'poweroff' or 'reboot' to keep the image" "the console question did not appear"
expect 'snapresume: no answer within 5 s' "the question did not time out"
expect 'snapresume: image on /dev/vdb invalidated; booting without resuming' \
	"the image was not invalidated after the boot went on"
expect_fresh_boot
expect_result rootfile ok
expect_state_not_valid b2-boot-6.1
