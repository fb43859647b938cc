# shellcheck shell=bash
# A read-only mount that writes nothing does not refuse the image: an ext4
# mounted read-only when the snapshot is taken (clean: nothing to replay)
# is mounted read-only by another boot (which keeps even the root's
# journal alone: rootflags=noload), and the next boot resumes, both file
# systems unchanged. (A file system in use at the snapshot always has a
# journal to replay: a read-only mount of it does write, see
# guard-ro-mount.)
#
# kernels: 6.1

mkdir -p "$WORKDIR/rofs"
echo "read only" > "$WORKDIR/rofs/file"
mkfs.ext4 -q -F -L rofs -d "$WORKDIR/rofs" "$WORKDIR/rofs.img" 32M > /dev/null || fail "mkfs.ext4 failed"
SNAPTEST_EXTRA_IMG=$WORKDIR/rofs.img

hibernate b1-hibernate "snaptest.setup=rofs snaptest.mib=16"

SNAPTEST_RESUME='' SNAPTEST_ROOT_MODE=ro SNAPTEST_APPEND="rootflags=noload rd.skipfsck" \
	boot b2-ro-mount romount "snaptest.romount=/dev/vdc:ext4"
expect_result mounted /dev/vdc
expect_not 'EXT4-fs \(vdc\): (INFO: )?recovery' "the clean file system needed a recovery"

boot b3-resume check
expect_resumed 2
