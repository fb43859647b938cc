# shellcheck shell=bash
# A pair the kernel refuses (an image of 6.12, a 6.1 boot kernel: see
# cross-kernel-6.12-to-6.1): the console question appears before anything
# is mounted, "poweroff" powers the guest off with the image still valid,
# and the next boot, with the kernel that wrote it, resumes it intact.
#
# kernels: 6.12

hibernate b1-hibernate
written_by=$KVER
kernel_prepare 6.1 || fail "cannot fetch the 6.1 kernel"
initramfs_build || fail "cannot build the 6.1 initramfs"
SNAPTEST_ANSWERS=("Type 'poweroff' or 'reboot' to keep the image" poweroff)
boot b2-boot-6.1 check
expect "snapresume: the running kernel cannot resume the image on /dev/vdb: kernel ${KVER//+/\\+} refused the image of kernel ${written_by//+/\\+}: " \
	"snapresume did not report the 6.1 kernel refusing the 6.12 image"
expect "snapresume: image on /dev/vdb kept; powering off: start ${written_by//+/\\+} from the boot menu" \
	"snapresume did not power off keeping the image"
expect_not '^SNAPTEST: fresh boot' "the guest booted on after the answer 'poweroff'"
expect_state_valid b2-boot-6.1

kernel_prepare 6.12 || fail "cannot fetch the 6.12 kernel"
initramfs_build || fail "cannot build the 6.12 initramfs"
boot b3-resume-6.12 check
expect_resumed
expect_result kernel "$written_by"
