# shellcheck shell=bash
# Image files are root's. An image file that its group can write to is
# refused by hibernate, with the reason and the way out (whoever can write
# it could plant an image that the next boot resumes); nothing is frozen
# and the workload runs on.
#
# kernels: 6.1

# An image file needs extents of whole 4 KiB pages: the root of 4 KiB blocks.
root_4k
boot b1-hibernate hibernate "snaptest.setup=rootfile-gw snaptest.mib=16"
expect '^SNAPTEST: prepare rc=0' "snapwrite prepare of the image file failed"
expect "snapwrite: Image file '/var/snaptest/snapimage' refused: its group or others can write to it; 'snapwrite prepare" \
	"snapwrite did not refuse the group-writable image file"
expect_not 'snapwrite: freezing' "snapwrite froze the system for a file it refuses"
expect_result hibernated no
expect_result snapwrite_rc 3
expect_result alive yes
expect_result verify ok
