"""QEMU checks for LPIs through the ITS: the image's `lpi-check` fires each
of its 8192 LPIs once with the ITS INT command and checks each was handled
exactly once on the CPU its collection targets; then takes every CPU but
the boot CPU offline in turn (a probe LPI made pending on it with its
interrupts masked first), fires them all again while it is offline, and
brings it back; a last round follows. Here the image's report of every move
is checked (balanced: move commands == the pure core's lower bound, per-CPU
LPI counts within one, none on an offline CPU; the probe handled once,
elsewhere), and QEMU's own trace is read back independently: one
`gicv3_its_cmd_int` per INT the image sent, MOVI, MAPC and MOVALL as the
image counted them, and every LPI INTID acknowledged (`gicv3_icc_iar1_read`)
once per round plus its probes, per cpu as the image counted.
With HOTPLUG=0 nothing may move: no MOVI, no MOVALL, no MAPC beyond the
join's, and the probe waits in the offline CPU's pending table until the
CPU is back."""
import re

from harness import boot, expect, expect_status, heavy, image_cpus, named_check

FIRST_LPI = 8192
LPIS = 8192
ROUND = re.compile(r"^lpi check round (\d+) \((\d+) cpus online\): fired (\d+) with (\d+) INT commands, handled (\d+) "
                   r"in all, per cpu ([\d ]+); (\d+) LPIs not handled", re.M)
MOVE = re.compile(r"^lpi check (offline|online) cpu (\d+): (\d+) move commands \(MOVI (\d+), MAPC (\d+), MOVALL (\d+)\), "
                  r"lower bound (\d+), (\d+) ticks, LPIs per cpu ([\d ]+)$", re.M)
PROBE = re.compile(r"^lpi check probe LPI (\d+) pending on dying cpu (\d+): handled (\d+) more(?:, last on cpu (\d+))?$",
                   re.M)
TOTALS = re.compile(r"^lpi check: ITS commands since boot: MAPC (\d+), MOVI (\d+), MOVALL (\d+), all (\d+)$", re.M)
IAR = re.compile(r"gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x([0-9a-f]+) value 0x([0-9a-f]+)")
TRACES = ["gicv3_its_cmd_int", "gicv3_its_cmd_movi", "gicv3_its_cmd_mapc", "gicv3_its_cmd_movall",
          "gicv3_icc_iar1_read"]


def traced(output, command):
    return len(re.findall(r"gicv3_its_cmd_%s GICv3 ITS: command %s " % (command.lower(), command), output))


