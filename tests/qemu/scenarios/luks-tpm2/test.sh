# shellcheck shell=bash
# Issue 27: a LUKS2 target enrolled in the TPM2 as users do it, inside a
# Debian 12 guest with systemd and dracut (a software TPM, swtpm):
# systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7, no key file in
# /etc/snapresume.conf, the initramfs rebuilt with dracut -f. It must carry
# the systemd-tpm2 plugin and the tpm2-tss libraries it loads; snapwrite
# opens the volume with the token when hibernating, and the resume boot
# unlocks it with the token: no passphrase asked, the workload intact.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd
luks_format passphrase
distro_tpm2_enroll dracut 7
distro_hibernate_resume b1
expect 'snapresume: /dev/vdb unlocked with a LUKS2 token' \
	"the initramfs did not unlock the image with the TPM2 token"
expect_not 'no LUKS2 token unlocked' "the TPM2 token failed in the initramfs"
expect_not "$ASK_RESUME" "the initramfs asked for the passphrase"
expect '^SNAPTEST: service: .*snapwrite: /dev/vdb unlocked with a LUKS2 token' \
	"snapwrite did not open the target with the TPM2 token when hibernating"
expect_no_marker b1-resume
expect_ciphertext
