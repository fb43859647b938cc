#!/bin/sh
# The initqueue job of snapresume-cmdline.sh: the pre-mount hook, run early.
. /lib/dracut-lib.sh
. /usr/lib/snapresume/snapresume-hook.sh
