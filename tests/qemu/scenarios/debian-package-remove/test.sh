# shellcheck shell=bash
# Removing the Debian package leaves the machine as it was: in the guest
# tree (chroot), "apt remove" has the initramfs rebuilt with the same
# files as before the package came, takes the systemd drop-ins away and
# keeps /etc/snapwrite.conf; "apt purge" takes that too, and of what
# "dpkg -L" listed only directories other packages own are left. Then the
# guest boots: systemd hibernates as it does without snapresume
# (systemd-sleep, logind's swap check back), the kernel writes its own image
# into the swap partition /dev/vdc, and the kernel's resume brings the
# workload back.
# The generator goes with the kernel: 6.1 initramfs-tools (update-initramfs
# on the trigger), 6.12 dracut-core alone (the maintainer scripts run
# dracut).
#
# kernels: none
# full-kernels: 6.1 6.12

case $KVER in
6.1.*) flavour=package-initramfs-tools rebuilt='Processing triggers for initramfs-tools ' ;;
*) flavour=package-dracut-core rebuilt="snapresume: rebuilding /boot/initrd.img-$KVER with dracut" ;;
esac

# debian_package_remove TREE DIR (distro_root's hook, on the tree with the
# package installed): remove, then purge, and what each left, in DIR.
# shellcheck disable=SC2016 # expanded by dpkg-query and by the guest's sh
debian_package_remove() {
	local tree=$1 dir=$2
	in_tree "$tree" dpkg-query -L snapresume > "$dir/package-files.txt" || return 1
	in_tree "$tree" sh -c 'DEBIAN_FRONTEND=noninteractive apt remove -y snapresume' \
		> "$dir/apt-remove.log" 2>&1 || return 1
	initrd_files "$tree" > "$dir/initrd-removed.files"
	in_tree "$tree" dpkg-query -W -f='${db:Status-Abbrev}\n' snapresume > "$dir/status-removed.txt" 2>&1
	(cd "$tree" && ls -d etc/snapwrite.conf* lib/systemd/system/systemd-hibernate.service.d \
		lib/systemd/system/systemd-logind.service.d) > "$dir/left-removed.txt" 2> /dev/null
	in_tree "$tree" sh -c 'DEBIAN_FRONTEND=noninteractive apt purge -y snapresume' \
		> "$dir/apt-purge.log" 2>&1 || return 1
	initrd_files "$tree" > "$dir/initrd-purged.files"
	in_tree "$tree" dpkg-query -W -f='${db:Status-Abbrev}\n' snapresume > "$dir/status-purged.txt" 2>&1
	(cd "$tree" && ls -d etc/snapwrite.conf*) > "$dir/conf-purged.txt" 2> /dev/null
	# Each path the package had that is still there: "file P", or
	# "dir P N" for a directory N other packages have.
	in_tree "$tree" sh -c '
		while read -r p; do
			[ "$p" = /. ] && continue
			[ -e "$p" ] || [ -L "$p" ] || continue
			if [ -d "$p" ]; then
				echo "dir $p $(dpkg-query -S "$p" 2> /dev/null | sed "s|: .*||" | tr , "\n" | grep -c .)"
			else
				echo "file $p"
			fi
		done' < "$dir/package-files.txt" > "$dir/left-purged.txt"
}

