/// Where the image lies in physical memory (`[start, end)`: code, data,
/// stacks and heap, from the linker's symbols) and whether the device tree's
/// RAM holds all of it. A tree whose memory misses part of the image would
/// leave stacks or heap on addresses no RAM answers: the kernel refuses to
/// run on it, with a message, instead of hanging.
public struct ImagePlacement: Equatable, Sendable {
    public let start: UInt64
    public let end: UInt64

    public init(start: UInt64, end: UInt64) {
        self.start = start
        self.end = end
    }

    /// True when one RAM region contains the whole image (the image is
    /// linked as one piece, so it must not straddle a gap).
    public func isCovered(by platform: PlatformDescription) -> Bool {
        for index in 0 ..< platform.memoryRegionCount {
            let region = platform.memoryRegion(index)
            if isCovered(byRegionAt: region.base, size: region.size) { return true }
        }
        return false
    }

    /// True when `[base, base + size)` contains `[start, end)`.
    public func isCovered(byRegionAt base: UInt64, size: UInt64) -> Bool {
        let (regionEnd, overflow) = base.addingReportingOverflow(size)
        return start >= base && end >= start && (overflow || end <= regionEnd)
    }
}
