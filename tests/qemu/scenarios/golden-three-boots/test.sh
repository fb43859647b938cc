# shellcheck shell=bash
# A golden snapshot: every boot returns to the same running system. The
# guest takes "snapwrite snapshot --golden" with its workload running, then
# (as after every return) writes F and lets the workload count on. Three
# boots in a row each drop the COW store, resume the image without
# invalidating it, and come back to the snapshot: the same workload process
# at a counter below where the last run left it, F absent when the system
# comes back, the overlay a snapshot again from the first instant, the
# system-sleep hook run as "post golden", and status counting 1, 2, 3.
#
# kernels: none
# full-kernels: 6.12

rollback_setup
take_snapshot b1-snapshot "snaptest.swopt=--golden snaptest.hook=1"
expect '^snapwrite: golden snapshot: every boot returns to it' "snapwrite did not say the snapshot is golden"
expect '^SNAPTEST: status image_kind: golden snapshot' "snapwrite status does not show a golden snapshot"
expect '^SNAPTEST: status golden_resumes: 0' "snapwrite status does not count 0 resumes"
expect '^SNAPTEST: status next_boot: resume \(golden' "snapwrite status does not say the next boot resumes"
expect_not '^SNAPTEST: hook' "a hook ran before any golden resume"

for n in 1 2 3; do
	boot "b$((n + 1))-golden" check
	expect 'snapresume: golden snapshot image: resume \(golden: every boot returns to it\)' \
		"boot $n: snapresume did not take the golden resume"
	expect 'snapresume: 1 file system unchanged since the snapshot' \
		"boot $n: snapresume did not check the root against the snapshot"
	expect 'snapresume: overlay snaproot: the changes since the snapshot \(COW store /dev/vdc\) dropped' \
		"boot $n: snapresume did not drop the COW store"
	expect "snapresume: golden image .*: resume $n; the image stays valid" \
		"boot $n: snapresume did not count resume $n"
	expect_not 'invalidated' "boot $n: the golden image was invalidated"
	expect_not '^SNAPTEST: fresh boot' "boot $n: the guest booted fresh instead of returning to the snapshot"
	expect "^snapwrite: golden snapshot .* back at it, resume $n;" \
		"boot $n: snapwrite did not report the golden resume"
	expect '^SNAPTEST: hook post golden$' "boot $n: the system-sleep hook did not run as 'post golden'"
	expect '^SNAPTEST: snapshot taken, running on' "boot $n: the guest did not run on"
	expect '^SNAPTEST: status overlay_snaproot: snapshot, COW [0-9]+ of [0-9]+ MiB used' \
		"boot $n: the overlay is not a snapshot again after the resume"
	expect "^SNAPTEST: status golden_resumes: $n\$" "boot $n: status does not count $n resumes"
	expect_not '^SNAPTEST: status unfinished_resume' "boot $n: the resume attempt was not taken back"
	expect_not 'Aborting journal|EXT4-fs error|Buffer I/O error' "boot $n: the root file system broke"
	expect_result pid "$BEFORE_PID"
	expect_result alive yes
	expect_result f_before absent
	expect_result f present
	now=$(result counter_now)
	if [ -z "$now" ] || [ "$now" -lt "$BEFORE_COUNTER" ] || [ "$now" -ge "$POST_COUNTER" ]; then
		fail "boot $n: the workload came back at counter ${now:-<none>}, not at the snapshot's ($BEFORE_COUNTER, below $POST_COUNTER where the last run left it)"
	fi
	note "golden resume $n: counter $BEFORE_COUNTER -> came back at $now (last run ended at $POST_COUNTER)"
	POST_COUNTER=$(result counter_post)
done

status_state after-three > /dev/null
grep -q '^golden_resumes: *3$' "$WORKDIR/status-after-three.txt" ||
	fail "host: snapwrite status does not count three resumes ($(tr '\n' ' ' < "$WORKDIR/status-after-three.txt"))"
expect_state_valid after-three-valid
