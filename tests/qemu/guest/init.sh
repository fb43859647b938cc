#!/bin/sh
# /sbin/init of the test guest (busybox sh; POSIX sh only).
#
# Reads snaptest.action= from the kernel command line, performs that step of
# a scenario and powers the machine off. Every line meant for the host starts
# with "SNAPTEST: "; the final verdict of a step is one "SNAPTEST: RESULT"
# line of key=value words.
#
# Actions:
#   hibernate  start the workload, put a file in tmpfs and one on the root
#              filesystem, run "snapwrite hibernate"; when snapwrite returns
#              0 we are in the resumed system: check the workload and the
#              tmpfs file and report.
#   check      report a fresh boot and whether the root file is intact.
#   guard      try snapwrite on targets it must refuse: /dev/vdb as the
#              host made it, the mounted root /dev/vda, and /dev/vdb while a
#              device-mapper device holds it; report the exit codes (nothing
#              is frozen, nothing is written).
#
# Other parameters: snaptest.target= (default /dev/vdb), snaptest.conf=
# (the target as target= in /etc/snapwrite.conf instead), snaptest.confline=
# (more key=value lines for /etc/snapwrite.conf, comma separated),
# snaptest.swopt= (more snapwrite options, comma separated),
# snaptest.preopen=NAME (open the LUKS2 volume on /dev/vdb first),
# snaptest.mib=
# (workload size, default 128), snaptest.seed= (default 1);
# snaptest.cmd=snapshot (rollback: see after_snapshot); snaptest.grub=1
# (a GRUB configuration in /boot/grub: see make_grub).

PATH=/usr/sbin:/usr/bin:/sbin:/bin
SNAPRESUME_KCONFIG_CHECK=/usr/lib/snapresume/kernel-config-check
export PATH SNAPRESUME_KCONFIG_CHECK
WORKLOAD_DIR=/tmp
# shellcheck source=tests/qemu/guest/guest-lib.sh
. /usr/lib/snaptest/guest-lib.sh
# shellcheck source=tests/qemu/guest/workload-lib.sh
. /usr/lib/snaptest/workload-lib.sh

