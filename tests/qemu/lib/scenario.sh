# shellcheck shell=bash
# Helpers for scenario scripts (tests/qemu/scenarios/NAME/test.sh).
#
# A scenario runs in its own subshell with WORKDIR (its log folder),
# ROOT_IMG and TARGET_IMG (fresh copies) set. It calls boot to start the
# guest and the expect_* helpers to check; the first failed check calls
# fail, which records the reason and ends the subshell.

# fail REASON: the scenario failed.
fail() {
	printf '%s\n' "$*" > "$WORKDIR/reason"
	note "FAIL: $*"
	exit 1
}

# note TEXT: a line for the scenario's own log.
note() {
	printf '%s\n' "$*" >> "$WORKDIR/scenario.log"
}

# boot LABEL ACTION [APPEND [KILL_ERE]]: one guest boot; the serial log is
# $WORKDIR/LABEL.log, which becomes LOG. SNAPTEST_ANSWERS, set just before,
# holds what to type on the console during this boot (vm_boot_once). A boot must end by itself (power
# off), or by the KILL_ERE kill when one is given; a timeout fails.
boot() {
	local label=$1 action=$2 append=${3:-} kill_ere=${4:-}
	LOG=$WORKDIR/$label.log
	note "boot $label: snaptest.action=$action $append${kill_ere:+ (kill on /$kill_ere/)}"
	vm_boot "$LOG" "snaptest.action=$action $append" "$kill_ere"
	SNAPTEST_ANSWERS=()
	[ -e "$LOG.answers" ] && note "boot $label: $(wc -l < "$LOG.answers") answers typed on the console"
	note "boot $label: ended by $BOOT_END after ${BOOT_SECONDS}s"
	printf '%s=%ss ' "$label" "$BOOT_SECONDS" >> "$WORKDIR/timings"
	if [ "$BOOT_RETRIED" = 1 ]; then
		printf '%s\n' "boot $label was retried after an early kernel panic (first try: $LOG.panic)" >> "$WORKDIR/retries"
		note "boot $label: retried after an early kernel panic"
	fi
	if [ "$BOOT_END" = timeout ]; then
		fail "boot $label: no power-off within ${SNAPTEST_BOOT_TIMEOUT}s (log $LOG)"
	fi
	if [ -z "$kill_ere" ] || [ "$BOOT_END" != killed ]; then
		if grep -q 'Kernel panic' "$LOG"; then
			fail "boot $label: kernel panic: $(grep -m 1 'Kernel panic' "$LOG")"
		fi
	fi
}

# has ERE: does LOG have a line matching ERE?
has() {
	grep -q -E -- "$1" "$LOG"
}

# expect ERE WHAT: LOG must have a line matching ERE.
expect() {
	has "$1" || fail "$2 (no line matching /$1/ in ${LOG##*/})"
}

# expect_not ERE WHAT: LOG must have no line matching ERE.
expect_not() {
	local line
	line=$(grep -m 1 -E -- "$1" "$LOG") || return 0
	fail "$2 (${LOG##*/}: $line)"
}

