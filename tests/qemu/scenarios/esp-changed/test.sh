# shellcheck shell=bash
# The ESP written from outside between the hibernation and the resume (as
# a firmware update tool or another system would): the resume refuses,
# naming /boot/efi, invalidates the image and boots on; the fresh system
# has the ESP's new file and every file it had before, intact.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd esp_in_fstab
esp_image
boot b1-hibernate hibernate
expect '^SNAPTEST: running systemctl hibernate' "the guest did not run systemctl hibernate"
expect_not '^SNAPTEST: RESULT' "the guest did not power off after systemctl hibernate"

# Another system writes a file into the ESP (and so its FAT and a directory).
head -c 5000 /dev/urandom > "$WORKDIR/esp-files/fwupdate.cap"
MTOOLS_SKIP_CHECK=1 mcopy -i "$WORKDIR/esp.img" "$WORKDIR/esp-files/fwupdate.cap" ::EFI/fwupdate.cap ||
	fail "mcopy into the ESP failed"

boot b2-refused check
expect 'snapresume: .*/boot/efi \(vfat UUID=5EF1-C0DE\) on /dev/vdc: its FAT, a directory or its boot sector changed since the snapshot' \
	"snapresume did not refuse the image for the changed ESP"
expect_not 'snapresume: resuming image' "snapresume resumed over a changed ESP"
expect_result fresh yes
expect_esp_file EFI/fwupdate.cap
expect_esp_file EFI/debian/grubx64.efi
expect_esp_file EFI/debian/grub.cfg
