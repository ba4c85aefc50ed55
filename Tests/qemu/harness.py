"""Boots the image in QEMU and checks what it printed.

Boots go through scripts/qemu.sh, the one place the QEMU command line is
written (`make run` uses it too), which returns the image's exact exit
status. The images must have been built first (`make test` does that).
Each check is a function; the runner prints one line per check and closes
with the 'N passed, N failed' line CI reads.
"""
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Boot:
    """The result of one boot: exit status, console output, seconds taken."""

    def __init__(self, status, output, seconds, command):
        self.status = status
        self.output = output
        self.seconds = seconds
        self.command = command

    def lines(self):
        return self.output.splitlines()


def boot(SMP=4, EL=1, POLICY="balanced", APPEND="", HOTPLUG=1, DTB=1, QEMUFLAGS="",
         timeout=60, stdin=None):
    """Boots one image with the Makefile's variables (same names, same
    meaning) and returns what happened."""
    build = os.path.join(ROOT, "build", "hotplug-on" if HOTPLUG else "hotplug-off")
    image = os.path.join(build, "image.elf" if DTB else "image-low.elf")
    environment = dict(os.environ, IMAGE=image, SMP=str(SMP), EL=str(EL),
                       IMAGE_ARGS=("policy=%s %s" % (POLICY, APPEND)).strip(), QEMUFLAGS=QEMUFLAGS)
    command = [os.path.join(ROOT, "scripts", "qemu.sh")]
    started = time.monotonic()
    try:
        completed = subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, env=environment,
                                   text=True, errors="replace", timeout=timeout)
        status, output = completed.returncode, completed.stdout + completed.stderr
    except subprocess.TimeoutExpired as expired:
        status = "timeout"
        output = (expired.stdout or b"").decode(errors="replace") if isinstance(expired.stdout, bytes) \
            else (expired.stdout or "")
    description = "SMP=%s EL=%s POLICY=%s HOTPLUG=%s DTB=%s APPEND=%r" % (SMP, EL, POLICY, HOTPLUG, DTB, APPEND)
    return Boot(status, output.replace("\r\n", "\n"), time.monotonic() - started, description)


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def expect_status(result, status):
    expect(result.status == status,
           "exit status %r, expected %r; output ends:\n%s" % (result.status, status,
                                                            "\n".join(result.lines()[-25:])))


def qemu_dtb_cpus(smp, el=1):
    """The MPIDRs QEMU itself puts in the device tree for `-smp smp`, read
    back with dtc: the independent side of the CPU-list comparison."""
    machine = "virt,gic-version=3" + (",virtualization=on" if el == 2 else "")
    path = os.path.join(ROOT, "build", "qemu-smp%d-el%d.dtb" % (smp, el))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["qemu-system-aarch64", "-M", machine + ",dumpdtb=" + path, "-cpu", "cortex-a57",
                    "-smp", str(smp), "-m", "256M", "-nographic", "-nic", "none"], check=True, capture_output=True)
    source = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", path], check=True,
                            capture_output=True, text=True).stdout
    cpus = []
    for match in re.finditer(r"cpu@[0-9a-f]+ \{(.*?)\n\t\t\};", source, re.S):
        body = match.group(1)
        if 'device_type = "cpu"' not in body:
            continue
        cells = re.search(r"\breg = <([^>]*)>", body).group(1).split()
        value = 0
        for cell in cells:
            value = value << 32 | int(cell, 16)
        cpus.append(value)
    return cpus


def image_cpus(result):
    """The (logical number, MPIDR) list the image printed."""
    return [(int(m.group(1)), int(m.group(2), 16))
            for m in re.finditer(r"^\s+cpu\s+(\d+)\s+mpidr (0x[0-9a-f]+)", result.output, re.M)]


def run(checks):
    """Runs each check, prints a line each and the closing count; returns
    the process exit status."""
    passed = failed = 0
    for check in checks:
        started = time.monotonic()
        try:
            check()
            passed += 1
            print("PASS %-48s %5.1fs" % (check.__name__, time.monotonic() - started), flush=True)
        except CheckFailed as failure:
            failed += 1
            print("FAIL %-48s %5.1fs\n     %s" % (check.__name__, time.monotonic() - started,
                                                 str(failure).replace("\n", "\n     ")), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1
