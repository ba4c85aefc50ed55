#!/usr/bin/env bash
# Boots the image in QEMU's virt machine (GICv3) and exits with the image's
# own exit status (semihosting SYS_EXIT_EXTENDED). The one place the QEMU
# command line is written; `make run`, `make console` and the tests call it.
#
# Environment: IMAGE (required), SMP (4), EL (1 or 2), MEMORY (256M),
# IMAGE_ARGS (the image's command line), QEMUFLAGS (extra arguments,
# appended last, word-split), QEMU_PRINT (1: print the command first).
set -euo pipefail

: "${IMAGE:?IMAGE must name the image to boot}"
SMP=${SMP:-4}
EL=${EL:-1}
MEMORY=${MEMORY:-256M}

machine=virt,gic-version=3
case "$EL" in
    1) ;;
    2) machine=$machine,virtualization=on ;;
    *) echo "qemu.sh: EL must be 1 or 2, not '$EL'" >&2; exit 64 ;;
esac

command=(qemu-system-aarch64 -M "$machine" -cpu cortex-a57 -smp "$SMP" -m "$MEMORY"
         -nographic -nic none -semihosting -kernel "$IMAGE" -append "${IMAGE_ARGS:-}")
# shellcheck disable=SC2206
command+=(${QEMUFLAGS:-})

if [ "${QEMU_PRINT:-0}" = 1 ]; then
    printf '%q ' "${command[@]}" >&2
    echo >&2
fi
exec "${command[@]}"
