# shellcheck shell=bash
# A kernel update: hibernated under Debian's 6.1 kernel, the next boot
# starts 6.12 (its own initramfs with the module). The kernel's loader
# checks its architecture header, not the build, so snapresume hands the
# image over: the workload comes back intact, running 6.1 again.
#
# kernels: 6.1

hibernate b1-hibernate
written_by=$KVER
kernel_prepare 6.12 || fail "cannot fetch the 6.12 kernel"
initramfs_build || fail "cannot build the 6.12 initramfs"
boot b2-resume-6.12 check
expect "snapresume: image written by kernel ${written_by//+/\\+}, running ${KVER//+/\\+}: the kernel decides" \
	"snapresume did not say that another kernel build wrote the image"
expect_not 'snapresume: refusing image' "snapresume refused the image of another build"
expect_resumed
expect_result kernel "$written_by"
