# shellcheck shell=bash
# A merge cut short by a power cut, finished by the next boot. After a
# snapshot the guest writes F and 32 MiB more; the next boot keeps the
# changes and begins to merge the COW store into /dev/vda, and the power
# is cut a second into the merge (part of it done). The boot after that finds the image's
# decision (keep), sees that the origin holds the snapshot's state, the
# merged state or a mix of the two (nothing else wrote to it), and
# finishes the merge: F is on /dev/vda, fsck clean, a linear mapping.
#
# kernels: 6.12

merge_cut_short

boot b3-finish check
expect 'snapresume: overlay snaproot: finishing the merge an earlier boot began' \
	"snapresume did not finish the merge that was cut short"
expect 'snapresume: overlay snaproot: the changes since the snapshot \([1-9][0-9]* KiB\) merged into /dev/vda' \
	"the merge did not complete"
# Part of it was merged before the cut: less is left now.
left=$(merge_began_with)
note "merge: $TO_MERGE KiB to merge, $left KiB left after the cut"
if [ -z "$left" ] || [ -z "$TO_MERGE" ] || [ "$left" -ge "$TO_MERGE" ]; then
	fail "the power cut did not leave a half-merged origin ($TO_MERGE KiB to merge, ${left:-?} KiB left after it)"
fi
expect_not 'not merging on' "the merge was refused although nothing else wrote to the origin"
expect_fresh_boot
expect_result f present
expect_result overlay linear
expect_fsck_clean
content=$(debugfs -R 'cat /var/snaptest/F' "$ROOT_IMG" 2> /dev/null)
[ "$content" = "written after the snapshot" ] || fail "F is not on /dev/vda after the merge ('$content')"
