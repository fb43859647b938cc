# shellcheck shell=bash
# suspend-then-hibernate in a Debian guest with S3, HibernateDelaySec=20s
# in /etc/systemd/sleep.conf.d/. First run: "systemctl
# suspend-then-hibernate" suspends (the monitor sees S3) and the monitor
# wakes the guest 3 s later, before the alarm, as a user opening the lid:
# it carries on (same workload, counter on, hooks run as "pre/post
# suspend-then-hibernate"), snapwrite says so, nothing is written (the
# target still holds no image). Second run: nobody wakes the guest, the
# RTC alarm does after the delay, snapwrite says so and hibernates: the
# guest goes down with a valid image, and the next boot resumes it intact.
#
# kernels: none
# full-kernels: 6.12

DELAY=20
distro_guest dracut-systemd

# Woken early, by the user (the monitor).
sleep_boot b1-early suspend-then-hibernate "wake 3" "snaptest.delay=${DELAY}s"
[ "$BOOT_END" = poweroff ] || fail "boot b1-early ended by $BOOT_END"
expect_power '^[0-9.]+ system_wakeup sent$' "the host did not wake the guest"
gap=$(power_gap SUSPEND WAKEUP)
note "woken after ${gap:-?}s in S3"
if [ -z "$gap" ] || [ "$gap" -ge "$DELAY" ]; then
	fail "the guest did not wake before the alarm (after ${gap:-?}s)"
fi
expect_ran_on
expect '^SNAPTEST: service: snapwrite: woken before the alarm, after [0-9]+ s: running on, no image written' \
	"snapwrite did not say it was woken before the alarm"
expect_result state none
[ "$(status_state b1-early)" = none ] || fail "host: the target holds an image after the early wake"

# Woken by the alarm: hibernated.
sleep_boot b2-alarm suspend-then-hibernate watch "snaptest.delay=${DELAY}s"
[ "$BOOT_END" = poweroff ] || fail "boot b2-alarm ended by $BOOT_END"
expect_power '^[0-9.]+ WAKEUP$' "the guest never woke from S3"
expect_power_not 'system_wakeup sent' "the host woke the guest (it must be the alarm)"
gap=$(power_gap SUSPEND WAKEUP)
note "in S3 for ${gap}s (HibernateDelaySec=${DELAY}s)"
if [ "${gap:-0}" -lt $((DELAY - 5)) ] || [ "$gap" -gt $((DELAY + 60)) ]; then
	fail "the guest woke ${gap:-?}s after entering S3, not on the ${DELAY}s alarm"
fi
expect_power '^[0-9.]+ SHUTDOWN$' "the guest did not go down after the alarm"
expect_not '^SNAPTEST: RESULT' \
	"the guest ran on after the alarm instead of hibernating ($(grep -m 1 'snapwrite: woken' "$LOG"))"
expect_state_valid b2-alarm
host_verify

# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_QEMU_ARGS=$SLEEP_S3_ARGS
boot b3-resume check
expect 'snapresume: resuming image' "the initramfs did not resume the image"
expect_not '^SNAPTEST: fresh boot' "the guest booted fresh instead of resuming"
expect_result resumed yes
expect_sleep_result
expect '^SNAPTEST: service: .*snapwrite: resumed \(image' "snapwrite did not report the resume"
expect '^SNAPTEST: service: snapwrite: woken by the alarm after [0-9]+ s' "the service's journal does not say the alarm woke the guest"
