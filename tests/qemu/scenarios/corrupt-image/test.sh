# shellcheck shell=bash
# Flip bytes in the data of a middle chunk: snapresume must refuse the image,
# name the chunk, invalidate it and boot fresh with the root file intact.

hibernate b1-hibernate
expect_state_valid b1-hibernate

list=$WORKDIR/chunks.txt
"$SNAPWRITE_BIN" verify --target "$TARGET_IMG" --list > "$list" 2>&1 ||
	fail "host: snapwrite verify --list failed on a fresh image"
chunks=$(grep -c '^chunk ' "$list")
[ "$chunks" -ge 3 ] || fail "host: image has only $chunks chunks, need 3 to corrupt a middle one"
victim=2
read -r data_off stored < <(awk -v n="$victim" \
	'$1 == "chunk" && $2 == n {for (i = 3; i < NF; i++) {if ($i == "data_offset") d = $(i + 1); if ($i == "stored") s = $(i + 1)}; print d, s; exit}' "$list")
if [ -z "$data_off" ] || [ -z "$stored" ] || [ "$stored" -lt 64 ]; then
	fail "host: cannot find chunk $victim in the verify --list output"
fi
flip_bytes "$TARGET_IMG" $((data_off + stored / 2)) 16
note "flipped 16 bytes of chunk $victim at $((data_off + stored / 2))"

if "$SNAPWRITE_BIN" verify --target "$TARGET_IMG" > "$WORKDIR/verify-corrupt.txt" 2>&1; then
	fail "host: snapwrite verify passed an image with a corrupted chunk"
fi

boot b2-refuse check
expect "snapresume: refusing image on .*chunk $victim([^0-9]|$)" "snapresume did not refuse the image naming chunk $victim"
expect 'snapresume: image on .* invalidated' "snapresume did not invalidate the refused image"
expect_fresh_boot
expect_result rootfile ok
expect_state_not_valid b2-refuse
