#!/bin/sh
# The test driver of the Debian guests (snaptest.service, after
# multi-user.target). Like init.sh of the small guest it reads
# snaptest.action= from the kernel command line, reports "SNAPTEST: " lines
# on the serial console and powers the machine off, but the machine is a
# user's: systemd, logind, the journal, the project installed with make
# install, and its initramfs built by the distribution's own tools.
#
# Actions:
#   hibernate        start the workload, "systemctl hibernate" (which goes
#                    through snapwrite), wait; in the resumed system check
#                    the workload, the journal's resume entry, the sleep hook.
#   kernel-hibernate the kernel's own hibernation into the swap partition
#                    /dev/vdc (echo disk > /sys/power/state), workload first.
#   stock-hibernate  snapresume's package purged: how systemd would
#                    hibernate (the unit's ExecStart, drop-ins, logind's
#                    environment and CanHibernate without and with swap),
#                    then "systemctl hibernate" into the swap partition
#                    /dev/vdc, workload first; after the kernel's resume,
#                    the workload and the service's journal.
#   tpm2-enroll      enroll the TPM2 into the LUKS2 volume /dev/vdb
#                    (systemd-cryptenroll --tpm2-device=auto, the PCRs of
#                    snaptest.pcrs=, the passphrase from /root/luks-pass,
#                    which is then removed), rebuild the initramfs with
#                    the generator snaptest.gen= names (dracut or
#                    initramfs-tools), report what snapwrite check says.
#   sleep            the other sleep verbs: "systemctl VERB" (snaptest.verb=:
#                    hybrid-sleep, suspend-then-hibernate, or suspend),
#                    HibernateDelaySec= from snaptest.delay= written into
#                    /etc/systemd/sleep.conf.d/snaptest.conf first, with the
#                    workload and the sleep hook as for hibernate; waits for
#                    the hook's "post VERB" (the host wakes the guest, or
#                    cuts the power and the next boot resumes it, or the
#                    alarm does), then reports whether this is a resumed
#                    system (the journal's resume entry in this boot), the
#                    workload, the hooks, snapwrite status and the service's
#                    journal.
#   logind-verbs     logind's CanHibernate, CanHybridSleep and
#                    CanSuspendThenHibernate with /etc/snapwrite.conf
#                    naming the target; with it moved away (first as the
#                    path unit sees it, up to 20 s, then after "snapwrite
#                    check"); with it back; snapwrite's file in
#                    /run/systemd/sleep.conf.d each time (present, saying
#                    yes, only while the check passes).
#   platform-refuse  mode=platform in /etc/snapwrite.conf on a machine
#                    without S4: "snapwrite check", a direct "snapwrite
#                    hibernate" and "systemctl hibernate" must refuse while
#                    the workload runs on; the line taken out again (auto),
#                    "snapwrite check" once more, then as hibernate (that
#                    workload kept).
#   check            a fresh boot: report it.
#   setup            "snapwrite setup" on a fresh machine (no
#                    /etc/snapwrite.conf), target snaptest.setup_target=
#                    (an ext4 is made on it first, for setup to erase):
#                    /etc copied to /var/lib/snaptest/etc-before, --dry-run
#                    (which must change nothing), setup --yes, the linux
#                    lines of the grub.cfg update-grub wrote, whether the
#                    initramfs was rebuilt, and a second run (which must
#                    change nothing).
#   setup-undo       "snapwrite setup --undo", then /etc compared with the
#                    copy of before setup, and grub.cfg's resume= words.

WORKLOAD_DIR=/run
# shellcheck source=tests/qemu/guest/guest-lib.sh
. /usr/lib/snaptest/guest-lib.sh
# shellcheck source=tests/qemu/guest/workload-lib.sh
. /usr/lib/snaptest/workload-lib.sh

# systemd_power_off: through systemd, as a user's machine goes down (not
# guest-lib.sh's, which is for a guest whose init is a shell script).
systemd_power_off() {
	say "powering off"
	sync
	systemctl poweroff --no-block
	sleep 120
	echo o > /proc/sysrq-trigger
}

