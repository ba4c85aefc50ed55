"""Reading QEMU's own account of the GIC's virtual CPU interface: its trace
lines for the physical acknowledge at EL2, the list-register writes and the
guest's virtual acknowledge and end of interrupt (QEMU's
hw/intc/trace-events, the same text in QEMU 7.2 and 10.0):

    gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x%x value 0x%lx
    gicv3_ich_lr_write GICv3 ICH_LR%d_EL2 write cpu 0x%x value 0x%lx
    gicv3_icv_iar_read GICv3 ICV_IAR%d read cpu 0x%x value 0x%lx
    gicv3_icv_eoir_write GICv3 ICV_EOIR%d write cpu 0x%x value 0x%lx

`cpu` is the CPU's affinity as its redistributor reports it
(GICR_TYPER[63:32]: Aff3.Aff2.Aff1.Aff0), not a logical number. With
`-msg timestamp=on` or the log backend's pid prefix a line starts with
`PID@SECONDS:`; both forms are read. Boot QEMU with
`-trace gicv3_icc_iar1_read -trace gicv3_ich_lr_write -trace gicv3_icv_iar_read
-trace gicv3_icv_eoir_write -D FILE` (TRACE_EVENTS).

For a check: `events = parse(text)`; `problems(events, guest_bound)` lists
what breaks "each physical acknowledge of a guest-bound SPI is followed by
one list-register write and one virtual acknowledge by the guest, on the
same pCPU" (options for vCPUs that move and forwarded interrupts);
`hand_offs` gives each SPI's steps for checks of their own, `delivered`
the counts to set beside the guest's record, `logical_cpus` names CPUs as
the image numbers them.

    python3 Tests/qemu/vgic_trace.py     # the self-test on lines captured from QEMU 7.2
"""
import collections
import re
import sys

TRACE_EVENTS = ("gicv3_icc_iar1_read", "gicv3_ich_lr_write", "gicv3_icv_iar_read", "gicv3_icv_eoir_write")

_LINE = re.compile(r"^(?:\d+@\d+\.\d+:)?(?P<event>gicv3_icc_iar1_read|gicv3_ich_lr_write|gicv3_icv_iar_read|gicv3_icv_eoir_write)"
                   r" GICv3 (?:ICC_IAR1|ICH_LR(?P<lr>\d+)_EL2|ICV_IAR(?P<iar>\d)|ICV_EOIR(?P<eoir>\d))"
                   r" (?:read|write) cpu 0x(?P<cpu>[0-9a-f]+) value 0x(?P<value>[0-9a-f]+)$")

# INTIDs 1020-1023 are special: nothing was acknowledged (IHI 0069 §2.2.1).
FIRST_SPECIAL_INTID = 1020

TraceEvent = collections.namedtuple("TraceEvent", "position event cpu index value")
"""One line: its position among the parsed lines, the event name, the CPU's
affinity, the list register or interrupt group (None for ICC_IAR1), the value."""

ListRegister = collections.namedtuple("ListRegister", "virtual physical hardware group1 priority state")
"""ICH_LR<n>_EL2 (IHI 0069 §12.4): vINTID 31:0, pINTID 44:32 (HW 1 only),
priority 55:48, group 60, HW 61, state 63:62 ('invalid', 'pending',
'active', 'pending and active')."""

STATES = ("invalid", "pending", "active", "pending and active")


def parse(text):
    """The four events' lines of `text`, in order; other lines are skipped."""
    events = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match is None:
            continue
        index = match.group("lr") or match.group("iar") or match.group("eoir")
        events.append(TraceEvent(len(events), match.group("event"), int(match.group("cpu"), 16),
                                 None if index is None else int(index), int(match.group("value"), 16)))
    return events


def list_register(value):
    """The fields of an ICH_LR<n>_EL2 value."""
    hardware = bool(value >> 61 & 1)
    return ListRegister(virtual=value & 0xFFFFFFFF, physical=(value >> 32 & 0x1FFF) if hardware else None,
                        hardware=hardware, group1=bool(value >> 60 & 1), priority=value >> 48 & 0xFF,
                        state=STATES[value >> 62 & 0b11])


def intid(event):
    """The INTID an acknowledge or end of interrupt names (INTID bits 23:0)."""
    return event.value & 0xFFFFFF


def affinity(mpidr):
    """The `cpu` QEMU's trace prints for the CPU with this MPIDR_EL1: its
    redistributor's GICR_TYPER[63:32], Aff3.Aff2.Aff1.Aff0."""
    return (mpidr & 0xFFFFFF) | (mpidr >> 32 & 0xFF) << 24


