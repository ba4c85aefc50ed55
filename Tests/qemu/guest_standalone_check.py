"""QEMU checks of the guest kernel (guest/) on its own, without the
hypervisor. guest/standalone-check.S stands in for it on bare QEMU: it
enables the GIC, routes SPIs to each CPU, arms the record's hold, starts the
other CPUs and makes every SPI pending; then, at EL1, the guest runs on the
physical CPU interface; at EL2 (virtualization=on), each CPU takes the SPIs
at EL2 and hands them to the guest in hardware list registers, and a later
batch, pended on the underflow maintenance interrupt, reuses the list
registers the guest freed. This script
reads the guest record (guest/GuestRecord.h) through QEMU's gdb stub and
checks that each vCPU came up, acknowledged, counted and ended each of its
SPIs exactly once, and that the held SPI stayed active (GICD_ISACTIVER, read
through QEMU's monitor) until hold_release, then was ended once. At EL2 it
also reads QEMU's trace of the virtual interface (vgic_trace).

    python3 Tests/qemu/run_checks.py guest_standalone_check

Needs build/hotplug-on/guest-standalone.elf (`make guest-standalone`). The
GIC's addresses come from the device tree QEMU writes for the same machine;
the SPIs lie below 256 (QEMU 7.2's virt has SPIs 32-255), four per CPU at
most (the EL2 stand-in uses list registers 0-3).
"""
import os
import re
import socket
import subprocess
import tempfile
import time

import vgic_trace
from harness import ROOT, CheckFailed, expect, qemu_binary

IMAGE = os.path.join(ROOT, "build", "hotplug-on", "guest-standalone.elf")
HEADER = os.path.join(ROOT, "guest", "GuestRecord.h")
PARAMETERS = 0x40170000  # guest/standalone-check.S: STANDALONE_PARAMETERS
EL2_FAULTS = 0x800  # and PARAMETER_EL2_FAULTS
LATER_SENT = 56  # and PARAMETER_LATER_SENT
CPUS = 2
HOLD_CPU = 1
SPIS_PER_CPU = 4
LATER_SPIS = 3
FIRST_SPI = 200
DEADLINE_SECONDS = 20


def record_layout():
    """The #defines of guest/GuestRecord.h with a plain number (or a
    parenthesised sum of them) as value."""
    values = {}
    for name, value in re.findall(r"^#define (GUEST_\w+)[ \t]+(\S.*?)[ \t]*(?:/\*.*)?$", open(HEADER).read(), re.M):
        if not re.fullmatch(r"[\w\s+*()]+", value):
            continue
        try:
            values[name] = eval(value, {"__builtins__": {}}, dict(values))
        except (NameError, SyntaxError):
            pass
    return values


def gic_description(directory, el):
    """GICD, the first redistributor region and the maintenance interrupt's
    INTID, from QEMU's device tree for the machine booted at `el`."""
    path = os.path.join(directory, "standalone.dtb")
    environment = dict(os.environ, QEMU=qemu_binary(), IMAGE=IMAGE, SMP=str(CPUS), EL=str(el), DUMPDTB=path,
                       IMAGE_ARGS="", QEMUFLAGS="")
    dump = subprocess.run([os.path.join(ROOT, "scripts", "qemu.sh")], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)
    if dump.returncode != 0 or not os.path.exists(path):
        raise CheckFailed("QEMU did not dump its device tree: %s" % dump.stderr[-400:])
    source = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", path], check=True, capture_output=True,
                            text=True).stdout
    # The node's own properties: the lines of its body before any child node.
    bodies = [body for body in re.findall(r"^\t[\w-]+@[0-9a-f]+ \{\n((?:\t\t[^\n{}]*;\n)*)", source, re.M)
              if 'compatible = "arm,gic-v3";' in body]
    expect(len(bodies) == 1, "QEMU's device tree has %d GICv3 nodes" % len(bodies))
    body = bodies[0]
    cells = [int(cell, 16) for cell in re.search(r"\breg = <([^>]*)>", body).group(1).split()]
    # Only with virtualization=on does the node name a maintenance interrupt.
    maintenance = re.search(r"\binterrupts = <([^>]*)>", body)
    intid = None
    if maintenance:
        kind, number, _ = [int(cell, 16) for cell in maintenance.group(1).split()]
        expect(kind == 1, "the GIC's maintenance interrupt is not a PPI")
        intid = 16 + number
    return cells[0] << 32 | cells[1], cells[4] << 32 | cells[5], intid


