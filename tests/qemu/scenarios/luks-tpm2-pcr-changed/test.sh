# shellcheck shell=bash
# luks-tpm2 after a firmware change: the TPM2 token is bound to PCRs 1 and 7
# (systemd-cryptenroll --tpm2-pcrs=1+7). The firmware (SeaBIOS) measures
# the SMBIOS tables into PCR 1; the resume boot has one more SMBIOS string
# (type 11, as a firmware setting or update changes them), so PCR 1
# differs and the TPM refuses the token. snapresume says so in one line,
# falls through to the passphrase, which the harness types, and resumes.
#
# kernels: none
# full-kernels: 6.12

distro_guest dracut-systemd
luks_format passphrase
distro_tpm2_enroll dracut 1+7

# shellcheck disable=SC2034 # read by vm_boot_once
firmware_changed() {
	SNAPTEST_QEMU_ARGS="-smbios type=11,value=snaptest-firmware-changed"
	SNAPTEST_ANSWERS=("$ASK_RESUME" "$LUKS_PASS")
}
distro_hibernate_resume b1 "" firmware_changed
expect 'snapresume: no LUKS2 token unlocked /dev/vdb: token [0-9]+ \(systemd-tpm2\) refused .*the PCRs it is bound to changed' \
	"snapresume did not say that the TPM2 token was refused"
[ "$(grep -c 'no LUKS2 token unlocked' "$LOG")" = 1 ] || fail "more than one line about the failed token"
expect "$ASK_RESUME" "the initramfs did not ask for the passphrase after the token failed"
expect 'snapresume: /dev/vdb unlocked$' "the passphrase did not unlock the volume"
expect_no_marker b1-resume
expect_secret_unlogged
