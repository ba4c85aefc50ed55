#!/usr/bin/env bash
# Boots the image in QEMU's virt machine (GICv3) and exits with the image's
# own exit status (semihosting SYS_EXIT_EXTENDED). The one place the QEMU
# command line is written; `make run`, `make console` and the tests call it.
#
# Environment: IMAGE (required), QEMU (the qemu-system-aarch64 to run;
# default: the one on PATH), SMP (4), EL (1 or 2), MEMORY (256M),
# IMAGE_ARGS (the image's command line), QEMUFLAGS (extra arguments,
# appended last, word-split), QEMU_PRINT (1: print the command first),
# DUMPDTB (a file: QEMU writes its device tree there and exits, without
# running the image).
#
# A QEMU unpacked outside the system (scripts/fetch-qemu.sh: not under /usr
# or /usr/local) gets its own module directory in QEMU_MODULE_DIR unless
# that is set already: PREFIX/lib/<multiarch>/qemu beside its bin/, Debian's
# layout, so that modules of its own build are found before any other.
# QEMU still falls back to the directory it was built for (util/module.c
# tries QEMU_MODULE_DIR, then that one), which holds the system QEMU's
# modules: what keeps it from loading them (and warning that they belong to
# another build) is -audiodev none, since the modules it tried were the
# audio drivers it probes when no audio backend is named. The image has no
# sound device.
#
# The image reads its command line with semihosting SYS_GET_CMDLINE into a
# 1024-byte buffer (CommandLineLimits.bufferSize in
# Sources/HotplugCore/Boot/CommandLineLimits.swift). QEMU hands over the
# image path and the -append words joined by single spaces, with a NUL, and
# refuses the call when that does not fit, so a longer line is refused here,
# before booting (status 64), instead of reaching the image as nothing.
set -euo pipefail

: "${IMAGE:?IMAGE must name the image to boot}"
QEMU=${QEMU:-qemu-system-aarch64}
SMP=${SMP:-4}
EL=${EL:-1}
MEMORY=${MEMORY:-256M}
COMMAND_LINE_BUFFER=1024

machine=virt,gic-version=3
case "$EL" in
    1) ;;
    2) machine=$machine,virtualization=on ;;
    *) echo "qemu.sh: EL must be 1 or 2, not '$EL'" >&2; exit 64 ;;
esac
if [ -n "${DUMPDTB:-}" ]; then
    machine=$machine,dumpdtb=$DUMPDTB
fi

binary=$(command -v "$QEMU" || true)
if [ -z "$binary" ]; then
    echo "qemu.sh: QEMU '$QEMU' not found" >&2
    exit 64
fi
prefix=$(cd "$(dirname "$binary")/.." && pwd -P)
if [ -z "${QEMU_MODULE_DIR:-}" ] && [ "$prefix" != /usr ] && [ "$prefix" != /usr/local ]; then
    export QEMU_MODULE_DIR=$prefix/lib/$(uname -m)-linux-gnu/qemu
fi

# The bytes SYS_GET_CMDLINE needs: QEMU splits -append at spaces and joins
# the image path and the words with one space each, then a NUL.
arguments=${IMAGE_ARGS:-}
needed=$(
    export LC_ALL=C
    set -f
    IFS=' '
    # shellcheck disable=SC2206
    words=($arguments)
    total=$(( ${#IMAGE} + 1 ))
    for word in ${words[@]+"${words[@]}"}; do
        total=$(( total + 1 + ${#word} ))
    done
    echo "$total"
)
if [ "$needed" -gt "$COMMAND_LINE_BUFFER" ]; then
    echo "qemu.sh: the image's command line would take $needed bytes (the image path, the arguments, a NUL);" \
         "the image reads at most $COMMAND_LINE_BUFFER. Put a long script in a file: SCRIPT=FILE" \
         "(make), script=FILE (image argument)." >&2
    exit 64
fi

command=("$binary" -M "$machine" -cpu cortex-a57 -smp "$SMP" -m "$MEMORY"
         -nographic -nic none -audiodev none,id=silence -semihosting -kernel "$IMAGE" -append "$arguments")
# shellcheck disable=SC2206
command+=(${QEMUFLAGS:-})

if [ "${QEMU_PRINT:-0}" = 1 ]; then
    printf '%q ' "${command[@]}" >&2
    echo >&2
fi
exec "${command[@]}"
