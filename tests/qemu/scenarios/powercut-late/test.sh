# shellcheck shell=bash
# Power cut right after the commit (before the power-off completes): the
# image is whole and committed, so it is kept and the next boot resumes it,
# as documented (docs/FORMAT.md, commit protocol).

boot b1-cut hibernate "" 'snapwrite: image committed'
[ "$BOOT_END" = killed ] || fail "no 'image committed' line to cut the power on (boot ended by $BOOT_END)"
BEFORE_PID=$(sed -n 's/^SNAPTEST: before hibernate pid=\([0-9]*\) .*/\1/p' "$LOG")
BEFORE_COUNTER=$(sed -n 's/^SNAPTEST: before hibernate .*counter=\([0-9]*\)$/\1/p' "$LOG")
BEFORE_TMPFS=$(sed -n 's/^SNAPTEST: tmpfs file sha256=//p' "$LOG")
expect_state_valid b1-cut

boot b2-resume check
expect_resumed
