#!/bin/bash
# dracut module of the benchmark (tests/bench/run), never installed: hands a
# swap area holding the kernel's own hibernation image to the kernel before
# root is mounted, when snapbench.resume=DEV is on the kernel command line.
# It is what dracut's "resume" module does, reduced to one device and with a
# mark in the kernel log, and it brings the modules of the kernel's lz4
# compressor, which an image written with hibernate.compressor=lz4 needs.
# With SNAPBENCH_LOAD in the environment it also installs that benchload,
# for the diagnostic snapbench.loadfloor=DEV.
# shellcheck disable=SC2154 # moddir comes from dracut

# called by dracut
check() {
    # Only when named with -m.
    return 255
}

# called by dracut
depends() {
    return 0
}

# called by dracut
installkernel() {
    hostonly='' instmods lz4 lz4_compress
}

# called by dracut
install() {
    inst_multiple -o modprobe
    inst_hook pre-mount 01 "$moddir/snapbench-resume.sh"
    # The benchmark's tool, for snapbench.loadfloor= (static).
    [ -n "${SNAPBENCH_LOAD:-}" ] && inst_simple "$SNAPBENCH_LOAD" /usr/bin/benchload
}
