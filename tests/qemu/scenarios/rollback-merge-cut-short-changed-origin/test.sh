# shellcheck shell=bash
# No merge over an origin another system wrote to, even half way. After a
# snapshot the guest writes F and 32 MiB more; the next boot keeps the
# changes and begins to merge, and the power is cut a second into it.
# Then a boot without overlays (another boot entry, a rescue system)
# mounts /dev/vda itself and writes a file. The next boot with the overlay
# finds the decision (keep) of the merge cut short, but the origin is
# neither as at the snapshot nor as the merge leaves it: it neither merges
# on (that would mix three states) nor drops the store (it holds the only
# copy of the rest of the changes), maps nothing, says why, and the boot
# stops there (root= never appears). The other
# system's file is still there, and the COW store's header is intact.
#
# kernels: none
# full-kernels: 6.12

merge_cut_short

SNAPTEST_APPEND='' SNAPTEST_ROOT_DEV=/dev/vda SNAPTEST_RESUME='' \
	boot b3-other-system check "snaptest.mark=written-by-another-boot"
expect '^SNAPTEST: marked: written-by-another-boot' "the plain boot did not write its file"
note "merge: $TO_MERGE KiB to merge when the power was cut"

# The boot stops there (root= never appears, the initramfs gives up):
# once the refusal is on the console, two seconds for anything it must not
# do to show, then the power is cut.
SNAPTEST_KILL_DELAY=2 boot b4-overlays check "" 'snapresume: overlay snaproot: not merging on'
[ "$BOOT_END" = killed ] || fail "the boot with the overlay did not refuse (ended by $BOOT_END)"
expect 'snapresume: overlay snaproot: not merging on, and not mapped: its origin /dev/vda was written by another system while the merge was cut short' \
	"snapresume did not refuse to merge on over the changed origin"
expect_not 'finishing the merge an earlier boot began' "snapresume finished the merge over the changed origin"
expect_not 'merged into /dev/vda' "the COW store was merged over the changed origin"
expect_not 'COW store /dev/vdc dropped' "the COW store, the only copy of the rest of the changes, was dropped"
expect_not '^SNAPTEST: RESULT' "the boot went on over a half-merged origin"
magic=$(head -c 4 "$WORKDIR/cow.img")
[ "$magic" = SnAp ] || fail "the COW store's header is gone ('$magic')"
content=$(debugfs -R 'cat /var/snaptest/mark' "$ROOT_IMG" 2> /dev/null)
[ "$content" = written-by-another-boot ] || fail "the other system's file is not intact ('$content')"