def logical_cpus(mpidrs):
    """Trace `cpu` -> logical CPU number, for MPIDRs listed in logical order
    (as the image prints them)."""
    return {affinity(mpidr): number for number, mpidr in enumerate(mpidrs)}


HandOff = collections.namedtuple("HandOff", "intid cpu acknowledge injection_cpu injection guest_cpu guest_acknowledge "
                                            "end_cpu guest_end")
"""A guest-bound SPI's way to the guest, each step as the CPU (trace
affinity) and the position of its line, None where a step is missing:
acknowledged at EL2 (`cpu`, `acknowledge`), written into a list register
(`injection_cpu`, `injection`), acknowledged by the guest (`guest_cpu`,
`guest_acknowledge`: its ICV_IAR1 read), ended by the guest (`end_cpu`,
`guest_end`: its ICV_EOIR1 write)."""


def _presents(value):
    """The pINTID a list-register write presents as a new interrupt (HW 1,
    pending), or None."""
    register = list_register(value)
    return register.physical if register.hardware and register.state == "pending" else None


def hand_offs(events, guest_bound, injection_on_any_cpu=False):
    """Follows each physical acknowledge of an INTID in `guest_bound`, in
    one pass over the trace, each step claiming the oldest open hand-off of
    its INTID:
    - a list-register write presenting it (HW 1, pINTID = the INTID, state
      pending) on the same CPU (on any CPU with `injection_on_any_cpu`: an
      interrupt forwarded to where its vCPU runs) is its injection;
    - a virtual acknowledge of that vINTID (any CPU: the vCPU may move
      while the interrupt is pending in its saved list registers) is the
      guest's acknowledge;
    - a virtual end of interrupt of that vINTID after it is the guest's end.
    A list-register write that matches no open hand-off is a restore of a
    saved vCPU (the same value written again where it runs next) or a clear
    (value 0), and is not an injection. Returns the hand-offs in the order
    of the physical acknowledges."""
    result = []
    awaiting_injection = collections.defaultdict(collections.deque)   # (INTID, cpu or None) -> indexes
    awaiting_guest = collections.defaultdict(collections.deque)       # vINTID -> indexes
    awaiting_end = collections.defaultdict(collections.deque)         # vINTID -> indexes
    for event in events:
        if event.event == "gicv3_icc_iar1_read":
            number = intid(event)
            if number in guest_bound:
                awaiting_injection[(number, None if injection_on_any_cpu else event.cpu)].append(len(result))
                result.append(HandOff(number, event.cpu, event.position, None, None, None, None, None, None))
        elif event.event == "gicv3_ich_lr_write":
            number = _presents(event.value)
            queue = awaiting_injection.get((number, None if injection_on_any_cpu else event.cpu))
            if queue:
                index = queue.popleft()
                result[index] = result[index]._replace(injection_cpu=event.cpu, injection=event.position)
                awaiting_guest[list_register(event.value).virtual].append(index)
        elif event.event == "gicv3_icv_iar_read":
            queue = awaiting_guest.get(intid(event))
            if queue:
                index = queue.popleft()
                result[index] = result[index]._replace(guest_cpu=event.cpu, guest_acknowledge=event.position)
                awaiting_end[intid(event)].append(index)
        elif event.event == "gicv3_icv_eoir_write":
            queue = awaiting_end.get(intid(event))
            if queue:
                index = queue.popleft()
                result[index] = result[index]._replace(end_cpu=event.cpu, guest_end=event.position)
    return result


def problems(events, guest_bound, same_cpu=True, injection_on_any_cpu=False, ended=True, names=None):
    """What contradicts, for the INTIDs in `guest_bound`:
    - each physical acknowledge is followed by one list-register write
      presenting it and one virtual acknowledge by the guest, both on the
      same CPU when `same_cpu` (the acceptance rule of issue 13; a check of
      vCPUs that move passes False and looks at the hand-offs itself);
    - every virtual acknowledge belongs to one of those hand-offs (none
      twice, none out of nothing);
    - with `ended`, the guest ended each one it acknowledged (for a trace
      taken to the end of a run).
    `names` maps trace affinities to what messages call the CPUs (e.g.
    `logical_cpus`); by default they are printed as affinities."""
    def cpu(value):
        return "cpu %s" % names[value] if names and value in names else "cpu 0x%x" % value

    found = []
    offs = hand_offs(events, guest_bound, injection_on_any_cpu)
    for off in offs:
        if off.injection is None:
            found.append("INTID %d acknowledged at EL2 on %s (line %d) never written into a list register%s"
                         % (off.intid, cpu(off.cpu), off.acknowledge, "" if injection_on_any_cpu else " there"))
        elif off.guest_acknowledge is None:
            found.append("INTID %d written into a list register on %s (line %d) never acknowledged by the guest"
                         % (off.intid, cpu(off.injection_cpu), off.injection))
        else:
            if same_cpu and off.injection_cpu != off.cpu:
                found.append("INTID %d acknowledged at EL2 on %s but written into a list register on %s (line %d)"
                             % (off.intid, cpu(off.cpu), cpu(off.injection_cpu), off.injection))
            if same_cpu and off.guest_cpu != off.cpu:
                found.append("INTID %d acknowledged at EL2 on %s but by the guest on %s (line %d)"
                             % (off.intid, cpu(off.cpu), cpu(off.guest_cpu), off.guest_acknowledge))
            if ended and off.guest_end is None:
                found.append("INTID %d acknowledged by the guest on %s (line %d) never ended"
                             % (off.intid, cpu(off.guest_cpu), off.guest_acknowledge))
    matched = set(off.guest_acknowledge for off in offs)
    for event in events:
        if event.event == "gicv3_icv_iar_read" and intid(event) in guest_bound and event.position not in matched:
            found.append("the guest acknowledged INTID %d on %s (line %d) with no hand-off presenting it"
                         % (intid(event), cpu(event.cpu), event.position))
    return found


