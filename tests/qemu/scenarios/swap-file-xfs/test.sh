# shellcheck shell=bash
# The image in an active swap file on xfs (the guest loads the kernel's xfs
# module): resume= and resume_offset= as snapwrite prints them, the xfs
# guarded by its log head, resumed, the file swap again, and the file
# system checks clean with xfs_repair.
#
# kernels: 6.1

mkfs.xfs -q -f -L images "$TARGET_IMG" > "$WORKDIR/mkfs.log" 2>&1 || fail "mkfs.xfs failed: $(cat "$WORKDIR/mkfs.log")"
guest_modules crc32c_generic xfs

SNAPTEST_MEM=512
SNAPTEST_RESUME=''
hibernate b1-hibernate "snaptest.setup=swapfile snaptest.swapmib=320 snaptest.mib=160 snaptest.hog=300"
expect_not '^SNAPTEST: insmod' "a kernel module did not load"
expect '^SNAPTEST: target swapfile ready: /images/swapfile' "the guest did not make the swap file on xfs"
expect '^SNAPTEST: hog done: .*pswpout [1-9]' "nothing was swapped out before the hibernation"
offset=$(sed -n 's/^snapwrite: kernel command line for this target: resume=UUID=[0-9a-f-]* resume_offset=\([0-9]*\)$/\1/p' "$LOG" | head -n 1)
[ -n "$offset" ] || fail "snapwrite did not print resume= and resume_offset= for the swap file"

SNAPTEST_RESUME=UUID=$(blkid -o value -s UUID "$TARGET_IMG")
# shellcheck disable=SC2034 # read by base_cmdline
SNAPTEST_APPEND="resume_offset=$offset"
boot b2-resume check
expect 'snapresume: resuming image .* from /dev/vdb ' "snapresume did not resume from the swap file on xfs"
expect_resumed 2
expect_result swap_again ok
xfs_repair -n "$TARGET_IMG" > "$WORKDIR/xfs_repair.log" 2>&1 ||
	fail "the xfs holding the swap file does not check clean: $(tail -n 3 "$WORKDIR/xfs_repair.log" | tr '\n' ' ')"
