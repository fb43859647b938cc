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

rollback_setup
take_snapshot b1-snapshot "snaptest.fill=32"

# The merge of 32 MiB takes about 3 s here: cut it a second in.
SNAPTEST_KILL_DELAY=1 \
	boot b2-cut check "" 'snapresume: overlay snaproot: merging the changes since the snapshot'
[ "$BOOT_END" = killed ] || fail "no merge to cut the power in (boot ended by $BOOT_END)"
expect_not 'merged into /dev/vda' "the merge finished before the power cut"
to_merge=$(sed -n 's/.*overlay snaproot: merging the changes since the snapshot (\([0-9]*\) KiB).*/\1/p' "$LOG" | head -n 1)

boot b3-finish check
expect 'snapresume: overlay snaproot: finishing the merge an earlier boot began' \
	"snapresume did not finish the merge that was cut short"
expect 'snapresume: overlay snaproot: the changes since the snapshot \([1-9][0-9]* KiB\) merged into /dev/vda' \
	"the merge did not complete"
# Part of it was merged before the cut: less is left now.
left=$(sed -n 's/.*overlay snaproot: merging the changes since the snapshot (\([0-9]*\) KiB).*/\1/p' "$LOG" | head -n 1)
note "merge: $to_merge KiB to merge, $left KiB left after the cut"
if [ -z "$left" ] || [ -z "$to_merge" ] || [ "$left" -ge "$to_merge" ]; then
	fail "the power cut did not leave a half-merged origin ($to_merge KiB to merge, ${left:-?} KiB left after it)"
fi
expect_not 'not merging on' "the merge was refused although nothing else wrote to the origin"
expect_fresh_boot
expect_result f present
expect_result overlay linear
expect_fsck_clean
content=$(debugfs -R 'cat /var/snaptest/F' "$ROOT_IMG" 2> /dev/null)
[ "$content" = "written after the snapshot" ] || fail "F is not on /dev/vda after the merge ('$content')"
