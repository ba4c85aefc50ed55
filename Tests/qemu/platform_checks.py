"""QEMU checks for the platform layer: SMP up and down with PSCI, delivery
of SPIs to every CPU, at EL1 and EL2, in one and two affinity clusters.

The image's own platform check reads the hardware (GICD_IROUTER,
AFFINITY_INFO, which CPU acknowledged); here QEMU's trace of
ICC_IAR1_EL1 reads is a second, independent witness of delivery."""
import re

from harness import boot, expect, expect_status


def platform_boot(smp, el):
    result = boot(SMP=smp, EL=el, timeout=120)
    expect_status(result, 0)
    expect("platform check: passed (0 failures)" in result.output, "platform check did not pass")
    expect("check: all %d cpus online, confirmed by AFFINITY_INFO" % smp in result.output,
           "not every CPU confirmed online")
    cycles = 2 * 2 * (smp - 1)
    expect("check: hotplug %d operations" % cycles in result.output,
           "expected %d confirmed hotplug operations" % cycles)
    expect("check: delivery %d SPIs" % (4 * smp) in result.output, "delivery count wrong")
    return result


def platform_smp4_el1():
    platform_boot(4, 1)


def platform_smp20_el1():
    platform_boot(20, 1)


def platform_smp4_el2():
    platform_boot(4, 2)


def platform_smp20_el2():
    platform_boot(20, 2)


def platform_smp8_el2():
    platform_boot(8, 2)


def platform_smp128_two_redistributor_regions():
    """Above 123 CPUs QEMU puts the last redistributors in a second region,
    high in the address space: found by the GICR_TYPER walk, mapped by the
    MMU, every CPU up and down."""
    result = boot(SMP=128, APPEND="platform-only", timeout=180)
    expect_status(result, 0)
    expect("redistributor regions 2" in result.output, "the second redistributor region was not found")
    expect("check: all 128 cpus online, confirmed by AFFINITY_INFO" in result.output, "not every cpu came online")
    expect("check: hotplug 508 operations" in result.output, "hotplug cycles incomplete")
    expect("check: delivery 512 SPIs" in result.output, "delivery to every cpu incomplete")


def delivery_witnessed_by_qemu_trace():
    """QEMU's gicv3_icc_iar1_read trace names the CPU that acknowledged each
    INTID: each of the platform check's SPIs (the top four the GIC
    implements, 252-255 on QEMU 7.2's virt, 284-287 on QEMU 8 and later)
    must be acknowledged once by every CPU, since the check routes each SPI
    to each CPU in turn."""
    result = boot(SMP=4, APPEND="platform-only", QEMUFLAGS="-trace gicv3_icc_iar1_read", timeout=60)
    expect_status(result, 0)
    typer = re.search(r"^GICD_TYPER 0x[0-9a-f]+: SPIs 32-(\d+),", result.output, re.M)
    expect(typer, "no GICD_TYPER line")
    top = int(typer.group(1))
    spis = range(top - 3, top + 1)
    acknowledged = {}
    for match in re.finditer(r"gicv3_icc_iar1_read GICv3 ICC_IAR1 read cpu 0x([0-9a-f]+) value 0x([0-9a-f]+)",
                             result.output):
        cpu, intid = int(match.group(1), 16), int(match.group(2), 16)
        if intid in spis:
            acknowledged[(cpu, intid)] = acknowledged.get((cpu, intid), 0) + 1
    expected = {(cpu, intid): 1 for cpu in range(4) for intid in spis}
    expect(acknowledged == expected, "QEMU saw acknowledgements %r" % acknowledged)


CHECKS = [platform_smp4_el1, platform_smp20_el1, platform_smp4_el2, platform_smp8_el2, platform_smp20_el2,
          platform_smp128_two_redistributor_regions, delivery_witnessed_by_qemu_trace]
