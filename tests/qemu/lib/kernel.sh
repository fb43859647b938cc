# shellcheck shell=bash
# Fetch, unpack and prepare a Debian kernel for the QEMU tests.
#
# kernel_prepare SERIES sets KVER (the kernel release) and KTREE (the
# unpacked package root: $KTREE/boot/vmlinuz-$KVER, $KTREE/lib/modules/$KVER).
# Everything is cached under $SNAPTEST_CACHE; once a kernel is unpacked a
# later run only asks the local apt cache which version is newest.

# kernel_pkg_pattern SERIES: the extended regex matching the package names of
# that series (the generic amd64 flavour only, not rt/cloud/dbg/unsigned).
kernel_pkg_pattern() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
	*) return 1 ;;
	esac
}

# kernel_newest_pkg SERIES: print the newest package name apt knows, or
# nothing.
kernel_newest_pkg() {
	local pat
	pat=$(kernel_pkg_pattern "$1") || return 1
	apt-cache search --names-only "$pat" 2> /dev/null |
		awk '{print $1}' | grep -E "$pat" | sort -V | tail -n 1
}

# kernel_newest_cached SERIES: the newest already unpacked release, if any.
kernel_newest_cached() {
	local pat
	pat=$(kernel_pkg_pattern "$1") || return 1
	local d
	for d in "$SNAPTEST_CACHE"/kernels/*/.ready; do
		[ -e "$d" ] || continue
		d=${d%/.ready}
		echo "linux-image-${d##*/}"
	done | grep -E "$pat" | sort -V | tail -n 1
}

kernel_prepare() {
	local series=$1 pkg ver tree deb
	mkdir -p "$SNAPTEST_CACHE/debs" "$SNAPTEST_CACHE/kernels"
	pkg=$(kernel_newest_pkg "$series")
	if [ -z "$pkg" ]; then
		pkg=$(kernel_newest_cached "$series")
	fi
	if [ -z "$pkg" ]; then
		log "apt knows no linux-image for $series: running apt-get update"
		apt-get update -qq > /dev/null 2>&1 || true
		pkg=$(kernel_newest_pkg "$series")
	fi
	if [ -z "$pkg" ]; then
		log "no kernel package found for series $series"
		return 1
	fi
	ver=${pkg#linux-image-}
	tree=$SNAPTEST_CACHE/kernels/$ver
	if [ ! -e "$tree/.ready" ]; then
		deb=$(find "$SNAPTEST_CACHE/debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort -V | tail -n 1)
		if [ -z "$deb" ]; then
			log "downloading $pkg"
			# apt-get download writes into the current directory. A stale
			# package list may name a file the mirror no longer has:
			# refresh the lists once and try again.
			if ! (cd "$SNAPTEST_CACHE/debs" && apt-get download -q "$pkg" > /dev/null 2>&1); then
				log "apt-get download $pkg failed: running apt-get update and retrying"
				apt-get update -qq > /dev/null 2>&1 || true
				(cd "$SNAPTEST_CACHE/debs" && apt-get download -q "$pkg" > /dev/null 2>&1) || {
					log "apt-get download $pkg failed"
					return 1
				}
			fi
			deb=$(find "$SNAPTEST_CACHE/debs" -maxdepth 1 -name "${pkg}_*_amd64.deb" | sort -V | tail -n 1)
			[ -n "$deb" ] || return 1
		fi
		log "unpacking $pkg"
		rm -rf "$tree"
		mkdir -p "$tree"
		dpkg-deb -x "$deb" "$tree" || return 1
		# The package ships no modules.dep; the initramfs builder needs it.
		depmod -b "$tree" "$ver" || return 1
		touch "$tree/.ready"
	fi
	KVER=$ver
	KTREE=$tree
	[ -r "$KTREE/boot/vmlinuz-$KVER" ] || {
		log "missing $KTREE/boot/vmlinuz-$KVER"
		return 1
	}
}
