# shellcheck shell=bash
# Shared helpers of the QEMU harness: paths, the guest root filesystem, the
# dracut initramfs and booting a guest. Sourced by tests/qemu/run and by the
# benchmark (tests/bench/run), which sets the variables below its own way
# (thread=multi, -mem-prealloc, bigger disks, its own dracut module and
# init) before it uses the functions.

SNAPTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$SNAPTEST_DIR/../.." && pwd)
: "${SNAPTEST_CACHE:=/var/cache/snapresume-tests}"
: "${SNAPTEST_BUILD:=$REPO_DIR/build/qemu}"
: "${SNAPWRITE_BIN:=$REPO_DIR/build/snapwrite}"
: "${SNAPRESUME_BIN:=$REPO_DIR/build/snapresume}"
: "${SNAPTEST_BOOT_TIMEOUT:=240}"
: "${SNAPTEST_CPU:=qemu64}"
# One host thread for all vCPUs: with thread=multi a vCPU can run code the
# kernel is patching on another (static keys, e.g. at "crng init done") and
# die on the int3 (tests/qemu/README.md, "Facts about the machine"); seen
# once in a CI run, late in a boot. The benchmark keeps thread=multi for
# speed.
: "${SNAPTEST_TCG_THREAD:=single}"
: "${SNAPTEST_MEM:=1024}"
# SNAPTEST_MEM_PREALLOC=1: QEMU backs all guest RAM with host memory before
# the guest starts (-mem-prealloc) instead of page by page at first touch.
: "${SNAPTEST_MEM_PREALLOC:=0}"
: "${SNAPTEST_TARGET_MIB:=512}"
: "${SNAPTEST_ROOT_MIB:=256}"
: "${SNAPTEST_APPEND:=}"
# The resume device on the command line; empty: no resume= at all.
SNAPTEST_RESUME=${SNAPTEST_RESUME-/dev/vdb}
# SNAPTEST_TARGET_OPTS: more -drive options for the target, e.g. a write
# throttle to make a moment of the write long enough to cut the power in.
: "${SNAPTEST_TARGET_OPTS:=}"
# SNAPTEST_ROOT_OPTS: the same for the root disk (a slow merge).
: "${SNAPTEST_ROOT_OPTS:=}"
# SNAPTEST_ROOT_FSTYPE: rootfstype= (ext4; a scenario that makes its root
# another file system sets it, and an initramfs that can mount it).
# SNAPTEST_ROOT_MODE: ro mounts the root file system read-only (as another
# system's read-only mount would; rootflags=noload in SNAPTEST_APPEND keeps
# even the journal replay away).
# SNAPTEST_TARGET_BLKDEBUG: a QEMU blkdebug configuration the target's reads
# and writes go through (errors injected on given sectors).
: "${SNAPTEST_TARGET_BLKDEBUG:=}"
# SNAPTEST_QEMU_ARGS: more QEMU options, split on spaces (e.g. a -virtfs
# share for a file system without a block device).
# SNAPTEST_SWTPM_DIR: the guest gets a TPM 2.0 (tpm-tis), a software TPM
# (swtpm) started for each boot with its state in that folder, which lasts
# across the boots of a scenario (vm_boot_once).
: "${SNAPTEST_SWTPM_DIR:=}"
# SNAPTEST_QMP=1: a QMP monitor on the unix socket LOG.qmp of each boot
# (lib/qmp.py SOCKET COMMAND sends one command to it).
: "${SNAPTEST_QMP:=0}"
# SNAPTEST_ON_SUSPEND: the host watches the guest's power events through
# QMP (implies SNAPTEST_QMP=1), one line each in LOG.power (lib/qmp.py
# watch), and acts when the guest first enters S3 (query-status says
# suspended): "watch" nothing more, "wake SECONDS" system_wakeup after that
# long, "kill" QEMU killed (-9), a power cut in S3 (BOOT_END=killed). S3
# itself needs SNAPTEST_QEMU_ARGS="-global PIIX4_PM.disable_s3=0".
: "${SNAPTEST_ON_SUSPEND:=}"
# SNAPTEST_NO_TARGET=1: boot without the target disk (/dev/vdb absent).
: "${SNAPTEST_NO_TARGET:=0}"
# The machine's identity (SMBIOS product UUID, /sys/class/dmi/id/product_uuid).
: "${SNAPTEST_UUID:=5e0d0c2a-7b1f-4c3e-9a8d-2f6b1c0e4d17}"
SNAPTEST_ANSWERS=()
export SNAPTEST_CACHE