do_hibernate() {
	target=$(cmdline_value snaptest.target /dev/vdb)
	mib=$(cmdline_value snaptest.mib 128)
	seed=$(cmdline_value snaptest.seed 1)

	# snaptest.setup=: where the image goes, made ready before the
	# workload starts (extent targets, snapwrite prepare of a file).
	setup=$(cmdline_value snaptest.setup "")
	if [ -n "$setup" ]; then
		if ! setup_target "$setup"; then
			say "RESULT action=hibernate error=setup-$setup-failed"
			return
		fi
	fi

	/usr/bin/workload "$mib" "$seed" > /tmp/workload.log 2>&1 &
	wpid=$!
	if ! wait_for_line /tmp/workload.log "^workload: pid=$wpid counter=2$" 120; then
		cat /tmp/workload.log
		say "RESULT action=hibernate error=workload-not-running"
		return
	fi
	say "workload started pid=$wpid mib=$mib"

	dd if=/dev/urandom of=/tmp/tmpfile bs=64k count=64 2> /dev/null
	tmp_sum=$(file_sum /tmp/tmpfile)
	say "tmpfs file sha256=$tmp_sum"

	# A file on the root filesystem, on disk before the snapshot: a refused
	# or torn image must never cost it.
	mkdir -p /var/snaptest
	dd if=/dev/urandom of=/var/snaptest/rootfile bs=64k count=16 2> /dev/null
	(cd /var/snaptest && sha256sum rootfile > rootfile.sha256)
	sync
	say "root file sha256=$(file_sum /var/snaptest/rootfile)"

	# snaptest.hog=MIB: a second, short-lived workload that pushes part
	# of the first one out to swap.
	hog=$(cmdline_value snaptest.hog 0)
	if [ "$hog" != 0 ]; then
		/usr/bin/workload "$hog" 7 > /tmp/hog.log 2>&1 &
		hpid=$!
		wait_for_line /tmp/hog.log "^workload: pid=$hpid counter=2$" 240
		kill "$hpid"
		wait "$hpid" 2> /dev/null
		say "hog done: $(grep -E '^(pswpout|pswpin) ' /proc/vmstat | tr '\n' ' ')"
	fi

	before=$(last_counter "$wpid")
	say "before hibernate pid=$wpid counter=$before"
	# snaptest.conf=SPEC: name the target in /etc/snapwrite.conf instead
	# of on the command line, as a user would.
	# snaptest.preopen=NAME: open the LUKS2 volume on /dev/vdb with the
	# test key first, as a user with it open already would have.
	preopen=$(cmdline_value snaptest.preopen "")
	if [ -n "$preopen" ]; then
		if cryptsetup open --key-file /etc/snapresume/image.key /dev/vdb "$preopen"; then
			say "opened /dev/vdb as /dev/mapper/$preopen"
		else
			say "RESULT action=hibernate error=cryptsetup-open-failed"
			return
		fi
	fi
	# snaptest.prepare=1: make /dev/vdb a target first (snapwrite prepare).
	if [ "$(cmdline_value snaptest.prepare 0)" = 1 ]; then
		snapwrite prepare --target /dev/vdb --yes
		say "prepare rc=$?"
	fi
	# snaptest.hook=1: a system-sleep hook on the root file system that
	# tells the host how it was called (golden snapshots run it as
	# "post golden" after each resume).
	if [ "$(cmdline_value snaptest.hook 0)" = 1 ]; then
		mkdir -p /etc/systemd/system-sleep
		# shellcheck disable=SC2016 # $1 $2 are the hook's own arguments
		printf '#!/bin/sh\necho "SNAPTEST: hook $1 $2" > /dev/console\n' \
			> /etc/systemd/system-sleep/50-snaptest
		chmod 755 /etc/systemd/system-sleep/50-snaptest
		sync
	fi
	conf=$(cmdline_value snaptest.conf "")
	confline=$(cmdline_value snaptest.confline "")
	swopt=$(cmdline_value snaptest.swopt "" | tr ',' ' ')
	: > /etc/snapwrite.conf
	[ -n "$conf" ] && echo "target=$conf" >> /etc/snapwrite.conf
	[ -n "$confline" ] && echo "$confline" | tr ',' '\n' >> /etc/snapwrite.conf
	say "snapwrite.conf: $(tr '\n' ' ' < /etc/snapwrite.conf)"
	# snaptest.cmd=snapshot: take a snapshot and run on (rollback).
	cmd=$(cmdline_value snaptest.cmd hibernate)
	if [ -n "$conf" ]; then
		say "running snapwrite $cmd $swopt"
		# shellcheck disable=SC2086 # options split on purpose
		snapwrite "$cmd" $swopt
	else
		say "running snapwrite $cmd --target $target $swopt"
		# shellcheck disable=SC2086 # options split on purpose
		snapwrite "$cmd" --target "$target" $swopt
	fi
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$cmd" = snapshot ] && overlay_state "$target" snapshot; then
		after_snapshot
		return
	fi
	if [ "$rc" -ne 0 ]; then
		# snapwrite failed: the system must have been thawed and run on,
		# the workload with it.
		check_workload
		say "RESULT action=hibernate hibernated=no snapwrite_rc=$rc pid=$wpid alive=$alive verify=$verify counter_before=$before counter_after=$after tmpfs=$tmpfs"
		return
	fi

	# Only the resumed system gets here: the powered-off one never returns.
	say "resumed: snapwrite returned 0"
	check_workload
	after_resume "$setup" "$target"
	say "RESULT action=hibernate resumed=yes pid=$wpid alive=$alive verify=$verify counter_before=$before counter_after=$after tmpfs=$tmpfs tmpfs_sha256=$tmp_now swap_again=$swap_again f=$(f_state) swaps=$(grep -vc '^Filename' /proc/swaps) kernel=$(uname -r)"
}

