# shellcheck shell=bash
# luks-tpm2 with an initramfs-tools image: the TPM2 token of a LUKS2 target
# (systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7 in the guest, a
# software TPM) unlocks the image in an initramfs made by
# update-initramfs -u, which must carry the systemd-tpm2 plugin and the
# tpm2-tss libraries it loads: no passphrase asked, the workload intact.
#
# kernels: none
# full-kernels: 6.12

distro_guest initramfs-tools
luks_format passphrase
distro_tpm2_enroll initramfs-tools 7
distro_hibernate_resume b1
expect 'snapresume: /dev/vdb unlocked with a LUKS2 token' \
	"the initramfs did not unlock the image with the TPM2 token"
expect_not 'no LUKS2 token unlocked' "the TPM2 token failed in the initramfs"
expect_not "$ASK_RESUME" "the initramfs asked for the passphrase"
expect_no_marker b1-resume
