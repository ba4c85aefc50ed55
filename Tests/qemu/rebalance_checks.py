"""QEMU checks for the rebalance: the default demonstration at -smp 4, 8
and 20 for the seed and balanced policies and at -smp 4 and 8 for the load
policy, EL1 and EL2, and the HOTPLUG=0 build.

The image checks each step against the hardware (GICD_IROUTER read back,
fired = handled, the pending-while-dying probe, the reference model or the
lower bound) and prints one line per step; here those lines are read back
and the step-by-step figures checked again, independently of the image's
own verdict. Then switches of policy at run time, in both directions."""
import re

from harness import boot, expect, expect_status, heavy, interrupt_layout, named_check

STEP = re.compile(r"^== step (\d+): (.*?)  \(online ([^)]*)\)  route writes (\d+), lower bound (\d+)", re.M)
VERDICT = re.compile(r"^   checks: (ok|FAILED) \(.*movable per cpu (\d+)\.\.(\d+)", re.M)


def demonstration(smp, policy, el):
    # At -smp 20 on 2 host cores (and at EL2 with guests running on the
    # pCPUs) a CPU can be descheduled by the host for longer than a wait
    # allows; the waits are stretched (timeout-scale), never the checks.
    stretch = "timeout-scale=5" if smp >= 20 else ""
    result = boot(SMP=smp, POLICY=policy, EL=el, APPEND=stretch, timeout=180)
    expect_status(result, 0)
    expect("result: all checks passed" in result.output, "the image reported failed checks")
    expect("FAIL" not in result.output, "a FAIL line was printed")
    steps = STEP.findall(result.output)
    verdicts = VERDICT.findall(result.output)
    # One spread, then every CPU but the controller offline and back.
    expect(len(steps) == 1 + 2 * (smp - 1), "%d steps for %d cpus" % (len(steps), smp))
    expect(len(verdicts) == len(steps), "a step without its checks line")
    expect(all(verdict == "ok" for verdict, _, _ in verdicts), "a step's checks failed")
    offline_probes = result.output.count("made pending on the dying cpu")
    expect(offline_probes == smp - 1, "%d pending-while-dying probes, expected %d" % (offline_probes, smp - 1))
    last_online = steps[-1][2]
    expect(last_online == "0-%d" % (smp - 1), "not every cpu back online at the end: %s" % last_online)
    if policy == "load":
        # The load policy owes what every policy owes (exactly-once
        # delivery, the probe, no route to an offline cpu: the image's
        # checks above) and masks respected; no count balance, no fewest
        # writes: it places by measured rates.
        expect("routes inside masks" in result.output, "load run not checked against the masks")
    elif policy == "balanced":
        for (number, title, _, writes, bound), (_, low, high) in zip(steps, verdicts):
            expect(writes == bound, "step %s (%s): %s writes, lower bound %s" % (number, title, writes, bound))
            expect(int(high) - int(low) <= 1, "step %s: movable per cpu %s..%s" % (number, low, high))
    else:
        expect("routing = the patch's reference model" in result.output, "seed run not compared with the model")
        total_writes = sum(int(step[3]) for step in steps)
        total_bound = sum(int(step[4]) for step in steps)
        expect(total_writes >= total_bound, "seed made fewer writes than the lower bound")


def make_check(smp, policy, el):
    return named_check("rebalance_smp%d_%s_el%d" % (smp, policy, el), lambda: demonstration(smp, policy, el))


def load_policy_epochs():
    """Under the load policy, `epoch` takes the handled counts and re-places:
    one interrupt fired far more often than the others, then epochs; the
    busy one keeps a cpu of its own (no other test interrupt shares it), and
    every interrupt is still delivered exactly once per firing."""
    spis = interrupt_layout()
    busy = spis.test[0]
    others = spis.test[1:8]
    # 30 each: together enough that moving the busy one off their cpu
    # clears the hysteresis (3%) with unsmoothed rates.
    fire_others = "; ".join("fire %d 30" % test for test in others)
    result = boot(SMP=4, POLICY="load",
                  APPEND="-- fire %d 400; %s; epoch; fire %d 400; %s; epoch; irqs; check; "
                         "cpu-offline 3; fire %d 50; %s; check; cpu-online 3; %s; check; exit 0"
                         % (busy, fire_others, busy, fire_others, busy, fire_others, fire_others))
    expect_status(result, 0)
    expect(result.output.count("epoch closed: ") == 2, "an epoch did not close")
    targets = dict(re.findall(r"^ +(\d+):.*cpu +(\d+)  \S+ +test$", result.output, re.M))
    expect(str(busy) in targets, "no irqs line for INTID %d" % busy)
    sharing = [intid for intid, cpu in targets.items() if cpu == targets[str(busy)] and intid != str(busy)]
    expect(not sharing, "INTID %d, fired 400 times an epoch, shares cpu %s with %s"
           % (busy, targets[str(busy)], sharing))
    expect(result.output.count("check: ok (0 violations)") == 3, "invariants did not hold")
    expect("FAIL" not in result.output, "a FAIL line was printed")


