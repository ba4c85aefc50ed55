/// The goal of placement by measured load (issue 15): the busiest online
/// CPU's rate at most 110% of the least any placement could reach in the
/// simplest bound, `max(largest single rate, total rate / online CPUs)`.
///
/// That bound is a lower bound on every placement's busiest CPU: the CPU
/// holding the largest interrupt carries at least its rate, and some CPU
/// carries at least the average. It is not always reachable (three equal
/// rates on two CPUs put two on one CPU), so the goal is stated for, and
/// checked on, loads of many interrupts with every CPU allowed.
///
/// Integer arithmetic only: the comparison is exact, no division.
public enum LoadBalanceGoal {
    /// The allowance above the lower bound, in percent.
    public static let allowancePercent: UInt64 = 110

    /// Whether `busiest` ≤ 1.10 × max(`largest`, `total` / `onlineCPUs`).
    /// With no CPU online only an idle machine meets it.
    ///
    /// - Precondition: rates below 2^48 (an epoch's counts are 32-bit and
    ///   there are at most 2048 interrupts, so a total stays below 2^43).
    public static func isMet(busiest: UInt64, largest: UInt64, total: UInt64, onlineCPUs: Int) -> Bool {
        guard onlineCPUs > 0 else { return busiest == 0 }
        let cpus = UInt64(onlineCPUs)
        // busiest · 100 · m ≤ 110 · max(largest · m, total)
        return busiest * 100 * cpus <= allowancePercent * Swift.max(largest * cpus, total)
    }

    /// The lower bound itself, rounded up: max(`largest`, ⌈`total` / `onlineCPUs`⌉).
    public static func lowerBound(largest: UInt64, total: UInt64, onlineCPUs: Int) -> UInt64 {
        guard onlineCPUs > 0 else { return 0 }
        let cpus = UInt64(onlineCPUs)
        return Swift.max(largest, (total + cpus - 1) / cpus)
    }
}
