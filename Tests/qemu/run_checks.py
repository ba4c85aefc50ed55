"""Runs every QEMU check module (or those named on the command line) and
prints the closing 'N passed, N failed' line.

    python3 Tests/qemu/run_checks.py [--qemu PATH]... [--one-at-a-time] [MODULE]...

Each `--qemu` runs the checks once more with that qemu-system-aarch64
(`make test` gives two: the system's and QEMU 10.0 from
scripts/fetch-qemu.sh); without one they run with the environment's QEMU,
else the one on PATH. Each run starts with a line naming its QEMU and
version and ends with its own count; the closing line adds the runs up.

With two or more QEMUs the runs go side by side, each in its own process
with its own scratch directory (build/checks-N), and every line they print
is tagged with its QEMU's version: a check's boot is mostly one busy host
thread and a wait for QEMU's own timers, so two runs share the two cores of
a small machine well (`make test` took 637 s one run after the other).
`--one-at-a-time` runs them in turn instead, untagged.
With MAKE_TEST_STARTED (seconds since the epoch) in the environment, the
wall time since then is printed before the closing line and written to
build/test-wall-seconds.
"""
import importlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time

from harness import ROOT, qemu_binary, run

MODULES = ["hardware_checks", "boot_checks", "platform_checks", "rebalance_checks", "console_checks", "reliability_checks",
           "its_checks", "hypervisor_checks", "guest_standalone_check"]


def describe(qemu):
    """'QEMU emulator version ...' of `qemu`, or why there is none."""
    try:
        completed = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=30)
    except OSError as error:
        return "does not run: %s" % error
    lines = completed.stdout.splitlines()
    return lines[0] if completed.returncode == 0 and lines else "does not run: " + completed.stderr.strip()[-300:]


def resolved(qemu):
    found = shutil.which(qemu)
    return os.path.abspath(found) if found else os.path.abspath(qemu)


def run_here(qemus, checks):
    """Each QEMU's run in this process, one after the other; returns the
    totals and a summary line per run."""
    totals = [0, 0]
    summaries = []
    for qemu in qemus:
        path = resolved(qemu)
        version = describe(path)
        print("== QEMU checks on %s: %s" % (path, version), flush=True)
        os.environ["QEMU"] = path
        passed, failed = run(checks)
        totals[0] += passed
        totals[1] += failed
        summaries.append("== %s: %d passed, %d failed (%s)" % (path, passed, failed, version))
    return totals, summaries


COUNT = re.compile(r"^(\d+) passed, (\d+) failed$")


def run_side_by_side(qemus, names):
    """Each QEMU's run in a process of its own (this script with that one
    QEMU), all at once; their lines are printed as they come, tagged with
    the QEMU's version. A run that ends without its count line counts as
    one failure."""
    lock = threading.Lock()
    results = []
    readers = []
    for index, qemu in enumerate(qemus):
        path = resolved(qemu)
        version = describe(path)
        number = re.search(r"version (\S+)", version)
        tag = "[%s] " % (number.group(1) if number else "qemu %d" % index)
        scratch = os.path.join(ROOT, "build", "checks-%d" % index)
        os.makedirs(scratch, exist_ok=True)
        environment = dict(os.environ, QEMU_CHECKS_SCRATCH=scratch)
        environment.pop("MAKE_TEST_STARTED", None)
        child = subprocess.Popen([sys.executable, "-u", os.path.abspath(__file__), "--qemu", path] + names,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                 env=environment)
        result = {"path": path, "version": version, "count": None, "child": child}
        results.append(result)

        def relay(child=child, tag=tag, result=result):
            for line in child.stdout:
                line = line.rstrip("\n")
                count = COUNT.match(line)
                if count:
                    result["count"] = (int(count.group(1)), int(count.group(2)))
                with lock:
                    print(tag + line, flush=True)

        reader = threading.Thread(target=relay)
        reader.start()
        readers.append(reader)
    totals = [0, 0]
    summaries = []
    for reader, result in zip(readers, results):
        reader.join()
        status = result["child"].wait()
        passed, failed = result["count"] or (0, 1)
        if result["count"] is None:
            print("== %s: the run ended with status %d before its count line" % (result["path"], status))
        totals[0] += passed
        totals[1] += failed
        summaries.append("== %s: %d passed, %d failed (%s)" % (result["path"], passed, failed, result["version"]))
    return totals, summaries


def main(arguments):
    qemus = []
    names = []
    side_by_side = True
    while arguments:
        argument = arguments.pop(0)
        if argument == "--qemu":
            if not arguments:
                sys.exit("run_checks: --qemu needs a path")
            qemus.append(arguments.pop(0))
        elif argument == "--one-at-a-time":
            side_by_side = False
        else:
            names.append(argument)
    qemus = qemus or [qemu_binary()]
    if side_by_side and len(qemus) > 1:
        totals, summaries = run_side_by_side(qemus, names)
    else:
        checks = []
        for name in names or MODULES:
            checks += importlib.import_module(name).CHECKS
        totals, summaries = run_here(qemus, checks)
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