# Modules of our initramfs: only what a block-device root needs, plus ours.
# The virtio drivers in the order 6.1 loads them (virtio is modular there;
# 6.12 has all but virtio_blk built in).
DRACUT_MODULES="base udev-rules rootfs-block snapresume"
DRACUT_DRIVERS="virtio_ring virtio virtio_pci virtio_pci_legacy_dev virtio_pci_modern_dev virtio_blk"
# More dracut module folders, linked into the private dracut base beside
# ours (name them in DRACUT_MODULES too).
DRACUT_EXTRA_MODULES=""
# NAME=FILE words in dracut's environment: files our module installs (the
# configuration and key file of LUKS2 targets). Their contents go into the
# initramfs' cache key.
DRACUT_FILE_ENV=("SNAPRESUME_CONF=$SNAPTEST_DIR/guest/snapresume.conf"
	"SNAPRESUME_KEYFILE=$SNAPTEST_DIR/guest/image.key")
# Where built initramfs images are kept, one per kernel release.
INITRAMFS_CACHE=$SNAPTEST_CACHE/initramfs
# A console line of our own code (guest init, initramfs hook, snapwrite):
# a kernel panic before any is an early one, and its boot is retried.
GUEST_REACHED_ERE='SNAPTEST: |snapresume: |snapwrite: '

# Progress for the person at the terminal; results go to stdout.
log() {
	printf '# %s\n' "$*" >&2
}

# sha256 of the given files (names excluded), as one hex string.
hash_files() {
	cat "$@" | sha256sum | cut -d ' ' -f 1
}

# The shared libraries and dynamic loader a binary needs, one path a line.
binary_libs() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'
}

# guest_tree TREE INIT: a fresh tree for a small guest's root file system:
# busybox and its applet links, INIT as /sbin/init, the guest helpers every
# guest shares (guest/guest-lib.sh), a root user and /etc/mtab. A cache key
# of such a root covers GUEST_TREE_INPUTS.
GUEST_TREE_INPUTS=(/bin/busybox "$SNAPTEST_DIR/guest/guest-lib.sh")
guest_tree() {
	local tree=$1 init=$2 p
	rm -rf "$tree"
	mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,var,etc,root,mnt}
	cp /bin/busybox "$tree/bin/busybox"
	for p in $(/bin/busybox --list-full); do
		[ -e "$tree/$p" ] && continue
		mkdir -p "$(dirname "$tree/$p")"
		ln -s /bin/busybox "$tree/$p"
	done
	rm -f "$tree/sbin/init"
	install -m 0755 "$init" "$tree/sbin/init"
	install -D -m 0644 "$SNAPTEST_DIR/guest/guest-lib.sh" "$tree/usr/lib/snaptest/guest-lib.sh"
	ln -s /proc/self/mounts "$tree/etc/mtab"
	echo "root:x:0:0:root:/root:/bin/sh" > "$tree/etc/passwd"
	echo "root:x:0:" > "$tree/etc/group"
}

# guest_install_bin TREE BINARY PATH: BINARY at PATH in TREE, with the
# shared libraries it needs (ldd) at their own paths.
guest_install_bin() {
	local tree=$1 lib
	install -D -m 0755 "$2" "$tree$3" || return 1
	for lib in $(binary_libs "$2"); do
		mkdir -p "$tree$(dirname "$lib")"
		cp -L "$lib" "$tree$lib" || return 1
	done
}

