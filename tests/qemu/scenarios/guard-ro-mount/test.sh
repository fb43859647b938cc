# shellcheck shell=bash
# A read-only mount by another system writes. An image is taken; a boot
# that does not resume (no resume=) mounts the root file system read-only,
# as a rescue system or os-prober would: the kernel replays its journal
# (the file system was in use at the snapshot), which changes the
# superblock's flags and the journal's superblock but not the mount count
# or times: only the superblocks' digest sees it (CI showed the refusal
# naming the superblock or its journal's, the times unchanged).
# dracut's e2fsck of a read-only root would write too: rd.skipfsck leaves
# the kernel's replay alone to do it. The
# next boot refuses the image, naming the file system, and boots with
# every file written before the snapshot intact.
#
# kernels: 6.12

hibernate b1-hibernate "snaptest.mib=16"
expect_state_valid b1-hibernate

SNAPTEST_RESUME='' SNAPTEST_ROOT_MODE=ro boot b2-ro-mount check rd.skipfsck
expect 'EXT4-fs \(vda\): (INFO: )?recovery|EXT4-fs \(vda\): recovery complete' \
	"the read-only mount did not replay the root's journal"
expect_result rootfile ok
expect_state_valid b2-ro-mount

boot b3-resume check
expect 'snapresume: refusing image on /dev/vdb: file system / \(ext4 UUID=[0-9a-f-]+\) on /dev/vda: (it was written since the snapshot|its superblock or its journal.s changed since the snapshot)' \
	"snapresume did not refuse the image of a file system a read-only mount wrote to"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b3-resume
