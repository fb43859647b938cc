# shellcheck shell=bash
# Guests that look like users' machines: a Debian 12 root file system made
# by debootstrap (cached), systemd as init, the project installed into it
# with "make install DESTDIR=... PREFIX=/usr", and the initramfs built
# inside that tree, in a chroot, by its own dracut or update-initramfs.
# Sourced by scenario scripts through lib/scenario.sh.

DISTRO_SUITE=bookworm
DISTRO_MIRROR=${SNAPTEST_MIRROR:-http://deb.debian.org/debian}
# What a user's small systemd machine has, and both initramfs generators
# (dracut-core and initramfs-tools do not conflict). The tpm2-tss
# libraries are what systemd-cryptenroll --tpm2-device and the
# systemd-tpm2 token plugin load at run time (dlopen: no package depends
# on them), for the luks-tpm2 scenarios.
DISTRO_PKGS="systemd,systemd-sysv,udev,dbus,kmod,dracut-core,initramfs-tools,klibc-utils,busybox,\
e2fsprogs,libcryptsetup12,libdevmapper1.02.1,liblz4-1,libxxhash0,libsystemd0,dmsetup,cryptsetup-bin,\
libtss2-esys-3.0.2-0,libtss2-rc0,libtss2-mu0,libtss2-tcti-device0"

# distro_base: the debootstrapped tree as a tarball in the cache (made once,
# under a lock: both kernels' lanes may ask at once). Sets DISTRO_TAR.
distro_base() {
	local dir=$SNAPTEST_CACHE/distro key tmp
	key=$(printf '%s %s' "$DISTRO_SUITE" "$DISTRO_PKGS" | sha256sum | cut -c 1-16)
	DISTRO_TAR=$dir/$DISTRO_SUITE-$key.tar
	mkdir -p "$dir"
	(
		flock 8
		[ -e "$DISTRO_TAR" ] && exit 0
		tmp=$dir/tree.tmp
		rm -rf "$tmp"
		log "debootstrap $DISTRO_SUITE (once; cached in $DISTRO_TAR)"
		debootstrap --variant=minbase --include="$DISTRO_PKGS" "$DISTRO_SUITE" "$tmp" \
			"$DISTRO_MIRROR" > "$dir/debootstrap.log" 2>&1 || exit 1
		rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*_Packages
		tar -C "$tmp" -cf "$DISTRO_TAR.tmp" . && mv "$DISTRO_TAR.tmp" "$DISTRO_TAR"
		rm -rf "$tmp"
	) 8> "$dir/.lock" || fail "debootstrap failed: $(tail -n 3 "$dir/debootstrap.log" 2> /dev/null | tr '\n' ' ')"
}

# in_tree TREE COMMAND...: run COMMAND chrooted in TREE with /proc, /sys and
# /dev bound, unbinding them whatever happens.
in_tree() {
	local tree=$1 rc m
	shift
	for m in proc sys dev; do
		mount --bind "/$m" "$tree/$m" || { umount "$tree"/{dev,sys,proc} 2> /dev/null; return 1; }
	done
	chroot "$tree" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
	rc=$?
	for m in dev sys proc; do
		umount "$tree/$m"
	done
	return $rc
}

# distro_root FLAVOUR: a root image and initramfs for KVER, made (or reused
# when nothing they are made of changed) as a user's machine would be:
#   dracut-systemd    dracut's default, systemd in the initramfs
#   dracut-nosystemd  dracut without its systemd modules (shell init)
#   initramfs-tools   update-initramfs (klibc and busybox)
#   package-initramfs-tools, package-dracut, package-dracut-core
#                     the Debian package (make deb) installed with apt
#                     instead of make install (distro_install_package), on
#                     a machine whose initramfs its generator made already
#                     and that the package rebuilds: initramfs-tools;
#                     Debian's dracut package, which replaces it; or
#                     dracut-core alone, initramfs-tools purged
# HOOK, a function, is run as HOOK TREE DIR once the tree is complete,
# before the image is made from it; it may leave what it found in DIR for
# the scenario (its body is part of what the image is made of).
# Sets DISTRO_ROOT (the image to copy), DISTRO_INITRD and DISTRO_DIR (the
# folder with the logs of the making).
distro_root() {
	local flavour=$1 hook=${2:-} dir tree key m inputs size
	dir=$SNAPTEST_BUILD/distro-$KVER-$flavour${hook:+-$hook}
	# shellcheck disable=SC2034 # read by the scenarios
	DISTRO_DIR=$dir
	distro_base
	inputs=("$DISTRO_TAR" "$SNAPWRITE_BIN" "$SNAPRESUME_BIN" "$SNAPTEST_BUILD/guest/workload"
		"$SNAPTEST_DIR/guest/distro-driver.sh" "$SNAPTEST_DIR/guest/guest-lib.sh" "$SNAPTEST_DIR/guest/workload-lib.sh"
		"$SNAPTEST_DIR/lib/distro.sh"
		"$REPO_DIR"/dracut-module/90snapresume/* "$REPO_DIR"/initramfs-hooks/initramfs-tools/hooks/*
		"$REPO_DIR"/initramfs-hooks/initramfs-tools/scripts/local-top/* "$REPO_DIR"/systemd/*/* "$REPO_DIR"/systemd/snapwrite-sleep)
	case $flavour in package-*)
		distro_deb
		inputs+=("$DISTRO_DEB")
		;;
	esac
	key=$( (printf '%s\n' "$flavour" "$KVER"; ls -l "$DISTRO_TAR"; [ -z "$hook" ] || declare -f "$hook"
		cat "${inputs[@]:1}") | sha256sum | cut -c 1-16)
	DISTRO_ROOT=$dir/root-$key.img
	DISTRO_INITRD=$dir/initrd-$key.img
	[ -e "$DISTRO_ROOT" ] && [ -e "$DISTRO_INITRD" ] && return 0

	log "$flavour: building a Debian guest for $KVER"
	rm -rf "$dir"
	tree=$dir/tree
	mkdir -p "$tree"
	tar -C "$tree" -xf "$DISTRO_TAR" || fail "cannot unpack $DISTRO_TAR"

	# The kernel under test's modules (what a small VM needs), as its
	# package would install them.
	mkdir -p "$tree/lib/modules/$KVER/kernel/drivers"
	cp -a "$KTREE/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$tree/lib/modules/$KVER/"
	for m in block crypto arch lib fs; do
		cp -a "$KTREE/lib/modules/$KVER/kernel/$m" "$tree/lib/modules/$KVER/kernel/"
	done
	for m in block virtio md char; do
		cp -a "$KTREE/lib/modules/$KVER/kernel/drivers/$m" "$tree/lib/modules/$KVER/kernel/drivers/"
	done
	depmod -b "$tree" "$KVER" || fail "depmod failed in the guest tree"
	cp "$KTREE/boot/config-$KVER" "$KTREE/boot/vmlinuz-$KVER" "$tree/boot/"
	# As the kernel package leaves it: an initramfs without the project
	# (initramfs-tools), which "update-initramfs -u" must then pick it up in;
	# or, on a machine using dracut, one dracut made.
	case $flavour in
	initramfs-tools | package-initramfs-tools)
		in_tree "$tree" update-initramfs -c -k "$KVER" > "$dir/initramfs-before.log" 2>&1 ||
			fail "update-initramfs -c failed: $(tail -n 5 "$dir/initramfs-before.log" | tr '\n' ' ')"
		;;
	package-dracut)
		# apt replaces initramfs-tools by dracut, whose trigger makes the
		# image.
		distro_fetch_deb dracut
		cp "$DISTRO_FETCHED" "$tree/root/"
		in_tree "$tree" sh -c 'cd /root && DEBIAN_FRONTEND=noninteractive apt install -y ./dracut_*.deb' \
			> "$dir/initramfs-before.log" 2>&1 ||
			fail "apt install ./${DISTRO_FETCHED##*/} failed: $(tail -n 5 "$dir/initramfs-before.log" | tr '\n' ' ')"
		rm -f "$tree"/root/dracut_*.deb
		[ -f "$tree/boot/initrd.img-$KVER" ] || fail "installing dracut made no initramfs"
		;;
	package-dracut-core)
		in_tree "$tree" sh -c "dpkg --purge initramfs-tools && dracut -q --force /boot/initrd.img-$KVER $KVER" \
			> "$dir/initramfs-before.log" 2>&1 ||
			fail "purging initramfs-tools or dracut failed: $(tail -n 5 "$dir/initramfs-before.log" | tr '\n' ' ')"
		;;
	esac

	# The project, installed as a user would, and its configuration.
	echo "target=/dev/vdb" > "$tree/etc/snapwrite.conf"
	case $flavour in
	package-*) distro_install_package "$tree" "$dir" ;;
	*)
		make -s -C "$REPO_DIR" install DESTDIR="$tree" PREFIX=/usr \
			B="$(dirname "$SNAPWRITE_BIN")" > "$dir/install.log" 2>&1 ||
			fail "make install into the guest tree failed: $(tail -n 3 "$dir/install.log")"
		;;
	esac

	# A machine of its own: root on /dev/vda, no getty on the serial
	# console (the test driver reports there), the driver as a service.
	echo "snaptest" > "$tree/etc/hostname"
	echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$tree/etc/fstab"
	sed -i 's/^root:[^:]*:/root::/' "$tree/etc/shadow"
	ln -sf /dev/null "$tree/etc/systemd/system/serial-getty@ttyS0.service"
	ln -sf /dev/null "$tree/etc/systemd/system/getty@tty1.service"
	install -m 0755 "$SNAPTEST_BUILD/guest/workload" "$tree/usr/local/bin/workload"
	install -m 0755 "$SNAPTEST_DIR/guest/distro-driver.sh" "$tree/usr/local/sbin/snaptest-driver"
	install -D -m 0644 "$SNAPTEST_DIR/guest/guest-lib.sh" "$tree/usr/lib/snaptest/guest-lib.sh"
	install -D -m 0644 "$SNAPTEST_DIR/guest/workload-lib.sh" "$tree/usr/lib/snaptest/workload-lib.sh"
	cat > "$tree/etc/systemd/system/snaptest.service" <<-'EOF'
		[Unit]
		Description=snapresume test driver
		After=multi-user.target systemd-logind.service dbus.service
		[Service]
		Type=simple
		ExecStart=/usr/local/sbin/snaptest-driver
		StandardOutput=tty
		StandardError=tty
		TTYPath=/dev/ttyS0
		[Install]
		WantedBy=multi-user.target
	EOF
	mkdir -p "$tree/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/snaptest.service "$tree/etc/systemd/system/multi-user.target.wants/snaptest.service"

	# The initramfs, by the tree's own generator.
	case $flavour in
	dracut-systemd)
		in_tree "$tree" dracut -f --kver "$KVER" "/boot/initrd.img-$KVER" > "$dir/initramfs.log" 2>&1
		;;
	dracut-nosystemd)
		in_tree "$tree" dracut -f --omit "systemd systemd-initrd dracut-systemd" \
			--kver "$KVER" "/boot/initrd.img-$KVER" > "$dir/initramfs.log" 2>&1
		;;
	initramfs-tools)
		in_tree "$tree" update-initramfs -u -k "$KVER" > "$dir/initramfs.log" 2>&1 &&
			in_tree "$tree" lsinitramfs "/boot/initrd.img-$KVER" | grep -q '^usr/sbin/snapresume$' ||
			fail "update-initramfs -u did not put snapresume into the initramfs"
		;;
	package-*) ;; # rebuilt by the package's trigger or maintainer script
	*) fail "unknown guest flavour $flavour" ;;
	esac || fail "$flavour: building the initramfs in the guest tree failed: $(tail -n 5 "$dir/initramfs.log" | tr '\n' ' ')"
	if [ -n "$hook" ]; then
		"$hook" "$tree" "$dir" || fail "$flavour: $hook failed on the guest tree"
	fi
	cp "$tree/boot/initrd.img-$KVER" "$DISTRO_INITRD.tmp" || fail "$flavour: no initramfs was made"

	size=$(du -sm "$tree" | cut -f 1)
	mkfs.ext4 -q -F -L snaproot -d "$tree" "$DISTRO_ROOT.tmp" "$((size + 384))M" > /dev/null ||
		fail "mkfs.ext4 of the guest tree failed"
	rm -rf "$tree"
	mv "$DISTRO_INITRD.tmp" "$DISTRO_INITRD"
	mv "$DISTRO_ROOT.tmp" "$DISTRO_ROOT"
}

