import Synchronization

/// A `DescriptorStore` without locks: one descriptor per shared interrupt of
/// an `InterruptLayout`, in one buffer allocated when the table is made
/// and never again. It keeps a `routingGeneration`, so the balanced policy
/// notices every routing change made through it, from wherever.
///
/// For host tests, benchmarks, and any single-CPU use in the image; the
/// kernel's multi-CPU store puts a spin lock beside each descriptor instead.
/// A class so that `withDescriptor` can hand out `inout` access without the
/// caller holding the table `inout` (the same shape as a store of locks).
public final class DescriptorTable: DescriptorStore {
    /// Which INTID each index stands for.
    public let layout: InterruptLayout

    /// The number of descriptors, `layout.sharedCount`.
    public let count: Int

    private let storage: UnsafeMutablePointer<InterruptDescriptor>

    /// See `routingGeneration`. Starts at this table's serial number times
    /// 2^40, so that no two tables of one process show the same generation.
    private var generation: UInt64

    /// Tables made so far in this process.
    private static let tablesMade = Atomic<UInt64>(0)

    /// A table of fresh descriptors (no handler, routed nowhere, every CPU
    /// requested) for every SPI and extended SPI of `layout`.
    public init(layout: InterruptLayout) {
        self.layout = layout
        count = layout.sharedCount
        generation = DescriptorTable.tablesMade.wrappingAdd(1, ordering: .relaxed).newValue << 40
        // At least one element so that an empty layout still has a valid pointer.
        storage = UnsafeMutablePointer<InterruptDescriptor>.allocate(capacity: count > 0 ? count : 1)
        for index in 0 ..< count {
            (storage + index).initialize(to: InterruptDescriptor(id: layout.interrupt(at: index)))
        }
    }

    /// A table for the distributor whose `GICD_TYPER` reads `type`.
    public convenience init(distributorType type: DistributorType) {
        self.init(layout: InterruptLayout(type))
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    @discardableResult
    public func withDescriptor<Result>(at index: Int, _ body: (inout InterruptDescriptor) -> Result) -> Result {
        precondition(index >= 0 && index < count, "DescriptorTable: index out of range")
        let (result, changed) = RoutingState.apply(body, to: &storage[index])
        if changed {
            generation &+= 1
        }
        return result
    }

    public var routingGeneration: UInt64? { generation }

    /// Runs `body` on the descriptor of `id`; `nil` if the distributor does
    /// not implement `id`.
    @discardableResult
    public func withDescriptor<Result>(for id: InterruptID, _ body: (inout InterruptDescriptor) -> Result) -> Result? {
        guard let index = layout.index(of: id) else { return nil }
        return withDescriptor(at: index, body)
    }

    /// A copy of descriptor `index`, or a replacement for it.
    public subscript(index: Int) -> InterruptDescriptor {
        get {
            precondition(index >= 0 && index < count, "DescriptorTable: index out of range")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < count, "DescriptorTable: index out of range")
            precondition(newValue.id == storage[index].id, "DescriptorTable: descriptor stored at another INTID's index")
            withDescriptor(at: index) { $0 = newValue }
        }
    }
}