def lpi_delivery(smp, el=1, policy="balanced", hotplug=1):
    result = boot(SMP=smp, EL=el, POLICY=policy, HOTPLUG=hotplug, APPEND="lpi-check",
                  QEMUFLAGS=" ".join("-trace " + name for name in TRACES), timeout=600)
    expect_status(result, 0)
    expect(re.search(r"^its: at 0x[0-9a-f]+, %d LPIs" % LPIS, result.output, re.M), "no ITS set-up line")
    expect("lpi check: passed (0 failures)" in result.output, "the image's LPI check failed")
    rounds = ROUND.findall(result.output)
    expect(len(rounds) == (smp + 1 if hotplug else 2), "%d lpi check rounds" % len(rounds))
    ints = 0
    per_cpu = []
    for number, online, fired, sent, handled, per_cpu_text, failures in rounds:
        ints += int(sent)
        expect(int(fired) == LPIS and int(sent) == LPIS and failures == "0",
               "round %s: fired/INT/failures %s/%s/%s" % (number, fired, sent, failures))
        per_cpu = [int(count) for count in per_cpu_text.split()]
    moves = MOVE.findall(result.output)
    expect(len(moves) == 2 * (smp - 1), "%d moves reported" % len(moves))
    movis = movalls = mapcs = 0
    for direction, cpu, commands, movi, mapc, movall, bound, ticks, after_text in moves:
        cpu, commands, bound = int(cpu), int(commands), int(bound)
        after = [int(count) for count in after_text.split()]
        movis, mapcs, movalls = movis + int(movi), mapcs + int(mapc), movalls + int(movall)
        expect(sum(after) == LPIS, "%s cpu %d: LPIs per cpu %r" % (direction, cpu, after))
        if not hotplug:
            expect(commands == 0, "HOTPLUG=0: %s cpu %d moved LPIs with %d commands" % (direction, cpu, commands))
            continue
        online = [other for other in range(smp) if direction == "online" or other != cpu]
        expect(direction == "online" or after[cpu] == 0, "offline cpu %d keeps %d LPIs" % (cpu, after[cpu]))
        if policy == "balanced":
            expect(commands == bound, "%s cpu %d: %d move commands, lower bound %d" % (direction, cpu, commands, bound))
            spread = [after[other] for other in online]
            expect(max(spread) - min(spread) <= 1, "%s cpu %d: online cpus' LPI counts %r" % (direction, cpu, spread))
    probes = PROBE.findall(result.output)
    expect(len(probes) == smp - 1, "%d probes reported" % len(probes))
    for intid, cpu, more, on in probes:
        if hotplug:
            expect(more == "1" and on != cpu, "probe LPI %s of dying cpu %s handled %s more, last on cpu %s"
                   % (intid, cpu, more, on))
        else:
            expect(more == "0", "HOTPLUG=0: probe LPI %s handled while its cpu %s was offline" % (intid, cpu))
    totals = TOTALS.search(result.output)
    expect(totals, "no ITS command totals")
    total_mapc, total_movi, total_movall = int(totals.group(1)), int(totals.group(2)), int(totals.group(3))
    expect(total_movi == movis and total_movall == movalls,
           "the moves add up to MOVI %d, MOVALL %d; the image sent %d, %d" % (movis, movalls, total_movi, total_movall))
    # QEMU's side. MAPC beyond the moves': one per cpu joining with no
    # collection (at boot, and after each offline unless HOTPLUG=0).
    joins = smp + (smp - 1 if hotplug else 0)
    expect(total_mapc == mapcs + joins, "MAPC: %d sent, %d in moves + %d joins" % (total_mapc, mapcs, joins))
    for command, count in (("INT", ints + len(probes)), ("MOVI", total_movi), ("MAPC", total_mapc),
                           ("MOVALL", total_movall)):
        expect(traced(result.output, command) == count, "QEMU traced %d %s commands, the image sent %d"
               % (traced(result.output, command), command, count))
    # The trace names a CPU by its redistributor's affinity (Aff2.Aff1.Aff0,
    # which is the MPIDR's on virt): cpu 16 is 0x100 with 16 per cluster.
    logical = {mpidr & 0xFFFFFF: number for number, mpidr in image_cpus(result)}
    expect(len(logical) == smp, "the image listed %d cpus" % len(logical))
    acknowledged = {}
    traced_per_cpu = [0] * smp
    for match in IAR.finditer(result.output):
        cpu, intid = logical.get(int(match.group(1), 16), -1), int(match.group(2), 16)
        if intid < FIRST_LPI:
            continue
        acknowledged[intid] = acknowledged.get(intid, 0) + 1
        traced_per_cpu[cpu] += 1
    probed = {}
    for intid, _, _, _ in probes:
        probed[int(intid)] = probed.get(int(intid), 0) + 1
    expect(sorted(acknowledged) == list(range(FIRST_LPI, FIRST_LPI + LPIS)), "QEMU saw %d distinct LPIs acknowledged"
           % len(acknowledged))
    wrong = [intid for intid, count in acknowledged.items() if count != len(rounds) + probed.get(intid, 0)]
    expect(not wrong, "%d LPIs not acknowledged exactly once per round and probe, e.g. %r" % (len(wrong), wrong[:4]))
    expect(traced_per_cpu == per_cpu, "QEMU's per-cpu LPI acknowledgements %r, the image's %r"
           % (traced_per_cpu, per_cpu))


