# shellcheck shell=bash
# More than half of memory in use and no swap: a workload of 70% of a
# 1 GiB guest, a dedicated target. The kernel cannot copy that much
# memory, so snapwrite makes the target a swap area for the hibernation
# (the kernel pushes part of memory out to it), writes the image around
# the pages swapped out, and after the resume swaps off again (the pages
# come back) and clears the swap signature: the workload is intact, no
# swap is active, and the target is a plain target again.
#
# kernels: 6.12

SNAPTEST_MEM=1024
# The target holds what the kernel pushes out and the image.
SNAPTEST_TARGET_MIB=1536
truncate -s 1536M "$TARGET_IMG"
hibernate b1-hibernate "snaptest.mib=717"
has '^SNAPTEST: swap ' && fail "a swap area was active before the hibernation"
expect 'snapwrite: [0-9]+ MiB of memory in use: /dev/vdb is swap until the hibernation is over' \
	"snapwrite did not make the target a temporary swap area"
expect 'snapwrite: swap area /dev/vdb: [0-9]+ MiB free' "snapwrite did not write into the swap area"

boot b2-resume check
expect_resumed
expect_result swaps 0
[ "$(blkid -o value -s TYPE "$TARGET_IMG")" = "" ] ||
	fail "the target still has a signature after the resume: $(blkid "$TARGET_IMG")"
note "workload of 717 MiB in a 1024 MiB guest: $(grep -m 1 'snapwrite: image committed' "$WORKDIR/b1-hibernate.log")"
