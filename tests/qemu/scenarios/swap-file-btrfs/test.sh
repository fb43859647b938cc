# shellcheck shell=bash
# The image in an active swap file on btrfs (made without copy-on-write,
# as btrfs requires of swap files): snapwrite maps the file's first page
# through the btrfs chunk tree to its place on the device and prints that
# as resume_offset=, which must be what btrfs itself computes
# ("btrfs inspect-internal map-swapfile -r", run here on the host after the
# guest made the file); the btrfs is guarded by its generation and log
# root across the write; resumed, the file is swap again, and "btrfs
# check" finds the file system clean.
#
# kernels: none
# full-kernels: 6.12

mkfs.btrfs -q -f -L images "$TARGET_IMG" > "$WORKDIR/mkfs.log" 2>&1 || fail "mkfs.btrfs failed: $(cat "$WORKDIR/mkfs.log")"
guest_modules crc32c_generic btrfs

SNAPTEST_MEM=512
SNAPTEST_RESUME=''
hibernate b1-hibernate "snaptest.setup=swapfile snaptest.mountopt=nodatacow snaptest.swapmib=320 snaptest.mib=160 snaptest.hog=300"
expect_not '^SNAPTEST: insmod' "a kernel module did not load"
expect '^SNAPTEST: target swapfile ready: /images/swapfile' "the guest did not make the swap file on btrfs"
expect '^SNAPTEST: hog done: .*pswpout [1-9]' "nothing was swapped out before the hibernation"
offset=$(sed -n 's/^snapwrite: kernel command line for this target: resume=UUID=[0-9a-f-]* resume_offset=\([0-9]*\)$/\1/p' "$LOG" | head -n 1)
[ -n "$offset" ] || fail "snapwrite did not print resume= and resume_offset= for the swap file"

# What btrfs itself says, from the file the guest made.
mnt=$WORKDIR/mnt
mkdir -p "$mnt"
loop=$(losetup -f --show -r "$TARGET_IMG") || fail "losetup of the target failed"
if mount -o ro,norecovery "$loop" "$mnt"; then
	want=$(btrfs inspect-internal map-swapfile -r "$mnt/swapfile" 2> "$WORKDIR/map.log")
	umount "$mnt"
fi
losetup -d "$loop"
note "resume_offset: snapwrite $offset, btrfs ${want:-?}"
[ "$offset" = "${want:-}" ] || fail "snapwrite's resume_offset=$offset is not btrfs's (${want:-none}: $(cat "$WORKDIR/map.log"))"

SNAPTEST_RESUME=UUID=$(blkid -o value -s UUID "$TARGET_IMG")
# shellcheck disable=SC2034 # read by base_cmdline
SNAPTEST_APPEND="resume_offset=$offset"
boot b2-resume check
expect 'snapresume: resuming image .* from /dev/vdb ' "snapresume did not resume from the swap file on btrfs"
expect 'snapresume: 2 file systems unchanged since the snapshot' "snapresume did not check the btrfs"
expect_resumed 2
expect_result swap_again ok
btrfs check --readonly "$TARGET_IMG" > "$WORKDIR/btrfs-check.log" 2>&1 ||
	fail "the btrfs holding the swap file does not check clean: $(tail -n 3 "$WORKDIR/btrfs-check.log" | tr '\n' ' ')"
