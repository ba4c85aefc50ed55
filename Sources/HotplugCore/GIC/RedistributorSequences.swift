/// The sequences a CPU runs on its own redistributor: power (wake on the way
/// up, sleep on the way down) and its private interrupts' start-up state.
///
/// Each is generic over the RD_base frame's `RegisterFile` (the SGI_base
/// registers are declared from RD_base too) and bounds every wait with the
/// caller's `HardwareWait`.
/// `frame` (the RD_base address) only names the redistributor in errors.
public enum RedistributorSequences {
    /// Makes the redistributor forward interrupts to its CPU (IHI 0069
    /// §12.11.43 GICR_WAKER, and the power management rules it refers to).
    ///
    /// With one Security state: clear ProcessorSleep, then wait for
    /// ChildrenAsleep to clear. Changing ProcessorSleep from 1 to 0 while
    /// ChildrenAsleep is not 1 is UNPREDICTABLE, so a redistributor still
    /// on its way to sleep is first waited for. With two, ProcessorSleep is the
    /// firmware's (the register is RAZ/WI to Non-secure accesses) and the
    /// firmware woke the redistributor before CPU_ON entered us: nothing is
    /// written, and ChildrenAsleep is still awaited clear, which costs one
    /// read when the register reads as zero and catches firmware that did
    /// not wake it where the bit is visible.
    public static func wake<Frame: RegisterFile>(
        _ registers: Frame, frame: UInt64, security: DistributorSecurity, wait: HardwareWait
    ) throws(GICError) {
        if security.kernelOwnsRedistributorPower {
            let waker = registers.read(RedistributorRegister.GICR_WAKER)
            if waker.contains(.ProcessorSleep) {
                let asleep = wait { registers.read(RedistributorRegister.GICR_WAKER).contains(.ChildrenAsleep) }
                guard asleep else { throw .redistributorStillAwake(frame: frame) }
            }
            registers.write(RedistributorRegister.GICR_WAKER, waker.subtracting(.ProcessorSleep))
        }
        let awake = wait { !registers.read(RedistributorRegister.GICR_WAKER).contains(.ChildrenAsleep) }
        guard awake else { throw .redistributorStillAsleep(frame: frame) }
    }

    /// Tells the redistributor its CPU is about to power down, so that it
    /// stops forwarding interrupts and holds them pending instead.
    ///
    /// Precondition: the CPU interface's group enables are already clear
    /// (setting ProcessorSleep with a group enabled is UNPREDICTABLE).
    ///
    /// With one Security state: set ProcessorSleep, then wait for
    /// ChildrenAsleep, as the specification requires before a PE powers
    /// down; nobody else would do it. With two: nothing; the register is
    /// RAZ/WI to us (a write would be ignored and the wait could only time
    /// out, a masked stall on every offline) and the firmware does the
    /// handshake inside PSCI CPU_OFF, which is what Linux and Xen rely on.
    ///
    /// - Returns: whether the kernel touched `GICR_WAKER` at all.
    @discardableResult
    public static func sleep<Frame: RegisterFile>(
        _ registers: Frame, frame: UInt64, security: DistributorSecurity, wait: HardwareWait
    ) throws(GICError) -> Bool {
        guard security.kernelOwnsRedistributorPower else { return false }
        let waker = registers.read(RedistributorRegister.GICR_WAKER)
        registers.write(RedistributorRegister.GICR_WAKER, waker.union(.ProcessorSleep))
        let asleep = wait { registers.read(RedistributorRegister.GICR_WAKER).contains(.ChildrenAsleep) }
        guard asleep else { throw .redistributorStillAwake(frame: frame) }
        return true
    }

    /// Brings the CPU's SGIs and PPIs (INTIDs 0–31, configured in its
    /// redistributor's SGI_base frame) to a known state, as Linux's
    /// `gic_cpu_config` does: all disabled and deactivated, `GICR_CTLR.RWP`
    /// awaited so the disable has taken effect before anything about them
    /// changes; then group 1 Non-secure, `priority`; then the SGIs enabled
    /// (they are how CPUs call each other), the PPIs left disabled.
    ///
    /// Pending state is kept: an SGI sent to a CPU before it got here is
    /// still delivered once it enables its CPU interface. Trigger modes are
    /// not touched (SGIs are always edge-triggered; a PPI's is the device's).
    /// With two Security states the group bits of Secure SGIs and PPIs are
    /// RAZ/WI to us and stay the firmware's.
    public static func configurePrivateInterrupts<Frame: RegisterFile>(
        _ registers: Frame, frame: UInt64, priority: UInt8, wait: HardwareWait
    ) throws(GICError) {
        registers.write(RedistributorRegister.GICR_ICENABLER0, ~0)
        registers.write(RedistributorRegister.GICR_ICACTIVER0, ~0)
        try waitForRegisterWrite(registers, frame: frame, wait)
        registers.write(RedistributorRegister.GICR_IGROUPR0, ~0)
        registers.write(RedistributorRegister.GICR_IGRPMODR0, 0)
        let priorities = InterruptPriority.word(priority)
        for n in 0 ..< RedistributorRegister.GICR_IPRIORITYR.count {
            registers.write(RedistributorRegister.GICR_IPRIORITYR[n], priorities)
        }
        registers.write(RedistributorRegister.GICR_ISENABLER0, softwareGeneratedInterrupts)
    }

    /// The `GICR_ISENABLER0` / `GICR_ICENABLER0` bits of the SGIs, INTIDs
    /// 0–15.
    public static let softwareGeneratedInterrupts: UInt32 = 0x0000_FFFF

    /// Waits for `GICR_CTLR.RWP` to clear: a write to `GICR_ICENABLER0` has
    /// taken effect only then (IHI 0069, GICR_CTLR).
    public static func waitForRegisterWrite<Frame: RegisterFile>(
        _ registers: Frame, frame: UInt64, _ wait: HardwareWait
    ) throws(GICError) {
        let done = wait { !registers.read(RedistributorRegister.GICR_CTLR).contains(.RWP) }
        guard done else { throw .redistributorWritePending(frame: frame) }
    }
}
