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
#
# Encrypted (LUKS2) targets: the configuration /etc/snapresume.conf (or
# $SNAPRESUME_CONF) is installed as /etc/snapresume.conf, and the key file
# its keyfile= names, when there is one, goes in at that path (taken from
# $SNAPRESUME_KEYFILE when set, e.g. a test key). Nothing else secret is
# installed: without a key file the passphrase is asked at boot.
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
    # device-mapper with its udev rules: libcryptsetup waits for udev to
    # finish with the mapping it creates.
    echo dm
    return 0
}

# called by dracut
installkernel() {
    # dm-crypt and the ciphers a LUKS2 volume may use; dm-snapshot for the
    # rollback overlays (merging a snapshot's changes at boot, and the
    # running system's snapshots, which need the module loaded already).
    instmods dm_crypt dm_snapshot =crypto
}

# called by dracut
install() {
    local _bin=${SNAPRESUME_BIN:-/usr/sbin/snapresume}

    # inst_binary resolves and installs the libraries the binary links to.
    inst_binary "$_bin" /usr/sbin/snapresume || {
        dfatal "snapresume: failed to install $_bin"
        return 1
    }
    # Used by the hook: mknod when devtmpfs did not create /dev/snapshot,
    # modprobe for dm-crypt.
    inst_multiple -o mknod modprobe

    local _conf=${SNAPRESUME_CONF:-$dracutsysrootdir/etc/snapresume.conf} _key
    if [[ -f $_conf ]]; then
        inst_simple "$_conf" /etc/snapresume.conf
        _key=$(sed -n 's/^[[:space:]]*keyfile[[:space:]]*=[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$_conf" | tail -n 1)
        if [[ $_key ]]; then
            if [[ -r ${SNAPRESUME_KEYFILE:-$dracutsysrootdir$_key} ]]; then
                inst_simple "${SNAPRESUME_KEYFILE:-$dracutsysrootdir$_key}" "$_key"
                chmod 0400 "${initdir}$_key"
            else
                dwarn "snapresume: key file $_key (named in $_conf) not found; not installed"
            fi
        fi
    fi
    inst_hook pre-mount 00 "$moddir/snapresume-hook.sh"
    # Overlays (rd.snap.overlay=): the mapping root= names is made by
    # snapresume, so it runs from the initqueue instead (the hook again,
    # from this copy), before dracut waits for the root device.
    inst_simple "$moddir/snapresume-hook.sh" /usr/lib/snapresume/snapresume-hook.sh
    inst_script "$moddir/snapresume-run.sh" /usr/lib/snapresume/snapresume-run.sh
    inst_hook cmdline 90 "$moddir/snapresume-cmdline.sh"
}
