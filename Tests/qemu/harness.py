"""Boots the image in QEMU and checks what it printed.

Boots go through scripts/qemu.sh, the one place the QEMU command line is
written (`make run` uses it too), which returns the image's exact exit
status. The QEMU binary is the environment's QEMU (default: the
qemu-system-aarch64 on PATH), for the boots and for the device-tree dump
alike; run_checks.py sets it for each QEMU it is given. The images must have
been built first (`make test` does that). Each check is a function; the
runner prints one line per check and closes with the 'N passed, N failed'
line CI reads.

Nothing here assumes how many SPIs the GIC has (QEMU 7.2's virt machine has
224, QEMU 8 and later 256): INTIDs come from what the image prints
(`interrupt_layout`).
"""
import os
import re
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def scratch(name):
    """The path for a file a check writes (a device-tree dump, a script, a
    status file): in build/, or in the directory run_checks.py gives each of
    its workers (QEMU_CHECKS_SCRATCH), so that checks running side by side
    never share a file."""
    return os.path.join(os.environ.get("QEMU_CHECKS_SCRATCH") or os.path.join(ROOT, "build"), name)


def named_check(name, body, doc=None):
    """A check called `name` that runs `body()`: for checks made from a
    table of parameters (the runner prints and looks them up by name)."""
    def check():
        body()
    check.__name__ = name
    check.__doc__ = doc
    return check


def heavy(check):
    """Marks a check that keeps the host busy for many seconds (a stress
    run, a storm, a long watchdog wait): run_checks.py starts these first,
    so that the short ones fill the gaps at the end."""
    check.heavy = True
    return check


class Boot:
    """The result of one boot: exit status, console output, seconds taken."""

    def __init__(self, status, output, seconds, command):
        self.status = status
        self.output = output
        self.seconds = seconds
        self.command = command

    def lines(self):
        return self.output.splitlines()


def boot(SMP=4, EL=1, POLICY="balanced", APPEND="", HOTPLUG=1, DTB=1, FAULTS=0, QEMUFLAGS="",
         timeout=60, stdin=None):
    """Boots one image with the Makefile's variables (same names, same
    meaning: FAULTS=1 is the fault-injection build, the only one that takes
    psci-fault=, psci-conduit=, test-fault and test-stall=; EL=2 is the
    hypervisor image, build/*-el2*) and returns what happened."""
    build = os.path.join(ROOT, "build", ("hotplug-on" if HOTPLUG else "hotplug-off") + ("-el2" if int(EL) == 2 else "")
                         + ("-faults" if FAULTS else ""))
    image = os.path.join(build, "image.elf" if DTB else "image-low.elf")
    environment = dict(os.environ, QEMU=qemu_binary(), IMAGE=image, SMP=str(SMP), EL=str(EL),
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
    description = "SMP=%s EL=%s POLICY=%s HOTPLUG=%s DTB=%s FAULTS=%s APPEND=%r" % (SMP, EL, POLICY, HOTPLUG, DTB, FAULTS,
                                                                                  APPEND)
    return Boot(status, output.replace("\r\n", "\n"), time.monotonic() - started, description)


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def expect_status(result, status):
    """The image's exit status; on a mismatch the message carries the
    image's first FAIL/error lines (with the line after each) as well as
    the end of its output, so an intermittent failure can be diagnosed from
    the log alone."""
    if result.status == status:
        return
    lines = result.lines()
    first = []
    for index, line in enumerate(lines):
        if "FAIL" in line or line.startswith("error:"):
            first += lines[index:index + 2]
        if len(first) >= 12:
            break
    expect(False, "exit status %r, expected %r; first failures:\n%s\noutput ends:\n%s"
           % (result.status, status, "\n".join(first) or "(none)", "\n".join(lines[-25:])))


def qemu_binary():
    """The QEMU the checks run on: the environment's QEMU, else the
    qemu-system-aarch64 on PATH (scripts/qemu.sh uses the same rule). A
    path is made absolute, as qemu.sh runs in the repository's root."""
    qemu = os.environ.get("QEMU") or "qemu-system-aarch64"
    return os.path.abspath(qemu) if os.sep in qemu else qemu


def qemu_dtb_cpus(smp, el=1):
    """The MPIDRs QEMU itself puts in the device tree for `-smp smp`, read
    back with dtc: the independent side of the CPU-list comparison. The
    tree is dumped by the same QEMU the image boots on (scripts/qemu.sh with
    DUMPDTB)."""
    path = scratch("qemu-smp%d-el%d.dtb" % (smp, el))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    environment = dict(os.environ, QEMU=qemu_binary(), IMAGE=os.path.join(ROOT, "build", "hotplug-on", "image.elf"), SMP=str(smp),
                       EL=str(el), DUMPDTB=path, IMAGE_ARGS="", QEMUFLAGS="")
    dump = subprocess.run([os.path.join(ROOT, "scripts", "qemu.sh")], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)
    if dump.returncode != 0 or not os.path.exists(path):
        raise CheckFailed("%s did not dump its device tree (status %d): %s"
                          % (qemu_binary(), dump.returncode, dump.stderr[-500:]))
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


class InterruptLayout:
    """The SPIs of the GIC the image runs on and the kernel's own among
    them, as the image prints them at -smp 4 (the GICD_TYPER line and the
    `irqs` table): `last_spi` (255 on QEMU 7.2, 287 on QEMU 8 and later),
    `test` (the test SPIs with a handler of ours, ascending), `guest` (the
    guest-bound ones). The kernel claims the same test SPIs at any -smp up
    to 16."""

    def __init__(self, output):
        typer = re.search(r"^GICD_TYPER 0x[0-9a-f]+: SPIs 32-(\d+),", output, re.M)
        rows = re.findall(r"^\s+(\d+):.*\s(test|\(guest\))$", output, re.M)
        if not typer or not rows:
            raise CheckFailed("no GICD_TYPER line or irqs table to read the SPIs from:\n" + output[-1500:])
        self.last_spi = int(typer.group(1))
        self.test = [int(intid) for intid, handler in rows if handler == "test"]
        self.guest = [int(intid) for intid, handler in rows if handler == "(guest)"]

    @property
    def unimplemented(self):
        """An SPI INTID (below 1020) the GIC does not implement."""
        return self.last_spi + 45


_layouts = {}


def interrupt_layout():
    """The `InterruptLayout` of the QEMU in use, read once per QEMU from a
    short boot (`irqs; exit 0`)."""
    key = qemu_binary()
    if key not in _layouts:
        result = boot(SMP=4, APPEND="-- irqs; exit 0", timeout=60)
        expect_status(result, 0)
        _layouts[key] = InterruptLayout(result.output)
    return _layouts[key]


def children_cpu_seconds():
    """CPU time (user + system) of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(checks):
    """Runs each check and prints a line each (its wall time, and the CPU
    time of the QEMUs and tools it ran); returns (passed, failed)."""
    passed = failed = 0
    for check in checks:
        started = time.monotonic()
        cpu = children_cpu_seconds()
        try:
            check()
            passed += 1
            verdict, message = "PASS", ""
        except Exception as failure:
            failed += 1
            verdict = "FAIL"
            message = str(failure) if isinstance(failure, CheckFailed) else "%s: %s" % (type(failure).__name__, failure)
            message = "\n     " + message.replace("\n", "\n     ")
        print("%s %-48s %5.1fs (cpu %5.1fs)%s" % (verdict, check.__name__, time.monotonic() - started,
                                                children_cpu_seconds() - cpu, message), flush=True)
    return passed, failed