def make_check(smp, el, policy="balanced", hotplug=1):
    check = named_check("lpi_delivery_smp%d_el%d%s%s" % (smp, el, "" if policy == "balanced" else "_" + policy,
                                                         "" if hotplug else "_hotplug0"),
                        lambda: lpi_delivery(smp, el, policy, hotplug))
    return heavy(check) if smp >= 20 else check




def lpi_console():
    """`fire` and `irq-affinity` on LPIs from the console: an unmapped LPI
    is refused; an LPI asked onto cpu 3 moves there with one MOVI, breaks
    (runs elsewhere, once) while cpu 3 is offline and returns when it is
    back; `irqs` summarises LPIs per cpu instead of 8192 rows."""
    result = boot(APPEND="-- irq-affinity 8200 3; fire 8200 2; cpu-offline 3; irq-affinity 8200; fire 8200; "
                         "cpu-online 3; irq-affinity 8200; fire 8200; irqs; fire 16384",
                  QEMUFLAGS="-trace gicv3_its_cmd_int")
    expect_status(result, 2)
    output = result.output
    expect("INTID 8200: requested 3, moved with MOVI to cpu 3" in output, "irq-affinity did not move the LPI to cpu 3")
    expect("INTID 8200: fired 2, handled 2, on cpu 3 (its collection targets cpu 3)" in output,
           "the LPI was not handled twice on cpu 3")
    broken = re.search(r"INTID 8200: requested 3, collection \d+ targets cpu (\d+), affinity broken", output)
    expect(broken and broken.group(1) != "3", "with cpu 3 offline the LPI's affinity did not break")
    expect("INTID 8200: fired 1, handled 1, on cpu %s" % broken.group(1) in output,
           "the LPI was not handled once on cpu %s while cpu 3 was offline" % broken.group(1))
    expect(re.search(r"INTID 8200: requested 3, collection \d+ targets cpu 3$", output, re.M),
           "the LPI did not return to cpu 3 when it came back")
    expect(output.count("INTID 8200: fired 1, handled 1, on cpu 3 (its collection targets cpu 3)") == 1,
           "the LPI was not handled on cpu 3 after it came back")
    rows = re.findall(r"^    (?:CPU|off) +(\d+) +(\d+) +(\d+) +(\d+)$", output, re.M)
    expect(len(rows) == 4 and sum(int(held) for _, _, held, _ in rows) == LPIS,
           "irqs did not list the LPIs held per cpu: %r" % rows)
    expect("    LPI 8200: requested 3, on cpu 3" in output, "irqs did not list the LPI's requested affinity")
    expect("error: INTID 16384 is not an LPI the ITS maps (LPIs are 8192-16383)" in output,
           "an unmapped LPI was not refused")
    traced = len(re.findall(r"gicv3_its_cmd_int GICv3 ITS: command INT DeviceID 0x0 EventID 0x8$", output, re.M))
    expect(traced == 4, "QEMU traced %d INT commands for LPI 8200, the console fired 4" % traced)




def lpi_stress():
    """The stress storm (12 events, -smp 4) with the kernel's LPIs in it (`stress-lpis`): every
    LPI fired with INT during random hotplug is handled exactly once, none
    is left in a collection aimed at an offline CPU, and the balanced
    policy keeps per-CPU LPI counts within one."""
    result = boot(APPEND="timeout-scale=5 stress-lpis -- stress 7 12; exit 0", timeout=300)
    expect_status(result, 0)
    summary = re.search(r"^stress: seed 7, 12 events .* violations 0, LPIs fired (\d+), handled (\d+)$",
                        result.output, re.M)
    expect(summary, "the stress run did not end with 0 violations")
    expect(int(summary.group(1)) > 0 and summary.group(1) == summary.group(2),
           "LPIs fired %s, handled %s" % (summary.group(1), summary.group(2)))


CHECKS = [make_check(4, 1), make_check(8, 1), make_check(20, 1), make_check(4, 2), make_check(4, 1, "seed"),
          make_check(4, 1, hotplug=0), lpi_console, lpi_stress]
