#!/bin/sh
# Install the Debian packages that building, testing and the demo need.
# Idempotent and quiet when everything is already there.
# Usage: scripts/deps.sh [build|test|bench|deb]   (all imply build; test
# also deb, for the scenarios that install the Debian package)
set -eu

build_pkgs="gcc libc6-dev make pkg-config liblz4-dev libxxhash-dev libcryptsetup-dev
libdevmapper-dev libblkid-dev libcmocka-dev libsystemd-dev e2fsprogs xfsprogs btrfs-progs util-linux
dosfstools mtools
valgrind"
test_pkgs="qemu-system-x86 qemu-utils dracut-core busybox-static e2fsprogs kmod debootstrap
cpio xz-utils zstd cryptsetup-bin udev util-linux fdisk swtpm"

bench_pkgs="lz4 gnuplot-nox"
# make deb: dpkg-buildpackage, debhelper, and lintian on the result.
deb_pkgs="dpkg-dev debhelper lintian"

want=$build_pkgs
case "${1:-build}" in
build) ;;
test) want="$build_pkgs $test_pkgs $deb_pkgs" ;;
bench) want="$build_pkgs $test_pkgs $bench_pkgs" ;;
deb) want="$build_pkgs $deb_pkgs" ;;
*)
	echo "usage: $0 [build|test|bench|deb]" >&2
	exit 2
	;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
