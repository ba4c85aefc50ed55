"""QEMU checks for the operator console: scripts through SCENARIO (the
semihosting command line) and through standard input, every error case with
its message and status, a few hundred random lines, and the interactive
prompt driven through a pseudo-terminal (tmux)."""
import os
import random
import re
import shutil
import subprocess
import time

from harness import ROOT, boot, expect, expect_status

INVARIANTS_OK = "check: ok (0 violations)"


def scenario_runs_commands_in_order():
    result = boot(APPEND="-- cpus; cpu-offline 2; irq-affinity 224 1,3; fire 224 5; irq-affinity 224; check; exit 7")
    expect_status(result, 7)
    output = result.output
    expect("cpu 2 offline (AFFINITY_INFO confirms)" in output, "cpu-offline did not report")
    routed = re.search(r"INTID 224: requested 1,3, routed to cpu (\d+)$", output, re.M)
    expect(routed and routed.group(1) in ("1", "3"), "irq-affinity did not route within the mask 1,3")
    cpu = routed.group(1)
    expect("INTID 224: fired 5, handled 5, on cpu %s" % cpu in output, "fire did not report 5 handled there")
    expect("INTID 224: requested 1,3, routed to cpu %s (GICD_IROUTER 0x%s), handler test" % (cpu, cpu) in output,
           "irq-affinity INTID did not read the route back")
    expect(INVARIANTS_OK in output, "invariants did not hold")
    order = [output.index("> " + command) for command in ("cpus", "cpu-offline 2", "irq-affinity 224 1,3", "check")]
    expect(order == sorted(order), "commands did not run in script order")


# (script line, message the image must print). Each runs as the first
# command of a script: the script stops there with status 2, and a `cpus`
# after it must not run.
ERROR_CASES = [
    ("frobnicate", "error: unknown command 'frobnicate' (try 'help')"),
    ("cpu-offline x1", "error: 'x1' is not a number"),
    ("cpu-offline 99999999999999999999999", "error: cpu 99999999999999999999999 does not exist (cpus are 0-3)"),
    ("cpu-offline 7", "error: cpu 7 does not exist (cpus are 0-3)"),
    ("cpu-online 1", "error: cpu-online 1: cpu 1 is already online"),
    ("irq-affinity 16 0", "error: INTID 16 is not an SPI or extended SPI"),
    ("irq-affinity 300 0", "error: INTID 300 is not implemented by this GIC (SPIs 32-255)"),
    ("irq-affinity 224 0-9", "error: bad cpu list '0-9'"),
    ("irq-affinity 220 1", "error: INTID 220 is bound to a guest"),
    ("fire 100", "error: INTID 100 has no handler of ours"),
    ("fire 224 0", "error: count 0 is out of range"),
    ("policy fastest", "error: unknown policy 'fastest'"),
    ("exit 256", "error: exit status 256 is out of range (0-255)"),
    ("cpus extra", "error: unexpected argument 'extra' to 'cpus' (usage: cpus)"),
]


def make_error_check(line, message):
    def check():
        result = boot(APPEND="-- %s; cpus" % line)
        expect_status(result, 2)
        expect(message in result.output, "expected %r after %r; output ends:\n%s"
               % (message, line, "\n".join(result.lines()[-5:])))
        printed = [l for l in result.lines() if l.startswith("error:")]
        expect(len(printed) == 1, "one error line expected, got %r" % printed)
        expect(not re.search(r"^> cpus$", result.output, re.M), "the script went on after the error")
    check.__name__ = "script_error_" + line.split()[0].replace("-", "_") + "_" + str(abs(hash(line)) % 1000)
    return check


def offlining_last_cpu_is_refused():
    result = boot(SMP=2, APPEND="-- cpu-offline 1; cpu-offline 0; cpus")
    expect_status(result, 2)
    expect("error: cpu-offline 0: cpu 0 is the last online cpu" in result.output,
           "offlining the last online cpu was not refused:\n" + "\n".join(result.lines()[-5:]))


def stdin_lines_reach_the_console():
    """Piped lines arrive on the PL011 (interrupt-driven receive); errors at
    the prompt do not stop the console."""
    result = boot(APPEND="console", stdin="cpus\nnot-a-command\ncpu-offline 3\ncheck\nexit 5\n", timeout=60)
    expect_status(result, 5)
    expect("error: unknown command 'not-a-command'" in result.output, "the error was not reported")
    expect("cpu 3 offline (AFFINITY_INFO confirms)" in result.output, "the console stopped after an error")
    expect(INVARIANTS_OK in result.output, "invariants did not hold")


