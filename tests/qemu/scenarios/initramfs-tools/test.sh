# shellcheck shell=bash
# A Debian 12 guest with systemd, the project installed by make install,
# its initramfs built in the guest tree by update-initramfs: systemctl
# hibernate goes through snapwrite (the sleep hooks run, a block inhibitor
# stops a direct snapwrite), the initramfs resumes, the journal says so.
#
# kernels: 6.12
# full-kernels: 6.1 6.12

distro_guest initramfs-tools
distro_hibernate_resume b1
