#!/bin/bash
# dracut module: resume a snapresume hibernation image before root is mounted.
#
# Installs the snapresume binary (from $SNAPRESUME_BIN, else snapresume
# found on the PATH of the system the initramfs is for) as
# /usr/sbin/snapresume together with the shared libraries it needs, and
# runs it: from snapresume.service in a systemd-based initramfs, from a
# pre-mount hook otherwise, and from the initqueue when rollback overlays
# are configured (root= may name one, and it must exist before dracut waits
# for root). The binary reads resume=, noresume, resume_offset= and
# rd.snap.* from /proc/cmdline itself; whatever happens, the boot goes on
# unless it resumes.
#
# Encrypted (LUKS2) targets: the configuration /etc/snapresume.conf (or
# $SNAPRESUME_CONF) is installed as /etc/snapresume.conf, and the key file
# its keyfile= names, when there is one, goes in at that path (taken from
# $SNAPRESUME_KEYFILE when set, e.g. a test key). Nothing else secret is
# installed: without a key file the passphrase is asked at boot.
#
# LUKS2 tokens (systemd-cryptenroll --tpm2-device, --fido2-device,
# --pkcs11-token-uri): snapresume tries them first, through libcryptsetup,
# which loads a plugin per token type from its token folder. The plugins of
# the token types the configured target has (snapwrite status lists them)
# go in, with what they load at run time by dlopen and ldd cannot see (the
# tpm2-tss libraries and the TCTI for /dev/tpmrm0; libfido2; p11-kit), and
# the TPM drivers where they are modules (docs/ARCHITECTURE.md, "LUKS2
# tokens in the initramfs").
#
# It coexists with dracut's resume module: snapresume leaves a kernel
# hibernation image to the kernel's resume, and the kernel finds no image
# of its own in a snapresume target.
# shellcheck disable=SC2154 # moddir, dracutsysrootdir, hostonly... come from dracut

# The snapresume binary to install (a path on the build host).
_snapresume_bin() {
    if [[ $SNAPRESUME_BIN ]]; then
        echo "$SNAPRESUME_BIN"
    elif [[ -x $dracutsysrootdir/usr/sbin/snapresume ]]; then
        echo "$dracutsysrootdir/usr/sbin/snapresume"
    elif [[ -x $dracutsysrootdir/usr/local/sbin/snapresume ]]; then
        echo "$dracutsysrootdir/usr/local/sbin/snapresume"
    fi
}

# The value of KEY= in the configuration file $1 (the last one).
_snapresume_conf() {
    sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\"\{0,1\}\([^\"]*\)\"\{0,1\}[[:space:]]*\$/\1/p" \
        "$1" 2> /dev/null | tail -n 1
}

# The kernel command line the initramfs is for.
_snapresume_cmdline() {
    if [[ -f $dracutsysrootdir/etc/kernel/cmdline ]]; then
        cat "$dracutsysrootdir/etc/kernel/cmdline"
    elif [[ -z $dracutsysrootdir ]]; then
        cat /proc/cmdline
    fi
}

# The plugin files of the LUKS2 tokens of the configured target, one a
# line: what "snapwrite status" says libcryptsetup loads for them.
_snapresume_token_plugins() {
    local _target
    _target=$(_snapresume_conf "$dracutsysrootdir/etc/snapwrite.conf" target)
    [[ $_target ]] && command -v snapwrite > /dev/null || return 0
    snapwrite status --target "$_target" 2> /dev/null \
        | sed -n 's/^token_plugins: //p' | tr ' ' '\n'
}

# called by dracut
check() {
    local _bin _target _w _dev

    _bin=$(_snapresume_bin)
    # Without the binary there is nothing to install: refuse even when the
    # module was asked for, so a broken initramfs is not built silently.
    [[ -x $_bin ]] || {
        dinfo "snapresume: the snapresume binary is missing"
        return 1
    }

    # Configured for this machine: a target in /etc/snapwrite.conf, or
    # rollback overlays.
    _target=$(_snapresume_conf "$dracutsysrootdir/etc/snapwrite.conf" target)
    [[ $_target ]] && return 0
    [[ $(_snapresume_conf "$dracutsysrootdir/etc/snapresume.conf" overlay) ]] && return 0
    for _w in $(_snapresume_cmdline); do
        case $_w in
            rd.snap.overlay=*) return 0 ;;
            resume=*) _dev=${_w#resume=} ;;
        esac
    done
    # Host-only: resume= names a device that holds an image of ours.
    if [[ $hostonly && $_dev ]] && command -v snapwrite > /dev/null \
        && snapwrite status --target "$_dev" > /dev/null 2>&1; then
        return 0
    fi
    # Otherwise only when asked for (-a snapresume).
    return 255
}

# called by dracut
depends() {
    # device-mapper with its udev rules: libcryptsetup waits for udev to
    # finish with the mapping it creates, and the overlays are mappings.
    echo dm
    return 0
}

# called by dracut: the kernel command line for a host-only initramfs
# (dracut --hostonly-cmdline): the configured target as resume=, with the
# resume_offset= of a swap file or image file.
cmdline() {
    local _target _off
    _target=$(_snapresume_conf "$dracutsysrootdir/etc/snapwrite.conf" target)
    [[ $_target ]] || return 0
    printf ' resume=%s' "$_target"
    if command -v snapwrite > /dev/null; then
        _off=$(snapwrite status --target "$_target" 2> /dev/null | sed -n 's/^resume_offset: //p')
        [[ $_off ]] && printf ' resume_offset=%s' "$_off"
    fi
    return 0
}

