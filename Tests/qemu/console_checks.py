"""QEMU checks for the operator console: scripts through SCENARIO (the
semihosting command line), through a script file and through standard
input, every error case with its message and status, the command line's
length limit, a few hundred random lines, and the interactive prompt driven
through a pseudo-terminal (tmux).

INTIDs come from the image (`interrupt_layout`): the first test SPI is 224
on QEMU 7.2 and 256 on QEMU 8 and later."""
import os
import random
import re
import shlex
import shutil
import subprocess
import time

from harness import ROOT, boot, expect, expect_status, interrupt_layout, qemu_binary, scratch

INVARIANTS_OK = "check: ok (0 violations)"


def scenario_runs_commands_in_order():
    test = interrupt_layout().test[0]
    result = boot(APPEND="-- cpus; cpu-offline 2; irq-affinity %d 1,3; fire %d 5; irq-affinity %d; check; exit 7"
                  % (test, test, test))
    expect_status(result, 7)
    output = result.output
    expect("cpu 2 offline (AFFINITY_INFO confirms)" in output, "cpu-offline did not report")
    routed = re.search(r"INTID %d: requested 1,3, routed to cpu (\d+)$" % test, output, re.M)
    expect(routed and routed.group(1) in ("1", "3"), "irq-affinity did not route within the mask 1,3")
    cpu = routed.group(1)
    expect("INTID %d: fired 5, handled 5, on cpu %s" % (test, cpu) in output, "fire did not report 5 handled there")
    expect("INTID %d: requested 1,3, routed to cpu %s (GICD_IROUTER 0x%s), handler test" % (test, cpu, cpu) in output,
           "irq-affinity INTID did not read the route back")
    expect(INVARIANTS_OK in output, "invariants did not hold")
    order = [output.index("> " + command)
             for command in ("cpus", "cpu-offline 2", "irq-affinity %d 1,3" % test, "check")]
    expect(order == sorted(order), "commands did not run in script order")


# (name, script line, message the image must print), each a function of
# the `InterruptLayout`. Each runs as the first command of a script: the
# script stops there with status 2, and a `cpus` after it must not run.
ERROR_CASES = [
    ("unknown_command", lambda spis: ("frobnicate", "error: unknown command 'frobnicate' (try 'help')")),
    ("not_a_number", lambda spis: ("cpu-offline x1", "error: 'x1' is not a number")),
    ("cpu_number_too_long", lambda spis: ("cpu-offline 99999999999999999999999",
                                          "error: cpu 99999999999999999999999 does not exist (cpus are 0-3)")),
    ("no_such_cpu", lambda spis: ("cpu-offline 7", "error: cpu 7 does not exist (cpus are 0-3)")),
    ("already_online", lambda spis: ("cpu-online 1", "error: cpu-online 1: cpu 1 is already online")),
    ("not_an_spi", lambda spis: ("irq-affinity 16 0", "error: INTID 16 is not an SPI, extended SPI or LPI")),
    ("unimplemented_spi", lambda spis: ("irq-affinity %d 0" % spis.unimplemented,
                                        "error: INTID %d is not implemented by this GIC (SPIs 32-%d)"
                                        % (spis.unimplemented, spis.last_spi))),
    ("bad_cpu_list", lambda spis: ("irq-affinity %d 0-9" % spis.test[0], "error: bad cpu list '0-9'")),
    ("guest_bound", lambda spis: ("irq-affinity %d 1" % spis.guest[0],
                                  "error: INTID %d is bound to a guest" % spis.guest[0])),
    ("no_handler", lambda spis: ("fire 100", "error: INTID 100 has no handler of ours")),
    ("count_zero", lambda spis: ("fire %d 0" % spis.test[0], "error: count 0 is out of range")),
    ("unknown_policy", lambda spis: ("policy fastest", "error: unknown policy 'fastest'")),
    ("epoch_without_load", lambda spis: ("epoch", "error: the policy in force (balanced) measures no load; "
                                                  "'epoch' is for policy load")),
    ("exit_status_range", lambda spis: ("exit 256", "error: exit status 256 is out of range (0-255)")),
    ("extra_argument", lambda spis: ("cpus extra", "error: unexpected argument 'extra' to 'cpus' (usage: cpus)")),
]


