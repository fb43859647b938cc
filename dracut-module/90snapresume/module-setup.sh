#!/bin/bash
# dracut module: resume a snapresume hibernation image before root is mounted.
#
# Installs the snapresume binary (from $SNAPRESUME_BIN, default
# /usr/sbin/snapresume) as /usr/sbin/snapresume together with the shared
# libraries it needs, and a pre-mount hook that runs it. The binary reads
# resume=, noresume, resumedelay= and rd.snap.timeout= from /proc/cmdline
# itself; the hook only calls it and lets the boot go on whatever happens.
#
# SNAPRESUME_BIN, when set, is a path on the build host (e.g. a build tree);
# the default is looked up under the dracut sysroot like any system binary.
# shellcheck disable=SC2154 # moddir, dracutsysrootdir come from dracut

# called by dracut
check() {
    local _bin=${SNAPRESUME_BIN:-$dracutsysrootdir/usr/sbin/snapresume}

    # Without the binary there is nothing to install: refuse even when the
    # module was asked for, so a broken initramfs is not built silently.
    [[ -x $_bin ]] || {
        dinfo "snapresume: $_bin is missing or not executable"
        return 1
    }

    # Not (yet) part of a default initramfs: only when named with -m/--add.
    return 255
}

# called by dracut
depends() {
    return 0
}

# called by dracut
install() {
    local _bin=${SNAPRESUME_BIN:-/usr/sbin/snapresume}

    # inst_binary resolves and installs the libraries the binary links to.
    inst_binary "$_bin" /usr/sbin/snapresume || {
        dfatal "snapresume: failed to install $_bin"
        return 1
    }
    # Used by the hook when devtmpfs did not create /dev/snapshot.
    inst_multiple -o mknod
    inst_hook pre-mount 00 "$moddir/snapresume-hook.sh"
}