# guest_image TREE IMAGE MIB LABEL [MKFS_OPTION...]: an ext4 file system of
# MIB MiB holding TREE, made by mkfs.ext4 -d (nothing is mounted); IMAGE
# appears only when complete.
guest_image() {
	local tree=$1 image=$2 mib=$3 label=$4
	shift 4
	mkfs.ext4 -q -F "$@" -L "$label" -d "$tree" "$image.tmp" "${mib}M" > /dev/null || return 1
	mv "$image.tmp" "$image"
}

# modules_unpack DIR MODULE...: the kernel under test's MODULEs (KVER,
# KTREE) and the modules they depend on, uncompressed into DIR (6.12 ships
# .ko.xz, busybox insmod wants plain .ko), with DIR/snaptest.load naming
# them in the order to load them (dependencies first), as guest-lib.sh's
# load_modules reads it. Prints the problem and fails on a missing module.
modules_unpack() {
	local dir=$1 moddir=$KTREE/lib/modules/$KVER m p
	local -a order=()
	shift
	mkdir -p "$dir"
	_modules_add() { # PATH (relative to moddir)
		local path=$1 dep
		case " ${order[*]} " in *" $path "*) return 0 ;; esac
		# shellcheck disable=SC2013 # the dependencies are words of one line
		for dep in $(awk -F': *' -v p="$path" '$1 == p { print $2 }' "$moddir/modules.dep"); do
			_modules_add "$dep"
		done
		order+=("$path")
	}
	for m in "$@"; do
		p=$(awk -F: -v n="$m" '{ k = $1; sub(/.*\//, "", k); sub(/\.ko(\.xz|\.zst)?$/, "", k);
			gsub(/-/, "_", k); if (k == n) { print $1; exit } }' "$moddir/modules.dep")
		[ -n "$p" ] || {
			echo "module $m not found in $moddir/modules.dep"
			return 1
		}
		_modules_add "$p"
	done
	: > "$dir/snaptest.load"
	for p in "${order[@]}"; do
		m=${p##*/}
		m=${m%.xz}
		m=${m%.zst}
		case $p in
		*.xz) xz -dc "$moddir/$p" > "$dir/$m" ;;
		*.zst) zstd -q -dc "$moddir/$p" > "$dir/$m" ;;
		*) cp "$moddir/$p" "$dir/$m" ;;
		esac || {
			echo "could not unpack module $p"
			return 1
		}
		echo "$m" >> "$dir/snaptest.load"
	done
}

# guest_build_root: builds (or reuses) the pristine root filesystem image of
# the scenarios' guest and sets ROOT_TEMPLATE, and the same tree on an ext4
# of 4 KiB blocks (ROOT_TEMPLATE_4K; mkfs.ext4 gives a root this small 1 KiB
# blocks).
# grub_editenv_path: GRUB's environment block tool for the guest root (the
# oneshot_boot= scenarios): the host's, or grub-common's, fetched with
# apt-get download into $SNAPTEST_CACHE and unpacked there (nothing is
# installed on the host). Prints its path.
grub_editenv_path() {
	local dir=$SNAPTEST_CACHE/grub-common deb
	if command -v grub-editenv > /dev/null; then
		command -v grub-editenv
		return 0
	fi
	if [ ! -x "$dir/usr/bin/grub-editenv" ]; then
		mkdir -p "$SNAPTEST_CACHE/debs"
		deb=$(find "$SNAPTEST_CACHE/debs" -maxdepth 1 -name 'grub-common_*.deb' | sort -V | tail -n 1)
		if [ -z "$deb" ]; then
			(cd "$SNAPTEST_CACHE/debs" && apt-get download -q grub-common > /dev/null 2>&1) || {
				apt-get update -qq > /dev/null 2>&1 || true
				(cd "$SNAPTEST_CACHE/debs" && apt-get download -q grub-common > /dev/null 2>&1)
			} || return 1
			deb=$(find "$SNAPTEST_CACHE/debs" -maxdepth 1 -name 'grub-common_*.deb' | sort -V | tail -n 1)
		fi
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir" || return 1
	fi
	echo "$dir/usr/bin/grub-editenv"
}