start_workload() {
	/usr/local/bin/workload 64 1 > "$WORKLOAD_DIR/workload.log" 2>&1 &
	wpid=$!
	if ! wait_for_line "$WORKLOAD_DIR/workload.log" "^workload: pid=$wpid counter=2$" 120; then
		say "RESULT action=$action error=workload-not-running"
		systemd_power_off
		exit 0
	fi
	dd if=/dev/urandom of="$WORKLOAD_DIR/tmpfile" bs=64k count=16 2> /dev/null
	tmp_sum=$(file_sum "$WORKLOAD_DIR/tmpfile")
	# A separate /home (a scenario's): a file written there before the
	# hibernation must be there after it.
	home_sum=none
	if mountpoint -q /home; then
		dd if=/dev/urandom of=/home/snaptest-file bs=64k count=4 2> /dev/null && sync
		home_sum=$(file_sum /home/snaptest-file)
		say "home: $(findmnt -n -o SOURCE /home) marker=$(cat /home/marker 2> /dev/null)"
	fi
	before=$(last_counter "$wpid")
	say "before hibernate pid=$wpid counter=$before"
}

# install_sleep_hook: a system-sleep hook, as packages install them (it
# must still run), logging its calls to /var/lib/snaptest-sleep-hook.log.
install_sleep_hook() {
	mkdir -p /usr/lib/systemd/system-sleep
	cat > /usr/lib/systemd/system-sleep/snaptest <<-'EOF'
		#!/bin/sh
		echo "$(date +%s) $1 $2" >> /var/lib/snaptest-sleep-hook.log
	EOF
	chmod +x /usr/lib/systemd/system-sleep/snaptest
}

# sleep_states: what the kernel offers (and so what the firmware does).
sleep_states() {
	say "sleep states: state=[$(cat /sys/power/state)] mem_sleep=[$(cat /sys/power/mem_sleep)]" \
		"disk=[$(cat /sys/power/disk)]"
}

# exec_start UNIT: the program and arguments of UNIT's ExecStart.
exec_start() {
	systemctl show -P ExecStart "$1" | sed -n 's/.*argv\[\]=\([^;]*[^ ;]\) *;.*/\1/p'
}

# The journal has snapwrite's resume entry in this boot (a resumed system's
# boot is the one it hibernated in).
resumed_here() {
	journalctl -b -q -o cat MESSAGE_ID=4d2c6f1e0a8b4b7e9f3a51c2d8e6b701 | grep -q 'Resumed from snapresume image'
}

do_hibernate() {
	install_sleep_hook
	if [ "$(cmdline_value snaptest.showcheck 0)" = 1 ]; then
		sleep_states
		snapwrite check 2>&1 | sed 's/^/SNAPTEST: check: /'
	fi
	# The workload of an action that did something before (platform-refuse).
	[ -n "${wpid:-}" ] || start_workload
	# A block inhibitor on sleep stops snapwrite called directly, not
	# systemctl (logind decides there, and it does not block root).
	systemd-inhibit --what=sleep --mode=block --who=snaptest --why="testing inhibitors" \
		sleep 60 &
	ipid=$!
	sleep 1
	snapwrite hibernate > /run/direct.log 2>&1
	direct_rc=$?
	sed 's/^/SNAPTEST: direct: /' /run/direct.log
	kill "$ipid" 2> /dev/null
	wait "$ipid" 2> /dev/null
	say "running systemctl hibernate"
	# The serial console drains slowly under emulation: give the lines
	# above time to reach the host before everything freezes.
	sleep 2
	t0=$(date +%s)
	systemctl hibernate
	say "systemctl hibernate rc=$?"
	# Frozen and powered off in here; after the resume the loop sees the
	# journal entry snapwrite makes.
	resumed=no
	_i=0
	while [ "$_i" -lt 300 ]; do
		# This boot's: a machine that hibernated before has older ones.
		if resumed_here; then
			resumed=yes
			break
		fi
		# snapwrite refused: no need to wait for a resume.
		systemctl -q is-failed systemd-hibernate.service && break
		sleep 0.5
		_i=$((_i + 1))
	done
	if [ "$resumed" = no ]; then
		journalctl -b -u systemd-hibernate.service -o cat | sed 's/^/SNAPTEST: service: /'
		snapwrite check 2>&1 | sed 's/^/SNAPTEST: check: /'
		say "RESULT action=hibernate hibernated=no direct_rc=$direct_rc"
		return
	fi
	say "resumed after $(($(date +%s) - t0)) s"
	journalctl -b -u systemd-hibernate.service -o cat | sed 's/^/SNAPTEST: service: /'
	check_workload
	journalctl -b -o cat MESSAGE_ID=4d2c6f1e0a8b4b7e9f3a51c2d8e6b701 | sed 's/^/SNAPTEST: journal: /'
	journalctl -b -o verbose MESSAGE_ID=4d2c6f1e0a8b4b7e9f3a51c2d8e6b701 |
		grep -E '^ +SNAPRESUME_(WRITE|RESTORE)_USEC=' | sed 's/^ */SNAPTEST: field: /'
	home=none
	if [ "$home_sum" != none ]; then
		if mountpoint -q /home && [ "$(file_sum /home/snaptest-file)" = "$home_sum" ]; then
			home=ok
		else
			home=BAD
		fi
		say "home after resume: $(findmnt -n -o SOURCE /home) marker=$(cat /home/marker 2> /dev/null)"
	fi
	hooks=$(tr '\n' ',' < /var/lib/snaptest-sleep-hook.log 2> /dev/null)
	say "sleep hook: $hooks"
	case $hooks in
	*"pre hibernate"*"post hibernate"*) hook=ok ;;
	*) hook=BAD ;;
	esac
	say "RESULT action=hibernate resumed=yes pid=$wpid alive=$alive verify=$verify counter_before=$before counter_after=$after tmpfs=$tmpfs hook=$hook home=$home direct_rc=$direct_rc"
}

