# shellcheck shell=bash
# Keep the changes (the default when nothing is armed): after a snapshot
# the guest writes F and powers off; the next boot does not resume, merges
# the COW store into /dev/vda (snapshot-merge), ends with a linear mapping
# again and drops the image. F is there, on the origin itself, fsck clean.
#
# kernels: 6.12

rollback_setup
take_snapshot b1-snapshot
expect '^SNAPTEST: status next_boot: keep \(the default\)' "snapwrite status does not show the default action"

boot b2-keep check
expect 'snapresume: snapshot image: keep \(the default\)' "snapresume did not keep by default"
expect 'snapresume: overlay snaproot: the changes since the snapshot \([1-9][0-9]* KiB\) merged into /dev/vda' \
	"snapresume did not merge the COW store"
expect_fresh_boot
expect_not 'snapresume: resuming image' "snapresume resumed a snapshot it should have dropped"
expect_result f present
expect_result rootfile ok
expect_result overlay linear
expect '^SNAPTEST: status state: invalidated' "the snapshot image was not dropped"
expect_fsck_clean
content=$(debugfs -R 'cat /var/snaptest/F' "$ROOT_IMG" 2> /dev/null)
[ "$content" = "written after the snapshot" ] || fail "F is not on /dev/vda after the merge ('$content')"