guest_build_root() {
	local dir=$SNAPTEST_BUILD/guest key tree editenv
	mkdir -p "$dir"
	editenv=$(grub_editenv_path) || return 1
	if [ ! -x "$dir/workload" ] || [ "$SNAPTEST_DIR/guest/workload.c" -nt "$dir/workload" ]; then
		gcc -static -O2 -Wall -Wextra -o "$dir/workload" "$SNAPTEST_DIR/guest/workload.c" || return 1
	fi
	mapfile -t libs < <( (binary_libs "$SNAPWRITE_BIN"; binary_libs /sbin/cryptsetup
		binary_libs /sbin/mke2fs; binary_libs "$editenv") | sort -u)
	key=$(hash_files "${GUEST_TREE_INPUTS[@]}" /sbin/cryptsetup /sbin/mke2fs "$editenv" "$dir/workload" \
		"$SNAPTEST_DIR/guest/init.sh" "$SNAPTEST_DIR/guest/workload-lib.sh" \
		"$SNAPTEST_DIR/guest/image.key" "$SNAPWRITE_BIN" "$REPO_DIR/kernel-config/check" \
		"$REPO_DIR/kernel-config/snapresume.config" "${libs[@]}")
	ROOT_TEMPLATE=$dir/root-${key:0:16}.img
	ROOT_TEMPLATE_4K=$dir/root-${key:0:16}-4k.img
	[ -e "$ROOT_TEMPLATE" ] && [ -e "$ROOT_TEMPLATE_4K" ] && return 0

	log "building guest root filesystem"
	rm -f "$dir"/root-*.img
	tree=$dir/tree
	guest_tree "$tree" "$SNAPTEST_DIR/guest/init.sh"
	install -D -m 0644 "$SNAPTEST_DIR/guest/workload-lib.sh" "$tree/usr/lib/snaptest/workload-lib.sh"
	install -m 0755 "$dir/workload" "$tree/usr/bin/workload"
	guest_install_bin "$tree" "$SNAPWRITE_BIN" /usr/sbin/snapwrite || return 1
	# The kernel-config checker "snapwrite check" runs (found through
	# SNAPRESUME_KCONFIG_CHECK, set by the guest's init).
	install -D -m 0755 "$REPO_DIR/kernel-config/check" "$tree/usr/lib/snapresume/kernel-config-check"
	install -D -m 0644 "$REPO_DIR/kernel-config/snapresume.config" "$tree/usr/lib/snapresume/snapresume.config"
	# cryptsetup, for scenarios that open a LUKS2 volume before snapwrite.
	guest_install_bin "$tree" /sbin/cryptsetup /usr/sbin/cryptsetup || return 1
	# mke2fs, for a file system made inside a LUKS2 volume in the guest (by
	# its full path: busybox sh prefers its own applet of that name).
	guest_install_bin "$tree" /sbin/mke2fs /usr/sbin/mke2fs || return 1
	# grub-editenv, for a GRUB environment block in the guest (snapwrite's
	# oneshot_boot=; the guest itself boots with -kernel).
	guest_install_bin "$tree" "$editenv" /usr/bin/grub-editenv || return 1
	# The test key of LUKS2 targets, where snapwrite.conf's keyfile= finds it.
	install -D -m 0400 "$SNAPTEST_DIR/guest/image.key" "$tree/etc/snapresume/image.key"
	guest_image "$tree" "$ROOT_TEMPLATE_4K" "$SNAPTEST_ROOT_MIB" snaproot -b 4096 || return 1
	guest_image "$tree" "$ROOT_TEMPLATE" "$SNAPTEST_ROOT_MIB" snaproot || return 1
}

