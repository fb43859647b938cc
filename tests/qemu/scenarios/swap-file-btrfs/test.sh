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

swapfile_hibernate btrfs snaptest.mountopt=nodatacow

# What btrfs itself says, from the file the guest made.
mnt=$WORKDIR/mnt
mkdir -p "$mnt"
loop=$(losetup -f --show -r "$TARGET_IMG") || fail "losetup of the target failed"
if mount -o ro,norecovery "$loop" "$mnt"; then
	want=$(btrfs inspect-internal map-swapfile -r "$mnt/swapfile" 2> "$WORKDIR/map.log")
	umount "$mnt"
fi
losetup -d "$loop"
note "resume_offset: snapwrite $OFFSET, btrfs ${want:-?}"
[ "$OFFSET" = "${want:-}" ] || fail "snapwrite's resume_offset=$OFFSET is not btrfs's (${want:-none}: $(cat "$WORKDIR/map.log"))"

swapfile_resume btrfs 2
btrfs check --readonly "$TARGET_IMG" > "$WORKDIR/btrfs-check.log" 2>&1 ||
	fail "the btrfs holding the swap file does not check clean: $(tail -n 3 "$WORKDIR/btrfs-check.log" | tr '\n' ' ')"
