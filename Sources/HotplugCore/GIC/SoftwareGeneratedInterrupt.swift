/// The value of `ICC_SGI1R_EL1` that sends a group-1 SGI to one CPU
/// (IHI 0069 §12.2.23): INTID at 27:24, Aff3 at 55:48, Aff2 at 39:32, Aff1 at
/// 23:16, and the target as a bit in TargetList (15:0) for Aff0 modulo 16,
/// with RS (47:44) = Aff0 / 16 selecting which group of 16. IRM (bit 40)
/// stays 0: never broadcast.
public enum SoftwareGeneratedInterrupt {
    /// The register value that sends SGI `id` to the CPU with `target`.
    ///
    /// - Precondition: `id` is an SGI (0–15).
    public static func registerValue(sending id: InterruptID, to target: MPIDRAffinity) -> UInt64 {
        precondition(id.kind == .sgi, "not an SGI")
        let targetList = UInt64(1) << UInt64(target.aff0 & 0xF)
        let rangeSelector = UInt64(target.aff0 >> 4) << 44
        return UInt64(target.aff3) << 48 | UInt64(target.aff2) << 32 | rangeSelector
            | UInt64(id.rawValue) << 24 | UInt64(target.aff1) << 16 | targetList
    }
}