# guest_disks DIR: fresh disks for one guest in DIR: ROOT_IMG, a sparse
# copy of ROOT_TEMPLATE (/dev/vda), and TARGET_IMG, an empty sparse file of
# SNAPTEST_TARGET_MIB MiB (/dev/vdb).
guest_disks() {
	ROOT_IMG=$1/root.img
	TARGET_IMG=$1/target.img
	cp --sparse=always "$ROOT_TEMPLATE" "$ROOT_IMG" || return 1
	rm -f "$TARGET_IMG"
	truncate -s "${SNAPTEST_TARGET_MIB}M" "$TARGET_IMG"
}

# dracut_base: a private dracut base directory, /usr/lib/dracut as
# symlinks with our module (and DRACUT_EXTRA_MODULES) added, so nothing is
# installed on the host.
dracut_base() {
	local base=$SNAPTEST_BUILD/dracut-base f
	rm -rf "$base"
	mkdir -p "$base/modules.d"
	for f in /usr/lib/dracut/*; do
		[ "${f##*/}" = modules.d ] || ln -s "$f" "$base/"
	done
	for f in /usr/lib/dracut/modules.d/*; do
		ln -s "$f" "$base/modules.d/"
	done
	for f in "$REPO_DIR/dracut-module/90snapresume" $DRACUT_EXTRA_MODULES; do
		ln -sfn "$f" "$base/modules.d/${f##*/}"
	done
	DRACUT_BASE=$base
}

