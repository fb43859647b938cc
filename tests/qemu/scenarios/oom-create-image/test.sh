# shellcheck shell=bash
# Not enough memory for the snapshot: the workload holds 640 MiB of a 1 GiB
# guest, there is no swap and temp_swap=no keeps the target from serving as
# swap (big-workload has it on), so the kernel cannot make a copy.
# snapwrite asks for a smaller image twice, then gives up: the system is
# thawed, the workload runs on intact, nothing is written.
#
# kernels: 6.12

boot b1-hibernate hibernate "snaptest.mib=640 snaptest.confline=temp_swap=no"
expect '^SNAPTEST: before hibernate' "the workload did not start"
expect 'snapwrite: not enough memory for the snapshot; trying a [0-9]+ MiB image' \
	"snapwrite did not retry with a smaller preferred image size"
expect 'snapwrite: The kernel could not make a snapshot: not enough free memory' \
	"snapwrite did not say why it gave up"
expect_not 'snapwrite: writing image' "snapwrite wrote an image"
expect_result hibernated no
expect_result snapwrite_rc 4
expect_result alive yes
expect_result verify ok
expect_result tmpfs ok
s=$(status_state b1-hibernate)
[ "$s" = none ] || fail "host: the target holds '$s' after a hibernation that never started writing"