def make_error_check(name, case):
    def check():
        line, message = case(interrupt_layout())
        result = boot(APPEND="-- %s; cpus" % line)
        expect_status(result, 2)
        expect(message in result.output, "expected %r after %r; output ends:\n%s"
               % (message, line, "\n".join(result.lines()[-5:])))
        printed = [l for l in result.lines() if l.startswith("error:")]
        expect(len(printed) == 1, "one error line expected, got %r" % printed)
        expect(not re.search(r"^> cpus$", result.output, re.M), "the script went on after the error")
    check.__name__ = "script_error_" + name
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
             "cpu-offline 6\ncpus\ncheck\nfire %d 2\ncpu-online 0\ncpu-online 1\ncpu-online 2\ncpu-online 3\n" \
             "cpu-online 4\ncpu-online 5\ncpu-online 6\ncpus\ncheck\nexit 0\n" % interrupt_layout().test[0]
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
    spis = interrupt_layout()
    numbers = [str(intid) for intid in (spis.guest[0], spis.test[0], spis.test[6], spis.last_spi, spis.last_spi + 1)]
    words = ["cpu-offline", "cpu-online", "cpus", "irqs", "irq-affinity", "fire", "policy", "check", "help",
             "0", "1", "2", "3", "4", "33", "34"] + numbers + ["0-3", "1,3", "2-", "seed",
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
    status_file = scratch("console-status")
    if os.path.exists(status_file):
        os.remove(status_file)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "50",
                    # A tmux server keeps its own environment: QEMU is passed on.
                    "make -s console QEMU=%s; echo $? > %s" % (shlex.quote(qemu_binary()), status_file)],
                   cwd=ROOT, check=True)
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


def failed_offline_after_console_handover_stops_the_script():
    """Offlining the console's own CPU hands the console to another CPU,
    which performs the offline. When that offline fails (AFFINITY_INFO never
    says OFF, injected), the script must stop there with status 2 like any
    failed command; it used to print the error and run on."""
    result = boot(FAULTS=1, APPEND="psci-fault=affinity-info-stuck -- cpu-offline 0; cpus; exit 0")
    expect_status(result, 2)
    expect("console moves from cpu 0 to cpu 1" in result.output, "the console did not move")
    expect(re.search(r"^error: cpu-offline 0: cpu 0 did not reach OFF", result.output, re.M),
           "the failed offline was not reported:\n" + "\n".join(result.lines()[-5:]))
    expect(not re.search(r"^> cpus$", result.output, re.M), "the script went on after the failed offline")


def failed_offline_after_handover_at_the_prompt_goes_on():
    """At the prompt the same failure is reported and the console carries
    on (from the new CPU), as after any error there."""
    result = boot(FAULTS=1, APPEND="console psci-fault=affinity-info-stuck", stdin="cpu-offline 0\ncheck\nexit 6\n")
    expect_status(result, 6)
    expect("error: cpu-offline 0: cpu 0 did not reach OFF" in result.output, "the failed offline was not reported")
    expect("cpu1> check" in result.output and INVARIANTS_OK in result.output, "the console did not go on on cpu 1")


def command_line_of(total, script):
    """APPEND words that, after the harness's image path and `policy=balanced`,
    make a command line of `total` bytes with its NUL (as QEMU joins the
    words: one space each), ending in `-- script`."""
    image = os.path.join(ROOT, "build", "hotplug-on", "image.elf")
    tail = " -- " + script
    padding = total - len(image) - len(" policy=balanced ") - len(tail) - 1
    return "x" * padding + tail


def command_line_limit_is_exact():
    """The longest command line that reaches the image (1024 bytes with the
    image path and the NUL, QEMU 7.2 and 10.0 alike) runs its script; one
    byte more is refused by scripts/qemu.sh before booting, with a message
    that names the way in for long scripts."""
    fits = boot(APPEND=command_line_of(1024, "exit 7"))
    expect_status(fits, 7)
    expect("> exit 7" in fits.output, "the script at the limit did not run")
    refused = boot(APPEND=command_line_of(1025, "exit 7"))
    expect_status(refused, 64)
    expect("qemu.sh: the image's command line would take 1025 bytes" in refused.output
           and "SCRIPT=FILE" in refused.output, "no clear refusal:\n" + refused.output[-800:])


