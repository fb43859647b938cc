# shellcheck shell=bash
# A guarded file system the initramfs cannot see: /home on a LUKS2 volume
# (/dev/vdc) that the Debian guest opens only after the switch to the real
# root (crypttab with a key file on the root, no rd.luks.* and no
# crypttab in the generic dracut image). Every resume would be refused for
# want of /home, so "systemctl hibernate" fails before the freeze, naming
# /home and the fix, and "snapwrite check" says the same. With the fix
# (rd.luks.uuid= and rd.luks.name= on the command line: the initramfs asks
# for the passphrase, typed here) the guest hibernates and resumes with
# /home mounted, a file written there before the hibernation intact.
#
# kernels: none
# full-kernels: 6.12

HOME_LUKS_UUID=5e1f0c2a-7d3b-4c8e-9a61-2b4d6f8e0a13
HOME_FS_UUID=0b6d2f4e-8a1c-4e3b-b5d7-9c2e4a6f8d10
HOME_PASS=snaptest-home-passphrase

# The guest tree: /home from /dev/vdc, unlocked by its key file on the
# root after the switch-root (added after dracut made the image, as a
# user adds a volume to an installed system). The target stays plain
# (encryption=optional: /home's key would be in the image).
home_after_switch_root() {
	local tree=$1
	printf 'snaptest-home-key-file' > "$tree/etc/home.key"
	chmod 0600 "$tree/etc/home.key"
	echo "home UUID=5e1f0c2a-7d3b-4c8e-9a61-2b4d6f8e0a13 /etc/home.key luks" > "$tree/etc/crypttab"
	echo "UUID=0b6d2f4e-8a1c-4e3b-b5d7-9c2e4a6f8d10 /home ext4 defaults 0 2" >> "$tree/etc/fstab"
	# The target stays plain: encryption is not what this is about.
	echo "encryption=optional" >> "$tree/etc/snapwrite.conf"
}
distro_guest dracut-systemd home_after_switch_root

# The volume: an ext4 with a marker, encrypted in place (offline, no
# device-mapper needed) with the same key file, and a passphrase too.
mkdir -p "$WORKDIR/home-tree"
echo "home of snaptest" > "$WORKDIR/home-tree/marker"
truncate -s 64M "$WORKDIR/home.img"
mkfs.ext4 -q -F -U "$HOME_FS_UUID" -d "$WORKDIR/home-tree" "$WORKDIR/home.img" 48M ||
	fail "mkfs.ext4 of /home failed"
printf 'snaptest-home-key-file' > "$WORKDIR/home.key"
cryptsetup reencrypt -q --encrypt --type luks2 --reduce-device-size 16M --uuid "$HOME_LUKS_UUID" \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$WORKDIR/home.key" \
	"$WORKDIR/home.img" > "$WORKDIR/luks.log" 2>&1 || fail "encrypting /home failed: $(cat "$WORKDIR/luks.log")"
printf '%s' "$HOME_PASS" | cryptsetup luksAddKey -q --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
	--key-file "$WORKDIR/home.key" "$WORKDIR/home.img" - > "$WORKDIR/luks.log" 2>&1 ||
	fail "adding the passphrase to /home failed: $(cat "$WORKDIR/luks.log")"
# shellcheck disable=SC2034 # read by vm_boot
SNAPTEST_EXTRA_IMG=$WORKDIR/home.img

fix="rd.luks.uuid=$HOME_LUKS_UUID rd.luks.name=$HOME_LUKS_UUID=home"
boot b1-refused hibernate
expect '^SNAPTEST: home: /dev/mapper/home marker=home of snaptest' "/home was not mounted from its LUKS2 volume"
expect "^SNAPTEST: service: .*snapwrite: /home \\(/dev/mapper/home\\) cannot be checked by the next boot: it is on the dm-crypt volume home \\(LUKS UUID $HOME_LUKS_UUID\\), which the initramfs /boot/initrd.img-[^ ]* does not unlock \\(add $fix to the kernel command line\\)" \
	"snapwrite did not refuse /home, naming the volume and the fix"
expect '^SNAPTEST: service: .*snapwrite: Refusing to hibernate: the next boot could not check every guarded file system' \
	"snapwrite did not say why it refused"
expect_not 'snapwrite: freezing' "snapwrite froze the system although the initramfs cannot see /home"
expect "^SNAPTEST: check: fail +fs-guard: /home \\(ext4, /dev/mapper/home\\) cannot be checked by the next boot: it is on the dm-crypt volume home" \
	"snapwrite check did not report /home"
expect '^SNAPTEST: check: ok +fs-guard: / \(ext4, /dev/vda\) is guarded' "snapwrite check did not report / as guarded"
expect_result hibernated no

# The fix: the initramfs unlocks /home (its passphrase typed at its
# prompt), snapresume waits for it and checks it.
# shellcheck disable=SC2034 # read by distro_hibernate_resume
DISTRO_ANSWERS=('passphrase for disk' "$HOME_PASS")
distro_hibernate_resume b2 "$fix"
expect_result home ok
expect '^SNAPTEST: home after resume: /dev/mapper/home marker=home of snaptest' \
	"/home is not mounted from its volume after the resume"
expect 'snapresume: 2 file systems unchanged since the snapshot' "snapresume did not check / and /home"
