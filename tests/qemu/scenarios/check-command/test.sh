# shellcheck shell=bash
# snapwrite check: what would make hibernation fail, before the user tries.
# On a guest that can hibernate into /dev/vdb (named by resume=) every
# check passes but the initramfs one (the guest has no /boot/initrd.img);
# /dev/vda is refused as not what resume= names; --json says the same as
# one object; without GRUB or systemd-boot, the boot loader line says so.
# Under lockdown, without resume=, the check names both.
#
# kernels: 6.12

# The kernel's config where the checker looks for it.
debugfs -w -R "mkdir /boot" "$ROOT_IMG" > /dev/null 2>&1
debugfs -w -R "write $KTREE/boot/config-$KVER /boot/config-$KVER" "$ROOT_IMG" > "$WORKDIR/debugfs.log" 2>&1 ||
	fail "could not put the kernel config into the guest: $(cat "$WORKDIR/debugfs.log")"

boot b1-check checkcmd
for line in 'ok    kernel-config: every required option is set' \
	'ok    snapshot-device: /dev/snapshot is there' 'ok    lockdown: no lockdown' \
	'ok    hibernation: the kernel offers it' 'warn  initramfs: no initramfs for ' \
	'ok    target-size: target /dev/vdb has 512 MiB for [0-9]+ MiB of memory in use' \
	'ok    cmdline: resume=/dev/vdb leads to the target' \
	'ok    kernel-update: no /lib/modules: cannot tell' \
	'ok    bootloader: no GRUB configuration ' '0 problems, 1 warning'; do
	expect "^SNAPTEST: check vdb: $line" "snapwrite check on /dev/vdb did not say '$line'"
done
expect '^SNAPTEST: check vda: fail  cmdline: resume=/dev/vdb resume_offset=0 is not the target' \
	"snapwrite check did not refuse /dev/vda, which resume= does not name"
expect_result rc_vdb 0
expect_result rc_vda 1
expect_result rc_json 0
sed -n 's/^SNAPTEST: json: //p' "$LOG" > "$WORKDIR/check.json"
python3 - "$WORKDIR/check.json" << 'PY' || fail "snapwrite check --json is not what the text output says: $(tr '\n' ' ' < "$WORKDIR/check.json")"
import json, sys
d = json.load(open(sys.argv[1]))
st = {c["name"]: c["status"] for c in d["checks"]}
assert d["failed"] == 0 and d["warnings"] == 1, d
assert st["kernel-config"] == "ok" and st["cmdline"] == "ok" and st["initramfs"] == "warn", st
PY

SNAPTEST_RESUME=''
boot b2-lockdown checkcmd "lockdown=integrity"
expect '^SNAPTEST: check vdb: fail  lockdown: the kernel is locked down \[integrity\]' \
	"snapwrite check did not report the lockdown"
expect '^SNAPTEST: check vdb: fail  cmdline: no resume= on the kernel command line' \
	"snapwrite check did not report the missing resume="
expect '^SNAPTEST: check vdb: fail  hibernation: the kernel does not offer it' \
	"snapwrite check did not see that the kernel refuses hibernation"
expect_result rc_vdb 1
