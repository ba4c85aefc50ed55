"""QEMU boot checks for the foundation: discovery, the no-DTB refusal, the
fault path. Run by `make test` after the host tests."""
import re

from harness import boot, expect, expect_status, image_cpus, qemu_dtb_cpus


def check_cpus_match_qemu(smp, el=1):
    result = boot(SMP=smp, EL=el)
    expect_status(result, 0)
    printed = image_cpus(result)
    expected = qemu_dtb_cpus(smp, el)
    expect([number for number, _ in printed] == list(range(smp)),
           "logical CPUs printed: %r" % [number for number, _ in printed])
    expect([mpidr for _, mpidr in printed] == expected,
           "image found MPIDRs %r, QEMU's DTB has %r" % ([hex(m) for _, m in printed],
                                                        [hex(m) for m in expected]))
    return result


def discovery_smp4():
    result = check_cpus_match_qemu(4)
    expect("psci: method hvc" in result.output, "PSCI method hvc not reported")
    expect("gic: distributor 0x8000000" in result.output, "distributor not reported")
    # The SPI range must be the one GICD_TYPER.ITLinesNumber encodes (IHI
    # 0069 12.9.38): 32 x (N + 1) - 1, at most 1019. QEMU 7.2 has N = 7
    # (SPIs 32-255), QEMU 8 and later N = 8 (32-287); neither is assumed.
    typer = re.search(r"^GICD_TYPER 0x([0-9a-f]+): SPIs 32-(\d+),", result.output, re.M)
    expect(typer, "GICD_TYPER not read from the distributor")
    lines = int(typer.group(1), 16) & 0x1f
    expect(int(typer.group(2)) == min(32 * (lines + 1) - 1, 1019),
           "SPIs 32-%s printed for ITLinesNumber %d" % (typer.group(2), lines))
    expect("uart: pl011 at 0x9000000, INTID 33" in result.output, "PL011 not reported")


def discovery_smp20_two_clusters():
    result = check_cpus_match_qemu(20)
    mpidrs = [mpidr for _, mpidr in image_cpus(result)]
    expect(all(m in mpidrs for m in (0x100, 0x101, 0x102, 0x103)),
           "second-cluster MPIDRs 0x100-0x103 missing: %r" % [hex(m) for m in mpidrs])


def discovery_el2_smc():
    result = check_cpus_match_qemu(4, el=2)
    expect("psci: method smc" in result.output, "PSCI method smc not reported at EL2")
    expect("entered at EL2" in result.output, "entry exception level not EL2")


def no_device_tree_exits_nonzero():
    result = boot(DTB=0, timeout=30)
    expect(result.status not in (0, "timeout"), "status %r without a DTB" % result.status)
    expect("no usable device tree" in result.output, "no message about the missing DTB:\n" + result.output)


def deliberate_fault_prints_syndrome():
    result = boot(FAULTS=1, APPEND="test-fault", timeout=30)
    expect_status(result, 3)
    expect("FATAL: synchronous exception" in result.output, "no fault report:\n" + result.output)
    expect("data abort" in result.output, "syndrome not decoded as a data abort")
    expect("FAR_EL1 0x0000800000000000" in result.output, "FAR does not name the faulting address")
    expect(result.seconds < 20, "fault took %.1fs to stop the machine" % result.seconds)
    # Only the fault-injection build takes the switch; the default image refuses it.
    result = boot(APPEND="test-fault", timeout=30)
    expect_status(result, 2)
    expect("error: test-fault works only in the fault-injection build" in result.output,
           "the default image did not refuse test-fault:\n" + result.output[-800:])


CHECKS = [discovery_smp4, discovery_smp20_two_clusters, discovery_el2_smc,
          no_device_tree_exits_nonzero, deliberate_fault_prints_syndrome]
