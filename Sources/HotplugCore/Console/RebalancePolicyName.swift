/// The rebalance policies an operator can choose with `policy seed|balanced`
/// (and the image's `policy=` boot option): `seed`, the patch's round-robin
/// re-spreading (`SeedPolicy`), and `balanced`, which moves as little as
/// possible and keeps per-CPU counts within one (`BalancedPolicy`). The
/// console only names a policy; the kernel builds the `PolicySelection`.
public enum RebalancePolicyName: Equatable, Sendable, CaseIterable {
    case seed
    case balanced

    /// The word that selects this policy.
    public var name: StaticString {
        switch self {
        case .seed: return "seed"
        case .balanced: return "balanced"
        }
    }

    /// The policy named exactly `bytes`, or `nil`.
    public init?<Bytes: Collection>(parsing bytes: Bytes) where Bytes.Element == UInt8 {
        for policy in RebalancePolicyName.allCases where ConsoleText.equals(bytes, policy.name) {
            self = policy
            return
        }
        return nil
    }
}
