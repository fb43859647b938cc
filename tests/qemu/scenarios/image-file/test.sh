# shellcheck shell=bash
# A preallocated image file on a mounted ext4 file system: "snapwrite
# prepare" makes it and prints resume= and resume_offset=; snapwrite writes
# the file's blocks on the raw device, snapresume reads them through the
# extent map, mounting nothing. The file system checks clean afterwards,
# and a file that moved or was never prepared is refused. Then the same
# with the file system inside a LUKS2 volume: snapwrite marks the volume,
# snapresume unlocks it (key file in the initramfs) and finds the file's
# locator at resume_offset= inside; on disk all is ciphertext.
#
# kernels: 6.12

mkfs.ext4 -q -F -b 4096 -L images "$TARGET_IMG" > /dev/null || fail "mkfs.ext4 of the target failed"

SNAPTEST_RESUME=''
hibernate b1-hibernate "snaptest.setup=imagefile snaptest.filemib=320"
expect '^SNAPTEST: prepare rc=0' "snapwrite prepare of the image file failed"
expect '^snapwrite: /images/snapimage is ready for images: ' "prepare did not report the image file"
expect "^snapwrite: '/images/plain' is not an image file: make it one with 'snapwrite prepare" \
	"snapwrite did not refuse a file that was never prepared"
expect "^snapwrite: Image file '/images/moved' is not where its locator says \\(locator checksum mismatch\\)" \
	"snapwrite did not refuse an image file whose blocks are not where its locator says"
expect '^SNAPTEST: refused image files: unprepared rc=3 moved rc=3$' "a refused image file did not end with exit status 3"
offset=$(sed -n 's/^snapwrite: kernel command line for this target: resume=UUID=[0-9a-f-]* resume_offset=\([0-9]*\)$/\1/p' "$LOG" | head -n 1)
[ -n "$offset" ] || fail "prepare did not print resume= and resume_offset="
uuid=$(blkid -o value -s UUID "$TARGET_IMG")

SNAPTEST_RESUME=UUID=$uuid
# shellcheck disable=SC2034 # read by base_cmdline
SNAPTEST_APPEND="resume_offset=$offset"
boot b2-resume check
expect 'snapresume: resuming image .* from /dev/vdb ' "snapresume did not resume from the image file"
expect_resumed 2
expect '^SNAPTEST: status state: invalidated' "snapwrite status does not show the resumed image as invalidated"
expect '^SNAPTEST: status kind: image file' "snapwrite status does not call it an image file"
e2fsck -f -n "$TARGET_IMG" > "$WORKDIR/e2fsck.log" 2>&1 ||
	fail "the file system holding the image file does not check clean: $(tail -n 3 "$WORKDIR/e2fsck.log" | tr '\n' ' ')"

# Part two: the file system in a LUKS2 volume, on a disk zeroed first (part
# one's plaintext image must not count against the ciphertext check).
truncate -s 0 "$TARGET_IMG"
truncate -s "${SNAPTEST_TARGET_MIB}M" "$TARGET_IMG"
luks_format keyfile
SNAPTEST_RESUME=''
SNAPTEST_APPEND=''
hibernate b3-hibernate-luks "snaptest.setup=imagefile-luks snaptest.filemib=320"
expect '^SNAPTEST: prepare rc=0' "snapwrite prepare of the image file in the LUKS2 volume failed"
expect_marker b3-hibernate-luks
expect_ciphertext
offset=$(sed -n 's/^snapwrite: or, for snapresume to unlock \/dev\/vdb itself: resume=UUID=[0-9a-f-]* resume_offset=\([0-9]*\)$/\1/p' "$LOG" | head -n 1)
[ -n "$offset" ] || fail "prepare did not print resume= for the LUKS2 volume"

SNAPTEST_RESUME=/dev/vdb
SNAPTEST_APPEND="resume_offset=$offset"
boot b4-resume-luks check
expect 'snapresume: image [0-9a-f-]+ is in the encrypted volume /dev/vdb' \
	"snapresume did not find the marked volume"
expect 'snapresume: /dev/vdb unlocked with key file /etc/snapresume/image.key' \
	"the key file in the initramfs did not unlock the volume"
expect 'snapresume: resuming image .* from /dev/mapper/snapresume-image ' \
	"snapresume did not resume from the image file inside the volume"
expect_resumed 2
expect_no_marker b4-resume-luks