LOAD_EPOCH = re.compile(r"^load-storm epoch (\w+) (\d+) online (\S+) busiest (\d+) largest (\d+) total (\d+) "
                        r"bound (\d+) permille (\d+) moves (\d+) goal (met|missed)$", re.M)
LOAD_CPUS = re.compile(r"^load-storm cpu-load (\w+) (\d+)((?: (?:\d+|-))+)$", re.M)


def cpu_count_of(cpulist):
    count = 0
    for part in cpulist.split(","):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def load_storm(smp):
    """Issue 15's goal under a Zipf storm, epochs closed by the timer
    (epoch-ms), POLICY=load: from the second epoch after each event (the
    storm's start, a load shift, one cpu offline, the same cpu online) the
    busiest cpu handles at most 1.10 x max(largest rate, total / online);
    the epoch closes after the third epoch of each phase move nothing.
    Recomputed here from the per-cpu counts the image prints; every deck
    handled whole (the per-cpu counts add up to the deck's total)."""
    # Each epoch must hold one whole deck; a host too loaded to handle it
    # within the period makes the image stop with a message saying so (not
    # a placement failure): then the run is repeated with a longer period.
    for period in (400, 1500, 5000):
        result = boot(SMP=smp, POLICY="load", APPEND="epoch-ms=%d timeout-scale=5 load-storm" % period, timeout=300)
        if "before its deck was handled" not in result.output:
            break
    expect_status(result, 0)
    expect("FAIL" not in result.output, "a FAIL line was printed")
    epochs = LOAD_EPOCH.findall(result.output)
    loads = LOAD_CPUS.findall(result.output)
    expect(len(epochs) == 24 and len(loads) == 24, "%d epoch lines, %d load lines, expected 24" % (len(epochs), len(loads)))
    phases = [phase for phase, number, *_ in epochs if number == "1"]
    expect(phases == ["start", "shift", "offline", "online"], "phases %s" % phases)
    for (phase, number, online, busiest, largest, total, bound, _, moves, verdict), (_, _, cpus) in zip(epochs, loads):
        where = "%s epoch %s" % (phase, number)
        per_cpu = [None if value == "-" else int(value) for value in cpus.split()]
        expect(len(per_cpu) == smp, "%s: %d cpu columns" % (where, len(per_cpu)))
        expect(sum(v for v in per_cpu if v is not None) == int(total), "%s: handled %s, the deck fires %s"
               % (where, sum(v for v in per_cpu if v is not None), total))
        expect(max(v for v in per_cpu if v is not None) == int(busiest), "%s: busiest %s is not the largest column"
               % (where, busiest))
        m = cpu_count_of(online)
        expect((None in per_cpu) == (phase == "offline") and per_cpu.count(None) == smp - m,
               "%s: offline columns %s with cpus %s online" % (where, cpus, online))
        met = int(busiest) * 100 * m <= 110 * max(int(largest) * m, int(total))
        expect(met == (verdict == "met"), "%s: the image says %s, recomputed %s" % (where, verdict, met))
        if int(number) >= 2:
            expect(met, "%s: busiest %s > 1.10 x max(%s, %s / %d)" % (where, busiest, largest, total, m))
        if int(number) >= 3:
            expect(moves == "0", "%s: %s moves after three stationary epochs" % (where, moves))
    expect(re.search(r"^load-storm: epochs 24, goal met in 20 of 20 .* failures 0$", result.output, re.M),
           "the image's own summary disagrees")


def epoch_period_must_be_a_whole_number():
    """epoch-ms=N takes 0 (no timer) to 60000 milliseconds; anything else is
    refused with one error line and status 2."""
    for value in ("x", "70000", ""):
        result = boot(SMP=2, POLICY="load", APPEND="epoch-ms=%s" % value)
        expect_status(result, 2)
        expect(result.output.count("error: ") == 1 and
               "error: epoch-ms '%s' is not a whole number of milliseconds from 0 to 60000" % value in result.output,
               "epoch-ms=%s: no single error line" % value)