# f_state: the file a scenario writes after a snapshot: present or absent.
f_state() {
	if [ -e /var/snaptest/F ]; then echo present; else echo absent; fi
}

# overlay_state TARGET [STATE]: the state of overlay snaproot as snapwrite
# status tells it (snapshot, linear, merging, missing); with STATE, whether
# it is that.
overlay_state() {
	_s=$(snapwrite status --target "$1" 2> /dev/null | sed -n 's/^overlay_snaproot: \([a-z-]*\).*/\1/p')
	[ -n "$2" ] || { echo "${_s:-none}"; return 0; }
	[ "$_s" = "$2" ]
}

# after_snapshot: the system runs on after "snapwrite snapshot": change
# things (the file F on the root file system, the workload's counter goes
# on), fill the COW store (snaptest.fill=MIB), arm the next boot
# (snaptest.arm=ACTION; snaptest.arm_resumed=ACTION, or none, instead
# where status counts a golden resume), report, and power off. A golden snapshot comes
# back here at every boot (the kernel command line is the snapshot's):
# f_before and counter_now say what the system found when it came back.
after_snapshot() {
	say "snapshot taken, running on"
	f_before=$(f_state)
	now=$(last_counter "$wpid")
	if kill -0 "$wpid" 2> /dev/null; then alive=yes; else alive=no; fi
	status_lines "$target"
	sleep 3
	post=$(last_counter "$wpid")
	echo "written after the snapshot" > /var/snaptest/F
	sync
	fill=$(cmdline_value snaptest.fill 0)
	if [ "$fill" != 0 ]; then
		# In 4 MiB steps, slower than the monitor looks (every
		# monitor_interval seconds), so that it sees the store fill.
		_i=0
		while [ "$_i" -lt "$fill" ]; do
			dd if=/dev/urandom of="/var/snaptest/fill$_i" bs=1M count=4 conv=fsync 2> /dev/null
			sleep 1.5
			_i=$((_i + 4))
		done
		sync
		say "filled $fill MiB"
		sleep 3
	fi
	arm=$(cmdline_value snaptest.arm "")
	if grep -q '^golden_resumes: [1-9]' /tmp/status.txt; then
		arm=$(cmdline_value snaptest.arm_resumed "$arm")
	fi
	[ "$arm" = none ] && arm=""
	arm_rc=none
	if [ -n "$arm" ]; then
		snapwrite rollback "$arm" --target "$target"
		arm_rc=$?
	fi
	status_lines "$target"
	say "RESULT action=snapshot running_on=yes pid=$wpid alive=$alive counter_before=$before counter_now=$now counter_post=$post f_before=$f_before f=$(f_state) arm_rc=$arm_rc"
}

# status_lines TARGET: snapwrite status on TARGET, each line for the host.
status_lines() {
	snapwrite status --target "$1" > /tmp/status.txt 2>&1
	_rc=$?
	sed 's/^/SNAPTEST: status /' /tmp/status.txt
	return $_rc
}

