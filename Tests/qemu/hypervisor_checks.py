"""QEMU checks for the hypervisor image (EL=2, issue 13): two domains of two
vCPUs running the guest kernel (guest/) under stage 2, guest-bound SPIs
routed to their vCPU's pCPU, taken at EL2 and handed to the guest through
list registers with the hardware bit.

- The demonstration at -smp 4 and 8, balanced and seed policies: every step
  (each pCPU but the controller offline, then back) fires every guest-bound
  SPI once; the image checks each was received exactly once by its own
  vCPU's guest (the guest's own count) and that none is left active. Read
  back here, independently: after every step no guest-bound SPI's target
  column names an offline pCPU.
- QEMU's own trace of the virtual CPU interface (Tests/qemu/vgic_trace.py):
  each physical acknowledge of a guest-bound SPI at EL2 is followed by a
  list-register write presenting it and one virtual acknowledge by the
  guest, on the same pCPU; no virtual acknowledge without one.
- `guest-check`: an interrupt active in a guest (held by it) and one
  pending in its list register when its pCPU goes offline are each
  received and taken exactly once after the vCPU resumes on another pCPU
  (there the trace check drops "same pCPU": the guest acknowledges the
  pending one where its vCPU resumed).
- The console's `vcpus`, `vcpu-move` and `fire` on guest-bound INTIDs, and
  their refusals; the EL1 image has no guests and says so.
"""
import re

import vgic_trace
from harness import boot, expect, expect_status

TRACE = " ".join("-trace " + event for event in vgic_trace.TRACE_EVENTS)
STEP = re.compile(r"^== step (\d+): .*?\(online ([^)]*)\)", re.M)
GUESTS = re.compile(r"^   guests: (ok|FAILED) \((\d+) guest-bound SPIs", re.M)
GUEST_ROW = re.compile(r"^\s+(\d+):[\s\d]+cpu\s+(\d+)\s.*\(guest\) vcpu (\d+)\.(\d+) received (\d+)$", re.M)
VCPU_ROW = re.compile(r"^\s+(\d+)\.(\d+)\s+(-?\d+)\s+(\w+)\s+(yes|no)\s+((?:\s*\d+:\d+\*?)*)$", re.M)
INFLIGHT = re.compile(r"^guest check offline cpu (\d+): vcpu (\d+)\.(\d+) \((\w+)\) held INTID (\d+) active and had "
                      r"INTID (\d+) pending; resumed on cpu (\d+); received (\d+) and (\d+), taken at EL2 (\d+) and (\d+), "
                      r"elsewhere (\d+), left active (\d+)$", re.M)


def cpu_list(text):
    """The CPUs of a Linux cpulist ('0,2-3')."""
    cpus = set()
    for part in text.split(","):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def guest_bound(output):
    """The guest-bound INTIDs the image's irqs table shows, or else its
    vcpus table."""
    found = {int(intid) for intid, *_ in GUEST_ROW.findall(output)}
    for *_, interrupts in VCPU_ROW.findall(output):
        found.update(int(item.split(":")[0]) for item in interrupts.split())
    return sorted(found)


def trace_problems(output, same_cpu):
    events = vgic_trace.parse(output)
    bound = set(guest_bound(output))
    expect(bound, "no guest-bound INTIDs to follow in the trace")
    return events, vgic_trace.problems(events, bound, same_cpu=same_cpu)


def demonstration(smp, policy, trace=False):
    result = boot(SMP=smp, EL=2, POLICY=policy, QEMUFLAGS=TRACE if trace else "", timeout=400)
    expect_status(result, 0)
    expect("running at EL2 (hypervisor)" in result.output, "the image did not say it runs at EL2")
    expect(re.search(r"^hypervisor: 2 domains of 2 vcpus", result.output, re.M), "no hypervisor line")
    expect("result: all checks passed" in result.output, "the image reported failed checks")
    expect("FAIL" not in result.output, "a FAIL line was printed:\n" + "\n".join(
        line for line in result.lines() if "FAIL" in line)[:2000])
    steps = STEP.findall(result.output)
    verdicts = GUESTS.findall(result.output)
    expect(len(steps) == 1 + 2 * (smp - 1), "%d steps for %d cpus" % (len(steps), smp))
    expect(len(verdicts) == len(steps) and all(verdict == "ok" for verdict, _ in verdicts),
           "a step's guest checks failed or are missing: %r" % (verdicts,))
    expect(all(int(count) == 8 for _, count in verdicts), "not 8 guest-bound SPIs (2 per vcpu)")
    # Each step's table, read back: every guest-bound SPI's target (read by
    # the image from GICD_IROUTER) is an online pCPU, and its guest's count
    # is the number of steps so far (one firing per step).
    blocks = STEP.split(result.output)[1:]
    for index in range(0, len(blocks), 3):
        number, online, body = int(blocks[index]), cpu_list(blocks[index + 1]), blocks[index + 2]
        rows = GUEST_ROW.findall(body)
        expect(len(rows) == 8, "step %d: %d guest rows" % (number, len(rows)))
        for intid, target, domain, vcpu, received in rows:
            expect(int(target) in online, "step %d: guest-bound INTID %s routed to offline cpu %s (online %r)"
                   % (number, intid, target, sorted(online)))
            expect(int(received) == number, "step %d: INTID %s received %s times by vcpu %s.%s"
                   % (number, intid, received, domain, vcpu))
    if trace:
        events, found = trace_problems(result.output, same_cpu=True)
        expect(not found, "the trace contradicts the hand-off:\n" + "\n".join(found[:10]))
        physical = [event for event in events if event.event == "gicv3_icc_iar1_read"
                    and vgic_trace.intid(event) in set(guest_bound(result.output))]
        expect(len(physical) == 8 * len(steps), "%d physical acknowledges of guest-bound SPIs, %d fired"
               % (len(physical), 8 * len(steps)))


