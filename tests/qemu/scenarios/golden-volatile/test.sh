# shellcheck shell=bash
# A golden snapshot on a volatile COW store (zram), made golden after the
# fact: "snapwrite snapshot" without --golden, then "snapwrite rollback
# golden" while the system runs on. Nothing of a run survives the
# power-off, which is what a golden snapshot wants: two boots come back to
# the snapshot (the overlay a snapshot on zram again, F gone, status
# counting), then a boot with rd.snap.rollback=discard (a boot menu entry)
# ends golden mode: a fresh boot on the origin as at the snapshot, the
# image dropped; the boot after that is a plain one.
#
# kernels: none
# full-kernels: 6.12

root_4k
rollback_setup zram:64M
guest_modules zram
take_snapshot b1-snapshot "snaptest.arm=golden snaptest.arm_resumed=none"
expect_result arm_rc 0
expect '^snapwrite: snapshot .* is golden now: every boot returns to it' \
	"snapwrite rollback golden did not say the snapshot is golden"
expect '^SNAPTEST: status image_kind: golden snapshot' "snapwrite status does not show a golden snapshot"

for n in 1 2; do
	boot "b$((n + 1))-golden" check
	expect 'snapresume: golden snapshot image: resume \(golden: every boot returns to it\)' \
		"boot $n: snapresume did not take the golden resume"
	expect "snapresume: golden image .*: resume $n; the image stays valid" \
		"boot $n: snapresume did not count resume $n"
	expect_not '^SNAPTEST: fresh boot' "boot $n: the guest booted fresh instead of returning to the snapshot"
	expect "^snapwrite: golden snapshot .* back at it, resume $n;" \
		"boot $n: snapwrite did not report the golden resume"
	expect '^SNAPTEST: status overlay_snaproot: snapshot, COW [0-9]+ of 64 MiB used' \
		"boot $n: the overlay is not a snapshot on zram again"
	expect "^SNAPTEST: status golden_resumes: $n\$" "boot $n: status does not count $n resumes"
	expect_not 'Aborting journal|EXT4-fs error|Buffer I/O error' "boot $n: the root file system broke"
	expect_result pid "$BEFORE_PID"
	expect_result f_before absent
	expect_result arm_rc none
	now=$(result counter_now)
	if [ -z "$now" ] || [ "$now" -ge "$POST_COUNTER" ]; then
		fail "boot $n: the workload came back at counter ${now:-<none>}, not below $POST_COUNTER"
	fi
	POST_COUNTER=$(result counter_post)
done

boot b4-discard check "rd.snap.rollback=discard"
expect 'snapresume: golden snapshot image: discard \(rd.snap.rollback= on the command line\)' \
	"snapresume did not take rd.snap.rollback=discard for the golden image"
expect 'snapresume: snapshot image .* on /dev/vdb dropped \(discard\)' "the golden image was not dropped"
expect_no_resume_attempt
expect_fresh_boot
expect_result f absent
expect_result overlay linear
expect '^SNAPTEST: status invalidated: discarded' "status does not show the golden image as discarded"

boot b5-plain check
expect_fresh_boot
expect_no_resume_attempt
expect_result f absent
expect_result overlay linear
expect_fsck_clean
