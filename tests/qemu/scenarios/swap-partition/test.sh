# shellcheck shell=bash
# The image in an active swap partition, as most users have one: /dev/vdb
# is swap (mkswap on the host), the guest has 512 MiB and a second
# workload pushes part of the first out to swap before snapwrite runs.
# snapwrite takes free slots from the kernel (SNAPSHOT_ALLOC_SWAP_PAGE), so
# the swapped-out pages survive: the workload, which checks all of its
# memory, comes back intact. resume= names the partition as for the
# kernel's own hibernation; afterwards the swap signature is back and
# swapoff/swapon work.

mkswap -L snapswap "$TARGET_IMG" > "$WORKDIR/mkswap.log" 2>&1 || fail "mkswap failed: $(cat "$WORKDIR/mkswap.log")"
before=$(od -An -c -j 4086 -N 10 "$TARGET_IMG" | tr -d ' ')
[ "$before" = SWAPSPACE2 ] || fail "mkswap left no SWAPSPACE2 signature ($before)"

SNAPTEST_MEM=512
hibernate b1-hibernate "snaptest.setup=swappart snaptest.mib=160 snaptest.hog=300"
expect '^SNAPTEST: target swappart ready: /dev/vdb' "the guest did not swapon /dev/vdb"
expect '^SNAPTEST: hog done: .*pswpout [1-9]' "nothing was swapped out before the hibernation"
expect '^snapwrite: swap area /dev/vdb: [0-9]+ MiB free' "snapwrite did not take /dev/vdb as a swap area"
sig=$(od -An -c -j 4086 -N 10 "$TARGET_IMG" | tr -d ' ')
[ "$sig" = SNAPRESUME ] || fail "the swap header does not say SNAPRESUME after the hibernation ($sig)"

boot b2-resume check
expect 'snapresume: resuming image .* from /dev/vdb ' "snapresume did not resume from the swap partition"
expect_resumed
expect_result swap_again ok
expect '^SNAPTEST: status state: none' "snapwrite status does not see a plain swap area after the resume"
sig=$(od -An -c -j 4086 -N 10 "$TARGET_IMG" | tr -d ' ')
[ "$sig" = SWAPSPACE2 ] || fail "the swap signature was not put back ($sig)"
