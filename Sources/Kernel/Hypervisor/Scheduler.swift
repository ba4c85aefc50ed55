import HotplugCore

/// The vCPUs of every domain, by number: `index = domain * perDomain + vcpu`.
///
/// Written once on the boot CPU (`Hypervisor.start`) before any pCPU runs a
/// guest, read-only afterwards, except each vCPU's registers, which belong
/// to whoever `Scheduling.loadedOn` says.
enum VCPUs {
    nonisolated(unsafe) static var registers = UnsafeMutablePointer<VCPURegisters>.allocate(capacity: 1)
    /// Per vCPU: its guest-bound interrupts waiting for a list register and
    /// those it put in one (the pure core's queue, the single writer of the
    /// vCPU's list registers). Owned by `Scheduler.lock` (kept out of the
    /// lock's inline storage only for its size: 64 of them would not fit
    /// on the stack that builds the lock's initial value).
    nonisolated(unsafe) static var queues = UnsafeMutablePointer<VirtualInterruptQueue>.allocate(capacity: 1)
    nonisolated(unsafe) static var count = 0
    nonisolated(unsafe) static var perDomain = 1
    nonisolated(unsafe) static var domains = UnsafeMutablePointer<Domain>.allocate(capacity: 1)
    nonisolated(unsafe) static var domainCount = 0

    static func index(of id: VCPUID) -> Int { id.domain * perDomain + id.vcpu }
    static func name(of index: Int) -> VCPUID { VCPUID(domain: index / perDomain, vcpu: index % perDomain) }
    static func domain(of index: Int) -> Domain { domains[index / perDomain] }
}

/// A guest-bound physical SPI and the vCPU it belongs to.
struct GuestBinding {
    var physical: InterruptID
    var vcpu: Int
    /// Physical acknowledgements at EL2 so far.
    var taken: Int
}

/// Everything the scheduler and the guest-interrupt path share, owned by
/// `Scheduler.lock`.
struct Scheduling {
    /// Each vCPU's pCPU and each pCPU's run queue (the pure core's).
    var placement = VCPUPlacement()
    /// Per vCPU: the pCPU whose registers hold its state, or -1 (saved in
    /// `VCPUs.registers`, free for its pCPU to load).
    var loadedOn = InlineArray<64, Int16>(repeating: -1)
    /// Per vCPU: in a trapped WFI with nothing to take; runnable again when
    /// an interrupt is injected for it.
    var blocked = InlineArray<64, Bool>(repeating: false)
    /// Per vCPU: stopped for good by an exit the hypervisor cannot serve.
    var halted = InlineArray<64, Bool>(repeating: false)
    /// Per pCPU: the vCPU loaded on it, or -1.
    var current = InlineArray<512, Int16>(repeating: -1)
    /// Per pCPU: its time slice ended (the EL2 timer fired, or its vCPU
    /// yielded with WFI): the next entry goes round the run queue.
    var sliceOver = InlineArray<512, Bool>(repeating: false)
    /// The guest-bound SPIs.
    var bindings = InlineArray<64, GuestBinding>(repeating: GuestBinding(physical: InterruptID(0), vcpu: 0, taken: 0))
    var bindingCount = 0
    /// The pCPU that runs the console (never an idle loop, so never a
    /// guest): given no vCPU while another pCPU is online. -1: none.
    var reserved = -1

    func binding(of id: InterruptID) -> Int? {
        for index in 0 ..< bindingCount where bindings[index].physical == id { return index }
        return nil
    }

    func hasQueued(_ vcpu: Int) -> Bool {
        VCPUs.queues[vcpu].waitingCount > 0
    }

    func home(of vcpu: Int) -> LogicalCPU? {
        placement.pCPU(of: VCPUs.name(of: vcpu))
    }

    func isRunnable(_ vcpu: Int, on cpu: LogicalCPU) -> Bool {
        home(of: vcpu) == cpu && !halted[vcpu] && !blocked[vcpu] && (loadedOn[vcpu] < 0 || Int(loadedOn[vcpu]) == cpu.index)
    }

    /// The pCPUs that may run vCPUs: the online ones but the console's,
    /// unless that is the only one.
    func available(online: CPUMask) -> CPUMask {
        guard reserved >= 0 else { return online }
        var mask = online
        mask.remove(LogicalCPU(reserved))
        return mask.isEmpty ? online : mask
    }
}