def lines_piped_into_make_console():
    """`make console` itself, with lines on its standard input."""
    completed = subprocess.run(["make", "-s", "--no-print-directory", "console"], cwd=ROOT, capture_output=True,
                               text=True, input="cpus\nexit 6\n", timeout=120)
    output = completed.stdout + completed.stderr
    expect(completed.returncode == 2 and "image exit status 6" in output,
           "make console ended with %d:\n%s" % (completed.returncode, output[-1500:]))
    expect("cpu0> cpus" in output and "0x003" in output, "the piped 'cpus' did not answer")


def console_moves_when_its_cpu_goes_offline():
    """Offlining the boot CPU, which runs the console: the console moves to
    another CPU and goes on; then every CPU but one, then all back."""
    script = "cpu-offline 0\ncpu-offline 1\ncpu-offline 2\ncpu-offline 3\ncpu-offline 4\ncpu-offline 5\n" \
             "cpu-offline 6\ncpus\ncheck\nfire 224 2\ncpu-online 0\ncpu-online 1\ncpu-online 2\ncpu-online 3\n" \
             "cpu-online 4\ncpu-online 5\ncpu-online 6\ncpus\ncheck\nexit 0\n"
    for el in (1, 2):
        result = boot(SMP=8, EL=el, APPEND="console", stdin=script, timeout=90)
        expect_status(result, 0)
        expect("console moves from cpu 0 to cpu 1" in result.output, "EL%d: the console did not move" % el)
        expect(result.output.count(INVARIANTS_OK) == 2, "EL%d: invariants did not hold" % el)
        expect("error:" not in result.output, "EL%d: an operation failed:\n%s" % (el, result.output[-2000:]))
        expect("cpu7> cpus" in result.output, "EL%d: the console did not end on cpu 7" % el)


def random_lines_leave_the_system_consistent():
    """A few hundred random lines, from the console's vocabulary and from
    random bytes, at the prompt; afterwards the invariants hold and the
    console still answers."""
    generator = random.Random(20261125)
    words = ["cpu-offline", "cpu-online", "cpus", "irqs", "irq-affinity", "fire", "policy", "check", "help",
             "0", "1", "2", "3", "4", "33", "34", "224", "230", "255", "256", "0-3", "1,3", "2-", "seed",
             "balanced", "0x20", "-1", "#", "exit"]
    lines = []
    for _ in range(300):
        if generator.random() < 0.7:
            line = " ".join(generator.choice(words) for _ in range(generator.randint(1, 4)))
            if line.startswith("exit") or " exit" in line:
                line = line.replace("exit", "help")
        else:
            line = "".join(chr(generator.choice(list(range(32, 127)) + [9])) for _ in range(generator.randint(0, 40)))
            if line.strip().startswith("exit") or line.strip().startswith("stress"):
                line = "# " + line
        lines.append(line)
    stdin = "\n".join(lines) + "\npolicy balanced\ncheck\nexit 0\n"
    result = boot(APPEND="console", stdin=stdin, timeout=120)
    expect_status(result, 0)
    expect(result.output.rstrip().endswith("exit 0"), "the console did not reach the final exit")
    expect(INVARIANTS_OK in result.output.split("policy balanced")[-1], "invariants did not hold afterwards")
    expect("FATAL" not in result.output, "the kernel faulted")


def interactive_prompt_through_a_terminal():
    """`make console` in tmux: the prompt appears, a typed command answers,
    backspace edits the line, `exit` ends the session with its status."""
    if not shutil.which("tmux"):
        raise AssertionError("tmux is missing (make test installs it)")
    session = "gicv3-console-%d" % os.getpid()
    status_file = os.path.join(ROOT, "build", "console-status")
    if os.path.exists(status_file):
        os.remove(status_file)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50",
                    "make -s console; echo $? > %s" % status_file], cwd=ROOT, check=True)
    try:
        def screen():
            return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                  text=True).stdout

        def wait_for(text, seconds=60):
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if text in screen():
                    return True
                time.sleep(0.2)
            return False

        expect(wait_for("cpu0>"), "no prompt; screen:\n" + screen())
        subprocess.run(["tmux", "send-keys", "-t", session, "cpuz", "BSpace", "s", "Enter"], check=True)
        expect(wait_for("0x003"), "'cpus' typed with a backspace did not answer; screen:\n" + screen())
        subprocess.run(["tmux", "send-keys", "-t", session, "exit 4", "Enter"], check=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not os.path.exists(status_file):
            time.sleep(0.2)
        expect(os.path.exists(status_file), "the session did not end after 'exit 4'")
        with open(status_file) as handle:
            expect(handle.read().strip() == "2", "make console did not fail with the image's status")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


CHECKS = [scenario_runs_commands_in_order]
CHECKS += [make_error_check(line, message) for line, message in ERROR_CASES]
CHECKS += [offlining_last_cpu_is_refused, stdin_lines_reach_the_console, lines_piped_into_make_console, console_moves_when_its_cpu_goes_offline,
           random_lines_leave_the_system_consistent, interactive_prompt_through_a_terminal]
