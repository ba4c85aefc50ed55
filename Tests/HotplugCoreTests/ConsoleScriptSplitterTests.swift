// Host tests for `ScriptSplitter`: how a script (the semihosting command
// line) is cut into command lines.
import XCTest
@testable import HotplugCore

private func pieces(_ script: String) -> [String] {
    let bytes = Array(script.utf8)
    return ScriptSplitter(bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
}

final class ConsoleScriptSplitterTests: XCTestCase {
    func testSplitting() {
        let cases: [(script: String, expected: [String], why: String)] = [
            ("cpu-offline 2; irqs; exit 0", ["cpu-offline 2", "irqs", "exit 0"], "the issue's example"),
            ("cpus", ["cpus"], "one command"),
            ("", [], "empty script"),
            (";;;", [], "separators only"),
            ("  \t ;  ", [], "blanks only"),
            ("  a ;; ;b\n\nc\r\nd;", ["a", "b", "c", "d"], "empty pieces skipped, pieces trimmed"),
            ("cpus;irqs", ["cpus", "irqs"], "no blanks needed around ';'"),
            ("fire 33  5 ;exit", ["fire 33  5", "exit"], "inner blanks kept"),
            ("cpus # then; irqs\nexit", ["cpus # then; irqs", "exit"], "';' inside a comment does not split"),
            ("# all comment; cpus\nhelp", ["# all comment; cpus", "help"], "a comment line is yielded, parsed as nothing"),
            ("fire 33#x; irqs", ["fire 33#x", "irqs"], "'#' inside a word is not a comment"),
            ("a # c\r\nb", ["a # c", "b"], "CR ends a comment too"),
            ("x\u{0}y;z", ["x\u{0}y", "z"], "other bytes are left for the parser"),
        ]
        for (script, expected, why) in cases {
            XCTAssertEqual(pieces(script), expected, why)
        }
    }

    /// Ranges are indices of the buffer given, also for a slice that does not
    /// start at 0 and for raw memory.
    func testRangesAreBufferIndices() {
        let bytes = Array("xxcpus;irqs".utf8)
        let slice = bytes[2...]
        XCTAssertEqual(Array(ScriptSplitter(slice)), [2 ..< 6, 7 ..< 11])
        bytes.withUnsafeBytes { raw in
            XCTAssertEqual(Array(ScriptSplitter(raw)), [0 ..< 6, 7 ..< 11])
        }
    }

    /// Splitting, then parsing each piece, runs the scenario.
    func testScriptParses() {
        let bytes = Array("cpu-offline 2; irqs # table\n# nothing\nexit 0".utf8)
        let commands = ScriptSplitter(bytes).map { ConsoleParser.parse(bytes[$0], cpuCount: 4) }
        XCTAssertEqual(commands, [.success(.cpuOffline(LogicalCPU(2))), .success(.irqs), .success(nil),
                                  .success(.exit(status: 0))])
    }
}