# called by dracut
installkernel() {
    # dm-crypt and the ciphers a LUKS2 volume may use; dm-snapshot for the
    # rollback overlays (merging a snapshot's changes at boot, and the
    # running system's snapshots, which need the module loaded already).
    instmods dm_crypt dm_snapshot =crypto
    # A TPM2 token needs /dev/tpmrm0 before snapresume runs: the TPM
    # drivers, where they are modules (Debian builds them in).
    if _snapresume_token_plugins | grep -q 'libcryptsetup-token-systemd-tpm2\.so$'; then
        hostonly='' instmods '=drivers/char/tpm'
    fi
    return 0
}

# Install libraries (paths) and everything they link to: dracut-install
# follows the links of executable files only, and Debian's libraries and
# token plugins are not executable (0644).
_snapresume_inst_libs() {
    local _f _dep
    for _f in "$@"; do
        inst_library "$_f" || return 1
        for _dep in $(ldd "$dracutsysrootdir$_f" 2> /dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
            inst_library "$_dep" || return 1
        done
    done
}

# Install the libraries NAME... (file names) found in dracut's library
# folders, with what they link to. 1 when one is missing.
_snapresume_inst_libnames() {
    local _name _d _found _rc=0
    for _name in "$@"; do
        _found=
        for _d in $libdirs; do
            if [[ -e $dracutsysrootdir$_d/$_name ]]; then
                _snapresume_inst_libs "$_d/$_name" && _found=1
                break
            fi
        done
        [[ $_found ]] || _rc=1
    done
    return $_rc
}

# Install the plugin of each LUKS2 token type of the target and the
# libraries it opens by name at run time.
_snapresume_install_tokens() {
    local _p _type _lib
    while read -r _p; do
        [[ $_p ]] || continue
        if [[ ! -e $dracutsysrootdir$_p ]]; then
            dwarn "snapresume: LUKS2 token plugin $_p is missing: the token cannot unlock the image at boot"
            continue
        fi
        _snapresume_inst_libs "$_p" || dwarn "snapresume: failed to install $_p"
        _type=${_p##*/libcryptsetup-token-}
        _type=${_type%.so}
        case $_type in
            systemd-tpm2)
                # systemd loads tpm2-tss's ESAPI, its marshalling and
                # return-code libraries; ESAPI then opens a TCTI by name
                # (libtss2-tcti-device for /dev/tpmrm0), itself or through
                # the TCTI loader where the build has one.
                for _lib in libtss2-esys.so.0 libtss2-rc.so.0 libtss2-mu.so.0 \
                    libtss2-tcti-device.so.0; do
                    _snapresume_inst_libnames "$_lib" || dwarn "snapresume: $_lib not found: the $_type token cannot work at boot"
                done
                _snapresume_inst_libnames libtss2-tctildr.so.0 || :
                ;;
            systemd-fido2)
                _snapresume_inst_libnames libfido2.so.1 || dwarn "snapresume: libfido2.so.1 not found: the $_type token cannot work at boot"
                ;;
            systemd-pkcs11)
                _snapresume_inst_libnames libp11-kit.so.0 || dwarn "snapresume: libp11-kit.so.0 not found: the $_type token cannot work at boot"
                ;;
        esac
    done < <(_snapresume_token_plugins)
}

# called by dracut
install() {
    local _bin _conf _key

    _bin=$(_snapresume_bin)
    # inst_binary resolves and installs the libraries the binary links to.
    inst_binary "$_bin" /usr/sbin/snapresume || {
        dfatal "snapresume: failed to install $_bin"
        return 1
    }
    # Used by the hook: mknod when devtmpfs did not create /dev/snapshot,
    # modprobe for dm-crypt and dm-snapshot.
    inst_multiple -o mknod modprobe

    _conf=${SNAPRESUME_CONF:-$dracutsysrootdir/etc/snapresume.conf}
    if [[ -f $_conf ]]; then
        inst_simple "$_conf" /etc/snapresume.conf
        _key=$(_snapresume_conf "$_conf" keyfile)
        if [[ $_key ]]; then
            if [[ -r ${SNAPRESUME_KEYFILE:-$dracutsysrootdir$_key} ]]; then
                inst_simple "${SNAPRESUME_KEYFILE:-$dracutsysrootdir$_key}" "$_key"
                chmod 0400 "${initdir}$_key"
            else
                dwarn "snapresume: key file $_key (named in $_conf) not found; not installed"
            fi
        fi
    fi

    _snapresume_install_tokens

    inst_simple "$moddir/snapresume-hook.sh" /usr/lib/snapresume/snapresume-hook.sh
    inst_script "$moddir/snapresume-run.sh" /usr/lib/snapresume/snapresume-run.sh
    inst_hook pre-mount 00 "$moddir/snapresume-hook.sh"
    # Overlays (rd.snap.overlay=): the mapping root= names is made by
    # snapresume, so it runs from the initqueue too (the hook again).
    inst_hook cmdline 90 "$moddir/snapresume-cmdline.sh"
    if dracut_module_included "systemd"; then
        inst_simple "$moddir/snapresume.service" "$systemdsystemunitdir/snapresume.service"
        mkdir -p "$initdir$systemdsystemunitdir/initrd.target.wants"
        ln_r "$systemdsystemunitdir/snapresume.service" \
            "$systemdsystemunitdir/initrd.target.wants/snapresume.service"
    fi
}
