# shellcheck shell=bash
# Kernel lockdown (as under Secure Boot) disables hibernation: snapwrite
# says so clearly before anything is frozen, and the system runs on.
#
# kernels: 6.12

boot b1-hibernate hibernate "snaptest.mib=16 lockdown=integrity"
expect 'snapwrite: The kernel refuses hibernation \(kernel lockdown' \
	"snapwrite did not explain the refusal"
expect_not 'snapwrite: freezing' "snapwrite froze the system although the kernel refuses"
expect_result hibernated no
expect_result snapwrite_rc 4
expect_result alive yes
expect_result verify ok
