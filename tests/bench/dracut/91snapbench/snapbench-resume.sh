#!/bin/sh
# dracut pre-mount hook, sourced by dracut's init (no "exit" here); getarg,
# info and warn come from /lib/dracut-lib.sh.
#
# With snapbench.resume=/dev/NAME: write the device's major:minor to
# /sys/power/resume, which makes the kernel look for its hibernation image
# there and, when it finds one, load it and jump into it: this never
# returns. Without an image the boot goes on.
#
# With snapbench.loadfloor=/dev/NAME (diagnostic): benchload floorload
# hands the kernel the header and page list saved on the device and as many
# data pages from one buffer, timing the kernel's own part of a load, then
# the boot goes on.

# _snapbench_wait DEV: wait up to 30 s for /dev/NAME's sysfs entry;
# false if it did not appear.
_snapbench_wait() {
    _snapbench_i=0
    while [ ! -e "/sys/class/block/${1##*/}/dev" ] && [ "$_snapbench_i" -lt 300 ]; do
        sleep 0.1
        _snapbench_i=$((_snapbench_i + 1))
    done
    unset _snapbench_i
    [ -e "/sys/class/block/${1##*/}/dev" ]
}

_snapbench_dev=$(getarg snapbench.resume=)
if [ -n "$_snapbench_dev" ]; then
    # An lz4 image needs the crypto "lz4" algorithm; the kernel would ask
    # for it itself, but only through the usermode helper.
    modprobe -q lz4 2> /dev/null
    if _snapbench_wait "$_snapbench_dev"; then
        echo "bench: kernel resume from $_snapbench_dev" > /dev/kmsg
        cat "/sys/class/block/${_snapbench_dev##*/}/dev" > /sys/power/resume
        warn "snapbench: no hibernation image on $_snapbench_dev, continuing the boot"
    else
        warn "snapbench: $_snapbench_dev did not appear"
    fi
fi

_snapbench_dev=$(getarg snapbench.loadfloor=)
if [ -n "$_snapbench_dev" ]; then
    if _snapbench_wait "$_snapbench_dev"; then
        FLOOR_SPAN_MIB=$(getarg snapbench.floorspan=) FLOOR_BURN=$(getarg snapbench.floorburn=) \
            FLOOR_READ=$(getarg snapbench.floorread=) \
            /usr/bin/benchload floorload "$_snapbench_dev" || warn "snapbench: floorload failed"
    else
        warn "snapbench: $_snapbench_dev did not appear"
    fi
fi
unset _snapbench_dev
unset -f _snapbench_wait
