# shellcheck shell=bash
# The target as on a user's machine: a GPT partition, named PARTUUID= in
# /etc/snapwrite.conf (no --target) and resume=PARTUUID= on the kernel
# command line. snapwrite and snapresume must both find /dev/vdb1 through
# libblkid, and the guest must resume.
#
# kernels: 6.1

# shellcheck disable=SC2034 # SNAPTEST_APPEND is read by base_cmdline
partuuid=5f0c3e0a-9b7d-4f1e-8a2b-6c4d2e1f0a93
printf 'label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s, name=snapimage\n' \
	"$partuuid" | sfdisk -q "$TARGET_IMG" > "$WORKDIR/sfdisk.log" 2>&1 ||
	fail "sfdisk could not partition the target: $(cat "$WORKDIR/sfdisk.log")"

SNAPTEST_APPEND="resume=PARTUUID=$partuuid snaptest.conf=PARTUUID=$partuuid"
hibernate b1-hibernate
expect "^SNAPTEST: snapwrite.conf: target=PARTUUID=$partuuid $" "/etc/snapwrite.conf does not name the target"
expect "^SNAPTEST: running snapwrite hibernate $" \
	"the guest did not hibernate through the configuration file"
expect '^snapwrite: writing image to /dev/vdb1 ' "snapwrite did not resolve the PARTUUID to /dev/vdb1"

SNAPTEST_APPEND="resume=PARTUUID=$partuuid"
boot b2-resume check
expect 'snapresume: resuming image .* from /dev/vdb1 ' "snapresume did not resolve resume=PARTUUID= to /dev/vdb1"
expect_resumed