# result KEY: the value of KEY on the last "SNAPTEST: RESULT" line of LOG.
result() {
	grep -E '^SNAPTEST: RESULT ' "$LOG" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# expect_result KEY VALUE
expect_result() {
	local got
	got=$(result "$1")
	[ "$got" = "$2" ] || fail "guest reported $1=${got:-<missing>}, expected $2 ($(grep -E '^SNAPTEST: RESULT ' "$LOG" | tail -n 1))"
}

# sentinel NAME: value of the word NAME=... on the first "SNAPTEST:" line
# of LOG that has it.
sentinel() {
	grep -E '^SNAPTEST: ' "$LOG" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# expect_fresh_boot: the guest init started from scratch (no resume). A
# refused image may still have started loading ("resuming image ..."):
# checksums are checked as the chunks stream in.
expect_fresh_boot() {
	expect '^SNAPTEST: fresh boot' "the guest did not boot to its init"
	expect_not '^SNAPTEST: resumed' "the guest resumed when it must boot fresh"
	expect_result fresh yes
}

# expect_no_resume_attempt: snapresume did not even start loading an image.
expect_no_resume_attempt() {
	expect_not 'snapresume: resuming image' "snapresume started to resume an image"
}

# status_state [LABEL]: snapwrite status on the target image, kept as
# $WORKDIR/status-LABEL.txt; prints the state value.
status_state() {
	local out=$WORKDIR/status-${1:-now}.txt
	"$SNAPWRITE_BIN" status --target "$TARGET_IMG" > "$out" 2>&1
	note "snapwrite status ($?): $(tr '\n' ' ' < "$out")"
	sed -n 's/^state: *//p' "$out" | head -n 1
}

expect_state_valid() {
	local s
	s=$(status_state "$1")
	[ "$s" = valid ] || fail "host: snapwrite status says state '${s:-<none>}' after $1, expected valid"
}

expect_state_not_valid() {
	local s
	s=$(status_state "$1")
	[ -n "$s" ] || fail "host: snapwrite status printed no state after $1"
	[ "$s" != valid ] || fail "host: snapwrite status says the image is still valid after $1"
	note "state after $1: $s"
}

# host_verify: snapwrite verify on the target image must pass.
host_verify() {
	local out=$WORKDIR/verify.txt
	"$SNAPWRITE_BIN" verify --target "$TARGET_IMG" > "$out" 2>&1 ||
		fail "host: snapwrite verify failed on a fresh image: $(tail -n 3 "$out" | tr '\n' ' ')"
}

# hibernate LABEL [APPEND]: boot with action=hibernate and check that snapwrite
# wrote and committed an image and the guest powered off without reporting
# a result. Sets BEFORE_PID, BEFORE_COUNTER, BEFORE_TMPFS from the log.
hibernate() {
	boot "$1" hibernate "${2:-}"
	expect '^SNAPTEST: before hibernate' "the guest did not get to the hibernation"
	expect_not '^SNAPTEST: RESULT action=hibernate hibernated=no' \
		"snapwrite hibernate failed: $(grep -E '^snapwrite: ' "$LOG" | tail -n 2 | tr '\n' ' ')"
	expect 'snapwrite: writing image to /dev/' "snapwrite did not start writing"
	expect 'snapwrite: image committed' "snapwrite did not commit the image"
	expect_not '^SNAPTEST: RESULT' "the guest went on running after hibernation"
	before_workload
	BEFORE_TMPFS=$(sed -n 's/^SNAPTEST: tmpfs file sha256=//p' "$LOG")
	if [ -z "$BEFORE_PID" ] || [ -z "$BEFORE_COUNTER" ] || [ -z "$BEFORE_TMPFS" ]; then
		fail "could not read the workload state before hibernation from ${LOG##*/}"
	fi
	note "hibernated: pid=$BEFORE_PID counter=$BEFORE_COUNTER tmpfs=$BEFORE_TMPFS"
}

# swapfile_hibernate FSNAME [GUEST_ARGS]: a 512 MiB guest makes a swap file
# (SWAPFILE, default /images/swapfile on the file system of /dev/vdb;
# FSNAME for messages), swaps part of its workload out to it and
# hibernates into it. Sets OFFSET to the resume_offset= snapwrite printed.
swapfile_hibernate() {
	SNAPTEST_MEM=512
	SNAPTEST_RESUME=''
	hibernate b1-hibernate "snaptest.setup=swapfile snaptest.swapmib=320 snaptest.mib=160 snaptest.hog=300${2:+ $2}"
	expect_not '^SNAPTEST: insmod' "a kernel module did not load"
	expect "^SNAPTEST: target swapfile ready: ${SWAPFILE:-/images/swapfile}\$" "the guest did not make the swap file on $1"
	expect '^SNAPTEST: hog done: .*pswpout [1-9]' "nothing was swapped out before the hibernation"
	OFFSET=$(sed -n 's/^snapwrite: kernel command line for this target: resume=UUID=[0-9a-f-]* resume_offset=\([0-9]*\)$/\1/p' "$LOG" | head -n 1)
	[ -n "$OFFSET" ] || fail "snapwrite did not print resume= and resume_offset= for the swap file"
}

# swapfile_resume FSNAME FILESYSTEMS [APPEND]: the next boot, with resume=
# and resume_offset= as printed (the file system's device: SWAPFILE_DEV,
# default /dev/vdb, whose image is SWAPFILE_IMG, default TARGET_IMG),
# resumes from the swap file (FILESYSTEMS guarded), which is swap again
# afterwards.
swapfile_resume() {
	SNAPTEST_RESUME=UUID=$(blkid -o value -s UUID "${SWAPFILE_IMG:-$TARGET_IMG}")
	# shellcheck disable=SC2034 # read by base_cmdline
	SNAPTEST_APPEND="resume_offset=$OFFSET${3:+ $3}"
	boot b2-resume check
	expect "snapresume: resuming image .* from ${SWAPFILE_DEV:-/dev/vdb} " "snapresume did not resume from the swap file on $1"
	expect_resumed "$2"
	expect_result swap_again ok
}

# ---- rollback ------------------------------------------------------------

# rollback_setup [COW]: the root file system on the overlay snaproot of
# /dev/vda with COW as its store (default /dev/vdc: a 64 MiB third disk,
# $WORKDIR/cow.img, made here unless it exists already).
rollback_setup() {
	local cow=${1:-/dev/vdc}
	if [ "$cow" = /dev/vdc ]; then
		[ -e "$WORKDIR/cow.img" ] || truncate -s 64M "$WORKDIR/cow.img"
		SNAPTEST_EXTRA_IMG=$WORKDIR/cow.img
	fi
	SNAPTEST_ROOT_DEV=/dev/mapper/snaproot
	SNAPTEST_APPEND="${SNAPTEST_APPEND:+$SNAPTEST_APPEND }rd.snap.overlay=snaproot,/dev/vda,$cow"
}

# merge_cut_short: a snapshot (rollback_setup, take_snapshot b1-snapshot)
# after which the guest writes F and 32 MiB more; the next boot (b2-cut)
# keeps the changes and begins to merge, and the power is cut a second and
# a half in (its root disk takes 8 MB/s of writes, so that the merge takes
# 4 s or more). Sets TO_MERGE: the KiB that merge began with.
merge_cut_short() {
	rollback_setup
	take_snapshot b1-snapshot "snaptest.fill=32"
	SNAPTEST_ROOT_OPTS=throttling.bps-write=8000000 SNAPTEST_KILL_DELAY=1.5 \
		boot b2-cut check "" 'snapresume: overlay snaproot: merging the changes since the snapshot'
	[ "$BOOT_END" = killed ] || fail "no merge to cut the power in (boot ended by $BOOT_END)"
	expect_not 'merged into /dev/vda' "the merge finished before the power cut"
	TO_MERGE=$(merge_began_with)
}

# merge_began_with: the KiB of changes LOG's merge of snaproot began with.
merge_began_with() {
	sed -n 's/.*overlay snaproot: merging the changes since the snapshot (\([0-9]*\) KiB).*/\1/p' "$LOG" | head -n 1
}

# root_4k: the root file system on 4 KiB blocks (ROOT_TEMPLATE_4K), as a
# store on zram needs: it takes no write smaller than 4 KiB.
root_4k() {
	cp --sparse=always "$ROOT_TEMPLATE_4K" "$ROOT_IMG" || fail "cannot copy the 4 KiB root"
}

# take_snapshot LABEL [APPEND]: a boot where snapwrite snapshot takes the
# snapshot and the guest runs on: writes F, lets the workload's counter go
# on, and powers off (after_snapshot in the guest). Sets BEFORE_* as
# hibernate does, and POST_COUNTER (the counter when the guest went down).
take_snapshot() {
	boot "$1" hibernate "snaptest.cmd=snapshot ${2:-}"
	expect '^SNAPTEST: before hibernate' "the guest did not get to the snapshot"
	expect 'snapwrite: image committed' "snapwrite did not commit the image"
	expect 'snapwrite: snapshot .* taken in' "snapwrite did not report the snapshot"
	expect '^SNAPTEST: snapshot taken, running on' "the guest did not run on after the snapshot"
	expect_not 'Aborting journal|EXT4-fs error|EXT4-fs warning|getblk\(\): invalid block size|Buffer I/O error' \
		"the root file system broke under the snapshot"
	expect '^SNAPTEST: status overlay_snaproot: snapshot, COW [0-9]+ of [0-9]+ MiB used' \
		"snapwrite status does not show the overlay as a snapshot with its COW usage"
	expect_result running_on yes
	expect_result f present
	BEFORE_PID=$(result pid)
	BEFORE_COUNTER=$(result counter_before)
	POST_COUNTER=$(result counter_post)
	BEFORE_TMPFS=$(sed -n 's/^SNAPTEST: tmpfs file sha256=//p' "$LOG")
	if [ -z "$BEFORE_PID" ] || [ -z "$BEFORE_COUNTER" ] || [ -z "$POST_COUNTER" ]; then
		fail "could not read the workload state around the snapshot from ${LOG##*/}"
	fi
	[ "$POST_COUNTER" -gt "$BEFORE_COUNTER" ] ||
		fail "the workload did not run on after the snapshot ($BEFORE_COUNTER -> $POST_COUNTER)"
	note "snapshot: pid=$BEFORE_PID counter=$BEFORE_COUNTER, $POST_COUNTER when the guest went down"
}

# expect_back_at_snapshot: LOG resumed the snapshot: the workload is back
# at its state then (the counter below where it was when the guest went
# down) and F, written after the snapshot, is gone.
expect_back_at_snapshot() {
	expect_resumed
	expect_result f absent
	local after
	after=$(result counter_after)
	[ "$after" -lt "$POST_COUNTER" ] ||
		fail "the workload's counter went on from after the snapshot ($after >= $POST_COUNTER)"
}

# expect_fsck_clean: e2fsck on the root image finds nothing to fix.
expect_fsck_clean() {
	e2fsck -fn "$ROOT_IMG" > "$WORKDIR/fsck.log" 2>&1 ||
		fail "e2fsck on the root file system: $(tail -n 5 "$WORKDIR/fsck.log" | tr '\n' ' ')"
}

# expect_resumed [N]: LOG is a boot that must have resumed the image written
# by the last hibernate: same workload process, memory intact, counter went
# on, tmpfs file unchanged; N file systems (default 1, the root) checked.
expect_resumed() {
	local fs="${1:-1} file systems"
	[ "${1:-1}" = 1 ] && fs="1 file system"
	expect 'snapresume: resuming image' "snapresume did not resume the image"
	expect "snapresume: $fs unchanged since the snapshot" \
		"snapresume did not check the mounted file systems against the snapshot"
	expect_not '^SNAPTEST: fresh boot' "the guest booted fresh instead of resuming"
	expect '^SNAPTEST: resumed' "the hibernated system did not come back"
	expect 'snapwrite: resumed' "snapwrite did not report the resume"
	expect_result resumed yes
	expect_result pid "$BEFORE_PID"
	expect_result alive yes
	expect_result verify ok
	expect_result tmpfs ok
	expect_result tmpfs_sha256 "$BEFORE_TMPFS"
	local after
	after=$(result counter_after)
	if [ -z "$after" ] || [ "$after" -le "$BEFORE_COUNTER" ]; then
		fail "workload counter did not go on: before=$BEFORE_COUNTER after=${after:-<none>}"
	fi
	note "resumed: pid=$BEFORE_PID counter $BEFORE_COUNTER -> $after"
}

# flip_bytes FILE OFFSET COUNT: invert COUNT bytes of FILE at OFFSET in place.
flip_bytes() {
	local file=$1 off=$2 count=$3 b out=""
	for b in $(od -An -v -tx1 -j "$off" -N "$count" "$file"); do
		out+=$(printf '\\x%02x' $((0x$b ^ 0xff)))
	done
	printf '%b' "$out" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# ---- encrypted targets ---------------------------------------------------

# The test passphrase; LUKS_KEYFILE is the test key file the guest root
# and the test initramfs carry (tests/qemu/guest/image.key).
LUKS_PASS='snap test passphrase 7'
LUKS_KEYFILE=$SNAPTEST_DIR/guest/image.key
# What the guest prints when it asks (snapwrite --ask-password; snapresume).
ASK_WRITE='Passphrase for /dev/vdb: '
ASK_RESUME='Passphrase for the hibernation image on /dev/vdb: '
ASK_GIVE_UP="Type 'discard' to boot without resuming"

# luks_format passphrase|keyfile: make TARGET_IMG a LUKS2 volume opened by
# the test passphrase or by the test key file. A fast KDF, so that a boot
# under TCG does not spend minutes on it; users keep cryptsetup's argon2id.
# The cipher is aes-cbc-plain64 because its parts are built into Debian's
# kernels and the test guest's root has no kernel modules (the default
# aes-xts-plain64 needs xts.ko there; the initramfs has every cipher).
luks_format() {
	local key
	case $1 in
	passphrase) key=$WORKDIR/passphrase && printf '%s' "$LUKS_PASS" > "$key" ;;
	keyfile) key=$LUKS_KEYFILE ;;
	*) fail "luks_format: unknown kind '$1'" ;;
	esac
	cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 --hash sha256 --cipher aes-cbc-plain64 --key-size 256 \
		--key-file "$key" "$TARGET_IMG" > "$WORKDIR/luksformat.log" 2>&1 ||
		fail "cryptsetup luksFormat failed: $(tail -n 2 "$WORKDIR/luksformat.log" | tr '\n' ' ')"
	rm -f "$WORKDIR/passphrase"
}

