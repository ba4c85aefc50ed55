#!/bin/sh
# Regenerates the device-tree fixtures in Tests/HotplugCoreTests/Fixtures.
#
# QEMU's `dumpdtb=` writes the DTB it would hand to a guest (padded to 1 MiB);
# `dtc -I dtb -O dtb` repacks it to a few KiB without changing its content;
# `dtc -I dtb -O dts` writes it out as text next to it.
# `-nic none`: without it QEMU looks for the default virtio NIC's option ROM
# (efi-virtio.rom, Debian package ipxe-qemu) and stops before dumping when it
# is missing. The NIC sits on PCI, which the DTB does not enumerate, so the
# blob is the same either way.
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

# dump NAME MACHINE-OPTIONS SMP
dump() {
    name=$1
    machine=$2
    smp=$3
    qemu-system-aarch64 -M "$machine,dtb-randomness=off,dumpdtb=$tmp/$name.raw.dtb" \
        -cpu cortex-a57 -m 256M -smp "$smp" -nographic -nic none
    dtc -q -I dtb -O dtb -o "$out/$name.dtb" "$tmp/$name.raw.dtb"
    # The same tree as text, for reading what the tests assert against.
    dtc -q -I dtb -O dts -o "$out/$name.dts" "$out/$name.dtb"
    echo "$out/$name.dtb: $(wc -c < "$out/$name.dtb") bytes"
}

dump virt-smp4     virt,gic-version=3                   4
dump virt-smp20    virt,gic-version=3                   20
dump virt-el2-smp4 virt,gic-version=3,virtualization=on 4
