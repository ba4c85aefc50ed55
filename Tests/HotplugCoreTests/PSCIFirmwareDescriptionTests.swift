import Foundation
import XCTest
@testable import HotplugCore

/// Host tests for what the image decides about PSCI firmware before relying
/// on it: the PSCI_VERSION word (Arm DEN 0022 §5.1.1), the device tree's
/// binding and the 0.1 function IDs, the version check, and the recognition
/// of a conduit instruction that trapped. Trees are QEMU's fixtures and
/// small ones built with `TreeBuilder` (QEMU never writes a 0.1 node).
final class PSCIFirmwareDescriptionTests: XCTestCase {
    // MARK: PSCI_VERSION

    func testVersionWordDecoding() {
        let cases: [(x0: UInt64, expected: PSCIVersion?, comment: String)] = [
            (0x0000_0002, PSCIVersion(major: 0, minor: 2), "0.2, the first version with PSCI_VERSION"),
            (0x0001_0000, PSCIVersion(major: 1, minor: 0), "1.0"),
            (0x0001_0001, PSCIVersion(major: 1, minor: 1), "1.1, what QEMU 7.2 answers"),
            (0xFFFF_FFFF_0001_0001, PSCIVersion(major: 1, minor: 1), "upper half of x0 is not part of the answer"),
            (0x7FFF_FFFF, PSCIVersion(major: 0x7FFF, minor: 0xFFFF), "largest version: major has 15 bits"),
            (0xFFFF_FFFF_FFFF_FFFF, .version0_1, "NOT_SUPPORTED, sign-extended: a 0.1 firmware"),
            (0x0000_0000_FFFF_FFFF, .version0_1, "NOT_SUPPORTED as an SMC32 result"),
            (0xFFFF_FFFF_FFFF_FFFE, nil, "INVALID_PARAMETERS is not an answer PSCI_VERSION gives"),
            (0x8000_0000, nil, "bit 31 set: not a version"),
            (0x8001_0001, nil, "bit 31 set on an otherwise plausible word"),
        ]
        for (x0, expected, comment) in cases {
            XCTAssertEqual(PSCIVersion(x0: x0), expected, comment)
        }
    }

    func testVersionFieldsAndOrder() {
        let version = PSCIVersion(rawValue: 0x0001_0003)
        XCTAssertEqual(version.major, 1)
        XCTAssertEqual(version.minor, 3)
        XCTAssertEqual(PSCIVersion(rawValue: 0x7FFF_0000).major, 0x7FFF, "bits 30:16")
        XCTAssertLessThan(PSCIVersion.version0_1, .version0_2)
        XCTAssertLessThan(PSCIVersion.version0_2, .version1_0)
        XCTAssertLessThan(PSCIVersion(major: 0, minor: 0xFFFF), .version1_0, "major decides before minor")
    }

    func testAffinityInfoExistsFrom0_2() {
        XCTAssertFalse(PSCIVersion.version0_1.hasAffinityInfo)
        XCTAssertTrue(PSCIVersion.version0_2.hasAffinityInfo)
        XCTAssertTrue(PSCIVersion.version1_0.hasAffinityInfo)
        XCTAssertTrue(PSCIVersion(major: 1, minor: 1).hasAffinityInfo)
    }

    // MARK: Device-tree binding

    func testQEMUFixturesAreBinding1_0() throws {
        for name in ["virt-smp4", "virt-smp20", "virt-el2-smp4"] {
            let psci = try parse(fixture(name)).psci
            XCTAssertEqual(psci.binding, .version1_0, name)
            XCTAssertTrue(psci.hasStandardFunctionIDs, name)
            // QEMU also writes the 0.1 properties, with the standard IDs.
            XCTAssertEqual(psci.cpuSuspendFunctionID, 0xC400_0001, name)
            XCTAssertEqual(psci.migrateFunctionID, 0xC400_0005, name)
        }
    }

