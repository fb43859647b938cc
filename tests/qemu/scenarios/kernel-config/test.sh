# shellcheck shell=bash
# kernel-config/check against the Debian kernel under test (no boot): its
# config has every required option; the same config with hibernation or
# /dev/snapshot switched off is reported, by name, with exit status 1; a
# gzip'd copy reads like the plain one.

check=$REPO_DIR/kernel-config/check
config=$KTREE/boot/config-$KVER
[ -r "$config" ] || fail "no config in the kernel package: $config"

out=$("$check" "$config" 2>&1) || fail "check rejects Debian's $KVER config: $out"
note "$out"

for opt in CONFIG_HIBERNATION CONFIG_HIBERNATION_SNAPSHOT_DEV; do
	sed "s/^$opt=y\$/# $opt is not set/" "$config" > "$WORKDIR/off.config"
	grep -q "^# $opt is not set" "$WORKDIR/off.config" || fail "$opt=y not found in $config"
	out=$("$check" "$WORKDIR/off.config" 2>&1)
	rc=$?
	[ "$rc" = 1 ] || fail "check exited $rc, not 1, with $opt off: $out"
	printf '%s\n' "$out" | grep -q "^missing: $opt=y" || fail "check did not name $opt: $out"
done

gzip -c "$config" > "$WORKDIR/config.gz"
out=$("$check" "$WORKDIR/config.gz" 2>&1) || fail "check rejects the gzip'd config: $out"

"$check" "$WORKDIR/does-not-exist" > /dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || fail "check exited $rc, not 2, for a missing file"
