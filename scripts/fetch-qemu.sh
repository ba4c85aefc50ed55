#!/usr/bin/env bash
# Brings Debian bookworm-backports' QEMU 10.0 into build/qemu-10/ without
# changing the system: a private sources list and lists directory for
# apt-get, `apt-get download` of the two packages, then `dpkg -x`. Prints the
# path of the qemu-system-aarch64 it unpacked. A second run reuses it.
#
# The mirror is the system's own Debian mirror (read from its sources), so
# nothing here names a host.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${QEMU10_VERSION:-1:10.0.2+ds-2+deb13u1~bpo12+1}
root=build/qemu-10
binary=$root/root/usr/bin/qemu-system-aarch64

if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
fi

mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
if [ -z "$mirror" ]; then
    mirror=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
fi
if [ -z "$mirror" ]; then
    echo "fetch-qemu: no Debian mirror found in the system's apt sources" >&2
    exit 1
fi

mkdir -p "$root/lists/partial" "$root/archives/partial" "$root/debs"
echo "deb $mirror bookworm-backports main" > "$root/sources.list"
apt_options=(-o "Dir::Etc::sourcelist=$PWD/$root/sources.list" -o "Dir::Etc::sourceparts=-"
             -o "Dir::State::Lists=$PWD/$root/lists" -o "Dir::Cache::archives=$PWD/$root/archives"
             -o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")
echo "fetch-qemu: QEMU $VERSION from $mirror bookworm-backports into $root" >&2
apt-get "${apt_options[@]}" update -qq >&2
# The version the checks were made with; if backports has moved on, its
# current 10.x is taken instead, and said so.
if ! (cd "$root/debs" && apt-get "${apt_options[@]}" download \
        "qemu-system-arm=$VERSION" "qemu-system-data=$VERSION" >&2); then
    echo "fetch-qemu: $VERSION is gone from bookworm-backports; taking its current version" >&2
    rm -f "$root"/debs/*.deb
    (cd "$root/debs" && apt-get "${apt_options[@]}" download \
        qemu-system-arm/bookworm-backports qemu-system-data/bookworm-backports >&2)
fi
for deb in "$root"/debs/*.deb; do
    dpkg -x "$deb" "$root/root"
done
if ! "$binary" --version >/dev/null 2>&1; then
    echo "fetch-qemu: $binary does not run on this system" >&2
    "$binary" --version >&2 || true
    exit 1
fi
echo "$binary"
