# shellcheck shell=bash
# A COW store on zram under a root file system of 1 KiB blocks: the
# snapshot mapping would take zram's 4 KiB logical blocks, and ext4 would
# abort its journal at its next 1 KiB write. snapwrite refuses before
# anything is frozen, says why, and the workload runs on.
#
# kernels: 6.1

rollback_setup zram:64M
guest_modules zram
boot b1-snapshot hibernate "snaptest.cmd=snapshot snaptest.mib=16"
expect 'snapwrite: Overlay snaproot: its COW store on zram takes no write smaller than 4096 bytes, but the ext4 file system on it writes 1024-byte blocks' \
	"snapwrite did not refuse the zram store for the 1 KiB blocks of the root"
expect 'snapwrite: Refusing to take a snapshot: 1 problem above; nothing was frozen' \
	"snapwrite did not refuse the snapshot"
expect_not 'snapwrite: freezing' "snapwrite froze the system although it refused"
expect_not 'Aborting journal|EXT4-fs error|getblk\(\): invalid block size' \
	"the root file system broke"
expect_result hibernated no
expect_result snapwrite_rc 1
expect_result alive yes
expect_result verify ok
expect_result tmpfs ok
