"""Runs every QEMU check module (or those named on the command line) and
prints the closing 'N passed, N failed' line.

    python3 Tests/qemu/run_checks.py [--qemu PATH]... [--jobs N] [MODULE]...

Each `--qemu` runs the checks once more with that qemu-system-aarch64
(`make test` gives two: the system's and QEMU 10.0 from
scripts/fetch-qemu.sh); without one they run with the environment's QEMU,
else the one on PATH. A module's LONG_RUNS (a check name -> a longer check)
take the place of the checks they name on the first QEMU only.

The checks of every QEMU go to `--jobs` worker processes (default: the
host's CPUs), each with its own scratch directory, so N checks boot side by
side: a boot is mostly one busy host thread, or a wait on QEMU's timers.
The long runs start first, then the heavy checks (harness.heavy), and the
short ones fill the gaps.
Each check's line is printed when it ends, tagged with its QEMU's version;
each QEMU's count follows, then the closing line adds them up. `--jobs 1`
runs one check at a time.
With MAKE_TEST_STARTED (seconds since the epoch) in the environment, the
time since then is printed as the checks start.
"""
import concurrent.futures
import contextlib
import importlib
import io
import os
import re
import shutil
import subprocess
import sys
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


def checks_of(names, first_qemu):
    """(start rank, module, check name) of every check to run on one QEMU,
    in order. Rank 0: a long run; 1: a heavy check; 2: the rest."""
    jobs = []
    for name in names:
        module = importlib.import_module(name)
        long_runs = getattr(module, "LONG_RUNS", {}) if first_qemu else {}
        for check in module.CHECKS:
            if check.__name__ in long_runs:
                jobs.append((0, name, long_runs[check.__name__].__name__))
            else:
                jobs.append((1 if getattr(check, "heavy", False) else 2, name, check.__name__))
    return jobs


def find_check(module_name, check_name):
    module = importlib.import_module(module_name)
    for check in list(module.CHECKS) + list(getattr(module, "LONG_RUNS", {}).values()):
        if check.__name__ == check_name:
            return check
    raise LookupError("%s has no check %s" % (module_name, check_name))


def start_worker(scratch_root):
    """Each worker writes its files in a directory of its own."""
    directory = os.path.join(scratch_root, "worker-%d" % os.getpid())
    os.makedirs(directory, exist_ok=True)
    os.environ["QEMU_CHECKS_SCRATCH"] = directory


def run_job(qemu, module_name, check_name):
    """One check on one QEMU, in a worker: its printed line(s) and counts."""
    os.environ["QEMU"] = qemu
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        passed, failed = run([find_check(module_name, check_name)])
    return printed.getvalue(), passed, failed


def main(arguments):
    qemus = []
    names = []
    jobs = os.cpu_count() or 1
    while arguments:
        argument = arguments.pop(0)
        if argument in ("--qemu", "--jobs"):
            if not arguments:
                sys.exit("run_checks: %s needs a value" % argument)
            value = arguments.pop(0)
            if argument == "--qemu":
                qemus.append(value)
            elif not value.isdigit() or int(value) < 1:
                sys.exit("run_checks: --jobs needs a whole number of at least 1, not '%s'" % value)
            else:
                jobs = int(value)
        else:
            names.append(argument)
    qemus = [resolved(qemu) for qemu in qemus or [qemu_binary()]]
    names = names or MODULES

    runs = []
    queue = []
    for index, qemu in enumerate(qemus):
        version = describe(qemu)
        number = re.search(r"version (\S+)", version)
        tag = "[%s]" % (number.group(1) if number else "qemu %d" % (index + 1))
        print("== QEMU checks on %s: %s" % (qemu, version), flush=True)
        runs.append({"qemu": qemu, "version": version, "tag": tag, "passed": 0, "failed": 0})
        queue += [(rank, index, module_name, check_name) for rank, module_name, check_name in checks_of(names, index == 0)]
    queue.sort(key=lambda job: job[0])

    started = os.environ.get("MAKE_TEST_STARTED")
    if started:
        print("make test: the QEMU checks start %d s in (%d checks, %d at a time)"
              % (int(time.time()) - int(started), len(queue), jobs), flush=True)
    scratch_root = os.path.join(ROOT, "build", "checks")
    shutil.rmtree(scratch_root, ignore_errors=True)
    os.makedirs(scratch_root)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, initializer=start_worker,
                                                initargs=(scratch_root,)) as pool:
        pending = {pool.submit(run_job, runs[index]["qemu"], module_name, check_name): index
                   for _, index, module_name, check_name in queue}
        for done in concurrent.futures.as_completed(pending):
            run_of_job = runs[pending[done]]
            try:
                printed, passed, failed = done.result()
            except Exception as failure:
                printed, passed, failed = "FAIL (the worker broke: %s)\n" % failure, 0, 1
            run_of_job["passed"] += passed
            run_of_job["failed"] += failed
            for line in printed.rstrip("\n").split("\n"):
                print("%s %s" % (run_of_job["tag"], line), flush=True)

    totals = [0, 0]
    for run_of_qemu in runs:
        totals[0] += run_of_qemu["passed"]
        totals[1] += run_of_qemu["failed"]
        print("== %s: %d passed, %d failed (%s)" % (run_of_qemu["qemu"], run_of_qemu["passed"], run_of_qemu["failed"],
                                                    run_of_qemu["version"]))
    print("%d passed, %d failed" % tuple(totals))
    return 0 if totals[1] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
