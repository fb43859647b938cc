# shellcheck shell=bash
# A COW store that overflows: 24 MiB, and the guest writes 40 MiB after
# the snapshot. snapwrite's monitor warns on the console as it fills and
# when it is full; the next boot says keeping the changes is impossible
# and takes the fallback (resume): back at the snapshot, fsck clean.
#
# kernels: 6.12

truncate -s 24M "$WORKDIR/cow.img"
rollback_setup
boot b1-snapshot hibernate "snaptest.cmd=snapshot snaptest.fill=40 snaptest.confline=monitor_interval=1,cow_min=16M"
expect 'snapwrite: snapshot .* taken in' "snapwrite did not take the snapshot"
expect '^SNAPTEST: filled 40 MiB' "the guest did not get to fill the store"
expect 'snapwrite\[[0-9]+\]: overlay snaproot is (8|9)[0-9]% full' "the monitor did not warn as the store filled"
expect 'snapwrite\[[0-9]+\]: overlay snaproot is full: the changes since the snapshot are lost' \
	"the monitor did not say the store overflowed"
# (No "snapwrite status" check after the overflow: the root file system
# answers I/O errors by then, and snapwrite may no longer be in the cache.)
expect_result running_on yes
BEFORE_PID=$(result pid)
BEFORE_COUNTER=$(result counter_before)
POST_COUNTER=$(result counter_post)
BEFORE_TMPFS=$(sed -n 's/^SNAPTEST: tmpfs file sha256=//p' "$LOG")

boot b2-power-on check
expect 'snapresume: keeping the changes since the snapshot is impossible: snaproot \(COW store overflowed\) lost them; the origins are intact, so: resume' \
	"snapresume did not explain the fallback"
expect_back_at_snapshot
expect_fsck_clean