# luks_marker: the image UUID in TARGET_IMG's image marker token, or
# nothing (read by the host's cryptsetup, as a user would).
luks_marker() {
	cryptsetup luksDump "$TARGET_IMG" 2> /dev/null | awk '
		/^Tokens:/ { t = 1; next }
		/^[A-Za-z]/ { t = 0 }
		t && /snapresume-image/ { m = 1 }
		END { if (m) print "present" }'
}

expect_marker() {
	[ "$(luks_marker)" = present ] || fail "host: no image marker token in the LUKS2 header after $1"
}

expect_no_marker() {
	[ -z "$(luks_marker)" ] || fail "host: the image marker token is still in the LUKS2 header after $1"
}

# expect_ciphertext: nothing of the image is readable on the raw target:
# neither a header magic nor a chunk header where chunk headers start (4 KiB
# boundaries; four random bytes match "SCHK" somewhere in a few hundred MB
# by chance, at a boundary hardly ever).
expect_ciphertext() {
	local hits
	hits=$(grep -a -b -o -E 'SNAPIMG|SNAPDEAD|SCHK' "$TARGET_IMG" |
		awk -F: '$2 != "SCHK" || $1 % 4096 == 0' | head -n 3 | tr '\n' ' ')
	[ -z "$hits" ] || fail "host: image structures readable in the clear on the LUKS2 target: $hits"
}

