#!/usr/bin/env bash
# Installs the Debian packages the build and the QEMU tests need, if missing:
# qemu-system-aarch64 (qemu-system-arm), the aarch64 binutils for inspecting
# the image (gcc-aarch64-linux-gnu), dtc (device-tree-compiler) and tmux (the
# interactive console test). The Swift toolchain is expected on PATH.
set -euo pipefail

missing=()
command -v qemu-system-aarch64 >/dev/null || missing+=(qemu-system-arm)
command -v aarch64-linux-gnu-objdump >/dev/null || missing+=(gcc-aarch64-linux-gnu)
command -v dtc >/dev/null || missing+=(device-tree-compiler)
command -v tmux >/dev/null || missing+=(tmux)
command -v python3 >/dev/null || missing+=(python3)

if [ ${#missing[@]} -gt 0 ]; then
    command="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then
        echo "install-deps: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $command >/dev/null
    else
        echo "install-deps: missing packages; run as root: apt-get update && $command" >&2
        exit 1
    fi
fi

if ! command -v swiftc >/dev/null; then
    echo "install-deps: no Swift toolchain on PATH (swiftc); Swift 6.3 with Embedded Swift is required" >&2
    exit 1
fi
