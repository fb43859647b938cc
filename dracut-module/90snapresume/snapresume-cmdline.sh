#!/bin/sh
# dracut cmdline hook, sourced by dracut's init.
#
# With rollback overlays (rd.snap.overlay= on the command line, or
# overlay= in /etc/snapresume.conf) root= names a device-mapper device that
# snapresume makes (after merging or dropping what a snapshot left). dracut
# waits for the root device before pre-mount, so then snapresume runs as an
# initqueue job once udev has settled; the pre-mount hook sees that it ran.
if getarg rd.snap.overlay= > /dev/null 2>&1 ||
    grep -qs '^[[:space:]]*overlay[[:space:]]*=' /etc/snapresume.conf; then
    /sbin/initqueue --settled --onetime --unique --name snapresume \
        /usr/lib/snapresume/snapresume-run.sh
fi
