import HotplugCore

/// Finds and parses the device tree QEMU hands the image.
///
/// QEMU's virt machine writes the blob at the start of RAM when it fits below
/// the image (linker/image.ld links the image 2 MiB in for that reason). The
/// header is checked before its `totalsize` is trusted; the whole blob must
/// lie below the image.
enum DeviceTreeBlob {
    /// The parsed platform, or the reason there is none.
    static func platform() -> Result<PlatformDescription, DeviceTreeError> {
        let start = UnsafeRawPointer(bitPattern: UInt(linker_ram_start()))!
        let room = Int(linker_image_start() - linker_ram_start())
        let header = UnsafeRawBufferPointer(start: start, count: min(room, 64))
        do throws(DeviceTreeError) {
            let size = try FlattenedDeviceTree.totalSize(of: header)
            guard size <= room else { return .failure(.truncated(needed: size, available: room)) }
            let tree = try FlattenedDeviceTree(UnsafeRawBufferPointer(start: start, count: size))
            return .success(try PlatformDescription(deviceTree: tree))
        } catch {
            return .failure(error)
        }
    }
}
