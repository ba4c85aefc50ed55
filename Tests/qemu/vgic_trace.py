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
-trace gicv3_icv_eoir_write -D FILE`.

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


HandOff = collections.namedtuple("HandOff", "intid cpu acknowledge injection guest_cpu guest_acknowledge")
"""A guest-bound SPI's way to the guest: acknowledged at EL2 on `cpu` (the
position of that line), written into a list register there (`injection`,
the position of the write), acknowledged by the guest on `guest_cpu` (the
position of its ICV_IAR read), or None where a step is missing."""


def hand_offs(events, guest_bound):
    """Follows each physical acknowledge of an INTID in `guest_bound`: the
    first later list-register write on the same CPU that presents it
    (HW 1, pINTID = the INTID, state pending), and the first later virtual
    acknowledge of that vINTID not already matched to an earlier hand-off.
    Returns the hand-offs in the order of the physical acknowledges.

    A list-register write that restores a saved vCPU (the same value,
    written again where the vCPU runs next) is not an injection: only the
    first write after the physical acknowledge counts, so restores after it
    are left alone."""
    claimed_writes = set()
    claimed_acknowledges = set()
    result = []
    for event in events:
        if event.event != "gicv3_icc_iar1_read" or intid(event) not in guest_bound:
            continue
        number = intid(event)
        injection = next((later for later in events[event.position + 1:]
                          if later.event == "gicv3_ich_lr_write" and later.cpu == event.cpu
                          and later.position not in claimed_writes
                          and list_register(later.value).hardware and list_register(later.value).physical == number
                          and list_register(later.value).state == "pending"), None)
        guest = None
        if injection is not None:
            claimed_writes.add(injection.position)
            virtual = list_register(injection.value).virtual
            guest = next((later for later in events[injection.position + 1:]
                          if later.event == "gicv3_icv_iar_read" and intid(later) == virtual
                          and later.position not in claimed_acknowledges), None)
            if guest is not None:
                claimed_acknowledges.add(guest.position)
        result.append(HandOff(number, event.cpu, event.position, injection and injection.position,
                              guest and guest.cpu, guest and guest.position))
    return result


def problems(events, guest_bound, same_cpu=True):
    """What contradicts 'each physical acknowledge of a guest-bound SPI is
    followed by one list-register write and one virtual acknowledge by the
    guest' (on the same CPU when `same_cpu`), and 'every virtual acknowledge
    of such an INTID belongs to one of those hand-offs' (none twice)."""
    found = []
    offs = hand_offs(events, guest_bound)
    for off in offs:
        if off.injection is None:
            found.append("INTID %d acknowledged at EL2 on cpu 0x%x (line %d) never written into a list register there"
                         % (off.intid, off.cpu, off.acknowledge))
        elif off.guest_acknowledge is None:
            found.append("INTID %d written into a list register on cpu 0x%x (line %d) never acknowledged by the guest"
                         % (off.intid, off.cpu, off.injection))
        elif same_cpu and off.guest_cpu != off.cpu:
            found.append("INTID %d acknowledged at EL2 on cpu 0x%x but by the guest on cpu 0x%x (line %d)"
                         % (off.intid, off.cpu, off.guest_cpu, off.guest_acknowledge))
    matched = set(off.guest_acknowledge for off in offs)
    for event in events:
        if event.event == "gicv3_icv_iar_read" and intid(event) in guest_bound and event.position not in matched:
            found.append("the guest acknowledged INTID %d on cpu 0x%x (line %d) with no hand-off presenting it"
                         % (intid(event), event.cpu, event.position))
    return found


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
    print("vgic_trace self-test: passed")


if __name__ == "__main__":
    self_test()
    sys.exit(0)
