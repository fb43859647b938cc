# shellcheck shell=bash
# "snapwrite setup" takes a fresh Debian guest (GRUB's configuration files
# installed, no /etc/snapwrite.conf, no resume= on the command line) from
# installed to working: --dry-run changes nothing; setup --yes erases the
# ext4 on the GPT partition only after naming it, writes target= and
# GRUB's drop-in, and update-grub puts resume=PARTUUID= into grub.cfg;
# update-initramfs rebuilt the initramfs; a second run changes nothing.
# The guest boots with -kernel: the next boots take the resume= words of
# the grub.cfg it generated, and the initramfs it rebuilt (read out of the
# root image), and "systemctl hibernate" resumes. setup --undo leaves /etc
# as it was before setup (compared with a copy), grub.cfg without resume=.
#
# kernels: none
# full-kernels: 6.12

partuuid=3a1c5e7d-2b4f-4c6a-9e8d-0f1a2b3c4d5e
printf 'label: gpt\nstart=2048, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=%s, name=snapimage\n' \
	"$partuuid" | sfdisk -q "$TARGET_IMG" > "$WORKDIR/sfdisk.log" 2>&1 ||
	fail "sfdisk could not partition the target: $(cat "$WORKDIR/sfdisk.log")"

# grub_installed TREE DIR: GRUB's tools and configuration files as Debian's
# grub-pc leaves them (grub-common, grub2-common; /etc/default/grub from
# its template), without a boot loader on a disk (the guest boots with
# -kernel); and no snapwrite configuration: a fresh machine.
grub_installed() {
	local tree=$1 dir=$2
	distro_fetch_deb grub-common
	cp "$DISTRO_FETCHED" "$tree/root/"
	distro_fetch_deb grub2-common
	cp "$DISTRO_FETCHED" "$tree/root/"
	# Their library dependencies for EFI are of no use here.
	in_tree "$tree" sh -c 'cd /root && dpkg --force-depends -i grub-common_*.deb grub2-common_*.deb' \
		> "$dir/grub-install.log" 2>&1 || return 1
	rm -f "$tree"/root/grub-common_*.deb "$tree"/root/grub2-common_*.deb
	cp "$tree/usr/share/grub/default/grub" "$tree/etc/default/grub" || return 1
	mkdir -p "$tree/boot/grub"
	rm -f "$tree/etc/snapwrite.conf"
}

# No resume= from the harness: the command line is what setup configured.
# shellcheck disable=SC2034 # read by base_cmdline
SNAPTEST_RESUME=
distro_guest initramfs-tools grub_installed
boot b1-setup setup "snaptest.setup_target=PARTUUID=$partuuid"
expect_result dry_rc 0
expect_result dry_same yes
expect '^SNAPTEST: dry-run: .*setup would erase' "--dry-run did not say what it would erase"
expect '^SNAPTEST: dry-run: would run: .*update-grub' "--dry-run did not name update-grub"
expect '^SNAPTEST: setup: /dev/vdb1 holds ext4 file system LABEL=oldfs.*: it will be erased' \
	"setup did not show what the target held before erasing it"
expect_result setup_rc 0
expect "^SNAPTEST: conf: target=PARTUUID=$partuuid\$" "setup did not write target= into /etc/snapwrite.conf"
expect "^SNAPTEST: dropin: GRUB_CMDLINE_LINUX=\"\\\$GRUB_CMDLINE_LINUX resume=PARTUUID=$partuuid\"\$" \
	"setup did not write GRUB's drop-in"
expect '^SNAPTEST: target blkid: DEVNAME=/dev/vdb1 ' "the guest did not probe the target after setup"
expect_not '^SNAPTEST: target blkid: (.* )?(TYPE|LABEL|UUID)=' "the target still holds a file system after setup"
expect_result initrd_rebuilt yes
expect '^SNAPTEST: again: snapwrite: already set up: nothing to change' "the second setup did not say it had nothing to do"
expect_result again_rc 0
expect_result again_same yes

# The command line the guest's grub.cfg gives the kernel under test.
linux=$(grep -m 1 -E "^SNAPTEST: grub.cfg: linux[[:space:]]+/boot/vmlinuz-${KVER//+/\\+} " "$LOG") ||
	fail "update-grub wrote no menu entry for $KVER into grub.cfg"
note "grub.cfg: $linux"
words=$(tr -s ' \t' '\n' <<< "$linux" | grep -E '^(resume|resume_offset)=' | tr '\n' ' ')
[ "$words" = "resume=PARTUUID=$partuuid " ] || fail "grub.cfg's entry has '$words', not resume=PARTUUID=$partuuid"

# The initramfs that update-initramfs rebuilt in the guest.
debugfs -R "dump /boot/initrd.img-$KVER $WORKDIR/initrd-rebuilt.img" "$ROOT_IMG" > /dev/null 2>&1
[ -s "$WORKDIR/initrd-rebuilt.img" ] || fail "no /boot/initrd.img-$KVER in the guest's root"
# shellcheck disable=SC2034 # read by vm_boot
INITRD=$WORKDIR/initrd-rebuilt.img
distro_hibernate_resume b2 "$words"

boot b3-undo setup-undo
expect '^SNAPTEST: undo: snapwrite: removed /etc/default/grub.d/snapresume.cfg' "--undo did not remove GRUB's drop-in"
expect_result undo_rc 0
expect_result etc_same yes
expect_result grub_resume 0
expect_result state gone
expect '^SNAPTEST: undo again: snapwrite: nothing to undo' "a second --undo did not say there was nothing to undo"
expect_result undo2_rc 0