# initramfs_build: builds (or reuses) the initramfs for KVER/KTREE and sets
# INITRD: dracut with DRACUT_MODULES, DRACUT_DRIVERS and DRACUT_FILE_ENV,
# kept in INITRAMFS_CACHE. The cache key covers everything that goes into it.
initramfs_build() {
	local key out start d w
	local -a files=()
	for w in "${DRACUT_FILE_ENV[@]}"; do
		files+=("${w#*=}")
	done
	mapfile -t libs < <(binary_libs "$SNAPRESUME_BIN")
	key=$( {
		printf '%s\n' "$KVER" "$DRACUT_MODULES" "$DRACUT_DRIVERS" "$(dracut --version 2> /dev/null)"
		for d in "$REPO_DIR/dracut-module/90snapresume" $DRACUT_EXTRA_MODULES; do
			cat "$d"/*
		done
		cat "$SNAPRESUME_BIN" "${libs[@]}" "${files[@]}"
	} | sha256sum | cut -d ' ' -f 1)
	out=$INITRAMFS_CACHE/initrd-$KVER-${key:0:16}.img
	INITRD=$out
	INITRD_SECONDS=0
	[ -e "$out" ] && return 0

	mkdir -p "$INITRAMFS_CACHE" "$SNAPTEST_BUILD/dracut-tmp" "$SNAPTEST_BUILD/dracut-conf.d"
	: > "$SNAPTEST_BUILD/dracut.conf"
	dracut_base
	log "building initramfs for $KVER with dracut"
	start=$SECONDS
	# shellcheck disable=SC2086 # the lists are space separated on purpose
	if ! env dracutbasedir="$DRACUT_BASE" SNAPRESUME_BIN="$SNAPRESUME_BIN" "${DRACUT_FILE_ENV[@]}" \
		dracut --force --no-hostonly --no-hostonly-cmdline \
		--conf "$SNAPTEST_BUILD/dracut.conf" --confdir "$SNAPTEST_BUILD/dracut-conf.d" \
		--tmpdir "$SNAPTEST_BUILD/dracut-tmp" \
		--kver "$KVER" --kmoddir "$KTREE/lib/modules/$KVER" \
		-m "$DRACUT_MODULES" --add-drivers "$DRACUT_DRIVERS" --filesystems ext4 \
		--no-compress --no-early-microcode \
		"$out.tmp" > "$SNAPTEST_BUILD/dracut-$KVER.log" 2>&1; then
		log "dracut failed, see $SNAPTEST_BUILD/dracut-$KVER.log"
		tail -n 20 "$SNAPTEST_BUILD/dracut-$KVER.log" >&2
		rm -f "$out.tmp"
		return 1
	fi
	INITRD_SECONDS=$((SECONDS - start))
	# Keep one initramfs per kernel release.
	rm -f "$INITRAMFS_CACHE/initrd-$KVER-"*.img
	mv "$out.tmp" "$out"
	log "initramfs for $KVER built in ${INITRD_SECONDS}s"
}

# The kernel command line every boot shares.
base_cmdline() {
	printf '%s' "console=ttyS0 panic=-1 oops=panic printk.devkmsg=on" \
		" root=${SNAPTEST_ROOT_DEV:-/dev/vda} rootfstype=${SNAPTEST_ROOT_FSTYPE:-ext4} ${SNAPTEST_ROOT_MODE:-rw} rd.shell=0 rd.emergency=poweroff" \
		"${SNAPTEST_RESUME:+ resume=$SNAPTEST_RESUME} rd.snap.timeout=30${SNAPTEST_APPEND:+ $SNAPTEST_APPEND}"
}

# answer_console LOG FIFO ERE REPLY [ERE REPLY ...]: the person at the
# serial console. Waits until the console output (LOG) shows ERE, types
# REPLY and Enter into FIFO (QEMU's serial input), then waits for the next
# ERE in what the console prints after that, and so on. A prompt needs no
# newline: the last, unfinished line counts. Ends with QEMU.
answer_console() {
	local log=$1 fifo=$2 offset=0 ere reply
	shift 2
	while [ $# -ge 2 ]; do
		ere=$1 reply=$2
		shift 2
		until tail -c +$((offset + 1)) "$log" 2> /dev/null | grep -q -E -- "$ere"; do
			[ -e "$log.pid" ] && ! kill -0 "$(cat "$log.pid" 2> /dev/null)" 2> /dev/null && return 0
			sleep 0.2
		done
		offset=$(stat -c %s "$log")
		printf '%s\r' "$reply" > "$fifo"
		printf '%s\n' "typed an answer to /$ere/ at byte $offset" >> "$log.answers"
	done
}

# swtpm_start DIR: a software TPM 2.0 for one boot, its state in DIR (made
# on first use: a new TPM), its control socket DIR/sock for QEMU's
# tpm-emulator; its pid in DIR/pid. It ends with QEMU's connection
# (--terminate), and swtpm_stop makes sure.
swtpm_start() {
	local dir=$1 i
	mkdir -p "$dir/state"
	rm -f "$dir/sock" "$dir/pid"
	swtpm socket --tpm2 --tpmstate "dir=$dir/state" --ctrl "type=unixio,path=$dir/sock" \
		--pid "file=$dir/pid" --log "file=$dir/swtpm.log" --terminate -d ||
		{ log "swtpm failed to start (log $dir/swtpm.log)"; return 1; }
	for i in $(seq 50); do
		[ -S "$dir/sock" ] && [ -s "$dir/pid" ] && return 0
		sleep 0.1
	done
	log "swtpm made no socket $dir/sock"
	swtpm_stop "$dir"
	return 1
}

# swtpm_stop DIR: the software TPM of DIR is gone (its state stays).
swtpm_stop() {
	local dir=$1 pid i
	pid=$(cat "$dir/pid" 2> /dev/null) || return 0
	for i in $(seq 20); do
		kill -0 "$pid" 2> /dev/null || break
		[ "$i" = 1 ] && kill "$pid" 2> /dev/null
		sleep 0.1
	done
	kill -9 "$pid" 2> /dev/null
	rm -f "$dir/pid" "$dir/sock"
}

# vm_boot_once LOG APPEND [KILL_ERE]: one boot of the guest with ROOT_IMG as
# /dev/vda and TARGET_IMG as /dev/vdb; the serial console goes to LOG.
# With KILL_ERE, QEMU is killed (SIGKILL, a power cut) as soon as a console
# line matches it (SNAPTEST_KILL_DELAY seconds later, when set). SNAPTEST_ANSWERS (pairs of ERE and reply) are typed on
# the serial console when their prompts show (answer_console). Sets
# SNAPTEST_QMP and SNAPTEST_ON_SUSPEND add the QMP monitor and its watcher.
# BOOT_END to poweroff, killed or timeout and BOOT_SECONDS to the wall time.
vm_boot_once() {
	local log=$1 append=$2 kill_ere=${3:-} spid watcher="" answerer="" pwatcher="" start input=/dev/null fifo_fd i
	: > "$log"
	rm -f "$log.killed" "$log.pid" "$log.answers" "$log.in" "$log.qmp" "$log.power"
	if [ "${#SNAPTEST_ANSWERS[@]}" -gt 0 ]; then
		# Held open read-write here, so that QEMU never sees the end of
		# its input between two answers.
		mkfifo "$log.in"
		exec {fifo_fd}<> "$log.in"
		input=$log.in
	fi
	local target_file=$TARGET_IMG
	[ -n "$SNAPTEST_TARGET_BLKDEBUG" ] && target_file=blkdebug:$SNAPTEST_TARGET_BLKDEBUG:$TARGET_IMG
	local target_drive=(-drive "file=$target_file,format=raw,if=virtio,cache=none${SNAPTEST_TARGET_OPTS:+,$SNAPTEST_TARGET_OPTS}")
	[ "$SNAPTEST_NO_TARGET" = 1 ] && target_drive=()
	# SNAPTEST_EXTRA_IMG: a third disk, /dev/vdc (a COW store).
	[ -n "${SNAPTEST_EXTRA_IMG:-}" ] &&
		target_drive+=(-drive "file=$SNAPTEST_EXTRA_IMG,format=raw,if=virtio,cache=none")
	local prealloc=() qemu_extra=()
	[ "$SNAPTEST_MEM_PREALLOC" = 1 ] && prealloc=(-mem-prealloc)
	read -r -a qemu_extra <<< "${SNAPTEST_QEMU_ARGS:-}"
	if [ -n "$SNAPTEST_SWTPM_DIR" ]; then
		swtpm_start "$SNAPTEST_SWTPM_DIR" || return 1
		# shellcheck disable=SC2054 # QEMU's option values have commas
		qemu_extra+=(-chardev "socket,id=chrtpm,path=$SNAPTEST_SWTPM_DIR/sock"
			-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0)
	fi
	if [ "$SNAPTEST_QMP" = 1 ] || [ -n "$SNAPTEST_ON_SUSPEND" ]; then
		qemu_extra+=(-qmp "unix:$log.qmp,server=on,wait=off")
	fi
	start=$SECONDS
	# QEMU runs in a subshell whose stderr is dropped, so that a kill -9 of
	# QEMU gives no "Killed" job report on the terminal; its pid is in
	# $log.pid for the kills.
	(
		qemu-system-x86_64 -accel "tcg,thread=$SNAPTEST_TCG_THREAD" -cpu "$SNAPTEST_CPU" \
			-m "$SNAPTEST_MEM" "${prealloc[@]}" -smp 2 -nographic -no-reboot -nic none -uuid "$SNAPTEST_UUID" \
			-pidfile "$log.pid" \
			-kernel "$KTREE/boot/vmlinuz-$KVER" -initrd "$INITRD" \
			-append "$(base_cmdline) $append" \
			-drive "file=$ROOT_IMG,format=raw,if=virtio,cache=none${SNAPTEST_ROOT_OPTS:+,$SNAPTEST_ROOT_OPTS}" \
			"${target_drive[@]}" "${qemu_extra[@]}" < "$input" > "$log" 2>&1
		# A second command, so that bash cannot exec QEMU in place of
		# the subshell.
		exit $?
	) 2> /dev/null &
	spid=$!
	if [ -n "$kill_ere" ]; then
		# tail follows the log with inotify, so the kill comes within
		# milliseconds of the line.
		(
			if tail -n +1 -F --pid="$spid" "$log" 2> /dev/null | grep -q -m 1 -E -- "$kill_ere"; then
				# SNAPTEST_KILL_DELAY: seconds between the line and the cut.
				sleep "${SNAPTEST_KILL_DELAY:-0}"
				kill -9 "$(cat "$log.pid")" 2> /dev/null && : > "$log.killed"
			fi
		) &
		watcher=$!
	fi
	if [ -n "$SNAPTEST_ON_SUSPEND" ]; then
		# Its errors go to the same log (appended, as its own lines are).
		# shellcheck disable=SC2086,SC2094 # the action and its seconds are two words
		python3 "$SNAPTEST_DIR/lib/qmp.py" watch "$log.qmp" "$log.power" "$log.pid" "$log.killed" \
			$SNAPTEST_ON_SUSPEND 2>> "$log.power" &
		pwatcher=$!
	fi
	if [ "$input" != /dev/null ]; then
		answer_console "$log" "$log.in" "${SNAPTEST_ANSWERS[@]}" &
		answerer=$!
	fi
	BOOT_END=poweroff
	while kill -0 "$spid" 2> /dev/null; do
		if [ $((SECONDS - start)) -ge "$SNAPTEST_BOOT_TIMEOUT" ]; then
			kill -9 "$(cat "$log.pid" 2> /dev/null)" 2> /dev/null || kill -9 "$spid"
			BOOT_END=timeout
			break
		fi
		sleep 0.2
	done
	wait "$spid"
	if [ -n "$watcher" ]; then
		kill "$watcher" 2> /dev/null
		wait "$watcher"
	fi
	if [ -n "$pwatcher" ]; then
		# It ends when QEMU closes the monitor; a few seconds at most.
		for i in $(seq 50); do
			kill -0 "$pwatcher" 2> /dev/null || break
			sleep 0.1
		done
		kill "$pwatcher" 2> /dev/null
		wait "$pwatcher"
	fi
	rm -f "$log.qmp"
	if [ -n "$answerer" ]; then
		kill "$answerer" 2> /dev/null
		wait "$answerer"
		exec {fifo_fd}>&-
		rm -f "$log.in"
	fi
	[ -e "$log.killed" ] && BOOT_END=killed
	rm -f "$log.pid"
	[ -z "$SNAPTEST_SWTPM_DIR" ] || swtpm_stop "$SNAPTEST_SWTPM_DIR"
	# shellcheck disable=SC2034 # read by the scenario helpers
	BOOT_SECONDS=$((SECONDS - start))
	# Serial lines end in CR LF; keep plain LF for grep and friends.
	sed -i 's/\r$//' "$log"
}

# Has the boot in LOG reached our code (initramfs hook or guest init)?
boot_reached_scenario() {
	grep -q -E -- "$GUEST_REACHED_ERE" "$1"
}

# vm_boot LOG APPEND [KILL_ERE]: vm_boot_once, retried once when the kernel
# panicked before reaching our code (a rare TCG race at early boot; see
# tests/qemu/README.md, "Facts about the machine"). Sets BOOT_RETRIED=1 when
# it retried.
# shellcheck disable=SC2034 # BOOT_RETRIED is read by the scenario helpers
vm_boot() {
	BOOT_RETRIED=0
	vm_boot_once "$@"
	if [ "$BOOT_END" = poweroff ] && grep -q 'Kernel panic' "$1" && ! boot_reached_scenario "$1"; then
		mv "$1" "$1.panic"
		BOOT_RETRIED=1
		vm_boot_once "$@"
	fi
}
