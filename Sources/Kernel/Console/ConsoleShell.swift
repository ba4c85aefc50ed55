import HotplugCore
import Synchronization

/// The operator console: commands from a script (the semihosting command
/// line after `--`, e.g. `make run SCENARIO='cpu-offline 2; irqs'`) and then,
/// if asked for, from the PL011 (interrupt-driven receive, line editing).
///
/// The console is a role, not a CPU: it runs on one online CPU at a time
/// (`ConsoleShell.cpu`). To take its own CPU offline it hands the role to
/// another online CPU, which performs the offline and carries on with the
/// script or the prompt; any CPU, the boot CPU included, can go.
///
/// Errors print one `error:` line naming the offending input and change
/// nothing; in a script the first error ends the run with status 2, at the
/// prompt the console carries on.
enum ConsoleShell {
    /// What the console keeps between commands. Used only by the CPU that
    /// runs the console; the role moves to another CPU only in `handOver`,
    /// which finishes its writes before it posts the console to the
    /// successor as `IdleWork` (a releasing store the successor's idle loop
    /// takes with an acquiring exchange), so no two CPUs ever use it at once.
    private struct Session {
        /// The script, and where its next command is looked for: just past
        /// the last one run, so that a long script file is split once, not
        /// from its start for every command.
        var script = UnsafeRawBufferPointer(start: nil, count: 0)
        var scriptPosition = 0
        /// Whether to read commands from the UART once the script is done.
        var interactive = false
        /// Set when the console moved: the CPU that handed it over and is to
        /// be taken offline by the new console CPU.
        var pendingOffline: LogicalCPU?
        /// Whether the command that moved the console came from the script,
        /// so that the new console CPU ends the run with status 2 if the
        /// offline fails, as for any failed script command.
        var pendingOfflineFromScript = false
        /// Whether the line being run is the script's (not the prompt's).
        var runningScript = false
        /// Whether the prompt's greeting has been printed.
        var greeted = false
        /// The line being typed at the prompt.
        var editor = LineEditor()
    }

    /// See `Session`: one CPU at a time, handed over through the mailbox.
    nonisolated(unsafe) private static var session = Session()

    /// The CPU running the console; read from any CPU (the UART interrupt
    /// wakes it, `cpus` marks it).
    private static let consoleCPU = Atomic<Int>(0)
    /// Whether the console has started (the demonstration runs without it).
    private static let started = Atomic<Bool>(false)

    /// The CPU running the console.
    static var cpu: LogicalCPU {
        LogicalCPU(consoleCPU.load(ordering: .acquiring))
    }

    /// Whether the console has started.
    static var isRunning: Bool {
        started.load(ordering: .acquiring)
    }

    /// Starts the console on the calling CPU. Never returns: `exit` or the
    /// end of a non-interactive script stops the machine.
    static func start(script: UnsafeRawBufferPointer, interactive: Bool) -> Never {
        session.script = script
        session.interactive = interactive
        consoleCPU.store(CPUs.current.index, ordering: .releasing)
        started.store(true, ordering: .releasing)
        run()
    }

    /// The console loop, on `ConsoleShell.cpu`; also entered by a CPU the
    /// console was handed to.
    static func run() -> Never {
        if let dying = session.pendingOffline {
            session.pendingOffline = nil
            if !perform(.offline, on: dying) && session.pendingOfflineFromScript { Semihosting.exit(2) }
        }
        while true {
            if let range = nextScriptLine() {
                let line = UnsafeRawBufferPointer(rebasing: session.script[range])
                echoScriptLine(line)
                session.runningScript = true
                let status = execute(ConsoleParser.parse(line, cpuCount: Machine.current.cpuCount))
                session.runningScript = false
                if !status { Semihosting.exit(2) }
                continue
            }
            guard session.interactive else { Semihosting.exit(0) }
            promptLoop()
        }
    }

    /// The next command of the script not yet run. The splitter starts
    /// again where the last command ended: on its separator, or on the end
    /// of its comment's line, so it reads on exactly as one pass would.
    private static func nextScriptLine() -> Range<Int>? {
        var splitter = ScriptSplitter(session.script[session.scriptPosition...])
        guard let range = splitter.next() else { return nil }
        session.scriptPosition = range.upperBound
        return range
    }

    private static func echoScriptLine(_ line: UnsafeRawBufferPointer) {
        Console.line { out in
            out.write("> ")
            out.write(bytes: line)
        }
    }

    /// Reads and runs lines from the UART forever; errors do not stop it.
    private static func promptLoop() -> Never {
        if !session.greeted {
            session.greeted = true
            Console.line("type 'help' for the commands")
        }
        prompt()
        while true {
            guard let byte = waitForInput() else { continue }
            switch session.editor.feed(byte) {
            case .echo(let character):
                Console.partialLine { $0.write(byte: character) }
            case .erase:
                Console.partialLine { $0.write("\u{8} \u{8}") }
            case .ignored, .overflow:
                break
            case .line:
                Console.partialLine { $0.newline() }
                let parsed = session.editor.command(cpuCount: Machine.current.cpuCount)
                session.editor.clear()
                _ = execute(parsed)
                prompt()
            }
        }
    }

    /// `cpuN> `, N being the CPU the console runs on.
    private static func prompt() {
        Console.partialLine { out in
            out.write("cpu", cpu.index)
            out.write("> ")
        }
    }

    /// The next received byte; sleeps in WFI (the UART interrupt, on
    /// whichever CPU it is routed to, wakes this one) when there is none.
    private static func waitForInput() -> UInt8? {
        arch_mask_interrupts()
        let byte = ConsoleInput.read()
        if byte == nil { arch_wait_for_interrupt() }
        arch_unmask_interrupts()
        return byte
    }

    /// Runs one parsed line. False if it was an error.
    static func execute(_ parsed: Result<ConsoleCommand?, ConsoleError>) -> Bool {
        switch parsed {
        case .failure(let error):
            Console.line { $0.write(error.message) }
            return false
        case .success(nil):
            return true
        case .success(let command?):
            return ConsoleCommands.run(command)
        }
    }

    /// Hands the console to another online CPU and lets the calling CPU be
    /// taken offline by it. The calling CPU then idles until its request.
    static func handOver(offlining dying: LogicalCPU) -> Never {
        let successor = CPUs.online.first { $0 != dying }!
        session.pendingOffline = dying
        session.pendingOfflineFromScript = session.runningScript
        session.runningScript = false
        consoleCPU.store(successor.index, ordering: .releasing)
        Console.line { out in
            out.write("console moves from cpu ", dying.index)
            out.write(" to cpu ", successor.index)
        }
        IdleWork.post({ cpu in
            #if HYPERVISOR
            // The console never returns to the idle loop: no guest runs here.
            Scheduler.reserve(LogicalCPU(cpu))
            #endif
            arch_unmask_interrupts()
            ConsoleShell.run()
        }, to: successor)
        arch_unmask_interrupts()
        CPULifecycle.idle(dying)
    }

    /// Performs a hotplug command and prints its outcome; returns whether
    /// it succeeded.
    static func perform(_ operation: HotplugOperation, on target: LogicalCPU) -> Bool {
        switch operation.perform(on: target) {
        case .success(let outcome):
            Console.line { out in
                out.write("cpu ", target.index)
                out.write(operation == .offline ? " offline" : " online")
                out.write(" (AFFINITY_INFO confirms), ", outcome.rebalance.routeWrites)
                out.write(" route writes")
            }
            return true
        case .failure(let error):
            operation.reportFailure(error, cpu: target, lead: "error: ")
            return false
        }
    }
}
