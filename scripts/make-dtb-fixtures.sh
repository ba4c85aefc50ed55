#!/bin/sh
# Regenerates the device-tree fixtures in Tests/HotplugCoreTests/Fixtures.
#
# QEMU's `dumpdtb=` (scripts/qemu.sh's DUMPDTB: the same machine the image
# boots on) writes the DTB it would hand to a guest (padded to 1 MiB);
# `dtc -I dtb -O dtb` repacks it to a few KiB without changing its content;
# `dtc -I dtb -O dts` writes it out as text next to it.
# `dtb-randomness=off` leaves out /chosen's rng-seed and kaslr-seed, which are
# fresh random bytes on every run: with it, rerunning the script reproduces the
# committed files byte for byte. Nothing else in the tree changes.
# Needs qemu-system-aarch64 (Debian: qemu-system-arm) and dtc
# (Debian: device-tree-compiler).
set -eu

cd "$(dirname "$0")/.."
out=Tests/HotplugCoreTests/Fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# dump NAME EL SMP
dump() {
    name=$1
    DUMPDTB=$tmp/$name.raw.dtb IMAGE=/dev/null EL=$2 SMP=$3 QEMUFLAGS="-M dtb-randomness=off" \
        scripts/qemu.sh 2>/dev/null
    dtc -q -I dtb -O dtb -o "$out/$name.dtb" "$tmp/$name.raw.dtb"
    # The same tree as text, for reading what the tests assert against.
    dtc -q -I dtb -O dts -o "$out/$name.dts" "$out/$name.dtb"
    echo "$out/$name.dtb: $(wc -c < "$out/$name.dtb") bytes"
}

dump virt-smp4     1 4
dump virt-smp20    1 20
dump virt-el2-smp4 2 4
