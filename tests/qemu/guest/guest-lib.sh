#!/bin/sh
# The guest side shared by every test guest: the init of the scenarios'
# small guest (tests/qemu/guest/init.sh), the test driver of the Debian
# guests (distro-driver.sh) and the benchmark's init (tests/bench/guest/
# init.sh). Sourced from /usr/lib/snaptest/guest-lib.sh; POSIX sh (busybox).
#
# SAY_TAG: what the lines meant for the host start with (default SNAPTEST);
# the host's scripts read those lines from the serial console.

# say TEXT: a line for the host.
say() {
	echo "${SAY_TAG:-SNAPTEST}: $*"
}

# cmdline_value NAME DEFAULT: the value of NAME= on the kernel command line.
cmdline_value() {
	read -r _cmdline < /proc/cmdline
	set -f
	for _w in $_cmdline; do
		case $_w in
		"$1="*)
			set +f
			echo "${_w#*=}"
			return 0
			;;
		esac
	done
	set +f
	echo "$2"
}

# wait_for_line FILE ERE SECONDS: wait until FILE has a line matching the
# extended regular expression ERE; false after SECONDS.
wait_for_line() {
	_i=0
	while [ "$_i" -lt "$(($3 * 10))" ]; do
		grep -q -E -e "$2" "$1" 2> /dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# ensure_mount TYPE DIR [OPTIONS]: mount TYPE on DIR unless something is
# mounted there already (the initramfs hands over /proc, /sys, /dev, /run).
ensure_mount() {
	mkdir -p "$2"
	if [ "$2" = /proc ]; then
		[ -e /proc/self ] && return 0
	elif grep -q "^[^ ]* $2 " /proc/mounts; then
		return 0
	fi
	mount -t "$1" -o "${3:-defaults}" "$1" "$2"
}

# load_modules: the kernel modules the host put into this root, in the
# order of /lib/modules/RELEASE/snaptest.load (dependencies first, plain
# .ko files: the guest has busybox insmod and no module tools).
load_modules() {
	_dir=/lib/modules/$(uname -r)
	[ -f "$_dir/snaptest.load" ] || return 0
	while read -r _m; do
		# Loaded already (the initramfs may have needed it too)?
		grep -q "^$(echo "${_m%.ko}" | tr - _) " /proc/modules && continue
		insmod "$_dir/$_m" || say "insmod $_m failed"
	done < "$_dir/snaptest.load"
}

# power_off [MOUNTPOINT...]: unmount MOUNTPOINTs, the root read-only, and
# power the machine off; never returns.
power_off() {
	sync
	# A swap file keeps its file system busy: off first, so that it
	# unmounts clean.
	swapoff -a 2> /dev/null
	[ $# -eq 0 ] || umount "$@" 2> /dev/null
	mount -o remount,ro / 2> /dev/null
	poweroff -f
	# poweroff should not return. It may not even run: a root file system
	# that fails under us (an overflowed COW store) fails every exec. The
	# kernel powers off then, and init must not end before it does (that
	# panics): only shell builtins from here.
	echo o > /proc/sysrq-trigger
	while :; do
		read -r _ < /dev/console
	done
}
