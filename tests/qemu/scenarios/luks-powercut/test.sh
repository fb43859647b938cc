# shellcheck shell=bash
# Power cut while snapwrite writes into a LUKS2 volume: the marker is
# already set, the image inside is not committed. The next boot unlocks
# (key file), finds no image, removes the marker, closes the mapping and
# boots fresh with the files on disk intact; the boot after asks nothing.
#
# kernels: 6.12

luks_format keyfile

boot b1-torn hibernate "snaptest.mib=48 snaptest.conf=/dev/vdb snaptest.confline=keyfile=/etc/snapresume/image.key" \
	'snapwrite: progress'
[ "$BOOT_END" = killed ] || fail "no 'snapwrite: progress' line to cut the power on (boot ended by $BOOT_END)"
expect_not 'snapwrite: image committed' "the power cut came after the commit"
expect_marker b1-torn

boot b2-boot check
expect 'snapresume: /dev/vdb unlocked with key file' "snapresume did not unlock the marked volume"
expect 'snapresume: no image on /dev/mapper/snapresume-image' "snapresume did not see that the image was never committed"
expect 'snapresume: closed /dev/mapper/snapresume-image' "snapresume did not close the mapping"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_no_marker b2-boot

boot b3-boot check
expect 'snapresume: no image in the encrypted volume /dev/vdb' "the marker came back"
expect_fresh_boot
