# shellcheck shell=bash
# Wrong passphrases until the tries (rd.snap.tries=2) run out; snapresume
# asks what to do and the answer is "discard": the boot goes on without
# resuming, the image is invalidated (its marker removed) with a message,
# the files on disk are intact, and the next boot asks nothing.
#
# kernels: 6.1
# full-kernels: 6.1 6.12

luks_format passphrase

SNAPTEST_ANSWERS=("$ASK_WRITE" "$LUKS_PASS")
hibernate b1-hibernate "snaptest.mib=48 snaptest.swopt=--ask-password"
expect_marker b1-hibernate

SNAPTEST_ANSWERS=("$ASK_RESUME" "wrong one" "$ASK_RESUME" "wrong two" "$ASK_GIVE_UP" "discard")
boot b2-give-up check rd.snap.tries=2
expect 'snapresume: wrong passphrase for /dev/vdb \(try 2 of 2\)' "the tries were not counted"
expect 'snapresume: the image on /dev/vdb could not be unlocked' "snapresume did not say it gave up"
expect "$ASK_GIVE_UP" "snapresume did not ask before dropping the image"
expect 'snapresume: image [0-9a-f-]+ in /dev/vdb invalidated; booting without resuming' \
	"snapresume did not say the image was invalidated"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_no_marker b2-give-up
expect_secret_unlogged

boot b3-boot check
expect 'snapresume: no image in the encrypted volume /dev/vdb' "the next boot did not see an empty volume"
expect_not 'Passphrase for' "the next boot asked for a passphrase with no image to unlock"
expect_fresh_boot
expect_result rootfile ok
