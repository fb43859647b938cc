# shellcheck shell=bash
# A snapshot with swap active on a disk (/dev/vdc) is refused before
# anything is frozen: pages swapped out then could be overwritten later.
# The message names the swap area; the workload runs on. (The COW store is
# on zram here, over a root of 4 KiB blocks, so that the swap area is the
# only problem.)
#
# kernels: 6.1

root_4k
rollback_setup zram:64M
guest_modules zram
truncate -s 64M "$WORKDIR/swap.img"
mkswap "$WORKDIR/swap.img" > /dev/null 2>&1 || fail "mkswap failed"
SNAPTEST_EXTRA_IMG=$WORKDIR/swap.img
boot b1-snapshot hibernate "snaptest.cmd=snapshot snaptest.setup=diskswap snaptest.mib=16"
expect '^SNAPTEST: target diskswap ready' "the guest did not swapon /dev/vdc"
expect 'snapwrite: Swap is active on disk \(/dev/vdc\)' "snapwrite did not name the swap area"
expect 'snapwrite: Refusing to take a snapshot: 1 problem above; nothing was frozen' \
	"snapwrite did not refuse the snapshot"
expect_not 'snapwrite: freezing' "snapwrite froze the system although it refused"
expect_not 'snapwrite: Overlay' "snapwrite found a problem with the overlay itself"
expect_result hibernated no
expect_result snapwrite_rc 1
expect_result alive yes
expect_result verify ok
expect_result tmpfs ok
