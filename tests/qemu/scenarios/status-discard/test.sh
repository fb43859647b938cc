# shellcheck shell=bash
# status and discard on an image in a swap partition: status (plain and
# --json, on the host's copy of the disk) reports it; in the guest, the
# swap area cannot be swapped on while it holds the image, discard
# invalidates the image and puts the swap signature back, swapon works;
# the next boot with resume= does not resume.

mkswap "$TARGET_IMG" > /dev/null 2>&1 || fail "mkswap failed"

SNAPTEST_RESUME=''
hibernate b1-hibernate "snaptest.setup=swappart"

out=$("$SNAPWRITE_BIN" status --json --target "$TARGET_IMG" 2> "$WORKDIR/status.err")
rc=$?
note "status --json ($rc): $out"
[ "$rc" = 0 ] || fail "host: snapwrite status exited $rc on the image in swap: $(cat "$WORKDIR/status.err")"
printf '%s\n' "$out" | grep -q '^  "state": "valid",$' || fail "host: status --json does not say valid: $out"
printf '%s\n' "$out" | grep -q '^  "kind": "swap partition",$' || fail "host: status --json does not say swap partition: $out"
printf '%s\n' "$out" | grep -q '^  "age_seconds": [0-9]*,$' || fail "host: status --json gives no age: $out"
printf '%s\n' "$out" | tail -n 1 | grep -q '^}$' || fail "host: status --json is not one object: $out"
if command -v python3 > /dev/null; then
	printf '%s\n' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
		fail "host: status --json is not valid JSON: $out"
fi

boot b2-discard discard
expect '^SNAPTEST: status state: valid' "snapwrite status in the guest did not show the image"
expect '^snapwrite: image [0-9a-f-]+ on /dev/vdb discarded' "snapwrite discard did not say it discarded the image"
expect '^snapwrite: swap signature restored on /dev/vdb' "discard did not put the swap signature back"
expect '^SNAPTEST: status state: none' "status after discard still sees an image"
r=$(result swapon_before)
[ -n "$r" ] && [ "$r" != 0 ] || fail "swapon worked on the swap area while it held an image (swapon_before=$r)"
expect_result status_before 0
expect_result discard_rc 0
expect_result status_after 5
expect_result swapon_after ok

SNAPTEST_RESUME=/dev/vdb
boot b3-boot check
expect 'snapresume: no image on /dev/vdb \(a swap area without one\)' "snapresume did not see a plain swap area"
expect_no_resume_attempt
expect_fresh_boot