# setup_target KIND: make the image's place; sets target.
#   swappart   /dev/vdb is a swap partition (mkswap by the host): swapon
#   swapfile   /dev/vdb holds a file system (ext4, xfs, btrfs; mounted with
#              snaptest.mountopt=): a swap file on it, swapon
#   imagefile  /dev/vdb holds ext4: an image file on it (snapwrite prepare)
#   imagefile-luks  the same in ext4 made in the LUKS2 volume on /dev/vdb
#   rootfile   an image file in the root file system (snapwrite prepare);
#              rootfile-gw the same, then made group-writable
#   rofs       an ext4 on /dev/vdc mounted read-only at /ro
#   ninep      QEMU's 9p share "share" mounted at /share (no block device)
#   dmcrypt    a plain dm-crypt volume on /dev/vdc opened (the target stays)
#   xfs-btrfs  see below
setup_target() {
	case $1 in
	swappart)
		target=/dev/vdb
		swapon "$target" || return 1
		;;
	diskswap)
		# Swap on /dev/vdc (mkswap by the host): a snapshot must refuse.
		swapon /dev/vdc || return 1
		;;
	swapfile | imagefile | imagefile-luks)
		mkdir -p /images
		_mo=$(cmdline_value snaptest.mountopt "")
		_sd=$(cmdline_value snaptest.swapdir "")
		if [ -n "$_sd" ]; then
			: # the swap file goes into a mounted file system
		elif [ "$1" = imagefile-luks ]; then
			cryptsetup open --key-file /etc/snapresume/image.key /dev/vdb images || return 1
			/usr/sbin/mke2fs -q -t ext4 -b 4096 /dev/mapper/images || return 1
			mount -t ext4 /dev/mapper/images /images || return 1
		else
			# snaptest.mountopt=: e.g. nodatacow for a swap file on
			# btrfs (its files made without copy-on-write, as
			# swap files there must be).
			mount ${_mo:+-o "$_mo"} /dev/vdb /images || return 1
		fi
		if [ "$1" = swapfile ]; then
			target=/images/swapfile
			# snaptest.swapdir=/: the swap file in the root file
			# system instead (a btrfs root mounted nodatacow);
			# /dev/vdb is not used.
			[ -n "$_sd" ] && target=${_sd%/}/swapfile
			dd if=/dev/zero of="$target" bs=1M count="$(cmdline_value snaptest.swapmib 256)" 2> /dev/null || return 1
			chmod 600 "$target"
			mkswap "$target" > /dev/null || return 1
			swapon "$target" || return 1
		else
			target=/images/snapimage
			snapwrite prepare --target "$target" --size "$(cmdline_value snaptest.filemib 320)M" --yes
			say "prepare rc=$?"
			# Refused: a file never prepared, and a copy of an
			# image file (its locator describes the original's blocks).
			dd if=/dev/zero of=/images/plain bs=1M count=8 2> /dev/null
			snapwrite hibernate --target /images/plain
			_u=$?
			cp "$target" /images/moved
			snapwrite hibernate --target /images/moved
			say "refused image files: unprepared rc=$_u moved rc=$?"
			rm -f /images/plain /images/moved
		fi
		;;
	rootfile | rootfile-gw)
		# An image file in the root file system itself (-gw: then
		# made group-writable).
		target=/var/snaptest/snapimage
		mkdir -p /var/snaptest
		snapwrite prepare --target "$target" --size "$(cmdline_value snaptest.filemib 32)M" --yes
		say "prepare rc=$?"
		[ "$1" = rootfile-gw ] && chmod g+w "$target"
		;;
	rofs)
		# An ext4 (made by the host on /dev/vdc) mounted read-only when
		# the snapshot is taken: guarded, and clean.
		target=/dev/vdb
		mkdir -p /ro
		mount -o ro -t ext4 /dev/vdc /ro || return 1
		;;
	ninep)
		# A file system without a block device: QEMU's 9p share (not
		# unmounted at power-off: after a restore its transport is
		# gone, and umount would wait for it).
		target=/dev/vdb
		mkdir -p /share
		mount -t 9p -o trans=virtio,ro share /share || return 1
		;;
	dmcrypt)
		# A dm-crypt volume (plain, on /dev/vdc) is active: its key is
		# in memory. The target stays /dev/vdb, not encrypted.
		cryptsetup open -q --type plain --cipher aes-cbc-plain64 --key-size 256 \
			--key-file /etc/snapresume/image.key /dev/vdc snaptest-crypt || return 1
		;;
	xfs-btrfs)
		# /dev/vdb1 the target, an xfs on vdb2 and a btrfs on vdb3
		# mounted and written to; an image file on btrfs is refused.
		target=/dev/vdb1
		mkdir -p /x /b
		mount -t xfs /dev/vdb2 /x || return 1
		mount -t btrfs /dev/vdb3 /b || return 1
		echo before > /x/file && echo before > /b/file && sync
		snapwrite prepare --target /b/snapimage --size 16M --yes
		say "btrfs image file rc=$?"
		;;
	*)
		return 1
		;;
	esac
	say "target $1 ready: $target"
	grep -v '^Filename' /proc/swaps | sed 's/^/SNAPTEST: swap /'
	return 0
}

