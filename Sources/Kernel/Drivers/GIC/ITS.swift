/// The GICv3 Interrupt Translation Service and the LPIs the kernel owns
/// through it (IHI 0069 chapter 5 and §6): the tables the GIC reads on its
/// own (LPI configuration, one pending table per CPU, the ITS device and
/// collection tables, one Interrupt Translation Table), the command queue,
/// and the per-CPU redistributor part each CPU does as it joins.
///
/// Set up once on the boot CPU after the distributor (`setUp`); every table
/// is carved from one boot-heap region laid out by the pure core's
/// `ITSMemoryPlan` and never freed or moved: a redistributor whose
/// `GICR_CTLR.EnableLPIs` cannot be cleared keeps using its tables across
/// CPU_OFF and CPU_ON. Commands go through `submit`, serialised by one lock,
/// each batch waited for with a deadline (`ITSSequences.waitForCommands`:
/// `GITS_CREADR.Stalled` is reported at once).
///
/// The kernel's LPIs are one device (DeviceID 0) with one EventID per LPI,
/// EventID e translating to INTID 8192 + e in the collection of CPU
/// e mod (CPUs with a collection). A CPU going offline hands its LPIs to
/// the online CPUs' collections with MOVI (`moveLPIs(off:online:)`); a CPU
/// coming online takes none back (nothing needs to move for correctness).
enum ITS {
    /// What `setUp` found and built; read-only once set.
    struct State {
        let registers: MMIORegion
        let type: ITSType
        let plan: ITSMemoryPlan
        let lpis: LPITableSizing
        /// EventIDs (and LPIs) the kernel's device maps.
        let events: Int
        /// EventID bits of the device's ITT (MAPD's Size + 1).
        let eventIDBits: Int
        /// The GIC reads some table or the queue without snooping the
        /// CPUs' caches (a register's Shareability read back Non-shareable):
        /// every line the GIC is to read is cleaned to the point of
        /// coherency first, as Linux's `gic_flush_dcache_to_poc` does.
        let cleansToPointOfCoherency: Bool
    }

    nonisolated(unsafe) static var state: State? = nil
    /// Software's side of the command-queue ring; guarded by `queueLock`.
    nonisolated(unsafe) static var queue = ITSCommandQueue(bytes: ITSCommandQueueDescriptor.pageBytes)
    /// Entry 0: the lock word serialising every command batch.
    nonisolated(unsafe) static var queueLock = AtomicTable(count: 1)
    /// Per CPU: 1 once its redistributor was given its tables (its pending
    /// table is then no longer all zero: given again with PTZ clear).
    nonisolated(unsafe) static var tablesGiven = AtomicTable(count: 0)
    /// Per CPU: 1 once its collection (ICID = CPU index) is mapped.
    nonisolated(unsafe) static var collectionMapped = AtomicTable(count: 0)
    /// Per EventID: the CPU whose collection the LPI was mapped to.
    nonisolated(unsafe) static var collectionOf = AtomicTable(count: 0)
    /// Per CPU, scratch of `moveLPIs` (allocated at boot, used under
    /// `queueLock`): LPIs per collection, then the survivors' CPUs, LPI
    /// counts and shares.
    nonisolated(unsafe) static var moveScratch = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    /// The last offline's move: its CPU, MOVI commands sent, and the fewest
    /// move commands the balance rule allows (`LPIOfflineCost`). Written by
    /// the dying CPU before CPU_OFF (its DSB SY publishes them).
    nonisolated(unsafe) static var lastMove = (cpu: -1, movis: 0, lowerBound: 0)
    /// Every MOVI the kernel has sent.
    static let movisIssued = EventCounter()
    /// Per EventID: times its LPI was acknowledged.
    nonisolated(unsafe) static var handled = AtomicTable(count: 0)
    /// Per EventID: the CPU that last acknowledged its LPI (meaningful once
    /// `handled` counts one).
    nonisolated(unsafe) static var handledOn = AtomicTable(count: 0)
    /// Per CPU: LPIs it acknowledged.
    nonisolated(unsafe) static var handledPerCPU = AtomicTable(count: 0)
    /// Joins that found `GICR_CTLR.EnableLPIs` still set and so kept the
    /// tables the redistributor had.
    static let tablesKept = EventCounter()
    /// Every ITS command the kernel has handed over.
    static let commandsIssued = EventCounter()