distro_guest "$flavour" debian_package_remove
d=$DISTRO_DIR
cp "$d"/*.log "$d"/*.txt "$d"/*.files "$WORKDIR/"

# apt remove: the initramfs rebuilt, as it was before the package.
grep -q -x 'usr/sbin/snapresume' "$d/initrd-installed.files" ||
	fail "the initramfs had no snapresume with the package installed"
awk -v s="$rebuilt" '/^Removing snapresume / { r = 1 } r && index($0, s) == 1 { ok = 1 } END { exit !ok }' \
	"$d/apt-remove.log" || fail "apt remove: no '$rebuilt' after the removal (the initramfs was not rebuilt)"
diff -u "$d/initrd-before.files" "$d/initrd-removed.files" > "$WORKDIR/initrd-removed.diff" ||
	fail "after apt remove the initramfs differs from the one before the install: $(grep '^[-+][^-+]' "$WORKDIR/initrd-removed.diff" | head -n 5 | tr '\n' ' ')"
grep -q '^rc' "$d/status-removed.txt" || fail "after apt remove dpkg says '$(cat "$d/status-removed.txt")', not rc"
grep -q -x etc/snapwrite.conf "$d/left-removed.txt" || fail "apt remove took /etc/snapwrite.conf away"
grep -q '\.service\.d$' "$d/left-removed.txt" &&
	fail "the systemd drop-ins are left after apt remove: $(grep '\.service\.d$' "$d/left-removed.txt" | tr '\n' ' ')"

# apt purge: the configuration gone, and no file of the package left.
grep -q '^\(rc\|ii\|iU\|iF\)' "$d/status-purged.txt" && fail "after apt purge dpkg still knows snapresume: $(cat "$d/status-purged.txt")"
[ ! -s "$d/conf-purged.txt" ] || fail "after apt purge: $(tr '\n' ' ' < "$d/conf-purged.txt") left"
[ "$(wc -l < "$d/package-files.txt")" -gt 20 ] || fail "dpkg -L listed only $(wc -l < "$d/package-files.txt") paths"
grep -q '^file ' "$d/left-purged.txt" && fail "after apt purge, files of the package are left: $(grep '^file ' "$d/left-purged.txt" | head -n 5 | tr '\n' ' ')"
grep -q '^dir .* 0$' "$d/left-purged.txt" && fail "after apt purge, directories only the package had are left: $(grep ' 0$' "$d/left-purged.txt" | tr '\n' ' ')"
diff -q "$d/initrd-before.files" "$d/initrd-purged.files" > /dev/null ||
	fail "after apt purge the initramfs differs from the one before the install"
note "dpkg -L: $(wc -l < "$d/package-files.txt") paths; left after purge: $(wc -l < "$d/left-purged.txt") directories of other packages"

# The machine boots, and hibernates the kernel's way.
truncate -s 512M "$WORKDIR/swap.img"
mkswap -L kswap "$WORKDIR/swap.img" > /dev/null 2>&1 || fail "mkswap failed"
SNAPTEST_EXTRA_IMG=$WORKDIR/swap.img
SNAPTEST_RESUME=/dev/vdc
boot b1-hibernate stock-hibernate
expect_not 'snapresume: ' "snapresume ran from an initramfs it was removed from"
expect '^SNAPTEST: stock: snapwrite=none$' "snapwrite is still on the PATH"
expect '^SNAPTEST: stock: hibernate ExecStart=/lib/systemd/systemd-sleep hibernate$' \
	"systemd-hibernate.service does not run systemd-sleep"
expect '^SNAPTEST: stock: drop-ins hibernate=\[\] logind=\[\]$' "systemd still has drop-ins for hibernate or logind"
expect_not 'SYSTEMD_BYPASS_HIBERNATION_MEMORY_CHECK' "logind still skips its swap check"
expect '^SNAPTEST: stock: CanHibernate without swap: na$' "logind allows hibernation without swap"
expect '^SNAPTEST: stock: CanHibernate with swap: yes$' "logind refuses hibernation into swap"
expect '^SNAPTEST: running systemctl hibernate' "the guest did not run systemctl hibernate"
expect_not '^SNAPTEST: RESULT' "the guest did not hibernate"
pid=$(sed -n 's/^SNAPTEST: before hibernate pid=\([0-9]*\) .*/\1/p' "$LOG")
sig=$(od -An -c -j 4086 -N 10 "$WORKDIR/swap.img" | tr -d ' ')
case $sig in S1SUSPEND* | ULSUSPEND* | LINHIB*) ;; *) fail "no kernel hibernation image in /dev/vdc (signature '$sig')" ;; esac
[ -z "$(tr -d '\0' < "$TARGET_IMG" | head -c 1)" ] || fail "something was written to /dev/vdb"

boot b2-resume check
expect_not 'snapresume: ' "snapresume ran from an initramfs it was removed from"
expect_result action stock-hibernate
expect_result resumed yes
expect_result pid "$pid"
expect_result alive yes
expect_result verify ok
expect_result tmpfs ok
expect '^SNAPTEST: service: .* systemd-sleep\[[0-9]+\]: ' "systemd-hibernate.service did not run systemd-sleep"
