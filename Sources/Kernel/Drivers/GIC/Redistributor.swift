/// One CPU's GICv3 Redistributor (IHI 0069 §12.10-12.11): its RD_base frame
/// (control, `GICR_TYPER`, `GICR_WAKER`) and SGI_base frame (SGI/PPI
/// state). Found by walking the frames of every redistributor region the
/// device tree gives and matching `GICR_TYPER`'s affinity to the CPU's
/// MPIDR, stopping at the frame marked Last — never by index, since frame
/// order is the GIC's, not the device tree's.
///
/// Only its own CPU touches a redistributor after start-up (wake on the way
/// up, sleep on the way down), so it needs no lock.
struct Redistributor {
    let frame: MMIORegion

    /// The redistributor of the CPU with `affinity`, or nil when no frame
    /// has it.
    init?(serving affinity: MPIDRAffinity, in gic: GICDescription) {
        var regions: InlineArray<8, RedistributorRegion> = .init(repeating: RedistributorRegion(base: 0, size: 0))
        for index in 0 ..< gic.redistributorRegionCount {
            let region = gic.redistributorRegion(index)
            regions[index] = RedistributorRegion(base: region.base, size: region.size)
        }
        var found: UInt64?
        for index in 0 ..< gic.redistributorRegionCount where found == nil {
            found = RedistributorType.findFrame(for: affinity, in: regions[index]) { address in
                MMIORegion(base: address).read64(0)
            }
        }
        guard let found else { return nil }
        frame = MMIORegion(base: found)
    }

    /// GICR_WAKER bits (§12.11.43).
    private static let processorSleep: UInt32 = 1 << 1
    private static let childrenAsleep: UInt32 = 1 << 2

    /// Marks the CPU awake: clear ProcessorSleep, then wait for
    /// ChildrenAsleep to clear, after which the redistributor forwards
    /// interrupts to the CPU interface (§11.1 "Power management").
    func wake() -> Bool {
        let waker = frame.read32(RedistributorRegister.GICR_WAKER)
        frame.write32(RedistributorRegister.GICR_WAKER, waker & ~Redistributor.processorSleep)
        return Deadline.wait(milliseconds: 100) {
            frame.read32(RedistributorRegister.GICR_WAKER) & Redistributor.childrenAsleep == 0
        }
    }

    /// Marks the CPU asleep before it powers off: set ProcessorSleep, then
    /// wait for ChildrenAsleep, so the GIC stops treating it as a target.
    func sleep() -> Bool {
        let waker = frame.read32(RedistributorRegister.GICR_WAKER)
        frame.write32(RedistributorRegister.GICR_WAKER, waker | Redistributor.processorSleep)
        return Deadline.wait(milliseconds: 100) {
            frame.read32(RedistributorRegister.GICR_WAKER) & Redistributor.childrenAsleep != 0
        }
    }

    /// SGIs and PPIs: all group 1, default priority; SGIs enabled (they are
    /// how CPUs call each other), PPIs disabled.
    func configurePrivateInterrupts() {
        let sgiFrame = frame.advanced(by: UInt64(RedistributorRegister.SGI_base))
        sgiFrame.write32(RedistributorRegister.GICR_IGROUPR0, 0xFFFF_FFFF)
        sgiFrame.write32(RedistributorRegister.GICR_IGRPMODR0, 0)
        for index in 0 ..< 32 {
            sgiFrame.writeByte(RedistributorRegister.GICR_IPRIORITYR + index, Distributor.defaultPriority)
        }
        sgiFrame.write32(RedistributorRegister.GICR_ICENABLER0, 0xFFFF_0000)
        sgiFrame.write32(RedistributorRegister.GICR_ISENABLER0, 0x0000_FFFF)
    }
}
