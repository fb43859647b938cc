# shellcheck shell=bash
# Shared helpers of the QEMU harness: paths, the guest root filesystem, the
# dracut initramfs and booting a guest. Sourced by tests/qemu/run.

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
# die on the int3 (NOTES-qemu.md); seen once in a CI run, late in a boot.
# The benchmark keeps thread=multi for speed.
: "${SNAPTEST_TCG_THREAD:=single}"
: "${SNAPTEST_MEM:=1024}"
: "${SNAPTEST_TARGET_MIB:=512}"
: "${SNAPTEST_ROOT_MIB:=256}"
: "${SNAPTEST_APPEND:=}"
# The resume device on the command line; empty: no resume= at all.
SNAPTEST_RESUME=${SNAPTEST_RESUME-/dev/vdb}
# SNAPTEST_TARGET_OPTS: more -drive options for the target, e.g. a write
# throttle to make a moment of the write long enough to cut the power in.
: "${SNAPTEST_TARGET_OPTS:=}"
# SNAPTEST_NO_TARGET=1: boot without the target disk (/dev/vdb absent).
: "${SNAPTEST_NO_TARGET:=0}"
# The machine's identity (SMBIOS product UUID, /sys/class/dmi/id/product_uuid).
: "${SNAPTEST_UUID:=5e0d0c2a-7b1f-4c3e-9a8d-2f6b1c0e4d17}"
SNAPTEST_ANSWERS=()
export SNAPTEST_CACHE

# Modules of our initramfs: only what a block-device root needs, plus ours.
DRACUT_MODULES="base udev-rules rootfs-block snapresume"
DRACUT_DRIVERS="virtio_ring virtio virtio_pci virtio_pci_legacy_dev virtio_pci_modern_dev virtio_blk"

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

# guest_build_root: builds (or reuses) the pristine guest root filesystem
# image and sets ROOT_TEMPLATE, and the same tree on an ext4 of 4 KiB blocks
# (ROOT_TEMPLATE_4K; mkfs.ext4 gives a root this small 1 KiB blocks). No
# mounting: mkfs.ext4 -d copies a tree.
guest_build_root() {
	local dir=$SNAPTEST_BUILD/guest key tree p lib
	mkdir -p "$dir"
	if [ ! -x "$dir/workload" ] || [ "$SNAPTEST_DIR/guest/workload.c" -nt "$dir/workload" ]; then
		gcc -static -O2 -Wall -Wextra -o "$dir/workload" "$SNAPTEST_DIR/guest/workload.c" || return 1
	fi
	mapfile -t libs < <( (binary_libs "$SNAPWRITE_BIN"; binary_libs /sbin/cryptsetup
		binary_libs /sbin/mke2fs) | sort -u)
	key=$(hash_files /sbin/cryptsetup /sbin/mke2fs /bin/busybox "$dir/workload" "$SNAPTEST_DIR/guest/init.sh" "$SNAPTEST_DIR/guest/workload-lib.sh" \
		"$SNAPTEST_DIR/guest/image.key" "$SNAPWRITE_BIN" "$REPO_DIR/kernel-config/check" \
		"$REPO_DIR/kernel-config/snapresume.config" "${libs[@]}")
	ROOT_TEMPLATE=$dir/root-${key:0:16}.img
	ROOT_TEMPLATE_4K=$dir/root-${key:0:16}-4k.img
	[ -e "$ROOT_TEMPLATE" ] && [ -e "$ROOT_TEMPLATE_4K" ] && return 0

	log "building guest root filesystem"
	rm -f "$dir"/root-*.img
	tree=$dir/tree
	rm -rf "$tree"
	mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,var,etc,root,mnt}
	cp /bin/busybox "$tree/bin/busybox"
	for p in $(/bin/busybox --list-full); do
		[ -e "$tree/$p" ] && continue
		mkdir -p "$(dirname "$tree/$p")"
		ln -s /bin/busybox "$tree/$p"
	done
	rm -f "$tree/sbin/init"
	install -m 0755 "$SNAPTEST_DIR/guest/init.sh" "$tree/sbin/init"
	install -D -m 0644 "$SNAPTEST_DIR/guest/workload-lib.sh" "$tree/usr/lib/snaptest/workload-lib.sh"
	install -m 0755 "$dir/workload" "$tree/usr/bin/workload"
	install -m 0755 "$SNAPWRITE_BIN" "$tree/usr/sbin/snapwrite"
	# The kernel-config checker "snapwrite check" runs (found through
	# SNAPRESUME_KCONFIG_CHECK, set by the guest's init).
	install -D -m 0755 "$REPO_DIR/kernel-config/check" "$tree/usr/lib/snapresume/kernel-config-check"
	install -D -m 0644 "$REPO_DIR/kernel-config/snapresume.config" "$tree/usr/lib/snapresume/snapresume.config"
	# cryptsetup, for scenarios that open a LUKS2 volume before snapwrite.
	install -m 0755 /sbin/cryptsetup "$tree/usr/sbin/cryptsetup"
	# mke2fs, for a file system made inside a LUKS2 volume in the guest (by
	# its full path: busybox sh prefers its own applet of that name).
	install -m 0755 /sbin/mke2fs "$tree/usr/sbin/mke2fs"
	# The test key of LUKS2 targets, where snapwrite.conf's keyfile= finds it.
	install -D -m 0400 "$SNAPTEST_DIR/guest/image.key" "$tree/etc/snapresume/image.key"
	for lib in "${libs[@]}"; do
		mkdir -p "$tree$(dirname "$lib")"
		cp -L "$lib" "$tree$lib"
	done
	ln -s /proc/self/mounts "$tree/etc/mtab"
	echo "root:x:0:0:root:/root:/bin/sh" > "$tree/etc/passwd"
	echo "root:x:0:" > "$tree/etc/group"
	mkfs.ext4 -q -F -L snaproot -d "$tree" "$ROOT_TEMPLATE.tmp" "${SNAPTEST_ROOT_MIB}M" > /dev/null || return 1
	mkfs.ext4 -q -F -b 4096 -L snaproot -d "$tree" "$ROOT_TEMPLATE_4K.tmp" "${SNAPTEST_ROOT_MIB}M" > /dev/null || return 1
	mv "$ROOT_TEMPLATE_4K.tmp" "$ROOT_TEMPLATE_4K"
	mv "$ROOT_TEMPLATE.tmp" "$ROOT_TEMPLATE"
}

