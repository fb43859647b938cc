# shellcheck shell=bash
# A LUKS2 target opened by a key file on both sides: snapwrite's keyfile=
# in /etc/snapwrite.conf, and the same key carried in the initramfs by the
# dracut module (keyfile= in /etc/snapresume.conf). Nothing is asked; the
# image is ciphertext on disk; the marker token comes and goes with it.

luks_format keyfile
expect_no_marker "luksFormat"

hibernate b1-hibernate "snaptest.mib=48 snaptest.conf=/dev/vdb snaptest.confline=keyfile=/etc/snapresume/image.key"
expect 'snapwrite: writing image to /dev/mapper/snapwrite-image' \
	"snapwrite did not write into its own mapping of the volume"
expect_marker b1-hibernate
expect_ciphertext
s=$(status_state b1-hibernate)
[ "$s" = locked ] || fail "host: snapwrite status says '${s:-<none>}' of the locked volume, expected locked"

boot b2-resume check
expect 'snapresume: image [0-9a-f-]+ is in the encrypted volume /dev/vdb' \
	"snapresume did not find the marked image"
expect 'snapresume: /dev/vdb unlocked with key file /etc/snapresume/image.key' \
	"the key file in the initramfs did not unlock the volume"
expect_not 'Passphrase for' "a passphrase was asked although the key file opens the volume"
expect_resumed
expect_no_marker b2-resume
s=$(status_state b2-resume)
[ "$s" = none ] || fail "host: snapwrite status says '${s:-<none>}' after the resume, expected none"

# The resumed system closed the mapping snapwrite had opened.
expect_not 'snapwrite: Failed to' "snapwrite reported a failure after the resume"