/// The per-pCPU scheduler (Xen's model, reduced): each vCPU has one pCPU;
/// a pCPU runs its vCPUs in round robin from its idle loop, a slice of
/// `sliceMilliseconds` each (the EL2 physical timer, `GenericTimer`'s
/// `.el2Physical`) when it has
/// more than one, and idles in WFI when none is runnable. A vCPU that
/// executes WFI with nothing pending traps (HCR_EL2.TWI) and yields until
/// an interrupt is injected for it.
///
/// A vCPU stays loaded on its pCPU between runs and is saved only when
/// another vCPU takes the pCPU or it moves away (KVM's load/put). Guest-
/// bound SPIs follow their vCPU's pCPU at once (`GuestInterrupts`).
///
/// Lock: `lock` (LockOrder.swift) owns `Scheduling`; it is taken on the IRQ
/// path and in idle loops, and nothing else is taken under it.
enum Scheduler {
    static let lock = SpinLock(Scheduling())
    static let sliceMilliseconds: UInt64 = 2

    /// Called by pCPU `cpu`'s idle loop with interrupts masked: runs one of
    /// its vCPUs until it exits, and serves the exit. An IRQ that ended the
    /// run is taken when the idle loop unmasks. False when the pCPU has no
    /// runnable vCPU (the idle loop then waits for an interrupt).
    static func runGuest(on cpu: LogicalCPU) -> Bool {
        var kick: LogicalCPU?
        let chosen: Int? = lock.withLock { state in select(&state, on: cpu, kick: &kick) }
        if let kick { wake(kick) }
        guard let vcpu = chosen else { return false }
        let exit = arch_enter_guest(&VCPUs.registers[vcpu].frame)
        let sliceEnded = GenericTimer.hasFired(.el2Physical)
        GenericTimer.stop(.el2Physical)
        if sliceEnded { lock.withLock { $0.sliceOver[cpu.index] = true } }
        serve(exit: exit, of: vcpu, on: cpu)
        return true
    }

    /// The vCPU `cpu` runs next, loaded and with its queued interrupts in
    /// list registers; the one loaded before is saved if it must leave.
    private static func select(_ state: inout Scheduling, on cpu: LogicalCPU, kick: inout LogicalCPU?) -> Int? {
        let current = Int(state.current[cpu.index])
        var choice: Int?
        if current >= 0, state.isRunnable(current, on: cpu), !state.sliceOver[cpu.index] {
            choice = current
        } else {
            var candidate = state.placement.next(on: cpu, after: current >= 0 ? VCPUs.name(of: current) : nil)
            var tries = 0
            while let name = candidate, tries < VCPUs.count {
                let index = VCPUs.index(of: name)
                if state.isRunnable(index, on: cpu) {
                    choice = index
                    break
                }
                candidate = state.placement.next(on: cpu, after: name)
                tries += 1
            }
        }
        state.sliceOver[cpu.index] = false
        if current >= 0, choice != current, choice != nil || state.home(of: current) != cpu {
            put(current, from: cpu, &state)
            if let home = state.home(of: current), home != cpu { kick = home }
        }
        guard let vcpu = choice else { return nil }
        if Int(state.loadedOn[vcpu]) != cpu.index {
            // Its saved list registers are exact: what waits goes into the
            // free ones before they are loaded.
            _ = VCPUs.queues[vcpu].retire(from: VCPUs.registers[vcpu].interface)
            VCPUs.queues[vcpu].inject(into: &VCPUs.registers[vcpu].interface)
            VCPUs.registers[vcpu].load()
            state.loadedOn[vcpu] = Int16(cpu.index)
            state.current[cpu.index] = Int16(vcpu)
        } else if state.hasQueued(vcpu) {
            GuestInterrupts.update(vcpu, &state)
        }
        let waiting = state.hasQueued(vcpu)
        var others = false
        for index in 0 ..< VCPUs.count where index != vcpu && state.isRunnable(index, on: cpu) { others = true }
        if others || waiting {
            GenericTimer.fire(.el2Physical, at: GenericTimer.now &+ max(GenericTimer.frequency / 1000, 1) * sliceMilliseconds)
        }
        return vcpu
    }

    /// Saves `vcpu`, loaded on `cpu` (the caller), so any pCPU may load it;
    /// list registers the guest has deactivated are free in its queue again.
    private static func put(_ vcpu: Int, from cpu: LogicalCPU, _ state: inout Scheduling) {
        VCPUs.registers[vcpu].save()
        _ = VCPUs.queues[vcpu].retire(from: VCPUs.registers[vcpu].interface)
        state.loadedOn[vcpu] = -1
        state.current[cpu.index] = -1
    }

