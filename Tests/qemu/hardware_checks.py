"""QEMU checks for what the boot path demands of the machine before it
runs any compiled code: a GICv3 system-register CPU interface
(ID_AA64PFR0_EL1.GIC, and ICC_SRE_EL2.SRE from EL2) and RAM that holds the
whole image. Each refusal is one clear line and exit status 2."""
from harness import boot, expect, expect_status


def refuses_a_cpu_without_gic_system_registers():
    # gic-version=2: QEMU's CPUs then report ID_AA64PFR0_EL1.GIC = 0.
    for el in (1, 2):
        result = boot(EL=el, QEMUFLAGS="-M gic-version=2", timeout=30)
        expect_status(result, 2)
        expect("error: this CPU has no GIC system-register interface (ID_AA64PFR0_EL1.GIC = 0)" in result.output,
               "EL%d: no clear refusal:\n%s" % (el, result.output[-800:]))


def refuses_memory_that_does_not_hold_the_image():
    # 42 MiB: QEMU still loads the image (its loadable part fits), but the
    # heap's tail lies beyond the end of RAM.
    result = boot(QEMUFLAGS="-m 42M", timeout=30)
    expect_status(result, 2)
    expect("error: the device tree's memory does not hold the image (0x40200000-" in result.output,
           "no clear refusal:\n%s" % result.output[-800:])
    expect("GICv3 interrupt migration" not in result.output, "the kernel went on after the refusal")


CHECKS = [refuses_a_cpu_without_gic_system_registers, refuses_memory_that_does_not_hold_the_image]


def hvc_without_a_hypervisor_is_reported():
    # EL=2 boots the hypervisor image, which stays at EL2: its own HVC is
    # taken by its own EL2 vectors (no firmware above it answers HVC) and
    # must be reported as a PSCI problem, not hang.
    result = boot(EL=2, FAULTS=1, APPEND="psci-conduit=hvc", timeout=30)
    expect_status(result, 2)
    expect("error: PSCI conduit hvc is not answered by firmware at EL2 (the HVC trapped" in result.output,
           "no clear report:\n%s" % result.output[-800:])


CHECKS.append(hvc_without_a_hypervisor_is_reported)
