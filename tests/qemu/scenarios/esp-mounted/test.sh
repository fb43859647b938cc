# shellcheck shell=bash
# The usual UEFI layout: a vfat EFI system partition mounted at /boot/efi
# from fstab. "systemctl hibernate" guards it (a digest of its FATs and
# directories) instead of refusing it, and the next boot finds it
# unchanged and resumes, the workload intact.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd esp_in_fstab
esp_image
distro_hibernate_resume b1
expect 'snapresume: 2 file systems unchanged since the snapshot' \
	"snapresume did not check both / and the ESP"
