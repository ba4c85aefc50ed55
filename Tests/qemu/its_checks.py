"""QEMU checks for LPIs through the ITS: the image's `lpi-check` fires each
of its 8192 LPIs once with the ITS INT command and checks each was handled
exactly once on the CPU its collection names; then takes every CPU but the
boot CPU offline in turn (its LPIs move to the online CPUs with MOVI, the
least loaded first), fires them all again while it is offline, and brings
it back (its redistributor keeps its LPI tables); a last round follows.
Here QEMU's own trace is read back independently: one `gicv3_its_cmd_int`
per LPI per round, one `gicv3_its_cmd_movi` per MOVI the image counted,
and one `gicv3_icc_iar1_read` of each LPI INTID per round, per cpu as the
image counted."""
import re

from harness import boot, expect, expect_status, image_cpus

FIRST_LPI = 8192
LPIS = 8192
ROUND = re.compile(r"^lpi check round (\d+) \((\d+) cpus online\): fired (\d+) with (\d+) INT commands, handled (\d+) "
                   r"in all, per cpu ([\d ]+); (\d+) LPIs not handled", re.M)
MOVE = re.compile(r"^lpi check offline cpu (\d+): (\d+) MOVI commands, lower bound (\d+), LPIs per cpu ([\d ]+)$", re.M)
IAR = re.compile(r"gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x([0-9a-f]+) value 0x([0-9a-f]+)")


def lpi_delivery(smp, el=1):
    result = boot(SMP=smp, EL=el, APPEND="lpi-check",
                  QEMUFLAGS="-trace gicv3_its_cmd_int -trace gicv3_its_cmd_movi -trace gicv3_icc_iar1_read",
                  timeout=600)
    expect_status(result, 0)
    expect(re.search(r"^its: at 0x[0-9a-f]+, %d LPIs" % LPIS, result.output, re.M), "no ITS set-up line")
    expect("lpi check: passed (0 failures)" in result.output, "the image's LPI check failed")
    rounds = ROUND.findall(result.output)
    expect(len(rounds) == smp + 1, "%d lpi check rounds" % len(rounds))
    commands = 0
    per_cpu = []
    for number, online, fired, ints, handled, per_cpu_text, failures in rounds:
        number = int(number)
        commands += int(ints)
        expect(int(fired) == LPIS and int(ints) == LPIS and int(handled) == number * LPIS and failures == "0",
               "round %d: fired/INT/handled/failures %s/%s/%s/%s" % (number, fired, ints, handled, failures))
        expect(int(online) == (smp if number in (1, smp + 1) else smp - 1), "round %d: %s cpus online"
               % (number, online))
        per_cpu = [int(count) for count in per_cpu_text.split()]
    # The moves: every LPI of the dying cpu, one MOVI each, the receivers
    # filled from the least loaded up (each receiver ends at most one above
    # the least loaded survivor), none left on the offline cpu.
    moves = MOVE.findall(result.output)
    expect(len(moves) == smp - 1, "%d offline moves" % len(moves))
    counts = [LPIS // smp + (1 if cpu < LPIS % smp else 0) for cpu in range(smp)]
    movis = 0
    for cpu, sent, bound, after_text in moves:
        cpu, sent, bound = int(cpu), int(sent), int(bound)
        after = [int(count) for count in after_text.split()]
        expect(sent == counts[cpu] and sent >= bound, "offline cpu %d: %d MOVI for %d LPIs, lower bound %d"
               % (cpu, sent, counts[cpu], bound))
        expect(after[cpu] == 0 and sum(after) == LPIS, "offline cpu %d: LPIs per cpu %r" % (cpu, after))
        survivors = [other for other in range(smp) if other != cpu]
        lowest = min(after[other] for other in survivors)
        for other in survivors:
            expect(after[other] >= counts[other], "offline cpu %d: cpu %d lost LPIs" % (cpu, other))
            if after[other] > counts[other]:
                expect(after[other] <= lowest + 1, "offline cpu %d: cpu %d received up to %d, lowest survivor %d"
                       % (cpu, other, after[other], lowest))
        movis += sent
        counts = after
    expect("lpi check: %d cpus offline and back, LPI tables kept (GICR_CTLR.EnableLPIs still set) on %d"
           % (smp - 1, smp - 1) in result.output, "not every cpu came back with its LPI tables kept")
    # QEMU's side: every INT and MOVI the image counted, and every LPI
    # acknowledged once per round, per cpu as the image counted.
    ints = len(re.findall(r"gicv3_its_cmd_int GICv3 ITS: command INT DeviceID 0x0 EventID", result.output))
    expect(ints == commands, "QEMU traced %d INT commands, the image issued %d" % (ints, commands))
    traced_movis = len(re.findall(r"gicv3_its_cmd_movi GICv3 ITS: command MOVI DeviceID 0x0 EventID", result.output))
    expect(traced_movis == movis, "QEMU traced %d MOVI commands, the image sent %d" % (traced_movis, movis))
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
    expect(sorted(acknowledged) == list(range(FIRST_LPI, FIRST_LPI + LPIS)), "QEMU saw %d distinct LPIs acknowledged"
           % len(acknowledged))
    expect(all(count == len(rounds) for count in acknowledged.values()),
           "an LPI was not acknowledged exactly %d times" % len(rounds))
    expect(traced_per_cpu == per_cpu, "QEMU's per-cpu LPI acknowledgements %r, the image's %r"
           % (traced_per_cpu, per_cpu))


def make_check(smp, el):
    def check():
        lpi_delivery(smp, el)
    check.__name__ = "lpi_delivery_smp%d_el%d" % (smp, el)
    return check


CHECKS = [make_check(4, 1), make_check(8, 1), make_check(20, 1), make_check(4, 2)]
