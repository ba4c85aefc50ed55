/// Which rebalance policy runs on hotplug: `seed`, the patch's round-robin
/// re-spreading (`SeedPolicy`); `balanced`, which moves as little as
/// possible and keeps per-CPU counts within one (`BalancedPolicy`); or
/// `load`, which places by the handled rates the kernel measures over
/// epochs (`LoadPolicy`).
///
/// The one name of the concept: the image's `policy=` boot option and the
/// console's `policy` command parse it, `PolicySelection` runs it, and
/// every message names it by `name`.
public enum RebalancePolicyKind: Equatable, Sendable, CaseIterable {
    case seed
    case balanced
    case load

    /// The word that selects this policy, and by which it is reported.
    public var name: StaticString {
        switch self {
        case .seed: return "seed"
        case .balanced: return "balanced"
        case .load: return "load"
        }
    }

    /// The policy named exactly `bytes`, or `nil`.
    public init?<Bytes: Collection>(parsing bytes: Bytes) where Bytes.Element == UInt8 {
        guard let kind = ConsoleText.matchingCase(bytes, word: { (kind: RebalancePolicyKind) in kind.name }) else {
            return nil
        }
        self = kind
    }

    /// Every name, for messages that list the choices ("policies are ...").
    /// A host test holds it to `allCases`.
    public static let names: StaticString = "seed, balanced, load"
}
