/// Per-interrupt handling rates, measured over epochs and smoothed: the
/// input of the load placement (`RatePlacement`).
///
/// Positions are the descriptor store's indices (`0 ..< count`, INTID
/// order). During an epoch the kernel adds what each interrupt handled
/// (`record`), e.g. from per-CPU counters snapshot at the epoch's end;
/// `closeEpoch` then folds the epoch's counts into each smoothed rate and
/// starts the next epoch at zero.
///
/// Smoothing: an exponentially weighted moving average in fixed point with
/// `fractionBits` fractional bits, `s ← s − s/2^k + (c·2^F)/2^k` with
/// `k = smoothingShift` (weight of the newest epoch 1/2^k; `k = 0` keeps only
/// the last epoch). Integer arithmetic only, so the same counts give the
/// same rates on the host and in the image. With the newest weight a power
/// of two and `k ≤ F`, a count `c` held constant is a fixed point of the
/// update (`s = c·2^F` stays), the error from below shrinks by at least one
/// each epoch, and from above it stops below 2^k, under half a unit, so
/// `rate(at:)` (rounded) settles on `c` exactly.
///
/// Fixed storage for `capacity` interrupts; nothing here allocates.
public struct InterruptRates: Sendable {
    /// Interrupts tracked at most: as many as the routing index holds.
    public static let capacity = 2048

    /// Fractional bits of the smoothed rates.
    public static let fractionBits = 8

    /// The largest `smoothingShift` (newest epoch weighted 1/128).
    public static let maximumShift = 7

    /// Interrupts tracked, positions `0 ..< count`.
    public let count: Int

    /// `k`: the newest epoch weighs 1/2^k in the average.
    public let smoothingShift: Int

    /// Epochs closed so far.
    public private(set) var epochs: UInt64

    /// This epoch's handled counts, not yet folded in.
    private var pending: InlineArray<2048, UInt32>

    /// Whether anything was handled this epoch (any `record` of a count
    /// above zero since the last close).
    public private(set) var measuredThisEpoch: Bool = false

    /// Smoothed rates, handled per epoch, in fixed point (`fractionBits`).
    private var smoothed: InlineArray<2048, UInt64>

    /// Tracks `count` interrupts (clamped to `0 ... capacity`), every rate zero.
    public init(count: Int, smoothingShift: Int = 1) {
        self.count = Swift.max(0, Swift.min(count, InterruptRates.capacity))
        self.smoothingShift = Swift.max(0, Swift.min(smoothingShift, InterruptRates.maximumShift))
        epochs = 0
        pending = InlineArray(repeating: 0)
        smoothed = InlineArray(repeating: 0)
    }

    /// Back to the state of `init`: no epoch closed, every count and rate
    /// zero. In place, so that a policy kept in static storage is reset
    /// without a 24 KiB temporary on the stack.
    public mutating func reset() {
        for position in 0 ..< InterruptRates.capacity {
            pending[position] = 0
            smoothed[position] = 0
        }
        epochs = 0
        measuredThisEpoch = false
    }

    /// Adds `handled` to what the interrupt at `position` handled this
    /// epoch (saturating); positions outside `0 ..< count` are ignored.
    @inline(__always)
    public mutating func record(_ handled: UInt32, at position: Int) {
        guard position >= 0 && position < count else { return }
        if handled != 0 { measuredThisEpoch = true }
        let (sum, overflow) = pending[position].addingReportingOverflow(handled)
        pending[position] = overflow ? UInt32.max : sum
    }

    /// Ends the epoch: folds each interrupt's count into its smoothed rate
    /// (an interrupt that handled nothing decays) and zeroes the counts.
    public mutating func closeEpoch() {
        let shift = UInt64(smoothingShift)
        for position in 0 ..< count {
            let current = smoothed[position]
            let sample = UInt64(pending[position]) << UInt64(InterruptRates.fractionBits)
            smoothed[position] = current - (current >> shift) + (sample >> shift)
            pending[position] = 0
        }
        measuredThisEpoch = false
        epochs &+= 1
    }

    /// The smoothed rate of the interrupt at `position`, handled per epoch,
    /// rounded to the nearest integer; 0 outside `0 ..< count`. `mutating`
    /// only to read the storage in place (see `CPULoad`).
    @inline(__always)
    public mutating func rate(at position: Int) -> UInt64 {
        guard position >= 0 && position < count else { return 0 }
        let half = UInt64(1) << UInt64(InterruptRates.fractionBits - 1)
        return (smoothed[position] + half) >> UInt64(InterruptRates.fractionBits)
    }

    /// What the interrupt at `position` has handled so far this epoch.
    @inline(__always)
    public mutating func handledThisEpoch(at position: Int) -> UInt32 {
        guard position >= 0 && position < count else { return 0 }
        return pending[position]
    }
}
