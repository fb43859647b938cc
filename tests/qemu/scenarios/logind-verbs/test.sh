# shellcheck shell=bash
# logind's CanHibernate, CanHybridSleep and CanSuspendThenHibernate follow
# "snapwrite check" in a Debian guest: with the target configured and S3
# offered, yes for all three; with /etc/snapwrite.conf moved away,
# snapwrite's file in /run/systemd/sleep.conf.d (saying yes, over the
# package's saying no) is gone and they say na (once "snapwrite check" has
# run, if snapwrite-allow.path has not already); with the
# file back, yes again. Without S3 (PIIX4_PM.disable_s3=1, suspend-to-idle
# only), CanHybridSleep is na (it needs S3); CanHibernate and
# CanSuspendThenHibernate stay yes.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd
SNAPTEST_QEMU_ARGS=$SLEEP_S3_ARGS
boot b1-s3 logind-verbs
expect '^SNAPTEST: sleep states: state=\[[^]]*mem' "the guest does not offer S3"
expect_result check1 0
expect '^SNAPTEST: dropin configured: .*AllowHibernation=yes AllowHybridSleep=yes AllowSuspendThenHibernate=yes' \
	"snapwrite check did not tell logind that every hibernating verb works"
expect '^SNAPTEST: logind configured: CanHibernate=yes CanHybridSleep=yes CanSuspendThenHibernate=yes$' \
	"logind does not allow every hibernating verb with a target configured"
note "$(grep -m 1 '^SNAPTEST: logind without target after' "$LOG")"
[ "$(result check2)" != 0 ] || fail "snapwrite check passed without a target"
expect '^SNAPTEST: dropin no target: none$' "snapwrite's file still allows hibernation without a target"
expect '^SNAPTEST: logind no target: CanHibernate=na CanHybridSleep=na CanSuspendThenHibernate=na$' \
	"logind still allows a hibernating verb without a target"
expect_result check3 0
expect '^SNAPTEST: dropin target back: .*AllowHibernation=yes' "snapwrite check did not allow hibernation again"
expect '^SNAPTEST: logind target back: CanHibernate=yes CanHybridSleep=yes CanSuspendThenHibernate=yes$' \
	"logind does not allow every hibernating verb once the target is back"

# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_QEMU_ARGS=$SLEEP_NO_S3_ARGS
boot b2-no-s3 logind-verbs
expect '^SNAPTEST: sleep states: ' "the guest did not report its sleep states"
expect_not '^SNAPTEST: sleep states: .*mem_sleep=\[[^]]*deep' "the guest offers S3 though QEMU does not"
expect_result check1 0
expect '^SNAPTEST: dropin configured: .*AllowHibernation=yes AllowHybridSleep=no ' \
	"snapwrite check did not tell logind hibernation alone, without hybrid sleep"
expect '^SNAPTEST: logind configured: CanHibernate=yes CanHybridSleep=na CanSuspendThenHibernate=yes$' \
	"logind's answers without S3 are not: hibernate yes, hybrid sleep na, suspend-then-hibernate (suspend-to-idle) yes"