# after_resume KIND TARGET: what the target must allow after a resume; sets
# swap_again (a swap area must work as swap again: its signature is back).
after_resume() {
	swap_again=none
	case $1 in
	swappart | swapfile)
		if swapoff "$2" && swapon "$2"; then swap_again=ok; else swap_again=BAD; fi
		say "after resume: $(grep -E '^(pswpout|pswpin) ' /proc/vmstat | tr '\n' ' ')"
		;;
	esac
	[ -n "$1" ] && status_lines "$2"
}

do_guard() {
	snapwrite hibernate --target /dev/vdb
	vdb_rc=$?
	snapwrite hibernate --target /dev/vda
	vda_rc=$?
	# A device-mapper device stacked on the target (plain dm-crypt: it
	# writes nothing to /dev/vdb) makes it held.
	held_rc=none
	if cryptsetup open -q --type plain --cipher aes-cbc-plain64 --key-size 256 \
		--key-file /etc/snapresume/image.key /dev/vdb snaptest-held; then
		snapwrite hibernate --target /dev/vdb
		held_rc=$?
		cryptsetup close snaptest-held
	fi
	say "RESULT action=guard vdb_rc=$vdb_rc vda_rc=$vda_rc held_rc=$held_rc"
}

# The image on /dev/vdb (an active swap partition) as a user sees it:
# status, discard, and swap working again.
do_discard() {
	swapon /dev/vdb 2> /dev/null
	swapon_before=$?
	status_lines /dev/vdb
	status_before=$?
	snapwrite discard --target /dev/vdb
	discard_rc=$?
	status_lines /dev/vdb
	status_after=$?
	if swapon /dev/vdb; then swapon_after=ok; else swapon_after=BAD; fi
	say "RESULT action=discard swapon_before=$swapon_before status_before=$status_before discard_rc=$discard_rc status_after=$status_after swapon_after=$swapon_after"
}

# snapwrite check: on /dev/vdb (what resume= names), on /dev/vda (which
# it does not), and as JSON.
do_checkcmd() {
	snapwrite check --target /dev/vdb > /tmp/check.txt 2>&1
	rc_vdb=$?
	sed 's/^/SNAPTEST: check vdb: /' /tmp/check.txt
	snapwrite check --target /dev/vda > /tmp/check.txt 2>&1
	rc_vda=$?
	sed 's/^/SNAPTEST: check vda: /' /tmp/check.txt
	snapwrite check --json --target /dev/vdb > /tmp/check.json 2> /dev/null
	rc_json=$?
	sed 's/^/SNAPTEST: json: /' /tmp/check.json
	say "RESULT action=checkcmd rc_vdb=$rc_vdb rc_vda=$rc_vda rc_json=$rc_json"
}

# snaptest.touch=DEV:TYPE: mount a file system read-write, write to it and
# unmount it, as another boot that does not resume would.
# snaptest.romount=DEV:TYPE: mount a file system read-only, as another
# system would (a rescue system, os-prober), list it and unmount it.
do_romount() {
	_t=$(cmdline_value snaptest.romount "")
	mkdir -p /tmp/ro
	if mount -o ro -t "${_t#*:}" "${_t%%:*}" /tmp/ro && ls /tmp/ro > /dev/null && umount /tmp/ro; then
		say "RESULT action=romount mounted=${_t%%:*}"
	else
		say "RESULT action=romount mounted=FAILED"
	fi
}

do_touch() {
	_t=$(cmdline_value snaptest.touch "")
	mkdir -p /touch
	if mount -t "${_t#*:}" "${_t%%:*}" /touch && echo changed > /touch/changed && sync &&
		umount /touch; then
		say "RESULT action=touch touched=${_t%%:*}"
	else
		say "RESULT action=touch touched=FAILED"
	fi
}

