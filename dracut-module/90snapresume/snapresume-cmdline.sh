#!/bin/sh
# dracut cmdline hook, sourced by dracut's init.
#
# With rollback overlays (rd.snap.overlay= on the command line, or
# overlay= in /etc/snapresume.conf) root= names a device-mapper device that
# snapresume makes (after merging or dropping what a snapshot left). dracut
# waits for the root device before pre-mount, so then snapresume runs as an
# initqueue job once udev has settled; the pre-mount hook sees that it ran.

# _snapresume_overlays: is an overlay configured? (No grep in every
# initramfs: the shell reads the file.)
_snapresume_overlays() {
    getarg rd.snap.overlay= > /dev/null 2>&1 && return 0
    [ -r /etc/snapresume.conf ] || return 1
    while read -r _snapresume_line; do
        case $_snapresume_line in
            overlay=* | overlay\ *=*) return 0 ;;
        esac
    done < /etc/snapresume.conf
    return 1
}

if _snapresume_overlays; then
    /sbin/initqueue --settled --onetime --unique --name snapresume \
        /usr/lib/snapresume/snapresume-run.sh
fi
unset _snapresume_line
