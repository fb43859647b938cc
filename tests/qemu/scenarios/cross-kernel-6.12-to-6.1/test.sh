# shellcheck shell=bash
# EXPLORATORY: hibernated under 6.12, booted on 6.1.
#
# kernels: 6.12

hibernate b1-hibernate
written_by=$KVER
kernel_prepare 6.1 || fail "cannot fetch the 6.1 kernel"
initramfs_build || fail "cannot build the 6.1 initramfs"
boot b2-resume-6.1 check "rd.snap.kernel_mismatch=boot"
fail "exploratory"