    /// LPIs the kernel maps: 8192 (INTIDs 8192–16383), the fewest INTID
    /// bits (14) that hold them.
    static let kernelLPIs = 8192
    /// The kernel's one device.
    static let kernelDevice = ITSDeviceID(0)
    /// 4 KiB pages of command queue: 2047 commands between waits.
    static let commandQueuePages = 16
    /// How long one batch of commands may take the ITS.
    static let commandWaitMilliseconds: UInt64 = 1000

    /// Whether LPIs are in use.
    static var isEnabled: Bool { state != nil }

    // MARK: Set-up on the boot CPU

    /// Finds and programs the ITS when `GICD_TYPER.LPIS` is set and the
    /// device tree has one; says why not otherwise (the kernel then runs
    /// with SPIs only). Runs once on the boot CPU, after the distributor,
    /// before any CPU joins.
    static func setUp(_ machine: Machine) {
        guard let frame = machine.platform.gic.its else { return }
        guard machine.distributor.type.supportsLPIs else {
            Console.line("its: GICD_TYPER.LPIS is clear: no LPIs")
            return
        }
        let cpus = machine.cpuCount
        tablesGiven = AtomicTable(count: cpus)
        collectionMapped = AtomicTable(count: cpus)
        handledPerCPU = AtomicTable(count: cpus)
        moveScratch = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4 * cpus)
        moveScratch.initialize(repeating: 0)
        do throws(ITSError) {
            let registers = MMIORegion(base: frame.base)
            let type = try ITSSequences.identify(registers)
            try ITSSequences.quiesce(registers, wait: Distributor.wait(until:))
            guard let built = build(registers, type: type, machine: machine) else { return }
            collectionOf = AtomicTable(count: built.events)
            handled = AtomicTable(count: built.events)
            handledOn = AtomicTable(count: built.events)
            state = built
            // Enabled only now: GITS_CBASER and GITS_BASER<n> were written
            // with the ITS disabled and quiescent, as they must be.
            registers.write(ITSRegister.GITS_CTLR, ITSControl.Enabled)
            Console.line { out in
                out.write("its: at ")
                out.hex(frame.base)
                out.write(", ", built.events)
                out.write(" LPIs, tables ", built.plan.bytes / 1024)
                out.write(" KiB at ")
                out.hex(built.plan.base)
                out.write(built.type.physicalTargetAddresses ? ", targets by address" : ", targets by processor number")
                out.write(built.cleansToPointOfCoherency ? ", tables cleaned to PoC" : ", tables shareable")
            }
        } catch {
            Console.line { out in
                out.write("error: its: ")
                out.write(error.message)
            }
        }
    }

    /// Probes the table descriptors, sizes and allocates the tables, and
    /// writes `GITS_BASER<n>` and `GITS_CBASER`; nil (having said why) when
    /// the ITS's answers or the heap do not allow it.
    private static func build(_ registers: MMIORegion, type: ITSType, machine: Machine) -> State? {
        var deviceProbe: ITSTableProbe? = nil
        var collectionProbe: ITSTableProbe? = nil
        for n in 0 ..< ITSRegister.tableDescriptorCount {
            guard let probe = ITSSequences.probeTable(
                registers, descriptor: n, preferred: .size64K, attributes: .normalWriteBack) else { continue }
            if probe.type == .devices, deviceProbe == nil { deviceProbe = probe }
            if probe.type == .collections, collectionProbe == nil { collectionProbe = probe }
        }
        let sizing = ITSTableSizing(type: type)
        let eventIDBits = ITSTableSizing.eventIDBits(forEvents: kernelLPIs)
        let lpis: LPITableSizing
        let deviceTable: ITSTableLayout
        let collections: ITSCollectionStorage
        let ittBytes: Int
        do throws(ITSSizingError) {
            guard let deviceProbe else { throw .noTableDescriptor(.devices) }
            lpis = try LPITableSizing(lpis: kernelLPIs, distributor: machine.distributor.type)
            deviceTable = try sizing.deviceTable(devices: 1, descriptor: deviceProbe.answer, indirectSupported: false)
            collections = try sizing.collectionStorage(
                collections: machine.cpuCount, descriptor: collectionProbe?.answer, indirectSupported: false)
            ittBytes = try sizing.interruptTranslationTableBytes(eventIDBits: eventIDBits)
        } catch {
            Console.line("its: not used: the ITS's tables cannot be sized for the kernel's LPIs")
            return nil
        }
        let layout = { (base: UInt64) in
            ITSMemoryPlan(base: base, cpus: machine.cpuCount, lpis: lpis, deviceTable: deviceTable,
                          collections: collections, devices: 1, ittBytes: ittBytes, commandQueuePages: commandQueuePages)
        }
        let bytes = layout(0).bytes
        // The boot heap hands out power-of-two blocks (boot/runtime.c), with
        // room to align within; a request it cannot meet would trap.
        var block = 1
        while block < bytes + LPITableSizing.pendingTableAlignment + 16 { block <<= 1 }
        guard block <= 1 << 23, UInt64(block) <= linker_heap_size() - UInt64(heap_bytes_reserved()) else {
            Console.line { out in
                out.write("its: not used: ", machine.cpuCount)
                out.write(" cpus need ", bytes / 1024)
                out.write(" KiB of LPI tables, more than the boot heap has")
            }
            return nil
        }
        let region = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: LPITableSizing.pendingTableAlignment)
        // All zero: disabled LPIs, invalid table entries, empty pending
        // tables (handed over with PTZ), as ITSMemoryPlan requires.
        region.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        let plan = layout(UInt64(UInt(bitPattern: region)))

        var nonShareable = false
        func program(_ probe: ITSTableProbe, _ table: ITSTableLayout, at piece: ITSMemoryPlan.Piece) {
            let value = probe.answer.programmed(
                address: piece.base, pages: table.pages, pageSize: table.pageSize, indirect: false,
                attributes: probe.attributes)
            registers.write(ITSRegister.GITS_BASER(probe.descriptor), value)
            if registers.read(ITSRegister.GITS_BASER(probe.descriptor)).attributes.shareability == .nonShareable {
                nonShareable = true
            }
        }
        program(deviceProbe!, deviceTable, at: plan.deviceTable)
        if case let .table(layout) = collections, let collectionProbe, let piece = plan.collectionTable {
            program(collectionProbe, layout, at: piece)
        }
        registers.write(ITSRegister.GITS_CBASER, ITSCommandQueueDescriptor(
            address: plan.commandQueue.base, pages: commandQueuePages, attributes: .normalWriteBack))
        let queueDescriptor = registers.read(ITSRegister.GITS_CBASER)
        if queueDescriptor.attributes.shareability == .nonShareable { nonShareable = true }
        registers.write(ITSRegister.GITS_CWRITER, ITSCommandWriter(offset: 0))
        queue = ITSCommandQueue(queueDescriptor)
        if nonShareable { cleanToPointOfCoherency(plan.base, bytes: plan.bytes) }
        arch_dsb_sy()
        return State(registers: registers, type: type, plan: plan, lpis: lpis, events: kernelLPIs,
                     eventIDBits: eventIDBits, cleansToPointOfCoherency: nonShareable)
    }

    // MARK: Each CPU's redistributor, as it joins

    /// Gives the calling CPU's redistributor the LPI tables and maps its
    /// collection. Runs in `CPULifecycle.join`, after the redistributor is
    /// awake.
    ///
    /// IHI 0069 (GICR_PROPBASER, GICR_PENDBASER, GICR_CTLR): both table
    /// registers are written before `GICR_CTLR.EnableLPIs` is set, and not
    /// after. Where `GICR_CTLR.CES` is 0, EnableLPIs cannot be cleared once
    /// set, so a CPU that powered off and comes back may find LPIs still
    /// enabled with the tables it had: then nothing is rewritten (the
    /// tables were never moved or freed). When they must be given again,
    /// the pending table is the one this CPU had, given with PTZ clear: it
    /// holds the LPIs left pending while the CPU was off.
    static func join(_ cpu: LogicalCPU, _ redistributor: Redistributor) {
        guard let state else { return }
        let frame = redistributor.frame
        let control = frame.read(RedistributorRegister.GICR_CTLR)
        if control.contains(.EnableLPIs) {
            if tablesGiven.load(cpu.index) == 0 {
                // Enabled before this kernel gave any table (firmware or a
                // previous kernel): the tables in use are not ours and,
                // without CES, cannot be replaced. Said, not hidden.
                Console.line { out in
                    out.write("its: cpu ", cpu.index)
                    out.write(": GICR_CTLR.EnableLPIs was already set; its LPI tables are not the kernel's")
                }
            }
            tablesKept.add()
        } else {
            var attributes = GICMemoryAttributes.normalWriteBack
            var properties = LPIConfigurationTableDescriptor(
                address: state.plan.configurationTable.base, interruptIDBits: state.lpis.interruptIDBits,
                attributes: attributes)
            frame.write(RedistributorRegister.GICR_PROPBASER, properties)
            if frame.read(RedistributorRegister.GICR_PROPBASER).attributes.shareability == .nonShareable {
                // The redistributor does not snoop: ask for non-cacheable
                // reads; the configuration bytes are cleaned to PoC when
                // written (`cleansToPointOfCoherency` covers this too: the
                // tables were cleaned after zeroing).
                attributes = GICMemoryAttributes(
                    innerCache: .nonCacheable, outerCache: .deviceNGnRnEOrSameAsInner, shareability: .nonShareable)
                properties = LPIConfigurationTableDescriptor(
                    address: state.plan.configurationTable.base, interruptIDBits: state.lpis.interruptIDBits,
                    attributes: attributes)
                frame.write(RedistributorRegister.GICR_PROPBASER, properties)
            }
            let firstTime = tablesGiven.exchange(cpu.index, 1) == 0
            frame.write(RedistributorRegister.GICR_PENDBASER, LPIPendingTableDescriptor(
                address: state.plan.pendingTable(cpu: cpu.index).base, attributes: attributes,
                pendingTableZero: firstTime))
            arch_dsb_sy()
            frame.write(RedistributorRegister.GICR_CTLR, control.union(.EnableLPIs))
            arch_dsb_sy()
        }
        guard collectionMapped.load(cpu.index) == 0 else { return }
        let typeRegister = frame.read(RedistributorRegister.GICR_TYPER)
        let target = state.type.redistributorTarget(rdBase: frame.base, processorNumber: typeRegister.processorNumber)
        let mapped = submit { put in
            put(.MAPC(collection: ITSCollectionID(UInt16(cpu.index)), target: target, valid: true))
            put(.SYNC(target: target))
        }
        if mapped { collectionMapped.store(cpu.index, 1) }
    }

    // MARK: The kernel's LPIs

    /// Maps the kernel's device and its LPIs, spread over the CPUs whose
    /// collections are mapped, and enables them (configuration bytes, then
    /// INVALL and SYNC per collection so every redistributor reads them).
    /// Runs once on the boot CPU after the boot bring-up.
    static func mapKernelLPIs() {
        guard let state else { return }
        var targets: [Int] = []
        for index in 0 ..< collectionMapped.count where collectionMapped.load(index) == 1 {
            targets.append(index)
        }
        guard !targets.isEmpty else { return }
        // Configuration byte: priority in bits 7:2, Enable in bit 0 (§5.1.1).
        let configuration = UnsafeMutablePointer<UInt8>(bitPattern: UInt(state.plan.configurationTable.base))!
        for event in 0 ..< state.events {
            configuration[event] = (InterruptPriority.kernelDefault & 0xFC) | 1
        }
        if state.cleansToPointOfCoherency {
            cleanToPointOfCoherency(state.plan.configurationTable.base, bytes: state.events)
        }
        arch_dsb_sy()
        let itt = state.plan.interruptTranslationTable(device: 0).base
        let done = submit { put in
            put(.MAPD(device: kernelDevice, ittAddress: itt, eventIDBits: state.eventIDBits, valid: true))
            for event in 0 ..< state.events {
                let cpu = targets[event % targets.count]
                collectionOf.store(event, UInt32(cpu))
                put(.MAPTI(device: kernelDevice, event: ITSEventID(UInt32(event)),
                           interrupt: InterruptID(UInt32(LPITableSizing.firstLPI + event)),
                           collection: ITSCollectionID(UInt16(cpu))))
            }
            for cpu in targets {
                put(.INVALL(collection: ITSCollectionID(UInt16(cpu))))
                put(.SYNC(target: target(of: LogicalCPU(cpu), state)))
            }
        }
        if !done { Console.line("error: its: the kernel's LPIs are not mapped") }
    }

    /// Moves every kernel LPI whose collection is `dying`'s to the
    /// collection of a CPU in `online` with MOVI (IHI 0069 §5.3.13: the
    /// mapping and any pending state move), spread by water-filling so the
    /// least loaded online CPU (lowest number on a tie) receives first and
    /// per-CPU counts that were within one stay so; then one SYNC to each
    /// receiving redistributor (§5.3.21), so the moves are complete before
    /// the CPU powers off. Records the MOVI count and the lower bound.
    ///
    /// Runs on the dying CPU's offline path, after it left the online mask
    /// (so `online` is exactly the survivors) and beside the SPI rebalance,
    /// with interrupts masked: taking `queueLock` there cannot deadlock,
    /// since its holder only ever waits, bounded, on the ITS, never on
    /// another CPU. No allocation: the scratch was allocated at boot.
    static func moveLPIs(off dying: LogicalCPU, online: CPUMask) {
        guard let state else { return }
        var movis = 0
        var lowerBound = 0
        let done = submit { put in
            let cpus = collectionMapped.count
            let perCollection = UnsafeMutableBufferPointer(rebasing: moveScratch[0 ..< cpus])
            let survivorCPU = UnsafeMutableBufferPointer(rebasing: moveScratch[cpus ..< 2 * cpus])
            let survivorCount = UnsafeMutableBufferPointer(rebasing: moveScratch[2 * cpus ..< 3 * cpus])
            let survivorShare = UnsafeMutableBufferPointer(rebasing: moveScratch[3 * cpus ..< 4 * cpus])
            for cpu in 0 ..< cpus { perCollection[cpu] = 0 }
            for event in 0 ..< state.events { perCollection[Int(collectionOf.load(event))] += 1 }
            var survivors = 0
            for cpu in 0 ..< cpus
            where cpu != dying.index && online.contains(LogicalCPU(cpu)) && collectionMapped.load(cpu) == 1 {
                survivorCPU[survivors] = cpu
                survivorCount[survivors] = perCollection[cpu]
                survivors += 1
            }
            let lpis = perCollection[dying.index]
            guard lpis > 0, survivors > 0 else { return }
            let counts = UnsafeMutableBufferPointer(rebasing: survivorCount[0 ..< survivors])
            let cost = LPIOfflineCost(dyingCount: lpis, survivors: counts)
            lowerBound = cost.minimumMoveCommands
            cost.forEachShare(of: counts) { position, share in survivorShare[position] = share }
            // The shares add up to `lpis`, so `position` stays in range.
            var position = 0
            var left = survivorShare[0]
            for event in 0 ..< state.events where collectionOf.load(event) == UInt32(dying.index) {
                while left == 0 {
                    position += 1
                    left = survivorShare[position]
                }
                let cpu = survivorCPU[position]
                put(.MOVI(device: kernelDevice, event: ITSEventID(UInt32(event)),
                          collection: ITSCollectionID(UInt16(cpu))))
                collectionOf.store(event, UInt32(cpu))
                movisIssued.add()
                movis += 1
                left -= 1
            }
            for position in 0 ..< survivors where survivorShare[position] > 0 {
                put(.SYNC(target: target(of: LogicalCPU(survivorCPU[position]), state)))
            }
        }
        lastMove = (cpu: dying.index, movis: movis, lowerBound: lowerBound)
        if !done { Console.line("error: its: the LPIs of a CPU going offline were not all moved") }
    }

    /// The redistributor CPU `cpu`'s collection names, as commands name it.
    static func target(of cpu: LogicalCPU, _ state: State) -> ITSTargetRedistributor {
        let machine = Machine.current!
        guard let redistributor = try? Redistributor.of(cpu, in: machine) else {
            return ITSTargetRedistributor(processorNumber: UInt16(cpu.index))
        }
        let type = redistributor.frame.read(RedistributorRegister.GICR_TYPER)
        return state.type.redistributorTarget(rdBase: redistributor.frame.base, processorNumber: type.processorNumber)
    }

    /// Makes the LPIs of EventIDs `events` pending with the ITS `INT`
    /// command, as if the device had written `GITS_TRANSLATER`.
    static func fire(_ events: Range<Int>) -> Bool {
        submit { put in
            for event in events { put(.INT(device: kernelDevice, event: ITSEventID(UInt32(event)))) }
        }
    }

    /// On the IRQ path, for an acknowledged LPI: counts it and ends it.
    /// LPIs have no active state: `ICC_EOIR1_EL1` only drops the priority.
    @inline(__always)
    static func handle(_ id: InterruptID, on cpu: LogicalCPU) {
        let event = Int(id.rawValue) - LPITableSizing.firstLPI
        if event < handled.count {
            handled.increment(event)
            handledOn.store(event, UInt32(cpu.index))
        }
        handledPerCPU.increment(cpu.index)
        CPUInterface.endOfInterrupt(id)
    }

    // MARK: The command queue

    /// Writes the commands `body` puts into the queue and waits, bounded,
    /// until the ITS has read them all; when the queue fills, hands over
    /// what is written and waits for room. Says what went wrong and returns
    /// false on a stall or timeout (the rest of the batch is not written).
    @discardableResult
    static func submit(_ body: (_ put: (ITSOperation) -> Void) -> Void) -> Bool {
        guard let state else { return false }
        return queueLock.withLock(0) {
            var failure: ITSError? = nil
            body { operation in
                guard failure == nil else { return }
                if queue.isFull {
                    do throws(ITSError) { try handOver(state) } catch { failure = error; return }
                }
                guard let offset = queue.reserve() else { return }
                let command = ITSCommand(operation)
                let slot = UnsafeMutablePointer<UInt64>(bitPattern: UInt(state.plan.commandQueue.base) + UInt(offset))!
                slot[0] = command.dw0
                slot[1] = command.dw1
                slot[2] = command.dw2
                slot[3] = command.dw3
                if state.cleansToPointOfCoherency { arch_clean_data_cache_line(slot) }
                commandsIssued.add()
            }
            if failure == nil {
                do throws(ITSError) { try handOver(state) } catch { failure = error }
            }
            if let failure {
                Console.line { out in
                    out.write("error: its: ")
                    out.write(failure.message)
                }
                return false
            }
            return true
        }
    }

    /// Makes the written commands visible to the ITS, advances
    /// `GITS_CWRITER` and waits until `GITS_CREADR` reaches it.
    private static func handOver(_ state: State) throws(ITSError) {
        arch_dsb_sy()
        state.registers.write(ITSRegister.GITS_CWRITER, queue.writerRegister)
        try ITSSequences.waitForCommands(state.registers, queue: &queue, wait: { condition in
            Deadline.wait(milliseconds: commandWaitMilliseconds, until: condition)
        })
    }

    /// Cleans the data-cache lines of `bytes` at `base` to the point of
    /// coherency, then DSB: for memory a non-snooping GIC is to read. The
    /// stride is the smallest data-cache line (`CTR_EL0.DminLine`), so no
    /// line is skipped.
    static func cleanToPointOfCoherency(_ base: UInt64, bytes: Int) {
        let line: UInt64 = 4 << ((arch_read_cache_type() >> 16) & 0xF)
        var address = base & ~(line - 1)
        while address < base + UInt64(bytes) {
            arch_clean_data_cache_line(UnsafeRawPointer(bitPattern: UInt(address)))
            address += line
        }
        arch_dsb_sy()
    }
}