# dracut_base: a private dracut base directory, /usr/lib/dracut as
# symlinks with our module added, so nothing is installed on the host.
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
	ln -sfn "$REPO_DIR/dracut-module/90snapresume" "$base/modules.d/90snapresume"
	DRACUT_BASE=$base
}

# initramfs_build: builds (or reuses) the initramfs for KVER/KTREE and sets
# INITRD. The cache key covers everything that goes into it.
initramfs_build() {
	local key dir out start
	mapfile -t libs < <(binary_libs "$SNAPRESUME_BIN")
	key=$( {
		printf '%s\n' "$KVER" "$DRACUT_MODULES" "$DRACUT_DRIVERS" "$(dracut --version 2> /dev/null)"
		cat "$REPO_DIR"/dracut-module/90snapresume/* "$SNAPRESUME_BIN" "${libs[@]}" \
			"$SNAPTEST_DIR/guest/snapresume.conf" "$SNAPTEST_DIR/guest/image.key"
	} | sha256sum | cut -d ' ' -f 1)
	dir=$SNAPTEST_CACHE/initramfs
	out=$dir/initrd-$KVER-${key:0:16}.img
	INITRD=$out
	INITRD_SECONDS=0
	[ -e "$out" ] && return 0

	mkdir -p "$dir" "$SNAPTEST_BUILD/dracut-tmp" "$SNAPTEST_BUILD/dracut-conf.d"
	: > "$SNAPTEST_BUILD/dracut.conf"
	dracut_base
	log "building initramfs for $KVER with dracut"
	start=$SECONDS
	# shellcheck disable=SC2086 # the lists are space separated on purpose
	if ! dracutbasedir=$DRACUT_BASE SNAPRESUME_BIN=$SNAPRESUME_BIN \
		SNAPRESUME_CONF=$SNAPTEST_DIR/guest/snapresume.conf \
		SNAPRESUME_KEYFILE=$SNAPTEST_DIR/guest/image.key \
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
	rm -f "$dir/initrd-$KVER-"*.img
	mv "$out.tmp" "$out"
	log "initramfs for $KVER built in ${INITRD_SECONDS}s"
}

# The kernel command line every boot shares.
base_cmdline() {
	printf '%s' "console=ttyS0 panic=-1 oops=panic printk.devkmsg=on" \
		" root=${SNAPTEST_ROOT_DEV:-/dev/vda} rootfstype=ext4 rw rd.shell=0 rd.emergency=poweroff" \
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

# vm_boot_once LOG APPEND [KILL_ERE]: one boot of the guest with ROOT_IMG as
# /dev/vda and TARGET_IMG as /dev/vdb; the serial console goes to LOG.
# With KILL_ERE, QEMU is killed (SIGKILL, a power cut) as soon as a console
# line matches it. SNAPTEST_ANSWERS (pairs of ERE and reply) are typed on
# the serial console when their prompts show (answer_console). Sets
# BOOT_END to poweroff, killed or timeout and BOOT_SECONDS to the wall time.
vm_boot_once() {
	local log=$1 append=$2 kill_ere=${3:-} spid watcher="" answerer="" start input=/dev/null fifo_fd
	: > "$log"
	rm -f "$log.killed" "$log.pid" "$log.answers" "$log.in"
	if [ "${#SNAPTEST_ANSWERS[@]}" -gt 0 ]; then
		# Held open read-write here, so that QEMU never sees the end of
		# its input between two answers.
		mkfifo "$log.in"
		exec {fifo_fd}<> "$log.in"
		input=$log.in
	fi
	local target_drive=(-drive "file=$TARGET_IMG,format=raw,if=virtio,cache=none${SNAPTEST_TARGET_OPTS:+,$SNAPTEST_TARGET_OPTS}")
	[ "$SNAPTEST_NO_TARGET" = 1 ] && target_drive=()
	# SNAPTEST_EXTRA_IMG: a third disk, /dev/vdc (a COW store).
	[ -n "${SNAPTEST_EXTRA_IMG:-}" ] &&
		target_drive+=(-drive "file=$SNAPTEST_EXTRA_IMG,format=raw,if=virtio,cache=none")
	start=$SECONDS
	# QEMU runs in a subshell whose stderr is dropped, so that a kill -9 of
	# QEMU gives no "Killed" job report on the terminal; its pid is in
	# $log.pid for the kills.
	(
		qemu-system-x86_64 -accel "tcg,thread=$SNAPTEST_TCG_THREAD" -cpu "$SNAPTEST_CPU" \
			-m "$SNAPTEST_MEM" -smp 2 -nographic -no-reboot -nic none -uuid "$SNAPTEST_UUID" \
			-pidfile "$log.pid" \
			-kernel "$KTREE/boot/vmlinuz-$KVER" -initrd "$INITRD" \
			-append "$(base_cmdline) $append" \
			-drive "file=$ROOT_IMG,format=raw,if=virtio,cache=none" \
			"${target_drive[@]}" < "$input" > "$log" 2>&1
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
				kill -9 "$(cat "$log.pid")" 2> /dev/null && : > "$log.killed"
			fi
		) &
		watcher=$!
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
	if [ -n "$answerer" ]; then
		kill "$answerer" 2> /dev/null
		wait "$answerer"
		exec {fifo_fd}>&-
		rm -f "$log.in"
	fi
	[ -e "$log.killed" ] && BOOT_END=killed
	rm -f "$log.pid"
	# shellcheck disable=SC2034 # read by the scenario helpers
	BOOT_SECONDS=$((SECONDS - start))
	# Serial lines end in CR LF; keep plain LF for grep and friends.
	sed -i 's/\r$//' "$log"
}

# Has the boot in LOG reached our code (initramfs hook or guest init)?
boot_reached_scenario() {
	grep -q -E 'SNAPTEST: |snapresume: |snapwrite: ' "$1"
}

# vm_boot LOG APPEND [KILL_ERE]: vm_boot_once, retried once when the kernel
# panicked before reaching our code (a rare TCG race at early boot; see
# NOTES-qemu.md). Sets BOOT_RETRIED=1 when it retried.
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