def too_long_command_line_is_refused_by_the_image():
    """A command line that reaches QEMU longer than the image's buffer (here
    by a later -append, past qemu.sh's own check) used to arrive as an empty
    one: the default demonstration ran and exited 0. The image now says so
    and stops with status 2."""
    result = boot(QEMUFLAGS="-append policy=balanced" + "x" * 1100, timeout=30)
    expect_status(result, 2)
    expect("error: the command line is longer than the image reads (1024 bytes with the image path and a NUL)"
           in result.output, "no message about the command line:\n" + result.output[-800:])
    expect("result:" not in result.output, "the demonstration ran")


def too_long_scenario_is_refused_by_make():
    """`make run SCENARIO=...` with a script longer than the command line:
    refused with a message and a failing status, not the demonstration's 0."""
    scenario = "; ".join(["cpus"] * 250) + "; exit 0"
    completed = subprocess.run(["make", "-s", "--no-print-directory", "run", "SCENARIO=" + scenario], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
    output = completed.stdout + completed.stderr
    expect(completed.returncode == 2, "make run ended with %d" % completed.returncode)
    expect("qemu.sh: the image's command line would take" in output and "SCRIPT=FILE" in output,
           "no clear refusal:\n" + output[-800:])
    expect("GICv3 interrupt migration" not in output, "the image was booted")


def long_script_file(name, lines):
    path = scratch(name)
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def long_script_runs_from_a_file():
    """A script far longer than the command line, from a file read through
    semihosting (`script=FILE`; `make run SCRIPT=FILE`): every command runs,
    in order, comments and `;` as in SCENARIO, and its exit status is the
    run's; an error in the middle stops it with status 2."""
    test = interrupt_layout().test[0]
    lines = ["# 300 commands, about 6 KiB; a comment runs to the end of its line", "cpu-offline 2; irqs"]
    lines += ["fire %d 1; check  # number %d; not a command" % (test + number % 8, number) for number in range(149)]
    lines += ["cpu-online 2", "exit 5"]
    path = long_script_file("long-script.txt", lines)
    expect(os.path.getsize(path) > 4000, "the script is not long")
    result = boot(APPEND="script=" + path, timeout=120)
    expect_status(result, 5)
    expect(result.output.count(INVARIANTS_OK) == 149, "%d checks passed, expected 149" % result.output.count(INVARIANTS_OK))
    expect("> cpu-online 2" in result.output and result.output.index("> cpu-online 2") > result.output.index("> irqs"),
           "commands out of order")

    made = subprocess.run(["make", "-s", "--no-print-directory", "run", "SCRIPT=" + os.path.relpath(path, ROOT)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    output = made.stdout + made.stderr
    expect(made.returncode == 2 and "image exit status 5" in output,
           "make run SCRIPT= ended with %d:\n%s" % (made.returncode, output[-800:]))

    failing = long_script_file("failing-script.txt", ["cpus", "fire %d 1" % test, "frobnicate", "irqs", "exit 0"])
    result = boot(APPEND="script=" + failing)
    expect_status(result, 2)
    expect("error: unknown command 'frobnicate'" in result.output, "the error was not reported")
    expect(not re.search(r"^> irqs$", result.output, re.M), "the script went on after the error")


def script_file_refusals():
    """A script file that cannot be opened, and a script given twice: one
    error line each, status 2, nothing run."""
    missing = boot(APPEND="script=" + scratch("no-such-script.txt"))
    expect_status(missing, 2)
    expect("error: script file '%s' cannot be opened" % scratch("no-such-script.txt")
           in missing.output, "no message for a missing file:\n" + missing.output[-500:])
    path = long_script_file("short-script.txt", ["exit 0"])
    twice = boot(APPEND="script=%s -- cpus" % path)
    expect_status(twice, 2)
    expect("error: a script after '--' and script=FILE: give one of them" in twice.output,
           "no message for two scripts:\n" + twice.output[-500:])


CHECKS = [scenario_runs_commands_in_order]
CHECKS += [make_error_check(name, case) for name, case in ERROR_CASES]
CHECKS += [offlining_last_cpu_is_refused, stdin_lines_reach_the_console, lines_piped_into_make_console, console_moves_when_its_cpu_goes_offline,
           random_lines_leave_the_system_consistent, interactive_prompt_through_a_terminal,
           failed_offline_after_console_handover_stops_the_script, failed_offline_after_handover_at_the_prompt_goes_on,
           command_line_limit_is_exact, too_long_command_line_is_refused_by_the_image, too_long_scenario_is_refused_by_make,
           long_script_runs_from_a_file, script_file_refusals]
