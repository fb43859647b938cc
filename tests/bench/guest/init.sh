#!/bin/sh
# /sbin/init of the benchmark guest (busybox sh; POSIX sh only).
#
# Kernel command line:
#   bench.mode=kernel|snapwrite|raw|snapread|loadfloor   who hibernates, or
#                     the raw disk test, or (diagnostics) reading
#                     /dev/snapshot alone, or saving a snapshot's header and
#                     page list for the initramfs to time the kernel's own
#                     part of a load (snapbench.loadfloor=, 91snapbench)
#   bench.mode=golden  fill memory and take a golden snapshot (snapwrite
#                     snapshot --golden; the root on an overlay, set up by
#                     the host), then run on and power off; every later boot
#                     returns to it, and the restored system reports as a
#                     resumed one does
#   bench.mode=cold   start the workload fresh, let it fill memory, power off
#                     (the cold boot the golden resume is held against)
#   bench.step=hibernate|resume       hibernate: fill memory and hibernate;
#                                     resume: this boot was meant to resume,
#                                     so getting here means it did not
#   bench.mib=N       workload size in MiB (default 430)
#   bench.target=DEV  snapwrite's target and the raw test's disk (/dev/vdb)
#   bench.swap=DEV    the kernel's swap area (/dev/vdc)
#   bench.rawmib=N    bytes of the raw disk test, in MiB
#   bench.workers=N   snapwrite --workers=N (default: its own)
#   bench.image_size=SIZE  snapwrite --image-size=SIZE (default: the kernel's)
#   hibernate.compressor=lzo|lz4  read by the kernel itself
#
# Lines for the host start with "BENCH: "; marks that need the kernel's
# clock are written to /dev/kmsg and start with "bench: ".

PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
SAY_TAG=BENCH
# say, cmdline_value, wait_for_line, ensure_mount, load_modules, power_off.
# shellcheck source=tests/qemu/guest/guest-lib.sh
. /usr/lib/snaptest/guest-lib.sh

# mark TEXT: a line in the kernel log, stamped by the printk clock.
mark() {
	echo "bench: $*" > /dev/kmsg
}

vmstat() { # NAME
	sed -n "s/^$1 //p" /proc/vmstat
}

do_hibernate() {
	mode=$1
	mib=$(cmdline_value bench.mib 430)
	target=$(cmdline_value bench.target /dev/vdb)
	swap=$(cmdline_value bench.swap /dev/vdc)

	# Every contender keeps the whole workload in the image: the kernel
	# must not swap part of it out to meet its default image size
	# (2/5 of RAM) before the snapshot.
	echo "$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo) * 1024))" > /sys/power/image_size

	if [ "$mode" = kernel ]; then
		mkswap "$swap" > /dev/null || say "RESULT error=mkswap"
		swapon "$swap" || say "RESULT error=swapon"
		# Power off like snapwrite does, not through ACPI S4.
		echo shutdown > /sys/power/disk
		say "kernel compressor=$(cat /sys/module/hibernate/parameters/compressor) disk=$(cat /sys/power/disk)"
	fi

	ensure_mount tmpfs /bench "mode=0700,size=$((mib / 2 + 64))m"
	/usr/bin/benchload hold "$mib" 1 /bench > /tmp/benchload.log 2>&1 &
	wpid=$!
	if ! wait_for_line /tmp/benchload.log '^benchload: ready' 600; then
		cat /tmp/benchload.log
		say "RESULT error=workload-not-ready"
		return
	fi
	sed -n 's/^benchload: ready/BENCH: workload ready/p' /tmp/benchload.log

	# Page cache of this boot (binaries, the root file system) is not the
	# workload: leave it out of every contender's image alike.
	sync
	echo 3 > /proc/sys/vm/drop_caches
	# A system that has been up for a while has its random number generator
	# seeded; this fresh guest without an entropy device may not yet, and
	# getrandom() (snapwrite takes its image UUID from it) would wait.
	_t0=$(cut -d ' ' -f 1 /proc/uptime)
	dd if=/dev/random of=/dev/null bs=1 count=1 2> /dev/null
	say "random pool ready (waited from $_t0 to $(cut -d ' ' -f 1 /proc/uptime) s of uptime)"
	grep -E '^(MemTotal|MemFree|AnonPages|Shmem):' /proc/meminfo | tr -s ' ' | sed 's/^/BENCH: meminfo /'
	swpout0=$(vmstat pswpout)

	mark "trigger mode=$mode"
	golden=no
	if [ "$mode" = kernel ]; then
		if echo disk > /sys/power/state; then rc=0; else rc=1; fi
	elif [ "$mode" = snapread ]; then
		# Diagnostic: how fast the pages come out of /dev/snapshot alone.
		/usr/bin/benchload snapread > /tmp/snapread.log 2>&1
		rc=$?
		sed 's/^/BENCH: /' /tmp/snapread.log
		say "RESULT snapread=$([ "$rc" -eq 0 ] && echo ok || echo failed)"
		return
	elif [ "$mode" = loadfloor ]; then
		/usr/bin/benchload floorsave "$target" > /tmp/floorsave.log 2>&1
		rc=$?
		sed 's/^/BENCH: /' /tmp/floorsave.log
		say "RESULT floorsave=$([ "$rc" -eq 0 ] && echo ok || echo failed)"
		return
	elif [ "$mode" = golden ]; then
		# Returns twice: in this boot once the snapshot is taken (the
		# system runs on), and in every boot that resumes it.
		snapwrite snapshot --golden --target "$target"
		rc=$?
		golden=yes
	else
		workers=$(cmdline_value bench.workers "")
		image_size=$(cmdline_value bench.image_size "")
		# The same image as the kernel's contenders (image_size is all
		# of memory for both): no temporary swap area, which would let
		# the kernel push part of the workload out first; and the same
		# way down (shutdown, not the platform's S4), whose last line
		# the timing reads.
		printf 'temp_swap=no\nmode=shutdown\n' > /tmp/bench-snapwrite.conf
		snapwrite --config /tmp/bench-snapwrite.conf hibernate --target "$target" \
			${workers:+--workers="$workers"} ${image_size:+--image-size="$image_size"}
		rc=$?
	fi
	# Only a resumed system (or a failed hibernation) gets here.
	if [ "$rc" -ne 0 ]; then
		say "RESULT error=hibernate-failed rc=$rc"
		return
	fi
	# A golden snapshot counts its resumes in its header: none yet in the
	# boot that took it, which runs on and powers off.
	resumes=""
	if [ "$golden" = yes ]; then
		resumes=$(snapwrite status --target "$target" 2> /dev/null | sed -n 's/^golden_resumes: *//p')
		if [ "${resumes:-0}" = 0 ]; then
			say "RESULT golden=taken resumes=${resumes:-none}"
			return
		fi
	fi
	if ! wait_for_line /tmp/benchload.log '^benchload: running again' 30; then
		kill -USR1 "$wpid"
	fi
	wait_for_line /tmp/benchload.log '^benchload: verify ' 300
	grep -E '^benchload: (running again|verify|region)' /tmp/benchload.log | sed 's/^/BENCH: /'
	verify=$(sed -n 's/^benchload: verify \([a-zA-Z]*\) .*/\1/p' /tmp/benchload.log)
	say "RESULT resumed=yes verify=${verify:-none} swapped_out_pages=$(($(vmstat pswpout) - swpout0))${resumes:+ golden_resumes=$resumes}"
}