    /// What the vCPU's exit asks for (Arm ARM D17, ESR_EL2 classes).
    private static func serve(exit: UInt64, of vcpu: Int, on cpu: LogicalCPU) {
        let registers = VCPUs.registers + vcpu
        switch Int32(exit) {
        case GUEST_EXIT_SYNCHRONOUS:
            let syndrome = ExceptionSyndrome(rawValue: registers.pointee.frame.esr)
            switch syndrome.rawValue >> 26 & 0x3F {
            case 0x01:
                // WFI or WFE that would have slept: a yield, and the vCPU
                // sleeps until something is injected for it.
                registers.pointee.frame.elr += 4
                lock.withLock { state in
                    state.blocked[vcpu] = !state.hasQueued(vcpu)
                    state.sliceOver[cpu.index] = true
                }
            case 0x16:
                // HVC: no hypercalls; SMCCC's NOT_SUPPORTED in x0 (the
                // preferred return is already the next instruction).
                registers.pointee.frame.x.0 = UInt64(bitPattern: -1)
            case 0x17:
                // SMC, trapped by HCR_EL2.TSC: the return address is the
                // SMC itself; answered NOT_SUPPORTED, as with no firmware.
                registers.pointee.frame.elr += 4
                registers.pointee.frame.x.0 = UInt64(bitPattern: -1)
            default:
                halt(vcpu, on: cpu, syndrome: syndrome)
            }
        case GUEST_EXIT_SERROR:
            halt(vcpu, on: cpu, syndrome: ExceptionSyndrome(rawValue: registers.pointee.frame.esr))
        default:
            break
        }
    }

    /// Stops a vCPU whose exit cannot be served, and says why.
    private static func halt(_ vcpu: Int, on cpu: LogicalCPU, syndrome: ExceptionSyndrome) {
        lock.withLock { $0.halted[vcpu] = true }
        let frame = VCPUs.registers[vcpu].frame
        let name = VCPUs.name(of: vcpu)
        Console.line { out in
            out.write("error: vcpu ", name.domain)
            out.write(".", name.vcpu)
            out.write(" stopped on cpu ", cpu.index)
            out.write(": ESR_EL2 ")
            out.hex(syndrome.rawValue, digits: 8)
            out.write(" (")
            out.write(syndrome.className)
            out.write(") ELR ")
            out.hex(frame.elr, digits: 16)
            out.write(" FAR ")
            out.hex(frame.far, digits: 16)
            out.write(" HPFAR ")
            out.hex(frame.hpfar, digits: 16)
        }
    }

    /// Where `vcpu` is and what it does, for reports.
    static func status(of vcpu: VCPUID) -> (home: LogicalCPU?, name: StaticString) {
        lock.withLock { state in
            let index = VCPUs.index(of: vcpu)
            let name: StaticString
            if state.halted[index] {
                name = "halted"
            } else if state.loadedOn[index] < 0 {
                name = "saved"
            } else {
                name = state.blocked[index] ? "waiting" : "running"
            }
            return (state.placement.pCPU(of: vcpu), name)
        }
    }

    /// The pCPU `vcpu` belongs to.
    static func home(of vcpu: VCPUID) -> LogicalCPU? {
        lock.withLock { $0.placement.pCPU(of: vcpu) }
    }

    /// Sends `cpu` the kernel's wake SGI: its guest exits, or its idle loop
    /// wakes, and its scheduler looks again.
    static func wake(_ cpu: LogicalCPU) {
        CPUInterface.sendSGI(KernelSGI.wake, to: Machine.current.affinity(of: cpu))
    }

    // MARK: Moves

    /// Puts `vcpu` on `cpu` (its run queue's end) and routes its guest-bound
    /// SPIs there; its old pCPU is woken to save it (if it is loaded there)
    /// and the new one to load it.
    static func move(_ vcpu: VCPUID, to cpu: LogicalCPU, _ state: inout Scheduling) {
        guard state.placement.move(vcpu, to: cpu) != nil else { return }
        announceMove(VCPUs.index(of: vcpu), to: cpu, &state)
    }