# expect_secret_unlogged: the passphrase never reached a console log.
expect_secret_unlogged() {
	if grep -q -F -- "$LUKS_PASS" "$WORKDIR"/*.log; then
		fail "the passphrase appears in a console log"
	fi
}

# guest_modules MODULE...: put the kernel under test's MODULEs, and the
# modules they depend on, into the guest root's /lib/modules/KVER with the
# list snaptest.load that the guest's init loads in order with insmod
# (modules_unpack; the guest root has no module tools of its own).
guest_modules() {
	local dir=$WORKDIR/modules m out
	out=$(modules_unpack "$dir" "$@") || fail "$out"
	{
		echo "mkdir /lib/modules"
		echo "mkdir /lib/modules/$KVER"
		while read -r m; do
			echo "write $dir/$m /lib/modules/$KVER/$m"
		done < "$dir/snaptest.load"
		echo "write $dir/snaptest.load /lib/modules/$KVER/snaptest.load"
	} > "$dir/debugfs.cmd"
	debugfs -w -f "$dir/debugfs.cmd" "$ROOT_IMG" > "$dir/debugfs.log" 2>&1 ||
		fail "debugfs could not add the modules: $(tail -n 2 "$dir/debugfs.log")"
	note "guest modules: $(tr '\n' ' ' < "$dir/snaptest.load")"
}

# ---- Debian guests (lib/distro.sh) -----------------------------------------

# distro_tpm2_enroll GENERATOR PCRS: a Debian guest (distro_guest first)
# whose target is a LUKS2 volume opened by the test passphrase
# (luks_format passphrase) gets a software TPM for this and every later
# boot (SNAPTEST_SWTPM_DIR, its state kept between them). One boot enrolls
# it as a user does (systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=PCRS
# in the guest) and rebuilds the initramfs there with GENERATOR (dracut or
# initramfs-tools); the later boots start that initramfs (INITRD). snapwrite
# check in the guest must find the plugin in it, and the host's listing of
# it the plugin and the libraries it loads by name.
distro_tpm2_enroll() {
	local gen=$1 pcrs=$2 f
	# shellcheck disable=SC2034 # read by vm_boot_once
	SNAPTEST_SWTPM_DIR=$WORKDIR/tpm
	(umask 077 && printf '%s' "$LUKS_PASS" > "$WORKDIR/luks-pass")
	printf 'cd /root\nwrite %s luks-pass\n' "$WORKDIR/luks-pass" > "$WORKDIR/debugfs-pass.cmd"
	debugfs -w -f "$WORKDIR/debugfs-pass.cmd" "$ROOT_IMG" > "$WORKDIR/debugfs-pass.log" 2>&1 ||
		fail "debugfs could not put the passphrase into the guest root"
	rm -f "$WORKDIR/luks-pass"
	SNAPTEST_BOOT_TIMEOUT=600 boot b0-enroll tpm2-enroll "snaptest.pcrs=$pcrs snaptest.gen=$gen"
	expect '^SNAPTEST: tpm: /dev/tpm0 /dev/tpmrm0' "the guest has no TPM device"
	expect_result enrolled yes
	expect_result initramfs_rc 0
	expect '^SNAPTEST: status: tokens: systemd-tpm2 token_plugins: /.*/cryptsetup/libcryptsetup-token-systemd-tpm2\.so' \
		"snapwrite status does not list the systemd-tpm2 token and its plugin"
	expect '^SNAPTEST: check: ok +luks2-token-[0-9]+: /dev/vdb token [0-9]+ \(systemd-tpm2\): .* has its plugin libcryptsetup-token-systemd-tpm2\.so' \
		"snapwrite check does not see the systemd-tpm2 plugin in the rebuilt initramfs"
	debugfs -R "dump /boot/initrd.img-$KVER $WORKDIR/initrd-tpm2.img" "$ROOT_IMG" > "$WORKDIR/debugfs-initrd.log" 2>&1
	[ -s "$WORKDIR/initrd-tpm2.img" ] || fail "cannot take the rebuilt initramfs out of the guest root"
	# shellcheck disable=SC2034 # read by vm_boot
	INITRD=$WORKDIR/initrd-tpm2.img
	lsinitrd "$INITRD" > "$WORKDIR/initrd-tpm2.files" 2>&1 || fail "lsinitrd cannot list the rebuilt initramfs"
	for f in cryptsetup/libcryptsetup-token-systemd-tpm2.so libtss2-esys.so.0 libtss2-sys.so.1 libtss2-rc.so.0 libtss2-mu.so.0 \
		libtss2-tcti-device.so.0; do
		grep -q -F -- "$f" "$WORKDIR/initrd-tpm2.files" || fail "the rebuilt initramfs has no $f (initrd-tpm2.files)"
	done
	note "initramfs with the TPM2 token plugin: $(grep -c -E 'libtss2|libcryptsetup-token' "$WORKDIR/initrd-tpm2.files") files"
}

