# shellcheck shell=bash
# A passing error is no damage. While the image is loaded, the target
# fails one read with an I/O error (QEMU's blkdebug, once, on a sector of
# chunk 20's data): snapresume drops what the kernel took, takes the attempt
# back, tries again, and the resume succeeds with the workload intact.
# Nothing was invalidated on the way.
#
# kernels: 6.1

hibernate b1-hibernate
list=$WORKDIR/chunks.txt
"$SNAPWRITE_BIN" verify --target "$TARGET_IMG" --list > "$list" 2>&1 ||
	fail "host: snapwrite verify --list failed on a fresh image"
victim=20
data_off=$(awk -v n="$victim" '$1 == "chunk" && $2 == n {for (i = 3; i < NF; i++) if ($i == "data_offset") print $(i + 1); exit}' "$list")
[ -n "$data_off" ] || fail "host: no chunk $victim in the verify --list output"
cat > "$WORKDIR/blkdebug.conf" << CONF
[inject-error]
event = "read_aio"
errno = "5"
sector = "$((data_off / 512 + 8))"
once = "on"
CONF
note "one read error on sector $((data_off / 512 + 8)) (chunk $victim)"

SNAPTEST_TARGET_BLKDEBUG=$WORKDIR/blkdebug.conf boot b2-resume check
expect "snapresume: loading the image failed: .*|snapresume: chunk [0-9]+ of [0-9]+ failed: " \
	"the injected read error did not reach snapresume"
expect 'snapresume: .*; trying again \(1 of 2\), reading ahead less' "snapresume did not try again"
expect_not 'snapresume: refusing image' "snapresume refused the image for a passing error"
expect_not 'invalidated' "the image was invalidated for a passing error"
expect_resumed
