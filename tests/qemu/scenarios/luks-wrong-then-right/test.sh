# shellcheck shell=bash
# Two wrong passphrases, then the right one: each wrong one is reported and
# asked again, the image is kept throughout, and the guest resumes.
#
# kernels: 6.1
# full-kernels: 6.1 6.12

luks_format passphrase

SNAPTEST_ANSWERS=("$ASK_WRITE" "$LUKS_PASS")
hibernate b1-hibernate "snaptest.mib=48 snaptest.swopt=--ask-password"
expect_marker b1-hibernate

SNAPTEST_ANSWERS=("$ASK_RESUME" "wrong one" "$ASK_RESUME" "wrong two" "$ASK_RESUME" "$LUKS_PASS")
boot b2-resume check
expect 'snapresume: wrong passphrase for /dev/vdb \(try 1 of 3\)' "the first wrong passphrase was not reported"
expect 'snapresume: wrong passphrase for /dev/vdb \(try 2 of 3\)' "the second wrong passphrase was not reported"
expect_not 'try 3 of 3' "the right passphrase was reported wrong"
expect_not 'invalidated' "an image was invalidated on the way"
expect 'snapresume: /dev/vdb unlocked$' "the right passphrase did not unlock the volume"
expect_resumed
expect_no_marker b2-resume
expect_secret_unlogged