# do_cold: the workload started fresh in this boot, as do_hibernate starts
# it; its "ready" mark (in /dev/kmsg) is the moment it runs with its state
# built.
do_cold() {
	mib=$(cmdline_value bench.mib 430)
	ensure_mount tmpfs /bench "mode=0700,size=$((mib / 2 + 64))m"
	/usr/bin/benchload hold "$mib" 1 /bench > /tmp/benchload.log 2>&1 &
	if ! wait_for_line /tmp/benchload.log '^benchload: ready' 600; then
		cat /tmp/benchload.log
		say "RESULT error=workload-not-ready"
		return
	fi
	sed -n 's/^benchload: ready/BENCH: workload ready/p' /tmp/benchload.log
	grep -E '^(MemTotal|MemFree|AnonPages|Shmem):' /proc/meminfo | tr -s ' ' | sed 's/^/BENCH: meminfo /'
	say "RESULT cold=ok"
}

do_raw() {
	target=$(cmdline_value bench.target /dev/vdb)
	rawmib=$(cmdline_value bench.rawmib 430)
	if /usr/bin/benchload rawio "$target" "$rawmib" > /tmp/raw.log 2>&1; then
		sed 's/^/BENCH: /' /tmp/raw.log
		say "RESULT raw=ok"
	else
		sed 's/^/BENCH: /' /tmp/raw.log
		say "RESULT error=rawio"
	fi
}

ensure_mount proc /proc
ensure_mount sysfs /sys
ensure_mount devtmpfs /dev mode=0755
ensure_mount tmpfs /run mode=0755
ensure_mount tmpfs /tmp mode=1777,size=16m
exec < /dev/console > /dev/console 2>&1

mode=$(cmdline_value bench.mode none)
step=$(cmdline_value bench.step hibernate)
say "fresh boot mode=$mode step=$step kernel=$(uname -r)"
# The kernel's lz4 for its hibernation (crypto "lz4" over lib/lz4).
load_modules
case $mode:$step in
kernel:hibernate | snapwrite:hibernate | snapread:hibernate | loadfloor:hibernate | golden:hibernate) do_hibernate "$mode" ;;
cold:*) do_cold ;;
raw:*) do_raw ;;
loadfloor:resume) say "RESULT loadfloor=done" ;;
*:resume) say "RESULT error=not-resumed" ;;
*) say "RESULT error=unknown-mode mode=$mode step=$step" ;;
esac
say "powering off"
power_off /bench