# distro_hibernate_resume LABEL [APPEND [BEFORE_RESUME]]: on a Debian guest (distro_guest first):
# "systemctl hibernate" writes the image through snapwrite (after a direct
# "snapwrite hibernate" was refused for a block inhibitor), the machine
# powers off; the next boot's initramfs resumes it: the workload is intact,
# the journal has the resume with both sides' timings, the sleep hook ran.
# APPEND goes on both boots' command lines; DISTRO_ANSWERS (pairs, as
# SNAPTEST_ANSWERS) are typed on the console of each. DISTRO_ACTION is the
# driver's action of the first boot (default hibernate; platform-refuse
# does its own part first).
# before_workload: BEFORE_PID and BEFORE_COUNTER from LOG's "before
# hibernate" line (either guest).
before_workload() {
	BEFORE_PID=$(sed -n 's/^SNAPTEST: before hibernate pid=\([0-9]*\) .*/\1/p' "$LOG")
	BEFORE_COUNTER=$(sed -n 's/^SNAPTEST: before hibernate .*counter=\([0-9]*\)$/\1/p' "$LOG")
}

DISTRO_ANSWERS=()
DISTRO_ACTION=hibernate
distro_hibernate_resume() {
	SNAPTEST_ANSWERS=("${DISTRO_ANSWERS[@]}")
	boot "$1-hibernate" "$DISTRO_ACTION" "${2:-}"
	expect '^SNAPTEST: before hibernate' "the guest did not get to the hibernation"
	expect '^SNAPTEST: direct: snapwrite: Sleep is inhibited by snaptest \(testing inhibitors' \
		"snapwrite called directly did not honour the block inhibitor"
	expect '^SNAPTEST: running systemctl hibernate' "the guest did not run systemctl hibernate"
	expect_not '^SNAPTEST: RESULT' "the guest did not power off after systemctl hibernate"
	before_workload

	SNAPTEST_ANSWERS=("${DISTRO_ANSWERS[@]}")
	# BEFORE_RESUME: what changes for the resume boot (answers to type,
	# QEMU options).
	[ -z "${3:-}" ] || "$3"
	boot "$1-resume" check "${2:-}"
	expect 'snapresume: resuming image' "the initramfs did not resume the image"
	expect_not '^SNAPTEST: fresh boot' "the guest booted fresh instead of resuming"
	expect '^SNAPTEST: service: .*snapwrite: freezing the system' \
		"systemd-hibernate.service did not run snapwrite"
	expect '^SNAPTEST: service: .*snapwrite: resumed \(image' \
		"snapwrite in systemd-hibernate.service did not report the resume"
	expect_result resumed yes
	expect_result pid "$BEFORE_PID"
	expect_result alive yes
	expect_result verify ok
	expect_result tmpfs ok
	expect_result hook ok
	expect_result direct_rc 1
	expect '^SNAPTEST: journal: Resumed from snapresume image .*written in [0-9.]+ s, restored in [0-9.]+ s' \
		"the journal has no resume entry with the timings"
	expect '^SNAPTEST: field: SNAPRESUME_RESTORE_USEC=[1-9]' "the journal entry lacks the restore time"
	local after
	after=$(result counter_after)
	[ "${after:-0}" -gt "$BEFORE_COUNTER" ] || fail "workload counter did not go on ($BEFORE_COUNTER -> $after)"
}

