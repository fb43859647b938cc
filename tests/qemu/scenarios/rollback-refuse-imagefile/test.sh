# shellcheck shell=bash
# A snapshot whose image file lies in a file system on one of its overlays
# (here the root itself) is refused before anything is frozen: the image's
# header is written after the overlay is inserted, so it would land in the
# COW store, not on the origin the initramfs reads. The message names the
# overlay and the reason; the workload runs on.
#
# kernels: 6.1

# An image file needs extents of whole 4 KiB pages: the root of 4 KiB blocks.
root_4k
rollback_setup
boot b1-snapshot hibernate "snaptest.cmd=snapshot snaptest.setup=rootfile snaptest.mib=16"
expect '^SNAPTEST: prepare rc=0' "snapwrite prepare of the image file in the root failed"
expect 'snapwrite: Overlay snaproot: the image.s target .* is on it' \
	"snapwrite did not refuse an image file on the overlaid file system"
expect 'snapwrite: Refusing to take a snapshot: 1 problem above; nothing was frozen' \
	"snapwrite did not refuse the snapshot"
expect_not 'snapwrite: freezing' "snapwrite froze the system although it refused"
expect_result hibernated no
expect_result snapwrite_rc 1
expect_result alive yes
expect_result verify ok
