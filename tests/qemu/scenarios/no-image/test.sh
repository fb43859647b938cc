# shellcheck shell=bash
# A zeroed target: snapresume says there is no image, quickly, and the boot
# goes on. rd.snap.timeout is long so that waiting for it would show.

boot b1-boot check "rd.snap.timeout=60"
expect 'snapresume: no image on' "snapresume did not report the missing image"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile absent

took=$(sed -n 's/.*snapresume: .*(took \([0-9]*\)\.[0-9]*s).*/\1/p' "$LOG" | head -n 1)
[ -n "$took" ] || fail "the snapresume hook did not report its duration"
note "snapresume took about ${took}s"
[ "$took" -lt 10 ] || fail "snapresume held the boot up for ${took}s with no image"

# Finding nothing, snapresume must not have written anything either.
state=$(status_state b1-boot)
[ "$state" = none ] || fail "host: snapwrite status says '${state:-<none>}' on the untouched target, expected none"