do_check() {
	if [ ! -e /var/snaptest/rootfile.sha256 ]; then
		rootfile=absent
	elif (cd /var/snaptest && sha256sum -c -s rootfile.sha256); then
		rootfile=ok
	else
		rootfile=BAD
	fi
	ovl=none
	if grep -q 'rd.snap.overlay=' /proc/cmdline; then
		status_lines /dev/vdb
		ovl=$(overlay_state /dev/vdb)
	fi
	say "RESULT action=check fresh=yes rootfile=$rootfile f=$(f_state) overlay=$ovl"
}

ensure_mount proc /proc
ensure_mount sysfs /sys
# As on a user's machine (systemd mounts it): where lockdown shows.
ensure_mount securityfs /sys/kernel/security
ensure_mount devtmpfs /dev mode=0755
ensure_mount tmpfs /run mode=0755
# No udev runs in this guest; the initramfs's one left its control socket in
# the /run it handed over, and device-mapper users would wait for it.
rm -rf /run/udev
ensure_mount tmpfs /tmp mode=1777,size=64m
exec < /dev/console > /dev/console 2>&1

# Kernel modules a scenario put into this root (guest_modules).
load_modules

# snaptest.grub=1: a GRUB configuration as Debian's grub-mkconfig writes
# one, made on the first boot that asks (the root keeps it): the default
# entry starts another kernel, the running one is in the submenu, after its
# recovery entry; and an empty environment block. The guest still boots
# with -kernel: what matters is what snapwrite leaves in grubenv.
make_grub() {
	[ -e /boot/grub/grub.cfg ] && return 0
	mkdir -p /boot/grub
	_k=$(uname -r)
	cat > /boot/grub/grub.cfg << GRUBCFG
if [ -s \$prefix/grubenv ]; then
  load_env
fi
if [ "\${next_entry}" ] ; then
   set default="\${next_entry}"
   set next_entry=
   save_env next_entry
else
   set default="0"
fi
function load_video {
  insmod all_video
}
menuentry 'Debian GNU/Linux' --class debian \$menuentry_id_option 'gnulinux-simple-snaproot' {
	load_video
	linux	/boot/vmlinuz-9.9.9-new-amd64 root=LABEL=snaproot ro quiet
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-snaproot' {
	menuentry 'Debian GNU/Linux, with Linux $_k (recovery mode)' \$menuentry_id_option 'gnulinux-$_k-recovery-snaproot' {
		linux	/boot/vmlinuz-$_k root=LABEL=snaproot ro single
	}
	menuentry 'Debian GNU/Linux, with Linux $_k' \$menuentry_id_option 'gnulinux-$_k-advanced-snaproot' {
		linux	/boot/vmlinuz-$_k root=LABEL=snaproot ro quiet
	}
}
GRUBCFG
	grub-editenv /boot/grub/grubenv create
	sync
}

if [ "$(cmdline_value snaptest.grub 0)" = 1 ]; then
	make_grub
	say "grubenv before: $(grep -v '^#' /boot/grub/grubenv | tr '\n' ' ')"
fi

# snaptest.mark=TEXT: this boot writes TEXT to /var/snaptest/mark on the
# root file system (another system's write, for the guards).
mark=$(cmdline_value snaptest.mark "")
if [ -n "$mark" ]; then
	mkdir -p /var/snaptest
	echo "$mark" > /var/snaptest/mark && sync && say "marked: $mark"
fi

action=$(cmdline_value snaptest.action check)
say "fresh boot action=$action kernel=$(uname -r)"
case $action in
hibernate) do_hibernate ;;
check) do_check ;;
guard) do_guard ;;
discard) do_discard ;;
checkcmd) do_checkcmd ;;
touch) do_touch ;;
romount) do_romount ;;
*) say "RESULT error=unknown-action action=$action" ;;
esac
say "powering off"
power_off /images /x /b /ro