# An EFI system partition as every UEFI install has one: vfat (FAT32) on
# /dev/vdc, in fstab at /boot/efi (no fsck: the guest has no dosfstools).
ESP_SERIAL=5EF1C0DE
esp_in_fstab() {
	local tree=$1
	mkdir -p "$tree/boot/efi"
	echo "UUID=5EF1-C0DE /boot/efi vfat umask=0077 0 0" >> "$tree/etc/fstab"
}

# esp_image: the ESP's image, $WORKDIR/esp.img (/dev/vdc), with a boot
# loader's files written as on a machine (by mtools: nothing is mounted).
esp_image() {
	local f
	truncate -s 64M "$WORKDIR/esp.img"
	mkfs.vfat -F 32 -s 1 -i "$ESP_SERIAL" -n ESP "$WORKDIR/esp.img" > /dev/null 2>&1 ||
		fail "mkfs.vfat of the ESP failed"
	mkdir -p "$WORKDIR/esp-files"
	head -c 300000 /dev/urandom > "$WORKDIR/esp-files/grubx64.efi"
	echo "search.fs_uuid 0000 root" > "$WORKDIR/esp-files/grub.cfg"
	for f in grubx64.efi grub.cfg; do
		MTOOLS_SKIP_CHECK=1 mmd -D s -i "$WORKDIR/esp.img" ::EFI ::EFI/debian > /dev/null 2>&1
		MTOOLS_SKIP_CHECK=1 mcopy -o -i "$WORKDIR/esp.img" "$WORKDIR/esp-files/$f" "::EFI/debian/$f" ||
			fail "mcopy $f into the ESP failed"
	done
	# shellcheck disable=SC2034 # read by vm_boot
	SNAPTEST_EXTRA_IMG=$WORKDIR/esp.img
}

