# shellcheck shell=bash
# Encryption by default where the system is encrypted: with a dm-crypt
# volume active (its key in memory, so in any image) a plain target is
# refused before the freeze, naming the volume; with encryption=optional
# the same guest hibernates and resumes.
#
# kernels: none
# full-kernels: 6.12

truncate -s 64M "$WORKDIR/crypt.img"
SNAPTEST_EXTRA_IMG=$WORKDIR/crypt.img
boot b1-refused hibernate "snaptest.setup=dmcrypt snaptest.mib=16"
expect "snapwrite: Refusing to write a memory image unencrypted to '/dev/vdb': dm-crypt volumes are active \\(snaptest-crypt\\)" \
	"snapwrite did not refuse a plain target while a dm-crypt volume is active"
expect_not 'snapwrite: freezing' "snapwrite froze the system although it refused"
expect_result hibernated no
expect_result snapwrite_rc 3
expect_result alive yes

hibernate b2-optional "snaptest.setup=dmcrypt snaptest.confline=encryption=optional"
boot b3-resume check
expect_resumed
