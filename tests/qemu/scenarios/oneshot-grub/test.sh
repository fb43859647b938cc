# shellcheck shell=bash
# oneshot_boot=yes with GRUB: before powering off, snapwrite makes the
# running kernel's menu entry the next boot's, in GRUB's environment block
# (next_entry, as grub-reboot does), although the configuration's default
# starts another kernel; the resumed system clears it again, and
# "snapwrite check" names the entry. (Without GRUB, check-command sees
# check say so.) The guest boots with -kernel: grubenv is read on the host.
#
# kernels: none
# full-kernels: 6.12

entry="gnulinux-advanced-snaproot>gnulinux-$KVER-advanced-snaproot"

# grubenv_next: next_entry= of the guest root's GRUB environment block.
grubenv_next() {
	debugfs -R "cat /boot/grub/grubenv" "$ROOT_IMG" 2> /dev/null | sed -n 's/^next_entry=//p'
}

hibernate b1-hibernate "snaptest.grub=1 snaptest.confline=oneshot_boot=yes"
expect '^SNAPTEST: grubenv before: *$' "the guest's GRUB environment block was not empty before"
expect "snapwrite: the next boot starts ${KVER//+/\\+} \\(GRUB entry '${entry//+/\\+}'\\)" \
	"snapwrite did not say it set the one-shot entry"
next=$(grubenv_next)
[ "$next" = "$entry" ] || fail "grubenv has next_entry='$next', not '$entry'"
note "grubenv after hibernate: next_entry=$next"

boot b2-resume check "snaptest.grub=1"
expect_resumed
[ -z "$(grubenv_next)" ] || fail "the resumed system left next_entry='$(grubenv_next)' in grubenv"

boot b3-check checkcmd "snaptest.grub=1"
expect "^SNAPTEST: check vdb: ok    bootloader: GRUB \\(/boot/grub/grub.cfg\\): the entry of ${KVER//+/\\+} is '${entry//+/\\+}'; hibernate makes it the next boot's \\(oneshot_boot=yes\\)" \
	"snapwrite check did not name the GRUB entry"
