# shellcheck shell=bash
# The kernel's own hibernation and snapresume side by side on a Debian
# guest (initramfs-tools, whose "resume" script is the kernel's path): a
# kernel image in the swap partition /dev/vdc and a snapresume image on
# /dev/vdb. resume= decides which one comes back; each path leaves the
# other's image alone.
#
# kernels: 6.1
# full-kernels: 6.1 6.12

distro_guest initramfs-tools
truncate -s 512M "$WORKDIR/swap.img"
mkswap -L kswap "$WORKDIR/swap.img" > /dev/null 2>&1 || fail "mkswap failed"
SNAPTEST_EXTRA_IMG=$WORKDIR/swap.img

# swsusp_sig: the signature at the end of the swap header of /dev/vdc.
swsusp_sig() {
	od -An -c -j 4086 -N 10 "$WORKDIR/swap.img" | tr -d ' '
}

# 1. The kernel hibernates into /dev/vdc.
SNAPTEST_RESUME=/dev/vdc
boot b1-kernel-hibernate kernel-hibernate
expect '^SNAPTEST: kernel hibernation to /dev/vdc' "the guest did not start the kernel's hibernation"
expect_not '^SNAPTEST: RESULT' "the kernel's hibernation did not power the guest off"
kpid=$(sed -n 's/^SNAPTEST: before hibernate pid=\([0-9]*\) .*/\1/p' "$LOG")
sig=$(swsusp_sig)
case $sig in S1SUSPEND* | ULSUSPEND* | LINHIB*) ;; *) fail "no kernel hibernation image on /dev/vdc (signature '$sig')" ;; esac
note "kernel image on /dev/vdc: $sig, workload pid $kpid"

# 2. resume= names our target: the kernel's image is not ours to touch,
# there is nothing of ours yet; systemctl hibernate writes ours to /dev/vdb.
SNAPTEST_RESUME=/dev/vdb
boot b2-hibernate hibernate
expect '^SNAPTEST: fresh boot' "the guest did not boot fresh with resume=/dev/vdb"
expect 'snapresume: no image on /dev/vdb' "snapresume did not look at /dev/vdb"
expect_not '^SNAPTEST: RESULT' "the guest did not power off after systemctl hibernate"
pid=$(sed -n 's/^SNAPTEST: before hibernate pid=\([0-9]*\) .*/\1/p' "$LOG")
[ "$(swsusp_sig)" = "$sig" ] || fail "the kernel's image on /dev/vdc changed ($(swsusp_sig))"

# 3. resume=/dev/vdb: ours comes back; the kernel's stays where it is.
boot b3-resume-ours check
expect 'snapresume: resuming image' "snapresume did not resume its image"
expect_result resumed yes
expect_result pid "$pid"
expect_result verify ok
[ "$(swsusp_sig)" = "$sig" ] || fail "resuming ours touched the kernel's image on /dev/vdc ($(swsusp_sig))"

# 4. resume=/dev/vdc: snapresume leaves the kernel's image to the kernel's
# resume, which brings back the system of boot 1.
SNAPTEST_RESUME=/dev/vdc
boot b4-resume-kernel check
expect 'snapresume: /dev/vdc holds an image of the kernel.s own hibernation: left to the kernel.s resume' \
	"snapresume did not leave the kernel's image alone"
expect_not 'snapresume: resuming image' "snapresume resumed something from /dev/vdc"
expect_result action kernel-hibernate
expect_result resumed yes
expect_result pid "$kpid"
expect_result verify ok