def delivered(offs):
    """(INTID, guest's CPU) -> how many hand-offs reached the guest there:
    to set beside the guest's own counts (guest/GuestRecord.h)."""
    return collections.Counter((off.intid, off.guest_cpu) for off in offs if off.guest_acknowledge is not None)


# Captured from QEMU 7.2 (Debian 1:7.2+dfsg-7+deb12u18): guest/standalone-check.S's
# EL2 stand-in at -smp 2 handing SPIs 200-203 to vCPU 0 and 204-207 to vCPU 1
# (Tests/qemu/guest_standalone_check.py), SPI 204 held active by the guest.
CAPTURED = """\
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0xc8
gicv3_ich_lr_write GICv3 ICH_LR0_EL2 write cpu 0x0 value 0x70a000c8000000c8
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0xc9
gicv3_ich_lr_write GICv3 ICH_LR1_EL2 write cpu 0x0 value 0x70a000c9000000c9
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0xca
gicv3_ich_lr_write GICv3 ICH_LR2_EL2 write cpu 0x0 value 0x70a000ca000000ca
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0xcb
gicv3_ich_lr_write GICv3 ICH_LR3_EL2 write cpu 0x0 value 0x70a000cb000000cb
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0x3ff
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x0 value 0xc8
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x0 value 0xc8
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x0 value 0xc9
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x0 value 0xc9
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x0 value 0xca
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x0 value 0xca
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x0 value 0xcb
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x0 value 0xcb
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x0 value 0x3ff
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x1 value 0xcc
gicv3_ich_lr_write GICv3 ICH_LR0_EL2 write cpu 0x1 value 0x70a000cc000000cc
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x1 value 0xcd
gicv3_ich_lr_write GICv3 ICH_LR1_EL2 write cpu 0x1 value 0x70a000cd000000cd
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x1 value 0xce
gicv3_ich_lr_write GICv3 ICH_LR2_EL2 write cpu 0x1 value 0x70a000ce000000ce
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x1 value 0xcf
gicv3_ich_lr_write GICv3 ICH_LR3_EL2 write cpu 0x1 value 0x70a000cf000000cf
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x1 value 0x3ff
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x1 value 0xcc
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x1 value 0xcc
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x1 value 0xcd
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x1 value 0xcd
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x1 value 0xce
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x1 value 0xce
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x1 value 0xcf
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x1 value 0xcf
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x1 value 0x3ff
"""