do_kernel_hibernate() {
	start_workload
	swapon /dev/vdc || { say "RESULT action=kernel-hibernate error=swapon"; return; }
	printf '%d:%d' "0x$(stat -L -c '%t' /dev/vdc)" "0x$(stat -L -c '%T' /dev/vdc)" > /sys/power/resume
	say "kernel hibernation to /dev/vdc (resume device $(cat /sys/power/resume))"
	echo shutdown > /sys/power/disk
	if echo disk > /sys/power/state; then
		# The kernel's resume brought us back.
		check_workload
		say "RESULT action=kernel-hibernate resumed=yes pid=$wpid alive=$alive verify=$verify counter_before=$before counter_after=$after tmpfs=$tmpfs"
	else
		say "RESULT action=kernel-hibernate hibernated=no"
	fi
}

# logind's answer to CanHibernate (or to the Can* method named): yes, no,
# na or challenge.
can_hibernate() {
	busctl call org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager \
		"${1:-CanHibernate}" 2>&1 | sed 's/^s "\(.*\)"$/\1/'
}

# can_all: logind's answers for the verbs that involve hibernation.
can_all() {
	echo "CanHibernate=$(can_hibernate CanHibernate) CanHybridSleep=$(can_hibernate CanHybridSleep)" \
		"CanSuspendThenHibernate=$(can_hibernate CanSuspendThenHibernate)"
}

# sleep_dropin: what "snapwrite check" told logind (its sleep.conf.d file
# in /run, which hides the package's saying no), or "none".
sleep_dropin() {
	if [ -e /run/systemd/sleep.conf.d/50-snapresume.conf ]; then
		grep -v '^#' /run/systemd/sleep.conf.d/50-snapresume.conf | tr '\n' ' '
	else
		echo none
	fi
}

# wait_can VALUE SECONDS: until logind's CanHibernate says VALUE; prints
# how long that took, or "never".
wait_can() {
	_i=0
	while [ "$_i" -le "$(($2 * 2))" ]; do
		if [ "$(can_hibernate)" = "$1" ]; then
			echo "$((_i / 2))s"
			return 0
		fi
		sleep 0.5
		_i=$((_i + 1))
	done
	echo never
}

do_logind_verbs() {
	sleep_states
	snapwrite check > /run/check1.log 2>&1
	check1=$?
	sed 's/^/SNAPTEST: check configured: /' /run/check1.log
	say "dropin configured: $(sleep_dropin)"
	say "logind configured: $(can_all)"
	mv /etc/snapwrite.conf /etc/snapwrite.conf.away
	say "logind without target after $(wait_can na 20): $(can_all)"
	snapwrite check > /run/check2.log 2>&1
	check2=$?
	sed 's/^/SNAPTEST: check no target: /' /run/check2.log
	say "dropin no target: $(sleep_dropin)"
	say "logind no target: $(can_all)"
	mv /etc/snapwrite.conf.away /etc/snapwrite.conf
	say "logind target back after $(wait_can yes 20): $(can_all)"
	snapwrite check > /run/check3.log 2>&1
	check3=$?
	say "dropin target back: $(sleep_dropin)"
	say "logind target back: $(can_all)"
	sync
	say "RESULT action=logind-verbs check1=$check1 check2=$check2 check3=$check3"
}

