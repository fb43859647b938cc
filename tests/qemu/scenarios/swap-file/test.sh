# shellcheck shell=bash
# The image in an active swap file on ext4, found at boot by resume= (the
# file system's device) and resume_offset= (the file's first page), which
# snapwrite prints as the kernel documents them. Afterwards the file is
# swap again, and the ext4 file system holding it checks clean.
#
# kernels: 6.1

mkfs.ext4 -q -F -b 4096 -L images "$TARGET_IMG" > /dev/null || fail "mkfs.ext4 of the target failed"

SNAPTEST_MEM=512
SNAPTEST_RESUME=''
hibernate b1-hibernate "snaptest.setup=swapfile snaptest.swapmib=320 snaptest.mib=160 snaptest.hog=300"
expect '^SNAPTEST: target swapfile ready: /images/swapfile' "the guest did not make the swap file"
expect '^SNAPTEST: hog done: .*pswpout [1-9]' "nothing was swapped out before the hibernation"
line=$(grep -E '^snapwrite: kernel command line for this target: ' "$LOG" | head -n 1)
offset=$(printf '%s\n' "$line" | sed -n 's/.* resume=UUID=[0-9a-f-]* resume_offset=\([0-9]*\)$/\1/p')
[ -n "$offset" ] || fail "snapwrite did not print resume= and resume_offset= for the swap file ($line)"
uuid=$(blkid -o value -s UUID "$TARGET_IMG")
printf '%s\n' "$line" | grep -q -F "resume=UUID=$uuid " || fail "snapwrite named another device: $line"
note "resume=UUID=$uuid resume_offset=$offset"

# shellcheck disable=SC2034 # read by base_cmdline
SNAPTEST_RESUME=UUID=$uuid
SNAPTEST_APPEND="resume_offset=$offset"
boot b2-resume check
expect 'snapresume: resuming image .* from /dev/vdb ' "snapresume did not resume from the swap file"
expect_resumed 2
expect_result swap_again ok
e2fsck -f -n "$TARGET_IMG" > "$WORKDIR/e2fsck.log" 2>&1 ||
	fail "the file system holding the swap file does not check clean: $(tail -n 3 "$WORKDIR/e2fsck.log" | tr '\n' ' ')"
