# shellcheck shell=bash
# The Debian package (make deb, lintian clean) installed with "apt install
# ./snapresume_*.deb" in a Debian 12 guest whose initramfs its generator
# had made: the package gets the initramfs rebuilt with snapresume (the
# test does not rebuild it), then "systemctl hibernate" goes through
# snapwrite and the next boot resumes, the workload intact.
# The generator goes with the kernel, so that each kernel's lane boots one:
# 6.1 initramfs-tools, 6.12 Debian's dracut package (which replaces it);
# both rebuild on the update-initramfs trigger the package activates.
#
# kernels: none
# full-kernels: 6.1 6.12

case $KVER in
6.1.*) flavour=package-initramfs-tools trigger=initramfs-tools ;;
*) flavour=package-dracut trigger=dracut ;;
esac
distro_guest "$flavour"
d=$DISTRO_DIR
cp "$d"/apt-install.log "$d"/initrd-*.files "$WORKDIR/"

# apt set the package up, then its trigger was processed by the generator,
# which made a new image, now with snapresume.
grep -q -x "Processing triggers for $trigger .*" "$d/apt-install.log" ||
	fail "apt install: no trigger processed by $trigger (apt-install.log)"
awk -v t="Processing triggers for $trigger " '
	/^Setting up snapresume / { setup = NR }
	index($0, t) == 1 && setup { trig = NR }
	/Generating \/boot\/initrd.img-/ && trig { gen = 1 }
	END { exit !gen }' "$d/apt-install.log" ||
	fail "apt install: $trigger did not regenerate the initramfs after snapresume was set up"
grep -q -x 'usr/sbin/snapresume' "$d/initrd-before.files" &&
	fail "the initramfs had snapresume before the package was installed"
grep -q -x 'usr/sbin/snapresume' "$d/initrd-installed.files" ||
	fail "the initramfs rebuilt by the package has no usr/sbin/snapresume"
case $trigger in
initramfs-tools) own=scripts/local-top/snapresume ;;
dracut) own=usr/lib/systemd/system/snapresume.service ;;
esac
grep -q -x "$own" "$d/initrd-installed.files" || fail "the rebuilt initramfs has no $own ($trigger's)"
grep -q 'Using current old file' "$d/apt-install.log" ||
	fail "dpkg did not keep the /etc/snapwrite.conf written before the install"
note "initramfs: $(wc -l < "$d/initrd-before.files") files before, $(wc -l < "$d/initrd-installed.files") after the package"

distro_hibernate_resume b1
