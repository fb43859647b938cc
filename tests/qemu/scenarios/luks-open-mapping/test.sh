# shellcheck shell=bash
# The LUKS2 volume is already open (cryptsetup open in the guest) and the
# target is given as that mapping: snapwrite writes into it as it is, finds
# the volume under it and marks it; snapresume unlocks the volume by
# resume=/dev/vdb and the key file, and the guest resumes.
#
# kernels: 6.1

luks_format keyfile

hibernate b1-hibernate "snaptest.mib=48 snaptest.preopen=userimg snaptest.target=/dev/mapper/userimg"
expect 'SNAPTEST: opened /dev/vdb as /dev/mapper/userimg' "the guest did not open the volume"
expect 'snapwrite: writing image to /dev/mapper/userimg' "snapwrite did not write into the open mapping"
expect_marker b1-hibernate
expect_ciphertext

boot b2-resume check
expect 'snapresume: /dev/vdb unlocked with key file' "snapresume did not unlock the volume"
expect_resumed
expect_no_marker b2-resume
