# shellcheck shell=bash
# A volatile COW store on zram: what the guest writes after the snapshot
# lives in memory only. After the power-off keeping it is impossible; the
# next boot says so and takes the fallback (resume, the default): the
# workload is back at the snapshot, F is gone, fsck clean. (zram takes no
# write under 4 KiB: the root is on 4 KiB blocks, as rollback-refuse-
# blocksize shows it must be.)
#
# kernels: 6.12

root_4k
rollback_setup zram:64M
guest_modules zram
take_snapshot b1-snapshot
expect 'snapwrite:   snaproot: origin /dev/vda, COW store /dev/zram[0-9]+ \(64 MiB, volatile\)' \
	"snapwrite did not put the COW store on zram"

boot b2-power-on check
expect 'snapresume: keeping the changes since the snapshot is impossible: snaproot \(volatile store, gone at power-off\) lost them; the origins are intact, so: resume' \
	"snapresume did not explain the fallback"
expect_back_at_snapshot
expect_fsck_clean