def connect(path, what):
    """A connection to QEMU's unix socket `path` once QEMU has opened it."""
    started = time.monotonic()
    while True:
        connection = socket.socket(socket.AF_UNIX)
        try:
            connection.connect(path)
            connection.settimeout(DEADLINE_SECONDS)
            return connection
        except OSError:
            connection.close()
            if time.monotonic() - started > DEADLINE_SECONDS:
                raise CheckFailed("QEMU's %s did not open %s" % (what, path))
            time.sleep(0.05)


class GDBStub:
    """Just enough of the GDB remote protocol to stop QEMU, read and write
    physical memory and let it run again."""

    def __init__(self, path):
        self.socket = connect(path, "gdb stub")
        self.buffer = b""
        self.running = False

    def _packet(self):
        while True:
            start = self.buffer.find(b"$")
            end = self.buffer.find(b"#", start)
            if start >= 0 and end >= 0 and len(self.buffer) >= end + 3:
                body = self.buffer[start + 1:end]
                self.buffer = self.buffer[end + 3:]
                self.socket.sendall(b"+")
                return body.decode()
            chunk = self.socket.recv(4096)
            if not chunk:
                raise CheckFailed("QEMU's gdb stub closed the connection")
            self.buffer += chunk

    def _send(self, body):
        self.socket.sendall(b"$%s#%02x" % (body.encode(), sum(body.encode()) & 0xFF))

    @staticmethod
    def _is_stop_reply(packet):
        return re.match(r"[TS][0-9a-f]{2}", packet) is not None

    def command(self, body):
        """Sends `body` and returns its reply, past any stop reply QEMU sent
        on its own (it sends one when the connection stops the machine)."""
        self._send(body)
        while True:
            packet = self._packet()
            if not self._is_stop_reply(packet):
                return packet

    def stop(self):
        """Stops the machine (a no-op when stopped) and waits for the stop reply."""
        if self.running:
            self.socket.sendall(b"\x03")
            self.running = False
            while not self._is_stop_reply(self._packet()):
                pass

    def resume(self):
        self._send("c")
        self.running = True

    def read(self, address, length):
        reply = self.command("m%x,%x" % (address, length))
        if not re.fullmatch(r"[0-9a-f]*", reply) or len(reply) != 2 * length:
            raise CheckFailed("gdb stub read of 0x%x: %r" % (address, reply))
        return bytes.fromhex(reply)

    def write(self, address, data):
        expect(self.command("M%x,%x:%s" % (address, len(data), data.hex())) == "OK", "gdb stub write failed")

    def word(self, address):
        return int.from_bytes(self.read(address, 4), "little")


class Monitor:
    """QEMU's human monitor, for `xp`: a read of physical memory (the GIC's
    registers lie outside the guest's map, so the gdb stub, which reads
    through the CPU's translation on QEMU 7.2, cannot reach them)."""

    def __init__(self, path):
        self.socket = connect(path, "monitor")
        self._until_prompt()

    def _until_prompt(self):
        text = b""
        while not text.endswith(b"(qemu) "):
            chunk = self.socket.recv(4096)
            if not chunk:
                raise CheckFailed("QEMU's monitor closed the connection")
            text += chunk
        return text.decode(errors="replace")

    def word(self, address):
        self.socket.sendall(b"xp /1wx 0x%x\n" % address)
        match = re.search(r"^0*%x: (0x[0-9a-f]+)" % address, self._until_prompt(), re.M)
        expect(match is not None, "the monitor did not read 0x%x" % address)
        return int(match.group(1), 16)


def wait_for(stub, what, condition):
    """Lets the machine run until `condition()` (read with it stopped) holds."""
    started = time.monotonic()
    while True:
        stub.stop()
        if condition():
            return
        if time.monotonic() - started > DEADLINE_SECONDS:
            raise CheckFailed("timed out after %d s waiting for %s" % (DEADLINE_SECONDS, what))
        stub.resume()
        time.sleep(0.05)