def self_test():
    """Checks the parser and the matcher on CAPTURED and on edits of it that
    each break one rule."""
    spis = set(range(200, 208))
    events = parse("unrelated line\n" + CAPTURED)
    assert len(events) == 36, len(events)
    assert events[1] == TraceEvent(1, "gicv3_ich_lr_write", 0, 0, 0x70a000c8000000c8), events[1]
    assert list_register(events[1].value) == ListRegister(200, 200, True, True, 0xA0, "pending")
    assert list_register(0x9080000000000021) == ListRegister(33, None, False, True, 0x80, "active")
    assert intid(events[8]) == 1023
    offs = hand_offs(events, spis)
    assert [(off.intid, off.cpu, off.guest_cpu) for off in offs] == [(n, n // 204, n // 204) for n in range(200, 208)], offs
    assert problems(events, spis) == [], problems(events, spis)
    # The same lines with a pid@time prefix, as the log backend may write them.
    assert parse("\n".join("1234@17.000042:" + line for line in CAPTURED.splitlines())) == events

    lines = CAPTURED.splitlines()
    # A physical acknowledge never presented: SPI 201's list-register write gone.
    without_write = "\n".join(line for line in lines if "ICH_LR1_EL2 write cpu 0x0" not in line)
    assert problems(parse(without_write), spis) == [
        "INTID 201 acknowledged at EL2 on cpu 0x0 (line 2) never written into a list register there",
        "the guest acknowledged INTID 201 on cpu 0x0 (line 10) with no hand-off presenting it"], problems(parse(without_write), spis)
    # Presented but never taken by the guest: SPI 206's virtual acknowledge gone.
    without_guest = "\n".join(line for line in lines if "ICV_IAR1 read cpu 0x1 value 0xce" not in line)
    assert problems(parse(without_guest), spis) == [
        "INTID 206 written into a list register on cpu 0x1 (line 23) never acknowledged by the guest"]
    # Taken twice by the guest: SPI 200's virtual acknowledge repeated.
    twice = CAPTURED + "gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x0 value 0xc8\n"
    assert problems(parse(twice), spis) == [
        "the guest acknowledged INTID 200 on cpu 0x0 (line 36) with no hand-off presenting it"], problems(parse(twice), spis)
    # Acknowledged by the guest on another CPU (a vCPU that moved).
    moved = CAPTURED.replace("ICV_IAR1 read cpu 0x0 value 0xcb", "ICV_IAR1 read cpu 0x1 value 0xcb")
    assert problems(parse(moved), spis) == [
        "INTID 203 acknowledged at EL2 on cpu 0x0 but by the guest on cpu 0x1 (line 15)"], problems(parse(moved), spis)
    assert problems(parse(moved), spis, same_cpu=False) == []
    # Interrupts not guest-bound are not followed.
    assert hand_offs(events, {33}) == []
    # Never ended: SPI 205's virtual end of interrupt gone.
    unended = "\n".join(line for line in lines if "ICV_EOIR1 write cpu 0x1 value 0xcd" not in line)
    assert problems(parse(unended), spis) == [
        "INTID 205 acknowledged by the guest on cpu 0x1 (line 29) never ended"], problems(parse(unended), spis)
    assert problems(parse(unended), spis, ended=False) == []
    assert delivered(offs) == collections.Counter({(n, n // 204): 1 for n in range(200, 208)})

    # What a hypervisor adds (edited, in QEMU's format): SPI 40 pending in
    # LR0 on cpu 0 when its vCPU moves: LR0 cleared on save, the value
    # restored into LR1 on cpu 0x100 (the first CPU of the second cluster),
    # where the guest takes and ends it. Then SPI 41 taken on cpu 0 while
    # its vCPU runs on cpu 0x100: forwarded, injected there.
    moving = """\
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0x28
gicv3_ich_lr_write GICv3 ICH_LR0_EL2 write cpu 0x0 value 0x70a0002800000028
gicv3_ich_lr_write GICv3 ICH_LR0_EL2 write cpu 0x0 value 0x0
gicv3_ich_lr_write GICv3 ICH_LR1_EL2 write cpu 0x100 value 0x70a0002800000028
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x100 value 0x28
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x100 value 0x28
gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x0 value 0x29
gicv3_ich_lr_write GICv3 ICH_LR0_EL2 write cpu 0x100 value 0x70a0002900000029
gicv3_icv_iar_read GICv3 ICV_IAR1 read cpu 0x100 value 0x29
gicv3_icv_eoir_write GICv3 ICV_EOIR1 write cpu 0x100 value 0x29
"""
    names = logical_cpus([0x80000000, 0x80000001, 0x80000100])
    assert names == {0: 0, 1: 1, 0x100: 2}
    assert affinity(0x1_8000_0203) == 0x0100_0203
    traced = parse(moving)
    first, second = hand_offs(traced, {40, 41})
    assert (first.cpu, first.injection, first.injection_cpu, first.guest_cpu, first.guest_end) == (0, 1, 0, 0x100, 5), first
    assert second.injection is None
    assert problems(traced, {40, 41}, names=names) == [
        "INTID 40 acknowledged at EL2 on cpu 0 but by the guest on cpu 2 (line 4)",
        "INTID 41 acknowledged at EL2 on cpu 0 (line 6) never written into a list register there",
        "the guest acknowledged INTID 41 on cpu 2 (line 8) with no hand-off presenting it"], problems(traced, {40, 41}, names=names)
    assert problems(traced, {40, 41}, same_cpu=False, injection_on_any_cpu=True) == []
    assert [off.injection_cpu for off in hand_offs(traced, {40, 41}, injection_on_any_cpu=True)] == [0, 0x100]


if __name__ == "__main__":
    self_test()
    print("vgic_trace self-test: passed")
    sys.exit(0)
