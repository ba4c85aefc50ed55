@testable import HotplugCore

/// Register values the ITS sizing and plan tests share, each built from the
/// field tables of IHI 0069 (the comment names the fields).
enum ITSFixtures {
    /// `GITS_TYPER`: Physical, 16-byte ITT entries (ITT_entry_size 15),
    /// IDbits 15 and Devbits 15 (16 EventID and DeviceID bits), CIL with
    /// CIDbits 15, HCC 0, PTA 0.
    static let sixteenBitITS = ITSType(rawValue: 0x0000_001F_0001_EFF1)
    /// `GITS_BASER<n>` of Type Devices (0b001), Entry_Size 7 (8 bytes),
    /// Page_Size 0b10 (64 KiB).
    static let deviceTable64K = ITSTableDescriptor(rawValue: 1 << 56 | 7 << 48 | 2 << 8)
    /// `GITS_BASER<n>` of Type Collections (0b100), 8-byte entries, 64 KiB
    /// pages.
    static let collectionTable64K = ITSTableDescriptor(rawValue: 4 << 56 | 7 << 48 | 2 << 8)
}
