/// How many movable descriptors each CPU has: per CPU, the number of
/// descriptors with a handler, not guest-bound, whose `effectiveTarget` is
/// that CPU (move-pending ones included: they are delivered there until
/// their move completes). The measure the balanced policy evens out and the
/// benchmarks and QEMU checks report.
///
/// Fixed storage, one counter per possible CPU, so counting allocates nothing.
///
/// Reading in place: in Embedded Swift 6.3 a non-mutating read of an
/// `InlineArray` element copies the whole array first (2 KiB here; seen as a
/// `memcpy` per read in the disassembly), while a read through `inout`
/// does not. So the policies use the `mutating` readers (`count(of:)`,
/// `leastLoadedInPlace(in:)`), and the public non-mutating ones make one copy
/// per call, which is fine for reports and checks.
public struct CPULoad: Sendable {
    private var counts: InlineArray<512, Int32>

    /// All counts zero.
    public init() {
        counts = InlineArray(repeating: 0)
    }

    // MARK: Reading in place (the policies' hot path)

    /// The count of `cpu`; 0 for an index outside `0 ..< CPUMask.capacity`.
    /// `mutating` only to read in place (see the type's comment).
    @inline(__always)
    mutating func count(of cpu: LogicalCPU) -> Int {
        guard cpu.index >= 0 && cpu.index < CPUMask.capacity else { return 0 }
        return Int(counts[cpu.index])
    }

    /// The CPU of `cpus` with the smallest count, the lowest-numbered one on
    /// a tie; `nil` when `cpus` is empty. `mutating` only to read in place.
    mutating func leastLoadedInPlace(in cpus: CPUMask) -> LogicalCPU? {
        cpus.leastLoaded { counts[$0.index] }
    }

    // MARK: Reading (one copy per call)

    /// The count of `cpu`; 0 for an index outside `0 ..< CPUMask.capacity`.
    public subscript(cpu: LogicalCPU) -> Int {
        var load = self
        return load.count(of: cpu)
    }

    /// The CPU of `cpus` with the smallest count, the lowest-numbered one on
    /// a tie; `nil` when `cpus` is empty.
    public func leastLoaded(in cpus: CPUMask) -> LogicalCPU? {
        var load = self
        return load.leastLoadedInPlace(in: cpus)
    }

    /// The sum of the counts of the CPUs in `cpus`.
    public func total(in cpus: CPUMask) -> Int {
        var load = self
        var sum = 0
        for cpu in cpus {
            sum += load.count(of: cpu)
        }
        return sum
    }

    /// The smallest and largest count among `online`; `(0, 0)` when it is
    /// empty. Balanced means `max - min <= 1`.
    public func spread(online: CPUMask) -> (min: Int, max: Int) {
        var load = self
        var lowest = Int.max
        var highest = 0
        for cpu in online {
            let count = load.count(of: cpu)
            if count < lowest { lowest = count }
            if count > highest { highest = count }
        }
        return lowest == Int.max ? (0, 0) : (lowest, highest)
    }

    // MARK: Counting

    /// Sets every count to zero.
    public mutating func reset() {
        for index in 0 ..< CPUMask.capacity {
            counts[index] = 0
        }
    }

    /// Counts `descriptor` if it is movable and routed somewhere.
    public mutating func account(_ descriptor: InterruptDescriptor) {
        guard descriptor.isMovable, let cpu = descriptor.effectiveTarget else { return }
        add(cpu)
    }

    /// Counts every descriptor of `store` afresh: one pass, each descriptor
    /// read under its lock.
    public mutating func recount<Store: DescriptorStore>(_ store: Store) {
        reset()
        for index in 0 ..< store.count {
            let descriptor = store.withDescriptor(at: index) { $0 }
            account(descriptor)
        }
    }

    /// One more descriptor on `cpu`.
    ///
    /// - Precondition: `cpu.index` is in `0 ..< CPUMask.capacity`.
    public mutating func add(_ cpu: LogicalCPU) {
        counts[cpu.index] += 1
    }

    /// One descriptor fewer on `cpu`; the count stays at or above zero.
    ///
    /// - Precondition: `cpu.index` is in `0 ..< CPUMask.capacity`.
    public mutating func remove(_ cpu: LogicalCPU) {
        if counts[cpu.index] > 0 {
            counts[cpu.index] -= 1
        }
    }
}
