# shellcheck shell=bash
# encryption=required in /etc/snapwrite.conf and a plain target: snapwrite
# refuses before freezing anything, the system keeps running, and nothing
# is written to the target (not even the cleared header).

printf 'untouched target\n' | dd of="$TARGET_IMG" conv=notrunc status=none
before=$(sha256sum < "$TARGET_IMG")

boot b1-hibernate hibernate "snaptest.conf=/dev/vdb snaptest.confline=encryption=required"
expect 'snapwrite: Refusing to write a memory image unencrypted to ./dev/vdb.' \
	"snapwrite did not refuse the plain target"
expect_not 'snapwrite: freezing' "snapwrite froze the system before refusing"
expect_result hibernated no
expect_result snapwrite_rc 3
expect_result alive yes
expect_result verify ok
expect_result tmpfs ok
[ "$(sha256sum < "$TARGET_IMG")" = "$before" ] || fail "the refused plain target was written to"