def boot_and_check(el):
    """Boots the stand-in and the guest at `el` (1: the guest on the physical
    CPU interface; 2: under the EL2 stand-in, on the virtual one) and checks
    the record and the distributor's active bits."""
    expect(os.path.exists(IMAGE), "%s is missing: make guest-standalone" % IMAGE)
    layout = record_layout()
    record = layout["GUEST_RECORD_ADDRESS"]
    counted = layout["GUEST_COUNTED_INTIDS"]
    with tempfile.TemporaryDirectory() as directory:
        distributor, redistributors, maintenance = gic_description(directory, el)
        spis = [(FIRST_SPI + cpu * SPIS_PER_CPU + n, cpu) for cpu in range(CPUS) for n in range(SPIS_PER_CPU)]
        first_batch = len(spis)
        if el == 2:
            expect(maintenance is not None, "QEMU's device tree names no maintenance interrupt at EL2")
            # Pended by the stand-in once the guest on CPU 0 has freed its
            # list registers (the underflow maintenance interrupt).
            spis += [(FIRST_SPI + CPUS * SPIS_PER_CPU + n, 0) for n in range(LATER_SPIS)]
        hold = spis[HOLD_CPU * SPIS_PER_CPU][0]
        words = [distributor, redistributors, CPUS, hold, len(spis), first_batch, maintenance or 0, 0] \
            + [intid | cpu << 32 for intid, cpu in spis]
        loaders = " ".join("-device loader,addr=0x%x,data=0x%x,data-len=8" % (PARAMETERS + 8 * index, value)
                           for index, value in enumerate(words))
        gdb_path = os.path.join(directory, "gdb")
        monitor_path = os.path.join(directory, "monitor")
        trace_path = os.path.join(directory, "trace")
        tracing = "".join(" -trace " + event for event in vgic_trace.TRACE_EVENTS) + " -D " + trace_path
        environment = dict(os.environ, QEMU=qemu_binary(), IMAGE=IMAGE, SMP=str(CPUS), EL=str(el), IMAGE_ARGS="",
                           QEMUFLAGS="-chardev socket,id=gdb0,path=%s,server=on,wait=off -gdb chardev:gdb0 "
                                     "-chardev socket,id=monitor0,path=%s,server=on,wait=off "
                                     "-mon chardev=monitor0,mode=readline %s%s"
                           % (gdb_path, monitor_path, loaders, tracing if el == 2 else ""))
        qemu = subprocess.Popen([os.path.join(ROOT, "scripts", "qemu.sh")], cwd=ROOT, env=environment,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            stub = GDBStub(gdb_path)
            monitor = Monitor(monitor_path)

            def field(offset, cpu=0, size=4):
                return stub.word(record + offset + size * cpu)

            def count(cpu, intid):
                return field(layout["GUEST_RECORD_COUNTS_OFFSET"], cpu * counted + intid)

            def faults():
                return [(cpu, field(layout["GUEST_RECORD_FAULT_KIND_OFFSET"], cpu),
                         hex(field(layout["GUEST_RECORD_FAULT_ESR_OFFSET"], cpu, 8)),
                         hex(field(layout["GUEST_RECORD_FAULT_ELR_OFFSET"], cpu, 8)))
                        for cpu in range(CPUS) if field(layout["GUEST_RECORD_FAULT_KIND_OFFSET"], cpu)]

            def active(intid):
                return monitor.word(distributor + 0x300 + 4 * (intid // 32)) >> (intid % 32) & 1

            def up():
                expect(not faults(), "a vCPU stopped on a fault (cpu, kind, ESR, ELR): %s" % faults())
                return all(field(layout["GUEST_RECORD_BOOT_MARKER_OFFSET"], cpu) == layout["GUEST_BOOT_MARKER"]
                           for cpu in range(CPUS))

            wait_for(stub, "every vCPU's boot marker", up)
            expect(field(layout["GUEST_RECORD_MAGIC_OFFSET"]) == layout["GUEST_RECORD_MAGIC"], "no record magic")
            others = [(intid, cpu) for intid, cpu in spis if cpu != HOLD_CPU]
            wait_for(stub, "the held SPI %d on vCPU %d" % (hold, HOLD_CPU),
                     lambda: field(layout["GUEST_RECORD_HOLDING_OFFSET"], HOLD_CPU) == 1
                     and all(count(cpu, intid) for intid, cpu in others))
            expect(field(layout["GUEST_RECORD_LAST_INTID_OFFSET"], HOLD_CPU) == hold,
                   "vCPU %d holds, but its last INTID is %d" % (HOLD_CPU, field(layout["GUEST_RECORD_LAST_INTID_OFFSET"], HOLD_CPU)))
            expect(count(HOLD_CPU, hold) == 1, "the held SPI counted %d times" % count(HOLD_CPU, hold))
            expect(active(hold) == 1, "SPI %d is held by the guest but not active in GICD_ISACTIVER" % hold)
            stub.write(record + layout["GUEST_RECORD_HOLD_RELEASE_OFFSET"], (1).to_bytes(4, "little"))
            wait_for(stub, "the end of the hold", lambda: field(layout["GUEST_RECORD_HOLDING_OFFSET"], HOLD_CPU) == 0
                     and all(count(cpu, intid) for intid, cpu in spis))
            expect(field(layout["GUEST_RECORD_HOLD_RELEASE_OFFSET"]) == 0, "the guest did not consume hold_release")
            for intid, cpu in spis:
                for reader in range(CPUS):
                    wanted = 1 if reader == cpu else 0
                    expect(count(reader, intid) == wanted, "SPI %d counted %d times on vCPU %d, expected %d"
                           % (intid, count(reader, intid), reader, wanted))
                expect(active(intid) == 0, "SPI %d still active after the guest ended it" % intid)
            expect(not faults(), "a vCPU stopped on a fault (cpu, kind, ESR, ELR): %s" % faults())
            counts = {(intid, reader): count(reader, intid) for intid, _ in spis for reader in range(CPUS)
                      if count(reader, intid)}
            if el == 2:
                expect(stub.word(PARAMETERS + LATER_SENT) == 1, "the stand-in never had the maintenance interrupt")
            for cpu in range(CPUS):
                expect(field(layout["GUEST_RECORD_UNCOUNTED_OFFSET"], cpu) == 0, "vCPU %d took an uncounted INTID" % cpu)
                stand_in_fault = stub.read(PARAMETERS + EL2_FAULTS + 8 * cpu, 8)
                stand_in_fault = int.from_bytes(stand_in_fault, "little")
                expect(stand_in_fault == 0, "the EL2 stand-in on CPU %d took an exception, ESR_EL2 0x%x"
                       % (cpu, stand_in_fault & ~1))
        finally:
            # SIGTERM: QEMU exits cleanly, its trace log flushed.
            qemu.terminate()
            try:
                qemu.wait(timeout=DEADLINE_SECONDS)
            except subprocess.TimeoutExpired:
                qemu.kill()
                qemu.wait()
        if el == 2:
            # QEMU's own account: each SPI acknowledged once at EL2, written
            # once into a list register and acknowledged once by the guest,
            # all on its CPU.
            events = vgic_trace.parse(open(trace_path).read())
            guest_bound = set(intid for intid, _ in spis)
            found = vgic_trace.problems(events, guest_bound)
            expect(not found, "QEMU's trace: " + "; ".join(found))
            offs = vgic_trace.hand_offs(events, guest_bound)
            expect(sorted((off.intid, off.cpu) for off in offs) == sorted(spis),
                   "QEMU's trace shows the hand-offs %s, expected one for each of %s"
                   % ([(off.intid, off.cpu) for off in offs], spis))
            # The guest's own counts, read before QEMU stopped, agree.
            names = vgic_trace.logical_cpus(range(CPUS))  # CPU n: MPIDR Aff0 n, one cluster
            traced = {(intid, names[cpu]): count for (intid, cpu), count in vgic_trace.delivered(offs).items()}
            expect(traced == counts, "QEMU's trace delivered %s, the guest counted %s" % (traced, counts))


def the_guest_counts_ends_and_holds_interrupts_at_el1():
    boot_and_check(1)


def the_guest_takes_hardware_list_registers_under_an_el2_stand_in():
    # Each SPI reaches the guest through a list register with HW 1, as
    # QEMU's trace shows (vgic_trace); the held one stays physically active
    # until the guest's EOI, which deactivates it (nothing at EL2 does).
    boot_and_check(2)


def the_trace_reader_reads_captured_and_edited_traces():
    # vgic_trace's self-test: lines captured from QEMU 7.2 and edits that
    # each break one rule (no QEMU runs).
    vgic_trace.self_test()


CHECKS = [the_guest_counts_ends_and_holds_interrupts_at_el1,
          the_guest_takes_hardware_list_registers_under_an_el2_stand_in,
          the_trace_reader_reads_captured_and_edited_traces]
