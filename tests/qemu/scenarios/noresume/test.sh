# shellcheck shell=bash
# A valid image and "noresume" on the command line: the boot is fresh and the
# image is invalidated, so it cannot be resumed later by surprise.

hibernate b1-hibernate
expect_state_valid b1-hibernate

boot b2-noresume check noresume
expect 'snapresume: .*noresume' "snapresume did not acknowledge noresume"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
expect_state_not_valid b2-noresume
