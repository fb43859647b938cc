# shellcheck shell=bash
# One image, three kinds of damage, each refused with a message, then a
# fresh boot with the files on disk intact: a bit flip in the header, a bit
# flip in a chunk header (the framing that indexes the payload), and a
# target cut to half its size. Each boot mounts the root file system, so
# before the next one both disks go back to their state after the
# hibernation (else the file system guard would refuse first).
#
# kernels: 6.12

hibernate b1-hibernate "snaptest.mib=32"
cp --sparse=always "$TARGET_IMG" "$WORKDIR/pristine.img"
cp --sparse=always "$ROOT_IMG" "$WORKDIR/pristine-root.img"
restore_disks() {
	cp --sparse=always "$WORKDIR/pristine.img" "$TARGET_IMG"
	cp --sparse=always "$WORKDIR/pristine-root.img" "$ROOT_IMG"
}

# The header: a byte of the image geometry.
flip_bytes "$TARGET_IMG" 70 1
boot b2-header check
expect 'snapresume: refusing image on /dev/vdb: damaged header: ' "snapresume did not refuse the damaged header"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok

# A chunk header: chunk 1's sequence number.
restore_disks
off=$("$SNAPWRITE_BIN" verify --target "$TARGET_IMG" --list 2> /dev/null |
	awk '$1 == "chunk" && $2 == 1 {print $4; exit}')
[ -n "$off" ] || fail "host: cannot find chunk 1 in the verify --list output"
flip_bytes "$TARGET_IMG" $((off + 8)) 1
boot b3-index check
expect 'snapresume: refusing image on /dev/vdb: chunk 1 of [0-9]+ is damaged' \
	"snapresume did not refuse the image with a damaged chunk header"
expect_fresh_boot
expect_result rootfile ok
expect_state_not_valid b3-index

# The target truncated below the image.
restore_disks
stored=$("$SNAPWRITE_BIN" status --target "$TARGET_IMG" | sed -n 's/^stored_bytes: //p')
[ -n "$stored" ] || fail "host: snapwrite status gave no stored_bytes"
truncate -s $((stored / 2 / 4096 * 4096)) "$TARGET_IMG"
boot b4-truncated check
expect 'snapresume: refusing image on /dev/vdb: image of [0-9]+ bytes does not fit on the device' \
	"snapresume did not refuse the image on a truncated target"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
rm -f "$WORKDIR/pristine.img" "$WORKDIR/pristine-root.img"
