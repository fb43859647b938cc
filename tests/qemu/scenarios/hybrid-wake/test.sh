# shellcheck shell=bash
# Hybrid sleep woken from RAM: a Debian guest with S3, "systemctl
# hybrid-sleep" with the workload running goes through snapwrite-sleep:
# snapwrite writes and commits the image, then the guest suspends to RAM
# (the monitor sees it: query-status says suspended). Woken by the monitor
# (system_wakeup) 5 s later, the system runs on: the same workload, its
# counter gone on, the hooks run as "pre/post hybrid-sleep", nothing
# restored, and the image is no longer valid (snapwrite status in the guest
# and on the host): a later boot must not bring back this old state.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd
sleep_boot b1-hybrid hybrid-sleep "wake 5"
expect_power '^[0-9.]+ system_wakeup sent$' "the host did not wake the guest"
expect_power '^[0-9.]+ WAKEUP$' "the guest did not wake up from S3"
expect_power_not '^[0-9.]+ SUSPEND_DISK$' "the guest entered S4 instead of running on"
[ "$BOOT_END" = poweroff ] || fail "boot b1-hybrid ended by $BOOT_END"
# snapwrite's progress goes to a terminal only: the service's journal has
# the wake-up, the image's state says it was written (the target was
# empty before).
expect '^SNAPTEST: service: snapwrite: woken from suspend to RAM: image [0-9a-f-]+ invalidated, running on' \
	"snapwrite did not report the wake-up and the invalidation"
expect 'ACPI: PM: Preparing to enter system sleep state S3' "the kernel did not enter S3"
expect_ran_on
state=$(result state)
[ "$state" = invalidated ] || fail "snapwrite status in the guest says '$state' after the wake, expected invalidated"
expect '^SNAPTEST: status: invalidated: ' "snapwrite status in the guest gives no reason for the invalidation"
expect '^SNAPTEST: status: invalidated: .*woken' "snapwrite status does not say the image was invalidated by the wake-up"
note "guest: $(grep -m 1 '^SNAPTEST: status: invalidated: ' "$LOG")"
[ "$(status_state b1-hybrid)" = invalidated ] || fail "host: the target's image is not invalidated after the wake"