    /// After the placement moved `vcpu` to `cpu`: its SPIs follow, its old
    /// pCPU wakes to save it (if it is loaded there), the new one to load it.
    private static func announceMove(_ vcpu: Int, to cpu: LogicalCPU, _ state: inout Scheduling) {
        GuestInterrupts.route(vcpu: vcpu, to: cpu, state)
        let here = CPUs.current
        if Int(state.loadedOn[vcpu]) == here.index {
            put(vcpu, from: here, &state)
        } else if state.loadedOn[vcpu] >= 0 {
            wake(LogicalCPU(Int(state.loadedOn[vcpu])))
        }
        wake(cpu)
    }

    /// Why `vcpu-move` cannot put a vCPU on a pCPU.
    enum MoveRefusal: Error {
        case offline
        /// The console runs there and never idles: no guest would run.
        case console
    }

    /// The console's `vcpu-move`.
    static func move(_ vcpu: VCPUID, to cpu: LogicalCPU) -> Result<Void, MoveRefusal> {
        guard CPUs.online.contains(cpu) else { return .failure(.offline) }
        return lock.withLock { state in
            guard state.available(online: CPUs.online).contains(cpu) else { return .failure(.console) }
            move(vcpu, to: cpu, &state)
            return .success(())
        }
    }

    /// On pCPU `cpu` going offline, interrupts masked, after it left the
    /// online mask: its loaded vCPU is saved (list registers and all) and
    /// every vCPU of its queue moves to an online pCPU
    /// (`VCPUPlacement.evacuate`), its guest-bound SPIs with it.
    static func evacuate(_ cpu: LogicalCPU, online: CPUMask) {
        GenericTimer.stop(.el2Physical)
        lock.withLock { state in
            let current = Int(state.current[cpu.index])
            if current >= 0 { put(current, from: cpu, &state) }
            let targets = state.available(online: online)
            guard !targets.isEmpty else { return }
            var destinations = InlineArray<64, Int16>(repeating: -1)
            state.placement.evacuate(cpu, online: targets) { move in
                destinations[VCPUs.index(of: move.vcpu)] = Int16(move.to.index)
            }
            for vcpu in 0 ..< VCPUs.count where destinations[vcpu] >= 0 {
                announceMove(vcpu, to: LogicalCPU(Int(destinations[vcpu])), &state)
            }
        }
    }

    /// After a pCPU came online (or the console moved): every vCPU on the
    /// console's pCPU leaves it for the least loaded available one, then the
    /// fewest moves that even out the vCPU counts of the available pCPUs
    /// (`VCPUPlacement.balance`), interrupts following. Returns the moves.
    @discardableResult
    static func balance(online: CPUMask) -> Int {
        lock.withLock { state in
            let targets = state.available(online: online)
            var moves = 0
            if state.reserved >= 0, !targets.contains(LogicalCPU(state.reserved)) {
                for vcpu in 0 ..< VCPUs.count where state.home(of: vcpu) == LogicalCPU(state.reserved) {
                    guard let target = state.placement.loads.leastLoaded(in: targets) else { break }
                    move(VCPUs.name(of: vcpu), to: target, &state)
                    moves += 1
                }
            }
            var destinations = InlineArray<64, Int16>(repeating: -1)
            moves += state.placement.balance(online: targets) { move in
                destinations[VCPUs.index(of: move.vcpu)] = Int16(move.to.index)
            }
            for vcpu in 0 ..< VCPUs.count where destinations[vcpu] >= 0 {
                announceMove(vcpu, to: LogicalCPU(Int(destinations[vcpu])), &state)
            }
            return moves
        }
    }

    /// The console's pCPU runs guests only when it is the last one online
    /// (its vCPUs then have nowhere else to go): while the console waits for
    /// a guest, it lends its pCPU for one run (until the next exit) of a
    /// runnable vCPU of its own, interrupts taken after it as in an idle
    /// loop. Does nothing on a pCPU with no vCPU.
    static func lendConsoleCPU() {
        let saved = arch_read_daif()
        arch_mask_interrupts()
        _ = runGuest(on: CPUs.current)
        arch_write_daif(saved)
    }

    /// The console now runs on `cpu` (the caller): that pCPU leaves the
    /// guests (its loaded vCPU saved here) while another is online.
    static func reserve(_ cpu: LogicalCPU) {
        lock.withLock { state in
            state.reserved = cpu.index
            let current = Int(state.current[cpu.index])
            if current >= 0 { put(current, from: cpu, &state) }
        }
        _ = balance(online: CPUs.online)
    }
}