# expect_esp_file PATH: the guest's check action listed PATH under
# /boot/efi with the sum of $WORKDIR/esp-files/NAME (its base name).
expect_esp_file() {
	local sum
	sum=$(sha256sum < "$WORKDIR/esp-files/${1##*/}" | cut -d ' ' -f 1)
	expect "^SNAPTEST: esp: \\./$1 $sum\$" "/boot/efi/$1 is missing or changed"
}

# xfs_btrfs_target: the target a 1 GiB GPT disk: vdb1 (256 MiB) for the
# image, an xfs on vdb2 and a btrfs on vdb3 (each made in a file of its own,
# then copied into its partition); the guest gets their modules.
xfs_btrfs_target() {
	SNAPTEST_TARGET_MIB=1024
	truncate -s 1G "$TARGET_IMG"
	printf 'label: gpt\nsize=256MiB, type=linux\nsize=320MiB, type=linux\nsize=256MiB, type=linux\n' |
		sfdisk -q "$TARGET_IMG" > "$WORKDIR/sfdisk.log" 2>&1 || fail "sfdisk failed: $(cat "$WORKDIR/sfdisk.log")"
	put_fs() { # PARTITION MKFS...
		local part=$1 start size
		shift
		start=$(sfdisk -J "$TARGET_IMG" | python3 -c "import json,sys; p=json.load(sys.stdin)['partitiontable']['partitions'][$part-1]; print(p['start'], p['size'])")
		size=${start#* }
		start=${start% *}
		truncate -s 0 "$WORKDIR/part.img"
		truncate -s $((size * 512)) "$WORKDIR/part.img"
		"$@" "$WORKDIR/part.img" > "$WORKDIR/mkfs-$part.log" 2>&1 || fail "$1 failed: $(cat "$WORKDIR/mkfs-$part.log")"
		dd if="$WORKDIR/part.img" of="$TARGET_IMG" bs=512 seek="$start" conv=notrunc,sparse status=none ||
			fail "could not copy partition $part"
		rm -f "$WORKDIR/part.img"
	}
	put_fs 2 mkfs.xfs -q -f
	put_fs 3 mkfs.btrfs -q -f
	guest_modules crc32c_generic xfs btrfs
}

# ---- the other sleep verbs: S3 and S4 (Debian guests) ----------------------

# S3 and S4 of QEMU's i440fx (its PIIX4 power management), on or off for
# the guest (SNAPTEST_QEMU_ARGS). QEMU 7.2 offers both by default; the
# scenarios say which they need. no_console_suspend keeps the serial
# console on while the kernel enters a sleep state, so that its lines on
# the way in (e.g. "ACPI: PM: Preparing to enter system sleep state S4")
# reach the log before QEMU stops or exits.
SLEEP_S3_ARGS="-global PIIX4_PM.disable_s3=0"
SLEEP_NO_S3_ARGS="-global PIIX4_PM.disable_s3=1"
SLEEP_S4_ARGS="-global PIIX4_PM.disable_s4=0"
SLEEP_NO_S4_ARGS="-global PIIX4_PM.disable_s4=1"
SLEEP_APPEND="no_console_suspend"

# expect_power ERE WHAT: the guest's power events the host saw in the last
# boot (LOG.power, written by lib/qmp.py watch: SNAPTEST_ON_SUSPEND) must
# have a line matching ERE.
expect_power() {
	grep -q -E -- "$1" "$LOG.power" 2> /dev/null ||
		fail "$2 (no line matching /$1/ in ${LOG##*/}.power: $(tr '\n' ';' < "$LOG.power" 2> /dev/null))"
}

# expect_power_not ERE WHAT: no such line.
expect_power_not() {
	local line
	line=$(grep -m 1 -E -- "$1" "$LOG.power" 2> /dev/null) || return 0
	fail "$2 (${LOG##*/}.power: $line)"
}

# power_gap FROM TO: seconds from the first FROM event of LOG.power to the
# first TO event after it (empty when there is none).
power_gap() {
	awk -v a="$1" -v b="$2" '$2 == a && t == "" { t = $1; next }
		t != "" && $2 == b { printf "%d\n", $1 - t; exit }' "$LOG.power" 2> /dev/null
}

# sleep_boot LABEL VERB ON_SUSPEND [APPEND]: a Debian guest (distro_guest
# first) with S3 runs "systemctl VERB" (the driver's sleep action) with the
# workload running, while the host watches its power events and does
# ON_SUSPEND when it first enters S3 (SNAPTEST_ON_SUSPEND: "watch",
# "wake SECONDS" or "kill"). Checks that the verb goes through
# snapwrite-sleep and that the guest reached S3 (QMP: SUSPEND, and
# query-status said suspended). Sets BEFORE_PID and BEFORE_COUNTER.
sleep_boot() {
	local label=$1 verb=$2 on=$3
	SNAPTEST_QEMU_ARGS=$SLEEP_S3_ARGS
	SNAPTEST_ON_SUSPEND=$on
	boot "$label" sleep "snaptest.verb=$verb $SLEEP_APPEND${4:+ $4}"
	SNAPTEST_ON_SUSPEND=
	expect '^SNAPTEST: sleep states: state=\[[^]]*mem[^]]*\] mem_sleep=\[.*deep' "the guest does not offer S3 (deep)"
	expect "^SNAPTEST: $verb ExecStart=/usr/lib/snapresume/snapwrite-sleep $verb\$" \
		"systemd-$verb.service does not run snapwrite-sleep $verb"
	expect '^SNAPTEST: before hibernate' "the guest did not start its workload"
	expect "^SNAPTEST: running systemctl $verb" "the guest did not run systemctl $verb"
	before_workload
	if [ -z "$BEFORE_PID" ] || [ -z "$BEFORE_COUNTER" ]; then
		fail "could not read the workload's pid and counter from ${LOG##*/}"
	fi
	expect_power '^[0-9.]+ SUSPEND$' "the guest never entered S3 (no SUSPEND event on the monitor)"
	expect_power '^[0-9.]+ status suspended$' "query-status did not say suspended after the SUSPEND event"
	note "$label: power events: $(tr '\n' ';' < "$LOG.power")"
}

# expect_sleep_result: the guest's report (action sleep) of a system that
# slept and came back (woken, or resumed): the same workload, alive, its
# memory intact, its counter gone on, the tmpfs file unchanged, the hooks
# run as "pre VERB" and "post VERB".
expect_sleep_result() {
	expect_result action sleep
	expect_result returned yes
	expect_result pid "$BEFORE_PID"
	expect_result alive yes
	expect_result verify ok
	expect_result tmpfs ok
	expect_result hook ok
	local after
	after=$(result counter_after)
	[ "${after:-0}" -gt "$BEFORE_COUNTER" ] || fail "workload counter did not go on ($BEFORE_COUNTER -> ${after:-<none>})"
	note "came back: pid=$BEFORE_PID counter $BEFORE_COUNTER -> $after"
}

# expect_ran_on: LOG is one boot all through: the system was woken and
# ran on, nothing was resumed.
expect_ran_on() {
	[ "$(grep -c '^SNAPTEST: fresh boot' "$LOG")" = 1 ] || fail "the guest booted more than once in ${LOG##*/}"
	expect_no_resume_attempt
	expect_result resumed no
	expect_sleep_result
}
