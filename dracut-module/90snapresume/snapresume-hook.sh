#!/bin/sh
# dracut pre-mount hook, sourced by dracut's init (so no "exit" here);
# info and warn come from /lib/dracut-lib.sh, which init has already loaded.
#
# Runs snapresume before the root filesystem is mounted. When it finds a
# usable image it never returns: the resumed kernel takes over. In every
# other case (no image, noresume, refused image, any error) the boot goes on;
# the binary has already said why on the console.

# _snapresume_uptime_cs: seconds since boot in hundredths (/proc/uptime has
# exactly two decimals), to report how long the step held the boot up.
_snapresume_uptime_cs() {
    read -r _snapresume_up _ < /proc/uptime
    echo "${_snapresume_up%.*}${_snapresume_up#*.}" | sed 's/^0*\(.\)/\1/'
}

# It runs once, from the first of: snapresume.service (systemd flavour),
# the initqueue job when overlays are configured (snapresume-cmdline.sh),
# this pre-mount hook. mkdir is atomic: two of them may start together.
if mkdir /run/snapresume.done 2> /dev/null; then

# devtmpfs creates /dev/snapshot (misc 10:231) when the kernel has
# CONFIG_HIBERNATION_SNAPSHOT_DEV; make it by hand if /dev is not devtmpfs.
if [ ! -e /dev/snapshot ]; then
    mknod -m 0600 /dev/snapshot c 10 231 2> /dev/null \
        || warn "snapresume: /dev/snapshot is missing"
fi

# An image in a LUKS2 volume needs dm-crypt, overlays dm-snapshot (no
# error when built in or already loaded).
modprobe -q dm_crypt 2> /dev/null
modprobe -q dm_snapshot 2> /dev/null

if [ -x /usr/sbin/snapresume ]; then
    _snapresume_t0=$(_snapresume_uptime_cs)
    /usr/sbin/snapresume
    _snapresume_rc=$?
    _snapresume_cs=$(($(_snapresume_uptime_cs) - _snapresume_t0))
    _snapresume_took=$((_snapresume_cs / 100)).$((_snapresume_cs / 10 % 10))$((_snapresume_cs % 10))
    if [ "$_snapresume_rc" -eq 0 ]; then
        info "snapresume: no resume, continuing the boot (took ${_snapresume_took}s)"
    else
        warn "snapresume: exited with status $_snapresume_rc, continuing the boot (took ${_snapresume_took}s)"
    fi
    unset _snapresume_t0 _snapresume_rc _snapresume_cs _snapresume_took _snapresume_up
else
    warn "snapresume: /usr/sbin/snapresume is missing, continuing the boot"
fi
fi