# distro_guest FLAVOUR [HOOK]: this scenario boots a Debian guest of
# FLAVOUR (distro_root).
distro_guest() {
	distro_root "$1" "${2:-}"
	cp --sparse=always "$DISTRO_ROOT" "$ROOT_IMG"
	# shellcheck disable=SC2034 # read by vm_boot
	INITRD=$DISTRO_INITRD
	# shellcheck disable=SC2034 # read by vm_boot
	SNAPTEST_MEM=1024
	note "guest: Debian $DISTRO_SUITE with systemd, $1 initramfs for $KVER"
}

# ---- the Debian package ----------------------------------------------------

# distro_deb: the package "make deb" builds from the tree (lintian clean),
# made once for each state of the sources that make deb copies (both
# kernels' lanes may ask at once). Without the unit tests of the package
# build: "make check" has run them. Sets DISTRO_DEB.
distro_deb() {
	local dir=$SNAPTEST_BUILD/deb key
	mkdir -p "$dir"
	key=$(cd "$REPO_DIR" && tar -c --exclude=./build --exclude-vcs --exclude-vcs-ignores \
		--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner . | sha256sum | cut -c 1-16)
	(
		flock 8
		[ -e "$dir/$key/ok" ] && exit 0
		rm -rf "${dir:?}"/*/
		log "make deb (once for these sources; in $dir/$key)"
		DEB_BUILD_OPTIONS=nocheck make -s -C "$REPO_DIR" deb DEBDIR="$dir/$key" > "$dir/make-deb.log" 2>&1 &&
			: > "$dir/$key/ok"
	) 8> "$dir/.lock" || fail "make deb failed: $(tail -n 5 "$dir/make-deb.log" | tr '\n' ' ')"
	DISTRO_DEB=$(echo "$dir/$key"/snapresume_*.deb)
	[ -f "$DISTRO_DEB" ] || fail "make deb made no snapresume_*.deb in $dir/$key"
}

# distro_fetch_deb PACKAGE: PACKAGE's .deb from the suite (the host's apt,
# Debian 12 as the guests), fetched once into $SNAPTEST_CACHE/debs. Sets
# DISTRO_FETCHED.
distro_fetch_deb() {
	local dir=$SNAPTEST_CACHE/debs
	mkdir -p "$dir"
	(
		flock 8
		[ -n "$(find "$dir" -maxdepth 1 -name "$1_*.deb")" ] && exit 0
		log "downloading $1"
		(cd "$dir" && apt-get download -q "$1") > /dev/null 2>&1 || {
			apt-get update -qq > /dev/null 2>&1
			(cd "$dir" && apt-get download -q "$1") > /dev/null 2>&1
		}
	) 8> "$dir/.lock-$1" || fail "apt-get download $1 failed"
	DISTRO_FETCHED=$(find "$dir" -maxdepth 1 -name "$1_*.deb" | sort -V | tail -n 1)
}

# initrd_files TREE: the files of TREE's /boot/initrd.img-$KVER, sorted,
# as lsinitramfs lists them (dracut's images too).
initrd_files() {
	in_tree "$1" lsinitramfs "/boot/initrd.img-$KVER" | sort
}

# distro_install_package TREE DIR: the package installed as a user
# installs a downloaded one, "apt install ./snapresume_*.deb" in the
# tree's root (its dependencies are in the guest already: nothing is
# downloaded), on a machine whose /etc/snapwrite.conf was written before
# (as configuration management would): dpkg keeps it. The package's
# trigger or postinst rebuilds the initramfs. Left in DIR for the
# scenario: apt-install.log, initrd-before.{sha256,files} and
# initrd-installed.files.
distro_install_package() {
	local tree=$1 dir=$2
	sha256sum < "$tree/boot/initrd.img-$KVER" | cut -d ' ' -f 1 > "$dir/initrd-before.sha256"
	initrd_files "$tree" > "$dir/initrd-before.files"
	cp "$DISTRO_DEB" "$tree/root/"
	in_tree "$tree" sh -c 'cd /root && DEBIAN_FRONTEND=noninteractive apt install -y \
		-o Dpkg::Options::=--force-confold ./snapresume_*.deb' > "$dir/apt-install.log" 2>&1 ||
		fail "apt install ./${DISTRO_DEB##*/} failed: $(tail -n 5 "$dir/apt-install.log" | tr '\n' ' ')"
	rm -f "$tree"/root/snapresume_*.deb
	initrd_files "$tree" > "$dir/initrd-installed.files"
}