    func testNewestCompatibleDecidesTheBinding() throws {
        let cases: [(compatible: [String], expected: PSCIBinding)] = [
            (["arm,psci-1.0", "arm,psci-0.2", "arm,psci"], .version1_0),
            (["arm,psci-0.2", "arm,psci"], .version0_2),
            (["arm,psci"], .version0_1),
            (["arm,psci-0.2"], .version0_2),
            // Order in the list does not matter: the newest named wins.
            (["arm,psci", "arm,psci-1.0"], .version1_0),
            (["vendor,firmware", "arm,psci"], .version0_1),
        ]
        for (compatible, expected) in cases {
            var builder = TreeBuilder()
            builder.minimalPlatform(psciCompatible: compatible)
            XCTAssertEqual(try parse(builder.blob()).psci.binding, expected, "\(compatible)")
        }
    }

    func testPSCI0_1NodeNamesItsOwnFunctionIDs() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(
            psciCompatible: ["arm,psci"], psciMethod: "smc",
            psciProperties: [("cpu_suspend", [0x9500_0001]), ("cpu_off", [0x9500_0002]),
                             ("cpu_on", [0x9500_0003]), ("migrate", [0x9500_0004])])
        let psci = try parse(builder.blob()).psci
        XCTAssertEqual(psci.binding, .version0_1)
        XCTAssertEqual(psci.conduit, .smc)
        XCTAssertFalse(psci.hasStandardFunctionIDs)
        let cases: [(function: PSCIFunction, id: UInt32?)] = [
            (.cpuSuspend, 0x9500_0001),
            (.cpuOff, 0x9500_0002),
            (.cpuOn, 0x9500_0003),
            (.migrate, 0x9500_0004),
            // 0.1 has none of these; the standard IDs must not be used.
            (.psciVersion, nil),
            (.affinityInfo, nil),
            (.systemOff, nil),
            (.systemReset, nil),
            (.psciFeatures, nil),
        ]
        XCTAssertEqual(cases.count, PSCIFunction.allCases.count, "every function has a case")
        for (function, id) in cases {
            XCTAssertEqual(psci.functionID(for: function), id, "\(function.name)")
        }
        XCTAssertEqual(psci.cpuOffArgument, 1 << 16, "0.1 CPU_OFF is given a power-down state")
    }

    func testPSCI0_1NodeWithoutCPUOffHasNoCPUOff() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(psciCompatible: ["arm,psci"], cpuOn: 0x9500_0003)
        let psci = try parse(builder.blob()).psci
        XCTAssertEqual(psci.functionID(for: .cpuOn), 0x9500_0003)
        XCTAssertNil(psci.functionID(for: .cpuOff))
        XCTAssertNil(psci.functionID(for: .cpuSuspend))
    }

    func testStandardBindingIgnoresTheNodesFunctionIDs() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(
            psciCompatible: ["arm,psci-0.2", "arm,psci"],
            psciProperties: [("cpu_off", [0x9500_0002]), ("cpu_on", [0x9500_0003])])
        let psci = try parse(builder.blob()).psci
        XCTAssertEqual(psci.cpuOnFunctionID, 0x9500_0003, "read, but not used under 0.2")
        for function in PSCIFunction.allCases {
            XCTAssertEqual(psci.functionID(for: function), function.rawValue, "\(function.name)")
        }
        XCTAssertEqual(psci.cpuOffArgument, 0, "CPU_OFF takes no argument from 0.2 on")
    }

    func testFunctionIDPropertyMustBeOneCell() throws {
        var builder = TreeBuilder()
        builder.minimalPlatform(psciCompatible: ["arm,psci"], psciProperties: [("cpu_off", [0, 0x9500_0002])])
        XCTAssertThrowsError(try parse(builder.blob())) { error in
            XCTAssertEqual(error as? DeviceTreeError, .badPropertyLength("cpu_off", length: 8))
        }
    }

    func testConduitReplacedKeepsTheRest() {
        let node = PSCIDescription(conduit: .hvc, binding: .version0_1, cpuOffFunctionID: 2, cpuOnFunctionID: 3)
        let replaced = node.with(conduit: .smc)
        XCTAssertEqual(replaced.conduit, .smc)
        XCTAssertEqual(replaced.binding, .version0_1)
        XCTAssertEqual(replaced.functionID(for: .cpuOn), 3)
        XCTAssertEqual(replaced.functionID(for: .cpuOff), 2)
        XCTAssertEqual(PSCIConduit.hvc.firmwareLevel, 2)
        XCTAssertEqual(PSCIConduit.smc.firmwareLevel, 3)
    }

    // MARK: The version check

    func testFirmwareVersionCheck() {
        let node1_0 = PSCIDescription(conduit: .hvc, binding: .version1_0)
        let node0_2 = PSCIDescription(conduit: .smc, binding: .version0_2)
        let cases: [(node: PSCIDescription, answer: UInt64, expected: Result<PSCIVersion, PSCIVersionProblem>, comment: String)] = [
            (node1_0, 0x0001_0001, .success(PSCIVersion(major: 1, minor: 1)), "QEMU's answer"),
            (node0_2, 0x0000_0002, .success(.version0_2), "0.2 under a 0.2 node"),
            (node0_2, 0x0001_0000, .success(.version1_0), "newer firmware than the node says is fine"),
            (node1_0, 0xFFFF_FFFF_FFFF_FFFF, .failure(.olderThanBinding(.version0_1, .version1_0)),
             "NOT_SUPPORTED: a 0.1 firmware under a 1.0 node"),
            (node0_2, 0x0000_0001, .failure(.olderThanBinding(.version0_1, .version0_2)), "0.1 answered as a number"),
            (node1_0, 0xFFFF_FFFE, .failure(.notAVersion(0xFFFF_FFFE)), "INVALID_PARAMETERS"),
            (node1_0, 0x8000_0000, .failure(.notAVersion(0x8000_0000)), "bit 31 set"),
        ]
        for (node, answer, expected, comment) in cases {
            var asked = 0
            let result = node.firmwareVersion {
                asked += 1
                return answer
            }
            XCTAssertEqual(result, expected, comment)
            XCTAssertEqual(asked, 1, "\(comment): PSCI_VERSION asked once")
        }
    }

    func testPSCI0_1NodeIsNotAskedForItsVersion() {
        let node = PSCIDescription(conduit: .hvc, binding: .version0_1, cpuOnFunctionID: 0x9500_0003)
        var asked = false
        let result = node.firmwareVersion {
            asked = true
            return 0x0001_0001
        }
        XCTAssertEqual(result, .success(.version0_1))
        XCTAssertFalse(asked, "0.1 function IDs are the firmware's own: the standard PSCI_VERSION ID may mean anything")
    }

    // MARK: A conduit that trapped

    func testConduitInstructionWords() {
        let cases: [(word: UInt32, expected: PSCIConduit?, comment: String)] = [
            (0xD400_0002, .hvc, "hvc #0"),
            (0xD400_0003, .smc, "smc #0"),
            (0xD400_0002 | 0x1234 << 5, .hvc, "hvc #0x1234"),
            (0xD400_0003 | 0xFFFF << 5, .smc, "smc #0xffff"),
            (0xD400_0001, nil, "svc #0"),
            (0xD45E_0000, nil, "hlt #0xf000 (semihosting)"),
            (0xD420_0000, nil, "brk #0"),
            (0xD4A0_0002, nil, "dcps2: same low bits, another opcode"),
            (0xD503_201F, nil, "nop"),
            (0x0000_0000, nil, "udf #0"),
        ]
        for (word, expected, comment) in cases {
            XCTAssertEqual(PSCIConduit(instructionWord: word), expected, comment)
        }
    }

    func testFirmwareCallMarker() {
        XCTAssertNil(FirmwareCallMarker.none.functionID)
        let marker = FirmwareCallMarker(functionID: PSCIFunction.cpuOn.rawValue)
        XCTAssertEqual(marker.functionID, 0xC400_0003)
        XCTAssertEqual(marker.rawValue >> 32, 0x5053_4349, "\"PSCI\" tag")
        XCTAssertEqual(FirmwareCallMarker(rawValue: marker.rawValue).functionID, 0xC400_0003)
        // What a register may hold from reset or an earlier life of the CPU.
        XCTAssertNil(FirmwareCallMarker(rawValue: 0xC400_0003).functionID, "an ID without the tag")
        XCTAssertNil(FirmwareCallMarker(rawValue: 0xFFFF_FFFF_FFFF_FFFF).functionID)
    }

    func testTrapIsRecognisedOnlyWhenMarkerSyndromeAndInstructionAgree() {
        let elr: UInt64 = 0x4020_F0AC
        let code: [UInt64: UInt32] = [
            elr: 0xD400_0003,     // smc #0 at ELR
            elr - 4: 0xD400_0002, // hvc #0 just before it
            0x4020_1000: 0x0000_0000,
        ]
        let marker = FirmwareCallMarker(functionID: PSCIFunction.psciVersion.rawValue)
        func trap(_ ec: ExceptionClass, marker: FirmwareCallMarker = marker, at address: UInt64 = elr) -> PSCIConduitTrap? {
            PSCIConduitTrap(
                syndrome: ExceptionSyndrome(rawValue: UInt64(ec.rawValue) << 26 | 1 << 25), marker: marker,
                exceptionLinkRegister: address, instruction: { code[$0] })
        }

        // SMC with no EL3: UNDEFINED at EL1, ELR at the instruction.
        let undefined = trap(.unknownReason)
        XCTAssertEqual(undefined?.conduit, .smc)
        XCTAssertEqual(undefined?.instructionAddress, elr)
        XCTAssertEqual(undefined?.functionID, 0x8400_0000)
        XCTAssertEqual(undefined?.function, .psciVersion)

        // HVC taken at EL2 itself: EC HVC64, ELR after the instruction.
        let hvcTaken = trap(.hvc64, at: elr)
        XCTAssertEqual(hvcTaken?.conduit, .hvc)
        XCTAssertEqual(hvcTaken?.instructionAddress, elr - 4)
        XCTAssertNil(trap(.smc64, at: elr), "EC SMC64 but the instruction before ELR is an HVC")

        XCTAssertNil(trap(.unknownReason, marker: .none), "no PSCI call in progress: an ordinary fault")
        XCTAssertNil(trap(.dataAbortSameEL), "a data abort during the call is reported as the fault it is")
        XCTAssertNil(trap(.unknownReason, at: 0x4020_1000), "an undefined instruction that is not a conduit")
        XCTAssertNil(trap(.unknownReason, at: 0x1000), "ELR outside the image's code: not read")

        let customID = trap(.unknownReason, marker: FirmwareCallMarker(functionID: 0x9500_0003))
        XCTAssertEqual(customID?.functionID, 0x9500_0003)
        XCTAssertNil(customID?.function, "a 0.1 firmware's own ID has no standard name")
    }

    func testFirstSlotOfEachGroupIsSynchronous() {
        for kind: UInt64 in 0 ..< 16 {
            XCTAssertEqual(VectorSlot(rawValue: kind).isSynchronous, kind % 4 == 0, "slot \(kind)")
        }
    }

    // MARK: Helpers

    private func fixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: name, withExtension: "dtb", subdirectory: "Fixtures"),
            "fixture \(name).dtb (scripts/make-dtb-fixtures.sh makes it)", file: file, line: line)
        return try [UInt8](Data(contentsOf: url))
    }

    private func parse(_ blob: [UInt8]) throws -> PlatformDescription {
        try blob.withUnsafeBytes { buffer in try PlatformDescription(deviceTree: FlattenedDeviceTree(buffer)) }
    }
}