do_sleep() {
	verb=$(cmdline_value snaptest.verb hybrid-sleep)
	delay=$(cmdline_value snaptest.delay "")
	install_sleep_hook
	rm -f /var/lib/snaptest-sleep-hook.log
	if [ -n "$delay" ]; then
		mkdir -p /etc/systemd/sleep.conf.d
		printf '[Sleep]\nHibernateDelaySec=%s\n' "$delay" > /etc/systemd/sleep.conf.d/snaptest.conf
	fi
	sleep_states
	say "$verb ExecStart=$(exec_start "systemd-$verb.service")"
	say "logind: $(can_all)"
	start_workload
	say "running systemctl $verb"
	# The serial console drains slowly under emulation: give the lines
	# above time to reach the host before everything freezes.
	sleep 2
	t0=$(date +%s)
	systemctl "$verb"
	say "systemctl $verb rc=$?"
	# logind only queued the job. Back here when the host woke the guest,
	# or, after the resume of its image, in the resumed system.
	returned=no
	_i=0
	while [ "$_i" -lt 1200 ]; do
		if grep -q "post $verb" /var/lib/snaptest-sleep-hook.log 2> /dev/null; then
			returned=yes
			break
		fi
		systemctl -q is-failed "systemd-$verb.service" && break
		sleep 0.5
		_i=$((_i + 1))
	done
	say "back after $(($(date +%s) - t0)) s"
	resumed=no
	resumed_here && resumed=yes
	journalctl -b -u "systemd-$verb.service" -o cat | sed 's/^/SNAPTEST: service: /'
	journalctl -b -k -o cat | grep -E 'PM: |ACPI: PM: ' | sed 's/^/SNAPTEST: kernel: /'
	snapwrite status > /run/status.log 2>&1
	sed 's/^/SNAPTEST: status: /' /run/status.log
	state=$(sed -n 's/^state: *//p' /run/status.log | head -n 1)
	check_workload
	hooks=$(tr '\n' ',' < /var/lib/snaptest-sleep-hook.log 2> /dev/null)
	say "sleep hook: $hooks"
	case $hooks in
	*"pre $verb"*"post $verb"*) hook=ok ;;
	*) hook=BAD ;;
	esac
	sync
	say "RESULT action=sleep verb=$verb returned=$returned resumed=$resumed pid=$wpid alive=$alive verify=$verify counter_before=$before counter_after=$after tmpfs=$tmpfs hook=$hook state=${state:-none}"
}

do_platform_refuse() {
	sleep_states
	echo "mode=platform" >> /etc/snapwrite.conf
	snapwrite check > /run/check-platform.log 2>&1
	say "check platform rc=$?"
	sed 's/^/SNAPTEST: check platform: /' /run/check-platform.log
	start_workload
	snapwrite hibernate > /run/direct-platform.log 2>&1
	say "direct platform rc=$?"
	sed 's/^/SNAPTEST: direct platform: /' /run/direct-platform.log
	systemctl hibernate > /run/systemctl-platform.log 2>&1
	say "systemctl platform rc=$?"
	sed 's/^/SNAPTEST: systemctl platform: /' /run/systemctl-platform.log
	# logind may refuse it, or queue it and the service fail.
	_i=0
	while [ "$_i" -lt 120 ] && ! systemctl -q is-failed systemd-hibernate.service; do
		systemctl -q is-active systemd-hibernate.service || [ "$_i" -lt 10 ] || break
		sleep 0.5
		_i=$((_i + 1))
	done
	say "service platform: $(systemctl show -P Result systemd-hibernate.service)" \
		"$(systemctl show -P ActiveState systemd-hibernate.service)"
	journalctl -b -u systemd-hibernate.service -o cat | sed 's/^/SNAPTEST: service platform: /'
	snapwrite status > /run/status-platform.log 2>&1
	say "status platform: $(sed -n 's/^state: *//p' /run/status-platform.log | head -n 1)"
	if kill -0 "$wpid" 2> /dev/null; then alive=yes; else alive=no; fi
	sleep 2
	say "refused: alive=$alive counter_before=$before counter_now=$(last_counter "$wpid")"
	systemctl reset-failed systemd-hibernate.service 2> /dev/null
	sed -i '/^mode=platform$/d' /etc/snapwrite.conf
	snapwrite check > /run/check-auto.log 2>&1
	say "check auto rc=$?"
	sed 's/^/SNAPTEST: check auto: /' /run/check-auto.log
	do_hibernate
}

