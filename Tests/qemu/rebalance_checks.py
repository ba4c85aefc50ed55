"""QEMU checks for the rebalance: the default demonstration at -smp 4, 8
and 20, both policies, EL1 and EL2, and the HOTPLUG=0 build.

The image checks each step against the hardware (GICD_IROUTER read back,
fired = handled, the pending-while-dying probe, the reference model or the
lower bound) and prints one line per step; here those lines are read back
and the step-by-step figures checked again, independently of the image's
own verdict."""
import re

from harness import boot, expect, expect_status

STEP = re.compile(r"^== step (\d+): (.*?)  \(online ([^)]*)\)  route writes (\d+), lower bound (\d+)", re.M)
VERDICT = re.compile(r"^   checks: (ok|FAILED) \(.*movable per cpu (\d+)\.\.(\d+)", re.M)


def demonstration(smp, policy, el):
    result = boot(SMP=smp, POLICY=policy, EL=el, timeout=180)
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
    if policy == "balanced":
        for (number, title, _, writes, bound), (_, low, high) in zip(steps, verdicts):
            expect(writes == bound, "step %s (%s): %s writes, lower bound %s" % (number, title, writes, bound))
            expect(int(high) - int(low) <= 1, "step %s: movable per cpu %s..%s" % (number, low, high))
    else:
        expect("routing = the patch's reference model" in result.output, "seed run not compared with the model")
        total_writes = sum(int(step[3]) for step in steps)
        total_bound = sum(int(step[4]) for step in steps)
        expect(total_writes >= total_bound, "seed made fewer writes than the lower bound")


def make_check(smp, policy, el):
    def check():
        demonstration(smp, policy, el)
    check.__name__ = "rebalance_smp%d_%s_el%d" % (smp, policy, el)
    return check


def hotplug_compiled_out():
    result = boot(SMP=4, HOTPLUG=0)
    expect_status(result, 0)
    expect("interrupt migration: compiled out (HOTPLUG=0)" in result.output, "the HOTPLUG=0 build does not say so")
    expect("offline and back: 0 route writes" in result.output, "the stand-in made route writes")


CHECKS = [make_check(smp, policy, el) for smp in (4, 8, 20) for policy in ("balanced", "seed") for el in (1, 2)]
CHECKS.append(hotplug_compiled_out)
