# shellcheck shell=bash
# Every mount is accounted for. A file system without a block device (QEMU's
# 9p share standing in for ZFS or NFS) was skipped without a word, so
# fs_guard_unknown=refuse did not refuse it: now hibernate refuses before
# anything is frozen, naming the mount and what it is; with
# fs_guard_unknown=allow it warns, hibernates, and the guest resumes.
#
# kernels: none
# full-kernels: 6.12

mkdir -p "$WORKDIR/share"
echo shared > "$WORKDIR/share/file"
guest_modules 9pnet_virtio 9p
SNAPTEST_QEMU_ARGS="-virtfs local,path=$WORKDIR/share,mount_tag=share,security_model=none,readonly=on"

boot b1-refused hibernate "snaptest.setup=ninep snaptest.mib=16"
expect '^SNAPTEST: target ninep ready' "the guest did not mount the 9p share"
expect 'snapwrite: /share \(9p, a network file system, share\) cannot be guarded' \
	"snapwrite did not name the mount it cannot guard"
expect 'snapwrite: Refusing to hibernate with unguarded file systems mounted' \
	"snapwrite did not refuse the unguardable mount"
expect_not 'snapwrite: freezing' "snapwrite froze the system although it refused"
expect_result hibernated no
expect_result snapwrite_rc 1
expect_result alive yes

hibernate b2-allowed "snaptest.setup=ninep snaptest.confline=fs_guard_unknown=allow"
expect 'snapwrite: warning: /share \(9p, a network file system, share\) is not guarded' \
	"snapwrite did not warn about the unguarded mount"
boot b3-resume check
expect_resumed
