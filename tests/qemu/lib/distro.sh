# shellcheck shell=bash
# Guests that look like users' machines: a Debian 12 root file system made
# by debootstrap (cached), systemd as init, the project installed into it
# with "make install DESTDIR=... PREFIX=/usr", and the initramfs built
# inside that tree, in a chroot, by its own dracut or update-initramfs.
# Sourced by scenario scripts through lib/scenario.sh.

DISTRO_SUITE=bookworm
DISTRO_MIRROR=${SNAPTEST_MIRROR:-http://deb.debian.org/debian}
# What a user's small systemd machine has, and both initramfs generators
# (dracut-core and initramfs-tools do not conflict).
DISTRO_PKGS="systemd,systemd-sysv,udev,dbus,kmod,dracut-core,initramfs-tools,klibc-utils,busybox,\
e2fsprogs,libcryptsetup12,libdevmapper1.02.1,liblz4-1,libxxhash0,libsystemd0,dmsetup,cryptsetup-bin"

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
# Sets DISTRO_ROOT (the image to copy) and DISTRO_INITRD.
distro_root() {
	local flavour=$1 dir tree key m inputs size
	dir=$SNAPTEST_BUILD/distro-$KVER-$flavour
	distro_base
	inputs=("$DISTRO_TAR" "$SNAPWRITE_BIN" "$SNAPRESUME_BIN" "$SNAPTEST_BUILD/guest/workload"
		"$SNAPTEST_DIR/guest/distro-driver.sh" "$SNAPTEST_DIR/guest/guest-lib.sh" "$SNAPTEST_DIR/guest/workload-lib.sh"
		"$SNAPTEST_DIR/lib/distro.sh"
		"$REPO_DIR"/dracut-module/90snapresume/* "$REPO_DIR"/initramfs-hooks/initramfs-tools/hooks/*
		"$REPO_DIR"/initramfs-hooks/initramfs-tools/scripts/local-top/* "$REPO_DIR"/systemd/*/* "$REPO_DIR"/systemd/snapwrite-sleep)
	key=$( (printf '%s\n' "$flavour" "$KVER"; ls -l "$DISTRO_TAR"; cat "${inputs[@]:1}") | sha256sum | cut -c 1-16)
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
	cp "$KTREE/boot/config-$KVER" "$tree/boot/"
	# As the kernel package leaves it: an initramfs without the project
	# (initramfs-tools), which "update-initramfs -u" must then pick it up in.
	if [ "$flavour" = initramfs-tools ]; then
		in_tree "$tree" update-initramfs -c -k "$KVER" > "$dir/initramfs-before.log" 2>&1 ||
			fail "update-initramfs -c failed: $(tail -n 5 "$dir/initramfs-before.log" | tr '\n' ' ')"
	fi

	# The project, installed as a user would, and its configuration.
	make -s -C "$REPO_DIR" install DESTDIR="$tree" PREFIX=/usr \
		B="$(dirname "$SNAPWRITE_BIN")" > "$dir/install.log" 2>&1 ||
		fail "make install into the guest tree failed: $(tail -n 3 "$dir/install.log")"
	echo "target=/dev/vdb" > "$tree/etc/snapwrite.conf"

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
	*) fail "unknown guest flavour $flavour" ;;
	esac || fail "$flavour: building the initramfs in the guest tree failed: $(tail -n 5 "$dir/initramfs.log" | tr '\n' ' ')"
	cp "$tree/boot/initrd.img-$KVER" "$DISTRO_INITRD.tmp" || fail "$flavour: no initramfs was made"

	size=$(du -sm "$tree" | cut -f 1)
	mkfs.ext4 -q -F -L snaproot -d "$tree" "$DISTRO_ROOT.tmp" "$((size + 384))M" > /dev/null ||
		fail "mkfs.ext4 of the guest tree failed"
	rm -rf "$tree"
	mv "$DISTRO_INITRD.tmp" "$DISTRO_INITRD"
	mv "$DISTRO_ROOT.tmp" "$DISTRO_ROOT"
}

# distro_guest FLAVOUR: this scenario boots a Debian guest of FLAVOUR.
distro_guest() {
	distro_root "$1"
	cp --sparse=always "$DISTRO_ROOT" "$ROOT_IMG"
	# shellcheck disable=SC2034 # read by vm_boot
	INITRD=$DISTRO_INITRD
	# shellcheck disable=SC2034 # read by vm_boot
	SNAPTEST_MEM=1024
	note "guest: Debian $DISTRO_SUITE with systemd, $1 initramfs for $KVER"
}
