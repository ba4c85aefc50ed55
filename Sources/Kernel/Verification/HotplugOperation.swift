import HotplugCore

/// A hotplug operation as the console and the jobs ask for it, named as
/// the console command is (`cpu-offline N`, `cpu-online N`): carried out by
/// `Hotplug`, with an armed PSCI fault applied and ended around it
/// (`FaultInjection`; nothing in the default build), and a failure reported
/// in one format wherever it happens.
enum HotplugOperation {
    case offline
    case online

    /// The console command that asks for it.
    var command: StaticString {
        switch self {
        case .offline: return "cpu-offline"
        case .online: return "cpu-online"
        }
    }

    /// Carries the operation out on `cpu`.
    func perform(on cpu: LogicalCPU) -> Result<HotplugOutcome, HotplugError> {
        switch self {
        case .offline:
            return FaultInjection.ending(Hotplug.takeOffline(cpu), offlining: cpu)
        case .online:
            return FaultInjection.firmwareAnswer(bringingOnline: cpu) ?? Hotplug.bringOnline(cpu)
        }
    }

    /// One line for a failure: `<lead><context>cpu-offline N: <why>`, the
    /// lead being the console's `error: ` or a job's `FAIL: `, the context
    /// what the job was doing (`stress event 5: `), if it says.
    func reportFailure(_ error: HotplugError, cpu: LogicalCPU, lead: StaticString,
                       context: (inout ConsoleWriter) -> Void = { _ in }) {
        Console.line { out in
            out.write(lead)
            context(&out)
            out.write(command)
            out.write(" ", cpu.index)
            out.write(": ")
            error.describe(&out)
        }
    }

    /// Carries the operation out and reports a failure as a job's `FAIL:`
    /// line; returns the outcome, nil after a failure.
    @discardableResult
    func check(on cpu: LogicalCPU, context: (inout ConsoleWriter) -> Void = { _ in }) -> HotplugOutcome? {
        switch perform(on: cpu) {
        case .success(let outcome):
            return outcome
        case .failure(let error):
            reportFailure(error, cpu: cpu, lead: "FAIL: ", context: context)
            return nil
        }
    }
}