def demonstration_smp4_balanced_traced():
    demonstration(4, "balanced", trace=True)


def demonstration_smp4_seed():
    demonstration(4, "seed")


def demonstration_smp8_balanced():
    demonstration(8, "balanced")


def demonstration_smp8_seed_traced():
    demonstration(8, "seed", trace=True)


def in_flight_at_offline(smp):
    result = boot(SMP=smp, EL=2, APPEND="guest-check", QEMUFLAGS=TRACE, timeout=400)
    expect_status(result, 0)
    expect("guest check: passed (0 failures)" in result.output, "the image's guest check failed:\n"
           + "\n".join(result.lines()[-15:]))
    rounds = INFLIGHT.findall(result.output)
    expect(len(rounds) == smp - 1, "%d in-flight rounds for %d cpus" % (len(rounds), smp))
    for cpu, domain, vcpu, state, held, pending, resumed, *counts in rounds:
        received_held, received_pending, taken_held, taken_pending, elsewhere, active = map(int, counts)
        expect(resumed != cpu, "cpu %s: vcpu %s.%s resumed on the offline cpu" % (cpu, domain, vcpu))
        expect((received_held, received_pending, taken_held, taken_pending, elsewhere, active) == (1, 1, 1, 1, 0, 0),
               "cpu %s: held %s / pending %s: received %d/%d, taken %d/%d, elsewhere %d, active %d"
               % (cpu, held, pending, received_held, received_pending, taken_held, taken_pending, elsewhere, active))
    # The trace: every guest-bound SPI acknowledged at EL2 reaches the guest
    # once; the pending one of each round is acknowledged by the guest
    # where its vCPU resumed, so the pCPU may differ.
    _, found = trace_problems(result.output, same_cpu=False)
    expect(not found, "the trace contradicts the hand-off:\n" + "\n".join(found[:10]))


def in_flight_at_offline_smp4():
    in_flight_at_offline(4)


def in_flight_at_offline_smp8():
    in_flight_at_offline(8)


def console_vcpus_and_moves():
    first = boot(EL=2, APPEND="-- vcpus; irqs; exit 0", timeout=60)
    expect_status(first, 0)
    table = VCPU_ROW.findall(first.output)
    expect(len(table) == 4, "vcpus lists %d vcpus:\n%s" % (len(table), first.output[-1500:]))
    expect(all(up == "yes" for *_, up, _ in table), "a vcpu's guest is not up")
    owners = {}
    for domain, vcpu, cpu, state, up, interrupts in table:
        expect(cpu != "0", "vcpu %s.%s placed on the console's cpu 0" % (domain, vcpu))
        for item in interrupts.split():
            owners[int(item.split(":")[0])] = (domain, vcpu)
    expect(len(owners) == 8, "%d guest-bound SPIs in the vcpus table" % len(owners))
    intid = min(owner for owner, name in owners.items() if name == ("0", "0"))
    result = boot(EL=2, APPEND="-- vcpu-move 0.0 3; vcpus; fire %d 3; irqs; cpu-offline 3; vcpus; fire %d 2; "
                               "cpu-online 3; check; exit 0" % (intid, intid), timeout=90)
    expect_status(result, 0)
    expect(re.search(r"^vcpu 0\.0 moved from cpu \d to cpu 3, its interrupts routed there$", result.output, re.M),
           "no move line")
    expect("INTID %d: fired 3, received 3 by its guest on vcpu 0.0 (cpu 3)" % intid in result.output,
           "fire after the move not answered by the guest on cpu 3:\n" + result.output[-2000:])
    row = re.search(r"^\s+%d:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+cpu\s+3\s.*received 3$" % intid, result.output, re.M)
    expect(row and int(row.group(4)) == 3, "irqs does not show INTID %d taken 3 times at EL2 on cpu 3" % intid)
    after = re.search(r"^INTID %d: fired 2, received 2 by its guest on vcpu 0\.0 \(cpu (\d+)\)$" % intid,
                      result.output, re.M)
    expect(after and after.group(1) != "3", "fire after cpu 3 went offline not answered elsewhere")
    expect("check: ok (0 violations)" in result.output, "invariants after the moves")
    for script, message in (
            ("vcpu-move 0.9 1", "error: vcpu 0.9 does not exist (2 domains of 2 vcpus)"),
            ("vcpu-move 0.0 0", "error: vcpu-move: cpu 0 runs the console, which never idles to run a guest"),
            ("cpu-offline 2; vcpu-move 0.0 2", "error: vcpu-move: cpu 2 is offline"),
            ("vcpu-move 0x1.0 1", "error: '0x1.0' is not a vcpu (DOMAIN.VCPU in decimal, e.g. 0.1)")):
        refused = boot(EL=2, APPEND="-- %s; vcpus" % script, timeout=60)
        expect_status(refused, 2)
        expect(message in refused.output, "%r: no '%s':\n%s" % (script, message, refused.output[-800:]))
        expect("> vcpus" not in refused.output, "%r: the script went on after the error" % script)


def el1_has_no_guests():
    result = boot(EL=1, APPEND="-- vcpus", timeout=60)
    expect_status(result, 2)
    expect("error: there are no guests in this image: vcpus exist in the hypervisor image only (EL=2)"
           in result.output, "the EL1 image did not refuse vcpus")


CHECKS = [demonstration_smp4_balanced_traced, demonstration_smp4_seed, demonstration_smp8_balanced,
          demonstration_smp8_seed_traced, in_flight_at_offline_smp4, in_flight_at_offline_smp8,
          console_vcpus_and_moves, el1_has_no_guests]
