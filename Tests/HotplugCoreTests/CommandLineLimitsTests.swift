import XCTest
@testable import HotplugCore

/// Command-line limits: the bytes SYS_GET_CMDLINE needs as QEMU builds the
/// line, the boundary of the image's buffer, the decoding of the call's
/// answer, the script file's size limit and the `script=` option.
final class CommandLineLimitsTests: XCTestCase {
    private func needed(_ path: String, _ arguments: String) -> Int {
        CommandLineLimits.bytesNeeded(imagePathLength: path.utf8.count, arguments: Array(arguments.utf8))
    }

    /// QEMU joins the path and the words with one space each, plus a NUL:
    /// `image.elf cpus; exit 0` is 9 + 1 + 5 + 1 + 4 + 1 + 1 + NUL = 23.
    func testBytesAsQEMUJoinsTheWords() {
        XCTAssertEqual(needed("image.elf", "cpus; exit 0"), 23)
        XCTAssertEqual(needed("image.elf", ""), 10, "the path and the NUL")
        XCTAssertEqual(needed("image.elf", "   "), 10, "spaces alone are no word")
        XCTAssertEqual(needed("image.elf", "  cpus;   exit  0  "), 23, "runs of spaces count once, edges not at all")
        XCTAssertEqual(needed("image.elf", "a\tb"), 14, "only the space separates: a tab is part of the word")
        XCTAssertEqual(needed("image.elf", "a\nb"), 14, "a newline too")
    }

    /// The measured boundary (QEMU 7.2 and 10.0): a line that needs exactly
    /// the buffer (1024 with its NUL) runs, one byte more is refused.
    func testBoundaryOfTheBuffer() {
        XCTAssertEqual(CommandLineLimits.bufferSize, 1024)
        let path = "build/hotplug-on/image.elf"
        let tail = " -- exit 7"
        let fill = { (count: Int) in String(repeating: "x", count: count) + tail }
        // path + space + fill + tail + NUL = 1024
        let exact = fill(1024 - path.utf8.count - 1 - tail.utf8.count - 1)
        XCTAssertEqual(needed(path, exact), 1024)
        XCTAssertTrue(CommandLineLimits.fits(imagePathLength: path.utf8.count, arguments: Array(exact.utf8)))
        let over = fill(1024 - path.utf8.count - 1 - tail.utf8.count)
        XCTAssertEqual(needed(path, over), 1025)
        XCTAssertFalse(CommandLineLimits.fits(imagePathLength: path.utf8.count, arguments: Array(over.utf8)))
    }

    /// SYS_GET_CMDLINE's answers: success with a length, QEMU's refusal of a
    /// line that does not fit (-1, E2BIG), another failure, and a length
    /// that leaves no room for the NUL.
    func testDecodingTheAnswer() {
        let failed = UInt64(bitPattern: -1)
        XCTAssertEqual(CommandLineRead(result: 0, length: 22, errno: 0, bufferSize: 1024), .read(length: 22))
        XCTAssertEqual(CommandLineRead(result: 0, length: 0, errno: 0, bufferSize: 1024), .read(length: 0))
        XCTAssertEqual(CommandLineRead(result: 0, length: 1023, errno: 0, bufferSize: 1024), .read(length: 1023),
                       "1023 bytes and the NUL fill the buffer exactly")
        XCTAssertEqual(CommandLineRead(result: failed, length: 1024, errno: 7, bufferSize: 1024), .tooLong)
        XCTAssertEqual(CommandLineRead(result: failed, length: 1024, errno: 14, bufferSize: 1024), .failed(errno: 14))
        XCTAssertEqual(CommandLineRead(result: 0, length: 1024, errno: 0, bufferSize: 1024), .tooLong,
                       "a length without room for the NUL is a cut line")
    }

    func testScriptFileSize() {
        XCTAssertTrue(CommandLineLimits.acceptsScriptFile(length: 0))
        XCTAssertTrue(CommandLineLimits.acceptsScriptFile(length: Int64(CommandLineLimits.scriptFileLimit)))
        XCTAssertFalse(CommandLineLimits.acceptsScriptFile(length: Int64(CommandLineLimits.scriptFileLimit) + 1))
        XCTAssertFalse(CommandLineLimits.acceptsScriptFile(length: -1), "SYS_FLEN's failure")
    }

    private func arguments(_ text: String, _ body: (BootArguments) -> Void) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { body(BootArguments(UnsafeRawBufferPointer($0))) }
    }

    private func string(_ bytes: UnsafeRawBufferPointer?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `script=PATH` names the file; with a script after `--` as well there
    /// are two scripts, which the image refuses.
    func testScriptFileOption() {
        arguments("policy=seed script=/tmp/long.txt console") { arguments in
            XCTAssertEqual(string(arguments.scriptFile), "/tmp/long.txt")
            XCTAssertFalse(arguments.hasTwoScripts)
        }
        arguments("script=/tmp/long.txt -- cpus") { arguments in
            XCTAssertTrue(arguments.hasTwoScripts)
        }
        arguments("-- script=/tmp/long.txt") { arguments in
            XCTAssertNil(arguments.scriptFile, "after `--` it is script text")
            XCTAssertFalse(arguments.hasTwoScripts)
        }
        var file = Array("cpus\nexit 0\n".utf8)
        arguments("policy=seed script=/x") { parsed in
            file.withUnsafeMutableBytes { script in
                let combined = BootArguments(options: parsed.options, script: UnsafeRawBufferPointer(script))
                XCTAssertEqual(string(combined.value(of: "policy")), "seed")
                XCTAssertEqual(string(combined.script), "cpus\nexit 0\n")
            }
        }
    }
}
