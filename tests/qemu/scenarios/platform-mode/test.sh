# shellcheck shell=bash
# Platform mode (ACPI S4) in a Debian guest. With S4 offered
# (PIIX4_PM.disable_s4=0), "snapwrite check" says "mode: platform" (the
# default, auto, follows /sys/power/disk) and "systemctl hibernate" ends in
# S4: the kernel prepares S4 through ACPI and the monitor sees the guest
# suspend to disk, not a plain power-off; the next boot resumes the image.
# Without S4 (PIIX4_PM.disable_s4=1) and mode=platform in /etc/snapwrite.conf,
# "snapwrite check" fails on the mode, and a direct "snapwrite hibernate"
# (naming mode=platform and /sys/power/disk) and "systemctl hibernate"
# refuse while the workload runs on; with the line gone (auto), check says
# "mode: shutdown" and the machine hibernates without S4 and resumes.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd

# The host sees the S4 entry on the monitor (SUSPEND_DISK) and on the console.
platform_hibernated() {
	expect '^SNAPTEST: sleep states: .*disk=\[[^]]*platform' "the guest does not offer S4 (no platform in /sys/power/disk)"
	expect '^SNAPTEST: check: .*mode: platform' "snapwrite check does not say mode: platform"
	expect 'ACPI: PM: Preparing to enter system sleep state S4' "the kernel did not enter S4 through ACPI"
	expect_power '^[0-9.]+ SUSPEND_DISK$' "the monitor saw no suspend to disk (S4)"
	SNAPTEST_ON_SUSPEND=
}
# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_QEMU_ARGS=$SLEEP_S4_ARGS
# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_ON_SUSPEND=watch
distro_hibernate_resume b1 "snaptest.showcheck=1 $SLEEP_APPEND" platform_hibernated

# S4 not offered: mode=platform refuses, auto falls back to shutdown.
refused_then_auto() {
	expect '^SNAPTEST: sleep states: ' "the guest did not report its sleep states"
	expect_not '^SNAPTEST: sleep states: .*disk=\[[^]]*platform' "the guest offers S4 though QEMU does not"
	expect '^SNAPTEST: check platform rc=[1-9]' "snapwrite check passed with mode=platform and no S4"
	expect '^SNAPTEST: check platform: fail +mode: ' "snapwrite check has no failing line about the mode"
	expect '^SNAPTEST: direct platform rc=[1-9]' "snapwrite hibernate did not refuse mode=platform without S4"
	expect '^SNAPTEST: direct platform: .*mode=platform' "snapwrite's refusal does not name mode=platform"
	expect '^SNAPTEST: direct platform: .*/sys/power/disk' "snapwrite's refusal does not name /sys/power/disk"
	expect_not '^SNAPTEST: direct platform: .*freezing' "snapwrite froze the system before refusing"
	expect '^SNAPTEST: systemctl platform rc=' "the guest did not come back from systemctl hibernate"
	expect '^SNAPTEST: refused: alive=yes' "the workload did not survive the refusals"
	local before now
	before=$(sed -n 's/^SNAPTEST: refused: .*counter_before=\([0-9]*\) .*/\1/p' "$LOG")
	now=$(sed -n 's/^SNAPTEST: refused: .*counter_now=\([0-9]*\)$/\1/p' "$LOG")
	[ "${now:-0}" -gt "${before:-0}" ] || fail "the workload did not run on after the refusals ($before -> $now)"
	expect_not '^SNAPTEST: status platform: valid' "an image was written with mode=platform refused"
	expect '^SNAPTEST: check auto rc=0' "snapwrite check fails once mode= is gone"
	expect '^SNAPTEST: check auto: ok +mode: shutdown' "snapwrite check does not say mode: shutdown without S4"
	expect_not 'ACPI: PM: Preparing to enter system sleep state S4' "the kernel entered S4 that it does not offer"
	expect_power '^[0-9.]+ SHUTDOWN$' "the monitor did not see the guest power off"
	expect_power_not '^[0-9.]+ SUSPEND_DISK$' "the guest suspended to disk (S4) that QEMU does not offer"
	SNAPTEST_ON_SUSPEND=
}
# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_QEMU_ARGS=$SLEEP_NO_S4_ARGS
# shellcheck disable=SC2034 # read by distro_hibernate_resume
DISTRO_ACTION=platform-refuse
# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_ON_SUSPEND=watch
distro_hibernate_resume b2 "$SLEEP_APPEND" refused_then_auto
