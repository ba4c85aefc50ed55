"""Runs every QEMU check module (or those named on the command line) and
prints the closing 'N passed, N failed' line.

    python3 Tests/qemu/run_checks.py [--qemu PATH]... [MODULE]...

Each `--qemu` runs the checks once more with that qemu-system-aarch64
(`make test` gives two: the system's and QEMU 10.0 from
scripts/fetch-qemu.sh); without one they run with the environment's QEMU,
else the one on PATH. Each run starts with a line naming its QEMU and
version and ends with its own count; the closing line adds the runs up.
With MAKE_TEST_STARTED (seconds since the epoch) in the environment, the
wall time since then is printed before the closing line and written to
build/test-wall-seconds.
"""
import importlib
import os
import shutil
import subprocess
import sys
import time

from harness import ROOT, qemu_binary, run

MODULES = ["hardware_checks", "boot_checks", "platform_checks", "rebalance_checks", "console_checks", "reliability_checks",
           "its_checks", "hypervisor_checks"]


def describe(qemu):
    """'QEMU emulator version ...' of `qemu`, or why there is none."""
    try:
        completed = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        return "does not run: %s" % error
    lines = completed.stdout.splitlines()
    return lines[0] if completed.returncode == 0 and lines else "does not run: " + completed.stderr.strip()[-300:]


def main(arguments):
    qemus = []
    names = []
    while arguments:
        argument = arguments.pop(0)
        if argument == "--qemu":
            if not arguments:
                sys.exit("run_checks: --qemu needs a path")
            qemus.append(arguments.pop(0))
        else:
            names.append(argument)
    qemus = qemus or [qemu_binary()]
    checks = []
    for name in names or MODULES:
        checks += importlib.import_module(name).CHECKS

    totals = [0, 0]
    summaries = []
    for qemu in qemus:
        found = shutil.which(qemu)
        path = os.path.abspath(found) if found else os.path.abspath(qemu)
        version = describe(path)
        print("== QEMU checks on %s: %s" % (path, version), flush=True)
        os.environ["QEMU"] = path
        passed, failed = run(checks)
        totals[0] += passed
        totals[1] += failed
        summaries.append("== %s: %d passed, %d failed (%s)" % (path, passed, failed, version))
    if len(qemus) > 1:
        for summary in summaries:
            print(summary)
    started = os.environ.get("MAKE_TEST_STARTED")
    if started:
        seconds = int(time.time()) - int(started)
        with open(os.path.join(ROOT, "build", "test-wall-seconds"), "w") as handle:
            handle.write("%d\n" % seconds)
        print("make test: %d s" % seconds)
    print("%d passed, %d failed" % tuple(totals))
    return 0 if totals[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
