# shellcheck shell=bash
# resume= names a device that never appears: snapresume waits the bounded
# time (rd.snap.timeout=3), says so, and the boot goes on.
#
# kernels: 6.12

SNAPTEST_NO_TARGET=1 boot b1-boot check "rd.snap.timeout=3"
expect 'snapresume: resume device /dev/vdb not found \(waited 3 s\); booting normally' \
	"snapresume did not give up on the missing device after the timeout"
expect_fresh_boot
