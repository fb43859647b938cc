# shellcheck shell=bash
# The image in an active swap file on a btrfs root (the root file system
# made btrfs from the guest's usual tree, mounted nodatacow so that the
# swap file is made without copy-on-write, as btrfs requires; the
# initramfs gets the btrfs module). snapwrite maps the file's first page
# through the btrfs chunk tree to its place on the device and prints that
# as resume_offset=, which must be what btrfs itself computes ("btrfs
# inspect-internal map-swapfile -r", run here on the host); the root is
# guarded by its generation and log root across the write; resumed, the
# file is swap again, and "btrfs check" finds the file system clean.
#
# kernels: none
# full-kernels: 6.12

# The root: the same tree, on btrfs.
mkdir -p "$WORKDIR/tree"
debugfs -R "rdump / $WORKDIR/tree" "$ROOT_IMG" > "$WORKDIR/rdump.log" 2>&1 || fail "debugfs rdump of the root failed"
rm -f "$ROOT_IMG"
truncate -s 1G "$ROOT_IMG"
mkfs.btrfs -q -f -L snaproot -r "$WORKDIR/tree" "$ROOT_IMG" > "$WORKDIR/mkfs.log" 2>&1 ||
	fail "mkfs.btrfs of the root failed: $(cat "$WORKDIR/mkfs.log")"
rm -rf "$WORKDIR/tree"
# shellcheck disable=SC2034 # read by base_cmdline
SNAPTEST_ROOT_FSTYPE=btrfs
# An initramfs that can mount it, cached apart from the usual one.
DRACUT_DRIVERS="$DRACUT_DRIVERS btrfs"
INITRAMFS_CACHE=$SNAPTEST_CACHE/initramfs-btrfs
mkdir -p "$INITRAMFS_CACHE"
initramfs_build > "$WORKDIR/initramfs.log" 2>&1 || fail "building an initramfs with btrfs failed: $(tail -n 3 "$WORKDIR/initramfs.log")"

# shellcheck disable=SC2034 # read by swapfile_hibernate and swapfile_resume
SWAPFILE=/swapfile SWAPFILE_DEV=/dev/vda SWAPFILE_IMG=$ROOT_IMG
swapfile_hibernate btrfs "snaptest.swapdir=/ rootflags=nodatacow"

# What btrfs itself says, from the file the guest made.
mnt=$WORKDIR/mnt
mkdir -p "$mnt"
loop=$(losetup -f --show -r "$ROOT_IMG") || fail "losetup of the root failed"
if mount -o ro,norecovery "$loop" "$mnt"; then
	want=$(btrfs inspect-internal map-swapfile -r "$mnt/swapfile" 2> "$WORKDIR/map.log")
	umount "$mnt"
fi
losetup -d "$loop"
note "resume_offset: snapwrite $OFFSET, btrfs ${want:-?}"
[ "$OFFSET" = "${want:-}" ] || fail "snapwrite's resume_offset=$OFFSET is not btrfs's (${want:-none}: $(cat "$WORKDIR/map.log"))"

swapfile_resume btrfs 1 rootflags=nodatacow
btrfs check --readonly "$ROOT_IMG" > "$WORKDIR/btrfs-check.log" 2>&1 ||
	fail "the btrfs root holding the swap file does not check clean: $(tail -n 3 "$WORKDIR/btrfs-check.log" | tr '\n' ' ')"
