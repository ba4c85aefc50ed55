import XCTest
@testable import HotplugCore

/// Host tests for the PSCI vocabulary: function IDs, status codes, the
/// AFFINITY_INFO state and the version word (Arm DEN 0022).
final class PSCITests: XCTestCase {

    func testFunctionIDs() {
        let cases: [(function: PSCIFunction, id: UInt32, smc64: Bool, name: String)] = [
            (.psciVersion, 0x8400_0000, false, "PSCI_VERSION"),
            (.cpuSuspend, 0xC400_0001, true, "CPU_SUSPEND"),
            (.cpuOff, 0x8400_0002, false, "CPU_OFF"),
            (.cpuOn, 0xC400_0003, true, "CPU_ON"),
            (.affinityInfo, 0xC400_0004, true, "AFFINITY_INFO"),
            (.migrate, 0xC400_0005, true, "MIGRATE"),
            (.systemOff, 0x8400_0008, false, "SYSTEM_OFF"),
            (.systemReset, 0x8400_0009, false, "SYSTEM_RESET"),
            (.psciFeatures, 0x8400_000A, false, "PSCI_FEATURES"),
        ]
        XCTAssertEqual(cases.count, PSCIFunction.allCases.count, "every function has a case")
        for (function, id, smc64, name) in cases {
            XCTAssertEqual(function.rawValue, id, name)
            XCTAssertEqual(function.isSMC64, smc64, name)
            XCTAssertEqual("\(function.name)", name)
            XCTAssertEqual(PSCIFunction(rawValue: id), function, name)
        }
        XCTAssertNil(PSCIFunction(rawValue: 0x8400_0003), "SMC32 CPU_ON is not the form we call")
    }

    func testReturnCodesFromRawValue() {
        let cases: [(raw: Int64, code: PSCIReturnCode, name: String)] = [
            (0, .success, "SUCCESS"),
            (-1, .notSupported, "NOT_SUPPORTED"),
            (-2, .invalidParameters, "INVALID_PARAMETERS"),
            (-3, .denied, "DENIED"),
            (-4, .alreadyOn, "ALREADY_ON"),
            (-5, .onPending, "ON_PENDING"),
            (-6, .internalFailure, "INTERNAL_FAILURE"),
            (-7, .notPresent, "NOT_PRESENT"),
            (-8, .disabled, "DISABLED"),
            (-9, .invalidAddress, "INVALID_ADDRESS"),
            (-10, .unknown(-10), "unknown PSCI status"),
            (1, .unknown(1), "unknown PSCI status"),
        ]
        for (raw, code, name) in cases {
            let decoded = PSCIReturnCode(rawValue: raw)
            XCTAssertEqual(decoded, code, name)
            XCTAssertEqual(decoded.rawValue, raw, "round trip: \(name)")
            XCTAssertEqual("\(decoded.name)", name)
            XCTAssertEqual(decoded.isSuccess, raw == 0, name)
        }
    }

    func testReturnCodesFromX0() {
        let cases: [(x0: UInt64, code: PSCIReturnCode, comment: String)] = [
            (0, .success, "CPU_ON of an offline CPU on QEMU"),
            (0xFFFF_FFFF_FFFF_FFFE, .invalidParameters, "CPU_ON MPIDR 0x77 on a 4-CPU QEMU: -2 sign-extended"),
            (0xFFFF_FFFF_FFFF_FFFC, .alreadyOn, "CPU_ON of a running CPU: -4"),
            (0x0000_0000_FFFF_FFFC, .alreadyOn, "SMC32 result with a zero upper half still reads -4"),
            (0xDEAD_BEEF_FFFF_FFFF, .notSupported, "upper half ignored"),
            (0x0000_0000_7FFF_FFFF, .unknown(0x7FFF_FFFF), "positive garbage is kept"),
        ]
        for (x0, code, comment) in cases {
            XCTAssertEqual(PSCIReturnCode(x0: x0), code, comment)
        }
    }

    func testReturnCodeIsATypedError() {
        func call(_ x0: UInt64) throws(PSCIReturnCode) {
            let code = PSCIReturnCode(x0: x0)
            if !code.isSuccess { throw code }
        }
        XCTAssertNoThrow(try call(0))
        do {
            try call(0xFFFF_FFFF_FFFF_FFF7)
            XCTFail("INVALID_ADDRESS must throw")
        } catch {
            XCTAssertEqual(error, .invalidAddress)
        }
    }

    func testAffinityInfoDecoding() {
        let cases: [(x0: UInt64, expected: Result<AffinityState, PSCIReturnCode>, comment: String)] = [
            (0, .success(.on), "ON"),
            (1, .success(.off), "OFF: the dying CPU has finished CPU_OFF"),
            (2, .success(.onPending), "ON_PENDING: CPU_ON under way"),
            (0xFFFF_FFFF_FFFF_FFFE, .failure(.invalidParameters), "bad affinity"),
            (0x0000_0000_FFFF_FFF8, .failure(.disabled), "DISABLED, zero upper half"),
            (3, .failure(.unknown(3)), "not a state, not an error code"),
        ]
        for (x0, expected, comment) in cases {
            XCTAssertEqual(AffinityState.decode(x0: x0), expected, comment)
        }
        XCTAssertEqual(AffinityState.allCases.map { "\($0.name)" }, ["ON", "OFF", "ON_PENDING"])
    }

    func testVersionDecoding() {
        let cases: [(raw: UInt32, major: UInt16, minor: UInt16, comment: String)] = [
            (0x0000_0002, 0, 2, "PSCI 0.2, the first with PSCI_VERSION"),
            (0x0001_0000, 1, 0, "PSCI 1.0"),
            (0x0001_0001, 1, 1, "PSCI 1.1"),
            (0x0001_0003, 1, 3, "PSCI 1.3"),
        ]
        for (raw, major, minor, comment) in cases {
            let version = PSCIVersion(rawValue: raw)
            XCTAssertEqual(version.major, major, comment)
            XCTAssertEqual(version.minor, minor, comment)
            XCTAssertEqual(PSCIVersion(major: major, minor: minor), version, comment)
        }
        XCTAssertEqual(PSCIVersion(x0: 0xFFFF_FFFF_0001_0001), PSCIVersion(major: 1, minor: 1), "upper half of x0 ignored")
        XCTAssertLessThan(PSCIVersion(major: 0, minor: 2), PSCIVersion(major: 1, minor: 0))
        XCTAssertLessThan(PSCIVersion(major: 1, minor: 0), PSCIVersion(major: 1, minor: 1))
    }
}
