# shellcheck shell=bash
# A LUKS2 target opened by a passphrase typed on the serial console, by
# snapwrite --ask-password when hibernating and in the initramfs when
# resuming. The initramfs's key file does not fit this volume: snapresume
# says so and asks. The passphrase is never echoed.
#
# kernels: 6.1
# full-kernels: 6.1 6.12

luks_format passphrase

SNAPTEST_ANSWERS=("$ASK_WRITE" "$LUKS_PASS")
hibernate b1-hibernate "snaptest.mib=48 snaptest.swopt=--ask-password"
expect 'snapwrite: writing image to /dev/mapper/snapwrite-image' \
	"snapwrite did not write into its own mapping of the volume"
expect_marker b1-hibernate
expect_ciphertext

SNAPTEST_ANSWERS=("$ASK_RESUME" "$LUKS_PASS")
boot b2-resume check
expect 'snapresume: key file /etc/snapresume/image.key does not unlock /dev/vdb: it matches no key slot' \
	"snapresume did not try the key file first"
expect 'snapresume: /dev/vdb unlocked$' "the passphrase did not unlock the volume"
expect_resumed
expect_no_marker b2-resume
expect_secret_unlogged