@heavy
def load_storm_smp4():
    load_storm(4)


@heavy
def load_storm_smp8():
    load_storm(8)


def hotplug_compiled_out():
    result = boot(SMP=4, HOTPLUG=0)
    expect_status(result, 0)
    expect("interrupt migration: compiled out (HOTPLUG=0)" in result.output, "the HOTPLUG=0 build does not say so")
    expect("offline and back: 0 route writes" in result.output, "the stand-in made route writes")


def expect_delivered(result, intid, count=1):
    expect(re.search(r"^INTID %d: fired %d, handled %d, on cpu \d+$" % (intid, count, count), result.output, re.M),
           "INTID %d was not handled as often as fired:\n%s" % (intid, "\n".join(result.lines()[-12:])))


def policy_switch_balanced_to_seed():
    """The balanced policy routes an interrupt whose mask has no online CPU
    outside the mask (affinity broken); after `policy seed` the CPU it was
    put on goes down. The seed policy used to skip it (its mask does not
    name that CPU), leaving it routed to an offline CPU: fired 1, handled 0.
    Now it moves, and the invariants hold."""
    intid = interrupt_layout().test[-2]
    result = boot(SMP=3, APPEND="-- irq-affinity %d 0; cpu-offline 0; irq-affinity %d; policy seed; cpu-offline 1; "
                                "irq-affinity %d; fire %d 1; check; exit 0" % (intid, intid, intid, intid))
    expect_status(result, 0)
    expect("INTID %d: requested 0, routed to cpu 1 (GICD_IROUTER 0x1), handler test, affinity broken" % intid
           in result.output, "the balanced policy did not put the interrupt on cpu 1, broken")
    expect("INTID %d: requested 2, routed to cpu 2 (GICD_IROUTER 0x2), handler test" % intid in result.output,
           "the seed policy did not move the interrupt to cpu 2")
    expect_delivered(result, intid)
    expect("check: ok (0 violations)" in result.output, "invariants did not hold")


def policy_switch_seed_to_balanced():
    """The reverse: what the seed policy left (one-CPU masks) is taken over
    by the balanced policy, which moves everything off the CPUs that go
    down, breaks a mask with no online CPU and restores it when the CPU
    comes back; every interrupt is delivered at each stage."""
    spis = interrupt_layout()
    intid = spis.test[-2]
    fire_all = "; ".join("fire %d 1" % test for test in spis.test[-4:])
    result = boot(SMP=3, POLICY="seed",
                  APPEND="-- cpu-offline 2; cpu-online 2; irq-affinity %d; policy balanced; "
                         "irq-affinity %d 1; cpu-offline 1; irq-affinity %d; %s; check; "
                         "cpu-offline 0; %s; check; cpu-online 1; irq-affinity %d; %s; cpu-online 0; %s; check; exit 0"
                         % (intid, intid, intid, fire_all, fire_all, intid, fire_all, fire_all))
    expect_status(result, 0)
    expect(re.search(r"^INTID %d: requested 1, routed to cpu [02] \(GICD_IROUTER 0x[02]\), handler test, "
                     r"affinity broken" % intid, result.output, re.M),
           "the balanced policy did not break the mask {1} when cpu 1 went down")
    expect(re.search(r"^note: \d+ interrupt\(s\) back inside their requested affinity", result.output, re.M),
           "the masks were not restored")
    expect("INTID %d: requested 1, routed to cpu 1 (GICD_IROUTER 0x1), handler test\n" % intid in result.output,
           "the interrupt is not back on cpu 1")
    for test in spis.test[-4:]:
        expect(len(re.findall(r"^INTID %d: fired 1, handled 1" % test, result.output, re.M)) == 4,
               "INTID %d was not delivered at every stage" % test)
    expect(result.output.count("check: ok (0 violations)") == 3, "invariants did not hold")


CHECKS = [make_check(smp, policy, el) for smp in (4, 8, 20) for policy in ("balanced", "seed") for el in (1, 2)]
CHECKS += [make_check(smp, "load", el) for smp in (4, 8) for el in (1, 2)]
CHECKS += [load_policy_epochs, load_storm_smp4, load_storm_smp8, epoch_period_must_be_a_whole_number, hotplug_compiled_out, policy_switch_balanced_to_seed, policy_switch_seed_to_balanced]
