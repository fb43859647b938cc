# shellcheck shell=bash
# Hybrid sleep and a power cut: "systemctl hybrid-sleep" in a Debian guest
# with S3 writes the image through snapwrite and suspends to RAM; QEMU is
# killed while the guest is in S3 (query-status said suspended). The image
# on the target is valid and checks clean; the next boot's initramfs
# resumes it: the same workload, intact, its counter gone on, the hooks run
# as "pre/post hybrid-sleep" (post in the resumed system).
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd
sleep_boot b1-hybrid hybrid-sleep kill
expect_power '^[0-9.]+ killed$' "the host did not cut the power in S3"
[ "$BOOT_END" = killed ] || fail "boot b1-hybrid ended by $BOOT_END, not by the power cut in S3"
expect_not '^SNAPTEST: RESULT' "the guest reported before the power cut"
expect_state_valid b1-hybrid
host_verify

# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_QEMU_ARGS=$SLEEP_S3_ARGS
boot b2-resume check
expect 'snapresume: resuming image' "the initramfs did not resume the image"
expect_not '^SNAPTEST: fresh boot' "the guest booted fresh instead of resuming"
expect_result resumed yes
expect_sleep_result
expect '^SNAPTEST: service: .*snapwrite: resumed \(image' "snapwrite did not report the resume"
[ "$(status_state b2-resume)" != valid ] || fail "host: the image is still valid after its resume"
