# shellcheck shell=bash
# Image identity. An image resumed on another machine (another SMBIOS
# product UUID), and an image resumed with another memory size, are both
# refused with a message before anything is loaded, invalidated, and the
# boot goes on.
#
# kernels: 6.1

hibernate b1-hibernate "snaptest.mib=16"
SNAPTEST_UUID=1f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0 boot b2-other-machine check
expect 'snapresume: refusing image on /dev/vdb: the image comes from another machine \(5e0d0c2a-7b1f-4c3e-9a8d-2f6b1c0e4d17, this is 1f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0\)' \
	"snapresume did not refuse the image from another machine"
expect_fresh_boot
expect_no_resume_attempt
expect_state_not_valid b2-other-machine

hibernate b3-hibernate "snaptest.mib=16"
SNAPTEST_MEM=1152 boot b4-more-memory check
expect 'snapresume: refusing image on /dev/vdb: the memory size differs: the image was written with [0-9]+ KiB, this machine has [0-9]+ KiB' \
	"snapresume did not refuse the image from a machine with another memory size"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b4-more-memory
