# shellcheck shell=bash
# Drop only the store the image names. A snapshot with its COW store on
# /dev/vdc, "rollback resume" armed; then /dev/vdc is another disk (full
# of someone's data, no COW store): the boot must not zero it. snapresume
# refuses the resume, names the mismatch, and leaves the disk untouched;
# the real store, set aside, still holds its changes.
#
# kernels: 6.1

rollback_setup
take_snapshot b1-snapshot "snaptest.arm=resume"
expect_result arm_rc 0

mv "$WORKDIR/cow.img" "$WORKDIR/real-cow.img"
real_cow_head=$(head -c 16 "$WORKDIR/real-cow.img" | od -An -tx1 | tr -d ' \n')
head -c $((64 << 20)) /dev/urandom > "$WORKDIR/cow.img"
other_sum=$(sha256sum < "$WORKDIR/cow.img")

boot b2-other-disk check
expect "snapresume: refusing image on /dev/vdb: overlay snaproot: /dev/vdc holds no COW store, not the snapshot's store .*; it is left untouched" \
	"snapresume did not refuse the store that is not the snapshot's"
expect_not 'COW store /dev/vdc\) dropped|COW store /dev/vdc dropped' "the other disk was dropped as a COW store"
expect_fresh_boot
[ "$(sha256sum < "$WORKDIR/cow.img")" = "$other_sum" ] || fail "the other disk on /dev/vdc was written to"
[ "$(head -c 16 "$WORKDIR/real-cow.img" | od -An -tx1 | tr -d ' \n')" = "$real_cow_head" ] ||
	fail "the real COW store changed"
