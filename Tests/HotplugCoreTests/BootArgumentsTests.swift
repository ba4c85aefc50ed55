import XCTest
@testable import HotplugCore

/// The image's command line: options, `key=value`, and the script after `--`.
final class BootArgumentsTests: XCTestCase {
    private func arguments(_ text: String, _ body: (BootArguments) -> Void) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { body(BootArguments(UnsafeRawBufferPointer($0))) }
    }

    private func string(_ bytes: UnsafeRawBufferPointer?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    func testOptionsAndScript() {
        arguments(" policy=seed console -- cpu-offline 2; irqs; exit 0") { arguments in
            XCTAssertTrue(arguments.contains(word: "console"))
            XCTAssertFalse(arguments.contains(word: "bench"))
            XCTAssertEqual(string(arguments.value(of: "policy")), "seed")
            XCTAssertNil(arguments.value(of: "psci-fault"))
            XCTAssertEqual(string(arguments.script), "cpu-offline 2; irqs; exit 0")
        }
    }

    /// Cases: the text, and whether `console` is an option and the script.
    func testTableOfLines() {
        let cases: [(String, Bool, String)] = [
            ("", false, ""),
            ("console", true, ""),
            ("console --", true, ""),                          // `--` at the end: empty script
            ("-- console", false, "console"),                  // after `--` it is script
            ("consoles console-ish", false, ""),               // whole words only
            ("policy=balanced  console   --  exit 3", true, " exit 3"),
            ("a--b console", true, ""),                        // `--` only as a word
            ("--x console", true, ""),
        ]
        for (text, console, script) in cases {
            arguments(text) { arguments in
                XCTAssertEqual(arguments.contains(word: "console"), console, "'\(text)'")
                XCTAssertEqual(string(arguments.script), script, "'\(text)'")
            }
        }
    }

    /// A key without `=`, an empty value, a longer key with the same start.
    func testValuesNeedTheirEqualsSign() {
        arguments("policy policy= policyx=1 test-stall=2") { arguments in
            XCTAssertEqual(string(arguments.value(of: "policy")), "")
            XCTAssertEqual(string(arguments.value(of: "test-stall")), "2")
            XCTAssertEqual(arguments.number(of: "test-stall"), 2)
            XCTAssertNil(arguments.number(of: "policy"), "empty is not a number")
            XCTAssertNil(arguments.value(of: "test"))
        }
    }

    func testNumbers() {
        arguments("a=12 b=x1 c=1234567890 d=007") { arguments in
            XCTAssertEqual(arguments.number(of: "a"), 12)
            XCTAssertNil(arguments.number(of: "b"))
            XCTAssertNil(arguments.number(of: "c"), "more than 9 digits")
            XCTAssertEqual(arguments.number(of: "d"), 7)
            XCTAssertNil(arguments.number(of: "e"))
        }
    }
}