do_stock_hibernate() {
	say "stock: snapwrite=$(command -v snapwrite || echo none)"
	say "stock: hibernate ExecStart=$(exec_start systemd-hibernate.service)"
	say "stock: drop-ins hibernate=[$(systemctl show -P DropInPaths systemd-hibernate.service)]" \
		"logind=[$(systemctl show -P DropInPaths systemd-logind.service)]"
	say "stock: logind environment=[$(systemctl show -P Environment systemd-logind.service)]"
	say "stock: CanHibernate without swap: $(can_hibernate)"
	start_workload
	swapon /dev/vdc || {
		say "RESULT action=stock-hibernate error=swapon"
		return
	}
	say "stock: CanHibernate with swap: $(can_hibernate)"
	say "running systemctl hibernate"
	systemctl hibernate
	say "systemctl hibernate rc=$?"
	# logind only queued the job: wait for systemd-sleep's entry of the
	# return (the kernel's resume brings this loop back).
	resumed=no
	_i=0
	while [ "$_i" -lt 300 ]; do
		if journalctl -b -q -o cat MESSAGE_ID=8811e6df2a8e40f58a94cea26f8ebf14 | grep -q .; then
			resumed=yes
			break
		fi
		sleep 0.5
		_i=$((_i + 1))
	done
	journalctl -b -u systemd-hibernate.service -o short | sed 's/^/SNAPTEST: service: /'
	if [ "$resumed" = no ]; then
		say "RESULT action=stock-hibernate hibernated=no"
		return
	fi
	check_workload
	say "RESULT action=stock-hibernate resumed=yes pid=$wpid alive=$alive verify=$verify counter_before=$before counter_after=$after tmpfs=$tmpfs"
}

do_tpm2_enroll() {
	pcrs=$(cmdline_value snaptest.pcrs 7)
	gen=$(cmdline_value snaptest.gen dracut)
	krel=$(uname -r)
	say "tpm: $(echo /dev/tpm*)"
	enrolled=no
	if PASSWORD=$(cat /root/luks-pass) systemd-cryptenroll --tpm2-device=auto \
		--tpm2-pcrs="$pcrs" /dev/vdb > /run/enroll.log 2>&1; then
		enrolled=yes
	fi
	rm -f /root/luks-pass
	sed 's/^/SNAPTEST: enroll: /' /run/enroll.log
	say "status: $(snapwrite status 2>&1 | grep -E '^tokens|^token_plugins' | tr '\n' ' ')"
	case $gen in
	dracut) dracut -f --kver "$krel" "/boot/initrd.img-$krel" > /run/initramfs.log 2>&1 ;;
	initramfs-tools) update-initramfs -u -k "$krel" > /run/initramfs.log 2>&1 ;;
	esac
	initramfs_rc=$?
	sed -n 's/^/SNAPTEST: initramfs: /; /snapresume/p' /run/initramfs.log
	snapwrite check 2>&1 | sed 's/^/SNAPTEST: check: /'
	sync
	say "RESULT action=tpm2-enroll enrolled=$enrolled initramfs_rc=$initramfs_rc"
}

# etc_sum: one digest of everything in /etc (names, modes, contents).
etc_sum() {
	(cd /etc && find . -printf '%p %m %y %l\n' | sort && find . -type f -print0 | sort -z |
		xargs -0 cat) | sha256sum | cut -d ' ' -f 1
}

