# shellcheck shell=bash
# An image is resumed at most once: after a resume the next boot is fresh.
# The resume runs without read-ahead (rd.snap.readahead=0): the pipeline's
# small ring alone (hibernate-basic resumes with the default).

hibernate b1-hibernate
expect_state_valid b1-hibernate

boot b2-resume check rd.snap.readahead=0
expect 'snapresume: resuming image .*reading ahead up to 0 MiB' "rd.snap.readahead=0 was not taken"
expect_resumed
expect_state_not_valid b2-resume

boot b3-boot check
expect 'snapresume: ' "snapresume did not run"
expect_fresh_boot
expect_no_resume_attempt
expect_result rootfile ok
