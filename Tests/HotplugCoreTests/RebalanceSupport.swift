// Test support for the rebalance tests: a simulated GICD_IROUTER register
// file, a seeded random generator, and builders for descriptor tables and
// event sequences. Nothing here is part of the image.
import XCTest
@testable import HotplugCore

/// The core's `SplitMix64` with the choices the rebalance tests make:
/// "random" tables and event sequences that are the same on every run, so a
/// failure can be replayed from its seed.
struct RebalanceRandom: RandomNumberGenerator {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    /// A value in `0 ..< bound`.
    mutating func below(_ bound: Int) -> Int {
        generator.below(bound)
    }

    /// `true` with probability `percent` / 100.
    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    /// A uniformly chosen member of a non-empty mask.
    mutating func member(of mask: CPUMask) -> LogicalCPU {
        mask.nth(below(mask.count))!
    }
}

/// A simulated distributor: one `GICD_IROUTER` register per INTID, holding
/// the CPU it names, and a log of every write. Tests read routing back from
/// here, never from the descriptor table.
struct SimulatedDistributor: InterruptRouter {
    /// INTID -> the CPU its router register names. Absent: never written.
    private(set) var registers: [UInt32: LogicalCPU] = [:]
    /// Every write, in order.
    private(set) var writes: [(id: InterruptID, cpu: LogicalCPU)] = []

    mutating func route(_ id: InterruptID, to cpu: LogicalCPU) {
        precondition(id.isShared, "IROUTER written for a non-shared INTID")
        registers[id.rawValue] = cpu
        writes.append((id, cpu))
    }

    /// What the register of `id` says.
    func target(of id: InterruptID) -> LogicalCPU? {
        registers[id.rawValue]
    }

    /// Sets a register as firmware or boot code left it, without logging a
    /// write: the starting state of a test.
    mutating func preset(_ id: InterruptID, to cpu: LogicalCPU?) {
        registers[id.rawValue] = cpu
    }
}

/// A layout of `spis` SPIs from INTID 32 and `extended` eSPIs from 4096.
func smallLayout(spis: Int, extended: Int = 0) -> InterruptLayout {
    InterruptLayout(spiCount: spis, extendedSPICount: extended)
}

/// The mask of the listed CPUs.
func cpus(_ indices: Int...) -> CPUMask {
    CPUMask(indices.map(LogicalCPU.init))
}

/// A random non-empty subset of `machine`.
func randomSubset(of machine: CPUMask, _ rng: inout RebalanceRandom) -> CPUMask {
    var mask = CPUMask()
    for cpu in machine where rng.chance(40) {
        mask.insert(cpu)
    }
    if mask.isEmpty {
        mask.insert(rng.member(of: machine))
    }
    return mask
}

/// Copies every descriptor's effective target into the simulated
/// registers, as boot code would have routed them.
func presetRegisters(from table: DescriptorTable, into distributor: inout SimulatedDistributor) {
    for index in 0 ..< table.count {
        distributor.preset(table[index].id, to: table[index].effectiveTarget)
    }
}

/// Per-CPU counts of movable descriptors, read from the register file.
func registerLoad(_ table: DescriptorTable, _ distributor: SimulatedDistributor) -> [Int: Int] {
    var counts: [Int: Int] = [:]
    for index in 0 ..< table.count where table[index].isMovable {
        if let cpu = distributor.target(of: table[index].id) {
            counts[cpu.index, default: 0] += 1
        }
    }
    return counts
}

/// A hotplug or interrupt event of a random sequence.
enum RebalanceEvent: CustomStringConvertible {
    case offline(LogicalCPU)
    case online(LogicalCPU)
    case handlerStarts(Int)
    case endOfInterrupt(Int)

    var description: String {
        switch self {
        case .offline(let cpu): return "offline \(cpu.index)"
        case .online(let cpu): return "online \(cpu.index)"
        case .handlerStarts(let index): return "handler starts #\(index)"
        case .endOfInterrupt(let index): return "EOI #\(index)"
        }
    }
}

/// The next random event: a CPU going offline (never the last online one),
/// one coming online, or (when `interruptEvents`) a handler starting or
/// ending on descriptor `0 ..< descriptors`.
func randomEvent(online: CPUMask, machine: CPUMask, descriptors: Int, interruptEvents: Bool,
                 _ rng: inout RebalanceRandom) -> RebalanceEvent {
    while true {
        switch rng.below(interruptEvents ? 4 : 2) {
        case 0 where online.count > 1:
            return .offline(rng.member(of: online))
        case 1 where !machine.subtracting(online).isEmpty:
            return .online(rng.member(of: machine.subtracting(online)))
        case 2 where descriptors > 0:
            return .handlerStarts(rng.below(descriptors))
        case 3 where descriptors > 0:
            return .endOfInterrupt(rng.below(descriptors))
        default:
            continue
        }
    }
}
