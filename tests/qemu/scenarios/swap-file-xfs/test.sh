# shellcheck shell=bash
# The image in an active swap file on xfs (the guest loads the kernel's xfs
# module): resume= and resume_offset= as snapwrite prints them, the xfs
# guarded by its log head, resumed, the file swap again, and the file
# system checks clean with xfs_repair.
#
# kernels: 6.1

mkfs.xfs -q -f -L images "$TARGET_IMG" > "$WORKDIR/mkfs.log" 2>&1 || fail "mkfs.xfs failed: $(cat "$WORKDIR/mkfs.log")"
guest_modules crc32c_generic xfs

swapfile_hibernate xfs
swapfile_resume xfs 2
xfs_repair -n "$TARGET_IMG" > "$WORKDIR/xfs_repair.log" 2>&1 ||
	fail "the xfs holding the swap file does not check clean: $(tail -n 3 "$WORKDIR/xfs_repair.log" | tr '\n' ' ')"
