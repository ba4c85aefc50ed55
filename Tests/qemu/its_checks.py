"""QEMU checks for LPIs through the ITS: the image's `lpi-check` fires each
of its 8192 LPIs once with the ITS INT command and checks each was handled
exactly once on the CPU its collection names; then takes every CPU but the
boot CPU offline and back (its redistributor keeps its LPI tables) and does
it again. Here QEMU's own trace is read
back independently: one `gicv3_its_cmd_int` per LPI, and one
`gicv3_icc_iar1_read` of each LPI INTID, on the CPU the image's placement
rule (EventID e to the collection of cpu e mod cpus) names."""
import re

from harness import boot, expect, expect_status, image_cpus

FIRST_LPI = 8192
LPIS = 8192
ROUND = re.compile(r"^lpi check round (\d): fired (\d+) with (\d+) INT commands, handled (\d+) in all, per cpu ([\d ]+); "
                   r"(\d+) LPIs not handled", re.M)
IAR = re.compile(r"gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x([0-9a-f]+) value 0x([0-9a-f]+)")


def lpi_delivery(smp, el=1):
    result = boot(SMP=smp, EL=el, APPEND="lpi-check",
                  QEMUFLAGS="-trace gicv3_its_cmd_int -trace gicv3_icc_iar1_read", timeout=240)
    expect_status(result, 0)
    expect(re.search(r"^its: at 0x[0-9a-f]+, %d LPIs" % LPIS, result.output, re.M), "no ITS set-up line")
    expect("lpi check: passed (0 failures)" in result.output, "the image's LPI check failed")
    rounds = ROUND.findall(result.output)
    expect(len(rounds) == 2, "%d lpi check rounds" % len(rounds))
    commands = 0
    for number, fired, ints, handled, per_cpu_text, failures in rounds:
        number = int(number)
        commands += int(ints)
        expect(int(fired) == LPIS and int(ints) == LPIS and int(handled) == number * LPIS and failures == "0",
               "round %d: fired/INT/handled/failures %s/%s/%s/%s" % (number, fired, ints, handled, failures))
        per_cpu = [int(count) for count in per_cpu_text.split()]
        expect(per_cpu == [number * (LPIS // smp + (1 if cpu < LPIS % smp else 0)) for cpu in range(smp)],
               "round %d: per-cpu LPI counts %r" % (number, per_cpu))
    expect("lpi check: %d cpus offline and back, LPI tables kept (GICR_CTLR.EnableLPIs still set) on %d"
           % (smp - 1, smp - 1) in result.output, "not every cpu came back with its LPI tables kept")
    # QEMU's side: every INT the image counted, and every LPI acknowledged
    # once per round, on the cpu its collection names.
    ints = len(re.findall(r"gicv3_its_cmd_int GICv3 ITS: command INT DeviceID 0x0 EventID", result.output))
    expect(ints == commands, "QEMU traced %d INT commands, the image issued %d" % (ints, commands))
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
        event = intid - FIRST_LPI
        expect(cpu == event % smp, "LPI %d acknowledged on cpu %d, its collection is cpu %d" % (intid, cpu, event % smp))
        acknowledged[intid] = acknowledged.get(intid, 0) + 1
        traced_per_cpu[cpu] += 1
    expect(sorted(acknowledged) == list(range(FIRST_LPI, FIRST_LPI + LPIS)), "QEMU saw %d distinct LPIs acknowledged"
           % len(acknowledged))
    expect(all(count == 2 for count in acknowledged.values()), "an LPI was not acknowledged exactly twice")
    expect(traced_per_cpu == per_cpu, "QEMU's per-cpu LPI acknowledgements %r, the image's %r"
           % (traced_per_cpu, per_cpu))


def make_check(smp, el):
    def check():
        lpi_delivery(smp, el)
    check.__name__ = "lpi_delivery_smp%d_el%d" % (smp, el)
    return check


CHECKS = [make_check(4, 1), make_check(8, 1), make_check(20, 1), make_check(4, 2)]