do_setup() {
	target=$(cmdline_value snaptest.setup_target)
	kver=$(uname -r)
	dev=$(findfs "$target")
	mkfs.ext4 -q -F -L oldfs "$dev" > /dev/null 2>&1 || say "mkfs.ext4 $dev ($target) failed"
	rm -rf /var/lib/snaptest/etc-before
	mkdir -p /var/lib/snaptest
	cp -a /etc /var/lib/snaptest/etc-before
	initrd0=$(file_sum "/boot/initrd.img-$kver")
	grub0=$(file_sum /boot/grub/grub.cfg)
	etc0=$(etc_sum)
	snapwrite setup --dry-run --target "$target" > /run/dry.log 2>&1
	dry_rc=$?
	sed 's/^/SNAPTEST: dry-run: /' /run/dry.log
	dry_same=no
	[ "$(etc_sum)" = "$etc0" ] && [ "$(file_sum /boot/grub/grub.cfg)" = "$grub0" ] &&
		[ ! -e /var/lib/snapresume/setup.state ] && dry_same=yes
	sleep 1
	snapwrite setup --yes --target "$target" > /run/setup.log 2>&1
	setup_rc=$?
	sed 's/^/SNAPTEST: setup: /' /run/setup.log
	sed 's/^/SNAPTEST: conf: /' /etc/snapwrite.conf
	sed 's/^/SNAPTEST: dropin: /' /etc/default/grub.d/snapresume.cfg 2> /dev/null
	grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg | sed 's/^[[:space:]]*/SNAPTEST: grub.cfg: /'
	initrd_rebuilt=no
	[ "$(file_sum "/boot/initrd.img-$kver")" != "$initrd0" ] && initrd_rebuilt=yes
	say "target blkid: $(blkid -p -o export "$dev" 2> /dev/null | tr '\n' ' ')"
	etc1=$(etc_sum)
	grub1=$(file_sum /boot/grub/grub.cfg)
	initrd1=$(file_sum "/boot/initrd.img-$kver")
	sleep 1
	snapwrite setup --yes --target "$target" > /run/again.log 2>&1
	again_rc=$?
	sed 's/^/SNAPTEST: again: /' /run/again.log
	again_same=no
	[ "$(etc_sum)" = "$etc1" ] && [ "$(file_sum /boot/grub/grub.cfg)" = "$grub1" ] &&
		[ "$(file_sum "/boot/initrd.img-$kver")" = "$initrd1" ] && again_same=yes
	sync
	say "RESULT action=setup dry_rc=$dry_rc dry_same=$dry_same setup_rc=$setup_rc initrd_rebuilt=$initrd_rebuilt again_rc=$again_rc again_same=$again_same"
}

do_setup_undo() {
	snapwrite setup --undo > /run/undo.log 2>&1
	undo_rc=$?
	sed 's/^/SNAPTEST: undo: /' /run/undo.log
	etc_same=no
	diff -r --no-dereference /var/lib/snaptest/etc-before /etc > /run/etc.diff 2>&1 && etc_same=yes
	sed 's/^/SNAPTEST: etc diff: /' /run/etc.diff
	grub_resume=$(grep -c 'resume=' /boot/grub/grub.cfg)
	state=$([ -e /var/lib/snapresume/setup.state ] && echo kept || echo gone)
	snapwrite setup --undo > /run/undo2.log 2>&1
	undo2_rc=$?
	sed 's/^/SNAPTEST: undo again: /' /run/undo2.log
	sync
	say "RESULT action=setup-undo undo_rc=$undo_rc etc_same=$etc_same grub_resume=$grub_resume state=$state undo2_rc=$undo2_rc"
}

exec > /dev/ttyS0 2>&1
action=$(cmdline_value snaptest.action check)
say "fresh boot action=$action kernel=$(uname -r) init=$(readlink /proc/1/exe)"
case $action in
hibernate) do_hibernate ;;
kernel-hibernate) do_kernel_hibernate ;;
stock-hibernate) do_stock_hibernate ;;
tpm2-enroll) do_tpm2_enroll ;;
sleep) do_sleep ;;
logind-verbs) do_logind_verbs ;;
platform-refuse) do_platform_refuse ;;
setup) do_setup ;;
setup-undo) do_setup_undo ;;
check)
	# A mounted ESP (a scenario's): its files and their sums.
	if mountpoint -q /boot/efi; then
		(cd /boot/efi && find . -type f | sort | while read -r f; do
			say "esp: $f $(file_sum "$f")"
		done)
	fi
	say "RESULT action=check fresh=yes"
	;;
*) say "RESULT error=unknown-action action=$action" ;;
esac
systemd_power_off
