# shellcheck shell=bash
# Hibernate with snapwrite, check the image offline on the host, resume it
# from the initramfs: the same workload process carries on with its memory
# intact and the tmpfs file unchanged.

hibernate b1-hibernate
expect_state_valid b1-hibernate
host_verify

boot b2-resume check
# The default read-ahead, sized from free memory (man snapresume).
expect 'snapresume: resuming image .*reading ahead up to [1-9][0-9]* MiB' "no read-ahead by default"
# snapwrite read this kernel's page list: the image says what loading it takes.
expect 'snapresume: resuming image .*the kernel takes [1-9][0-9]* MiB to load it' \
	"the image has no load_pages record (snapwrite did not understand the kernel's page list)"
expect_resumed
