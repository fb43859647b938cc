# shellcheck shell=bash
# Rollback to a snapshot: the root file system is on the overlay snaproot
# (a linear mapping of /dev/vda that the initramfs makes). snapwrite
# snapshot stores the image on /dev/vdb and reloads snaproot as a snapshot
# with /dev/vdc as COW store; the guest runs on, writes F, its workload
# counts on, and "snapwrite rollback resume" arms the next boot. That boot
# drops the COW store and resumes: the workload is back at its snapshot
# state, F does not exist, the root passes fsck; a third boot is a plain one
# (nothing left to merge).

rollback_setup
take_snapshot b1-snapshot "snaptest.arm=resume"
expect_result arm_rc 0
expect '^snapwrite: the next boot returns to snapshot' "snapwrite rollback did not say what it armed"
expect '^SNAPTEST: status next_boot: resume \(armed\)' "snapwrite status does not show the armed action"

boot b2-resume check
expect 'snapresume: snapshot image: resume \(armed by snapwrite rollback\)' \
	"snapresume did not take the armed action"
expect 'snapresume: overlay snaproot: the changes since the snapshot \(COW store /dev/vdc\) dropped' \
	"snapresume did not drop the COW store before resuming"
expect_back_at_snapshot
expect_fsck_clean

boot b3-plain check
expect_fresh_boot
expect_no_resume_attempt
expect_not 'merged into' "a dropped COW store was merged"
expect_result f absent
expect_result rootfile ok
expect_result overlay linear
expect_fsck_clean
