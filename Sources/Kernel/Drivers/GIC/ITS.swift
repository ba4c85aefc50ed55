import HotplugCore

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
/// EventID e translating to INTID 8192 + e, first in the collection of CPU
/// e mod (CPUs with a collection). Collections come from a pool of
/// `collectionsPerCPU` × CPUs ICIDs: each online CPU has a primary one,
/// mapped with MAPC as it joins, which MOVIs aimed at it use; a CPU going
/// offline may have its collections re-targeted whole at a survivor (MAPC
/// + MOVALL, the bulk move), which then holds several. The hotplug side,
/// `rebalance(_:policy:)`, runs from `InterruptMigration.rebalance`; the
/// costs and lower bounds are the pure core's (`LPIPlacement.swift`).
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
    /// Entry 0: the lock word serialising every command batch, and owning
    /// the LPI ownership state written inside batches (collections, their
    /// targets, affinities, the move scratch, `lastMove`). Interrupts are
    /// masked while it is held; never taken on the interrupt path. Taken
    /// with no spin lock held (rank 3a in LockOrder.swift: after the routing
    /// lock is released, the hotplug path takes it); inside it only the
    /// online mask's lock (a snapshot) and the console lock (error lines).
    /// Its holder waits only, bounded, on the ITS.
    nonisolated(unsafe) static var queueLock = AtomicTable(count: 1)
    /// Per CPU: 1 once its redistributor was given its tables (its pending
    /// table is then no longer all zero: given again with PTZ clear).
    nonisolated(unsafe) static var tablesGiven = AtomicTable(count: 0)
    /// Per CPU: 1 + the ICID of its primary collection (the one MOVIs
    /// aimed at it use), mapped as it joins; 0 while it has none (offline).
    /// Written under `queueLock`.
    nonisolated(unsafe) static var primaryCollection = AtomicTable(count: 0)
    /// Per ICID: the CPU whose redistributor MAPC last aimed the collection
    /// at, or `freeCollection` while no LPI is in it and no CPU holds it as
    /// primary. Written under `queueLock`.
    nonisolated(unsafe) static var collectionTarget = AtomicTable(count: 0)
    /// Per EventID: the ICID of the LPI's collection. Written under
    /// `queueLock`.
    nonisolated(unsafe) static var collectionOf = AtomicTable(count: 0)
    /// Scratch of the hotplug moves (allocated at boot, used under
    /// `queueLock`): LPIs per collection, then per CPU its LPI count, its
    /// position among the CPUs considered and what it gives or receives.
    nonisolated(unsafe) static var moveScratch = UnsafeMutableBufferPointer<Int>(start: nil, count: 0)
    /// The last hotplug event's LPI move. Written under `queueLock` (by a
    /// dying CPU before CPU_OFF: its DSB SY publishes it).
    nonisolated(unsafe) static var lastMove = LPIMove()
    /// Every MOVI, MAPC and MOVALL the kernel has sent (MAPC includes the
    /// one each CPU's primary collection is mapped with as it joins).
    static let movisIssued = EventCounter()
    static let mapcsIssued = EventCounter()
    static let movallsIssued = EventCounter()
    /// LPIs mapped (EventIDs 0 ..< mappedEvents): `kernelLPIs` unless the
    /// command line's `lpis=N` asked for fewer. Set once at boot.
    nonisolated(unsafe) static var mappedEvents = 0
    /// Whether the balanced offline move may take the bulk shape (MAPC +
    /// MOVALL + MOVIs) when it is fewer commands; cleared (`lpi-move=movi`)
    /// only to measure the per-LPI shape against it.
    nonisolated(unsafe) static var bulkMovesAllowed = true
    /// Per EventID: its requested affinity, an index into `affinityMasks`
    /// (0: every CPU, the default). Written under `queueLock`.
    nonisolated(unsafe) static var affinityOf = AtomicTable(count: 0)
    /// The distinct requested affinities of LPIs, slot 0 every CPU; a slot
    /// no LPI uses is reused. Written under `queueLock`.
    nonisolated(unsafe) static var affinityMasks = UnsafeMutableBufferPointer<CPUMask>(start: nil, count: 0)
    /// LPIs with a requested affinity other than the default (the moves
    /// skip their walk when there are none). Written under `queueLock`.
    nonisolated(unsafe) static var requestedAffinities = 0
    /// Distinct LPI affinities the kernel keeps besides the default.
    static let affinitySlots = 16
    /// The seed policy's round-robin cursor for LPIs (Xen's `cpu_next`,
    /// kept apart from the SPIs'). Used under `queueLock`.
    nonisolated(unsafe) static var seedCursor = 0
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
    /// ICIDs in the pool, per CPU: a primary each, and room for the
    /// collections bulk moves leave on survivors until they are drained.
    static let collectionsPerCPU = 4
    /// `collectionTarget` of an ICID no CPU holds and no LPI is in.
    static let freeCollection = UInt32.max

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
        primaryCollection = AtomicTable(count: cpus)
        handledPerCPU = AtomicTable(count: cpus)
        do throws(ITSError) {
            let registers = MMIORegion(base: frame.base)
            let type = try ITSSequences.identify(registers)
            let pool = Swift.min(collectionsPerCPU * cpus, 1 << type.collectionIDBits)
            collectionTarget = AtomicTable(count: pool)
            for icid in 0 ..< pool { collectionTarget.store(icid, freeCollection) }
            moveScratch = UnsafeMutableBufferPointer<Int>.allocate(capacity: pool + 4 * cpus)
            moveScratch.initialize(repeating: 0)
            try ITSSequences.quiesce(registers, wait: Distributor.wait(until:))
            guard let built = build(registers, type: type, machine: machine) else { return }
            collectionOf = AtomicTable(count: built.events)
            affinityOf = AtomicTable(count: built.events)
            affinityMasks = UnsafeMutableBufferPointer<CPUMask>.allocate(capacity: affinitySlots + 1)
            affinityMasks.initialize(repeating: CPUMask.empty)
            affinityMasks[0] = CPUMask.all(upTo: cpus)
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
                collections: collectionTarget.count, descriptor: collectionProbe?.answer, indirectSupported: false)
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
        let typeRegister = frame.read(RedistributorRegister.GICR_TYPER)
        let target = state.type.redistributorTarget(rdBase: frame.base, processorNumber: typeRegister.processorNumber)
        var exhausted = false
        submit { put in
            guard primaryCollection.load(cpu.index) == 0 else { return }
            // A free ICID: no LPI is in it, so aiming it anywhere moves
            // nothing; the CPU's own index first, so a machine that never
            // hotplugs keeps ICID = CPU.
            var icid = -1
            if collectionTarget.load(cpu.index) == freeCollection {
                icid = cpu.index
            } else {
                for candidate in 0 ..< collectionTarget.count where collectionTarget.load(candidate) == freeCollection {
                    icid = candidate
                    break
                }
            }
            guard icid >= 0 else { exhausted = true; return }
            put(.MAPC(collection: ITSCollectionID(UInt16(icid)), target: target, valid: true))
            put(.SYNC(target: target))
            mapcsIssued.add()
            collectionTarget.store(icid, UInt32(cpu.index))
            primaryCollection.store(cpu.index, UInt32(icid + 1))
        }
        if exhausted {
            Console.line { out in
                out.write("error: its: cpu ", cpu.index)
                out.write(": no free collection (ICID) left; it receives no LPIs")
            }
        }
    }

    // MARK: The kernel's LPIs

    /// Maps the kernel's device and its first `count` LPIs (at most
    /// `kernelLPIs`), spread over the CPUs whose collections are mapped,
    /// and enables them (configuration bytes, then INVALL and SYNC per
    /// collection so every redistributor reads them). Runs once on the boot
    /// CPU after the boot bring-up.
    static func mapKernelLPIs(count: Int) {
        guard let state else { return }
        mappedEvents = Swift.max(0, Swift.min(count, state.events))
        var targets: [Int] = []
        for index in 0 ..< primaryCollection.count where primaryCollection.load(index) != 0 {
            targets.append(index)
        }
        guard !targets.isEmpty else { return }
        // Configuration byte: priority in bits 7:2, Enable in bit 0 (§5.1.1).
        let configuration = UnsafeMutablePointer<UInt8>(bitPattern: UInt(state.plan.configurationTable.base))!
        for event in 0 ..< mappedEvents {
            configuration[event] = (InterruptPriority.kernelDefault & 0xFC) | 1
        }
        if state.cleansToPointOfCoherency {
            cleanToPointOfCoherency(state.plan.configurationTable.base, bytes: mappedEvents)
        }
        arch_dsb_sy()
        let itt = state.plan.interruptTranslationTable(device: 0).base
        let done = submit { put in
            put(.MAPD(device: kernelDevice, ittAddress: itt, eventIDBits: state.eventIDBits, valid: true))
            for event in 0 ..< mappedEvents {
                let icid = primaryCollection.load(targets[event % targets.count]) - 1
                collectionOf.store(event, icid)
                put(.MAPTI(device: kernelDevice, event: ITSEventID(UInt32(event)),
                           interrupt: InterruptID(UInt32(LPITableSizing.firstLPI + event)),
                           collection: ITSCollectionID(UInt16(icid))))
            }
            for cpu in targets {
                put(.INVALL(collection: ITSCollectionID(UInt16(primaryCollection.load(cpu) - 1))))
                put(.SYNC(target: target(of: LogicalCPU(cpu), state)))
            }
        }
        if !done { Console.line("error: its: the kernel's LPIs are not mapped") }
    }

    // MARK: Hotplug

    /// The CPU whose redistributor the LPI of EventID `event` targets now.
    static func cpu(ofEvent event: Int) -> Int {
        Int(collectionTarget.load(Int(collectionOf.load(event))))
    }

    /// Moves the kernel's LPIs for a hotplug event under `policy` and
    /// records the move in `lastMove`. Called by
    /// `InterruptMigration.rebalance` after the SPIs, outside the routing
    /// lock: on the dying CPU (interrupts masked, already out of the online
    /// mask, so `CPUs.online` is exactly the survivors) or on the
    /// controlling CPU once a new CPU has joined (its primary collection
    /// mapped). Taking `queueLock` there cannot deadlock: its holder only
    /// ever waits, bounded, on the ITS, never on another CPU. The offline
    /// path allocates nothing (the scratch was allocated at boot).
    ///
    /// - balanced (and load, which measures no LPI rates): offline, the
    ///   water-fill of `LPIOfflineCost` with its fewer-command shape
    ///   (per-LPI MOVI, or MAPC of the dying CPU's collections + MOVALL +
    ///   MOVIs out); online, `LPIBalanceTarget`'s fewest MOVIs so that
    ///   per-CPU counts differ by at most one.
    /// - seed: the patch's rule extended to LPIs as it would be naively,
    ///   one MOVI per LPI to the next online CPU of a round-robin cursor:
    ///   offline, each LPI of the dying CPU; online, every LPI re-spread
    ///   (a MOVI where its CPU changes).
    ///
    /// Then one SYNC to each receiving redistributor (IHI 0069 §5.3.21),
    /// so the moves are complete before a dying CPU powers off.
    static func rebalance(_ event: HotplugEvent, policy: RebalancePolicyKind) {
        guard state != nil else { return }
        let started = arch_read_counter()
        var move = LPIMove(cpu: event.cpu.index, up: event.direction == .up)
        let online = CPUs.online
        let done = submit { put in
            switch (policy, event.direction) {
            case (.seed, .down): seedOffline(event.cpu.index, online: online, &move, put)
            case (.seed, .up): seedOnline(online: online, &move, put)
            case (_, .down): balancedOffline(event.cpu.index, online: online, &move, put)
            case (_, .up): balancedOnline(online: online, &move, put)
            }
            releaseCollections(offline: event.direction == .down ? event.cpu.index : -1)
        }
        move.ticks = arch_read_counter() &- started
        lastMove = move
        if !done { Console.line("error: its: the LPIs of a hotplug event were not all moved") }
    }

    /// Counts the LPIs per collection and per CPU into the scratch.
    private static func tally() {
        let pool = collectionTarget.count
        for index in 0 ..< pool + primaryCollection.count { moveScratch[index] = 0 }
        for event in 0 ..< mappedEvents { moveScratch[Int(collectionOf.load(event))] += 1 }
        for icid in 0 ..< pool where collectionTarget.load(icid) != freeCollection {
            moveScratch[pool + Int(collectionTarget.load(icid))] += moveScratch[icid]
        }
    }

    /// Scratch views: LPIs per collection, LPIs per CPU, and two per-CPU
    /// arrays (CPU positions, then what each CPU gives or receives).
    private static var perCollection: UnsafeMutableBufferPointer<Int> {
        UnsafeMutableBufferPointer(rebasing: moveScratch[0 ..< collectionTarget.count])
    }
    private static func perCPU(_ slot: Int) -> UnsafeMutableBufferPointer<Int> {
        let start = collectionTarget.count + slot * primaryCollection.count
        return UnsafeMutableBufferPointer(rebasing: moveScratch[start ..< start + primaryCollection.count])
    }

    /// Whether `cpu` can receive LPIs: online, its primary collection mapped.
    private static func receives(_ cpu: Int, _ online: CPUMask) -> Bool {
        online.contains(LogicalCPU(cpu)) && primaryCollection.load(cpu) != 0
    }

    /// The CPUs of `online` that can receive LPIs.
    private static func receivingCPUs(_ online: CPUMask) -> CPUMask {
        var cpus = CPUMask.empty
        for cpu in 0 ..< primaryCollection.count where receives(cpu, online) { cpus.insert(LogicalCPU(cpu)) }
        return cpus
    }

    /// MOVIs `give[cpu]` LPIs away from each CPU to the CPUs with
    /// `take[cpu]` > 0, lowest CPU first. LPIs in a CPU's other collections
    /// go before those in its primary one, so collections left by bulk
    /// moves drain and return to the pool.
    private static func distribute(give: UnsafeMutableBufferPointer<Int>, take: UnsafeMutableBufferPointer<Int>,
                                   _ move: inout LPIMove, _ put: (ITSOperation) -> Void) {
        var receiver = 0
        // The first pass only when a giving CPU holds a collection besides
        // its primary one.
        var firstPass = 1
        var remaining = 0
        for cpu in 0 ..< give.count { remaining += give[cpu] }
        for icid in 0 ..< collectionTarget.count where perCollection[icid] > 0 {
            let cpu = Int(collectionTarget.load(icid))
            if give[cpu] > 0 && Int(primaryCollection.load(cpu)) != icid + 1 { firstPass = 0 }
        }
        for pass in firstPass ..< 2 {
            for event in 0 ..< mappedEvents {
                let icid = Int(collectionOf.load(event))
                let source = Int(collectionTarget.load(icid))
                guard give[source] > 0, affinityOf.load(event) == 0,
                      (Int(primaryCollection.load(source)) == icid + 1) == (pass == 1) else { continue }
                while receiver < take.count && take[receiver] == 0 { receiver += 1 }
                guard receiver < take.count else { return }
                moveOne(event, to: receiver, &move, put)
                give[source] -= 1
                take[receiver] -= 1
                remaining -= 1
                if remaining == 0 { return }
            }
        }
    }

    /// One SYNC to each CPU with `mark[cpu]` > 0.
    private static func synchronise(_ mark: UnsafeMutableBufferPointer<Int>, _ put: (ITSOperation) -> Void) {
        guard let state else { return }
        for cpu in 0 ..< mark.count where mark[cpu] > 0 { put(.SYNC(target: target(of: LogicalCPU(cpu), state))) }
    }

    /// After a move (the tally current: every move started with `tally`
    /// and `moveOne` kept it so): frees every collection no LPI is in that is not a
    /// CPU's primary, and the primary of `offline` (its CPU is gone; a
    /// new one is mapped when it joins again).
    private static func releaseCollections(offline: Int) {
        if offline >= 0 { primaryCollection.store(offline, 0) }
        for icid in 0 ..< collectionTarget.count where collectionTarget.load(icid) != freeCollection {
            let cpu = Int(collectionTarget.load(icid))
            if perCollection[icid] == 0 && Int(primaryCollection.load(cpu)) != icid + 1 {
                collectionTarget.store(icid, freeCollection)
            }
        }
    }

    /// The balanced offline move of `dying`'s LPIs (see `rebalance`).
    private static func balancedOffline(_ dying: Int, online: CPUMask, _ move: inout LPIMove,
                                        _ put: (ITSOperation) -> Void) {
        guard let state else { return }
        tally()
        // LPIs with a requested affinity first, one MOVI each, to the least
        // loaded online CPU of their mask (of all, when none of it is
        // online: the affinity is broken until one comes back).
        var survivingCPUs = receivingCPUs(online)
        survivingCPUs.remove(LogicalCPU(dying))
        let marked = perCPU(3)
        for cpu in 0 ..< marked.count { marked[cpu] = 0 }
        var placed = 0
        for event in 0 ..< (requestedAffinities > 0 ? mappedEvents : 0)
        where affinityOf.load(event) != 0 && cpu(ofEvent: event) == dying {
            let mask = affinityMasks[Int(affinityOf.load(event))]
            guard let to = leastLoaded(in: mask.intersection(survivingCPUs)) ?? leastLoaded(in: survivingCPUs) else {
                break
            }
            moveOne(event, to: to, &move, put)
            perCPU(3)[to] = 1
            placed += 1
        }
        move.lowerBound = placed
        if placed > 0 {
            for cpu in 0 ..< marked.count where marked[cpu] == 1 {
                put(.SYNC(target: target(of: LogicalCPU(cpu), state)))
            }
        }
        let lpisPerCPU = perCPU(0)
        let cpus = primaryCollection.count
        // Survivors' CPUs and counts, in CPU order, in slots 1 and 2.
        let survivorCPU = perCPU(1)
        let survivorCount = perCPU(2)
        var survivors = 0
        for cpu in 0 ..< cpus where cpu != dying && receives(cpu, online) {
            survivorCPU[survivors] = cpu
            survivorCount[survivors] = lpisPerCPU[cpu]
            survivors += 1
        }
        let lpis = lpisPerCPU[dying]
        guard lpis > 0, survivors > 0 else { return }
        var collections = 0
        for icid in 0 ..< collectionTarget.count
        where collectionTarget.load(icid) == UInt32(dying) && perCollection[icid] > 0 {
            collections += 1
        }
        let counts = UnsafeMutableBufferPointer(rebasing: survivorCount[0 ..< survivors])
        let cost = LPIOfflineCost(dyingCount: lpis, collections: collections, survivors: counts)
        move.lowerBound += cost.minimumMoveCommands
        move.perLPI = cost.perLPI
        let take = perCPU(3)
        for cpu in 0 ..< cpus { take[cpu] = 0 }
        cost.forEachShare(of: counts) { position, share in take[survivorCPU[position]] = share }
        // Slot 2 becomes what each CPU gives; slot 1 the SYNC marks.
        let give = survivorCount
        for cpu in 0 ..< cpus {
            give[cpu] = 0
            survivorCPU[cpu] = take[cpu]
        }
        if bulkMovesAllowed, cost.remapIsCheaper, let position = cost.remapTarget {
            // The bulk move: every collection on the dying CPU re-targeted
            // at t, then what was pending there moved to t; t keeps its
            // share and gives the rest away.
            var t = 0
            var seen = 0
            for cpu in 0 ..< cpus where cpu != dying && receives(cpu, online) {
                if seen == position { t = cpu; break }
                seen += 1
            }
            let destination = target(of: LogicalCPU(t), state)
            for icid in 0 ..< collectionTarget.count
            where collectionTarget.load(icid) == UInt32(dying) && perCollection[icid] > 0 {
                put(.MAPC(collection: ITSCollectionID(UInt16(icid)), target: destination, valid: true))
                collectionTarget.store(icid, UInt32(t))
                lpisPerCPU[t] += perCollection[icid]
                lpisPerCPU[dying] -= perCollection[icid]
                mapcsIssued.add()
                move.mapc += 1
            }
            put(.MOVALL(from: target(of: LogicalCPU(dying), state), to: destination))
            movallsIssued.add()
            move.movall += 1
            give[t] = lpis - take[t]
            take[t] = 0
            survivorCPU[t] = 1
        } else {
            give[dying] = lpis
        }
        distribute(give: give, take: take, &move, put)
        synchronise(survivorCPU, put)
    }

    /// The balanced online move: the fewest MOVIs that bring every online
    /// CPU's count within one of the others' (`LPIBalanceTarget`).
    private static func balancedOnline(online: CPUMask, _ move: inout LPIMove, _ put: (ITSOperation) -> Void) {
        // LPIs whose affinity was broken and has an online CPU again go
        // back inside it first, one MOVI each.
        tally()
        let receiving = receivingCPUs(online)
        var restored = 0
        for event in 0 ..< (requestedAffinities > 0 ? mappedEvents : 0) where affinityOf.load(event) != 0 {
            let mask = affinityMasks[Int(affinityOf.load(event))]
            guard !mask.contains(LogicalCPU(cpu(ofEvent: event))),
                  let to = leastLoaded(in: mask.intersection(receiving)) else { continue }
            moveOne(event, to: to, &move, put)
            restored += 1
        }
        let lpisPerCPU = perCPU(0)
        let cpus = primaryCollection.count
        var members: [Int] = []
        var counts: [Int] = []
        for cpu in 0 ..< cpus where receives(cpu, online) {
            members.append(cpu)
            counts.append(lpisPerCPU[cpu])
        }
        guard !counts.isEmpty else { return }
        let balance = LPIBalanceTarget(counts: counts)
        move.lowerBound = restored + balance.moves
        let give = perCPU(1)
        let take = perCPU(2)
        for cpu in 0 ..< cpus {
            give[cpu] = 0
            take[cpu] = 0
        }
        for (position, cpu) in members.enumerated() {
            give[cpu] = Swift.max(0, counts[position] - balance.caps[position])
            take[cpu] = Swift.max(0, balance.caps[position] - counts[position])
        }
        let marks = perCPU(3)
        for cpu in 0 ..< cpus { marks[cpu] = take[cpu] }
        distribute(give: give, take: take, &move, put)
        synchronise(marks, put)
    }

    /// The CPU of `cpus` with the fewest LPIs by the last `tally` (slot 0),
    /// lowest number on a tie; nil when `cpus` is empty.
    private static func leastLoaded(in cpus: CPUMask) -> Int? {
        var best: Int? = nil
        var cpu = cpus.first
        while let current = cpu {
            if best == nil || perCPU(0)[current.index] < perCPU(0)[best!] { best = current.index }
            cpu = cpus.next(after: current)
        }
        return best
    }

    /// What `setAffinity` did.
    enum AffinityResult {
        /// The LPI stays on (or moved with one MOVI to) this CPU.
        case routed(cpu: Int, moved: Bool)
        /// No CPU of the mask is online (or can receive LPIs); nothing changed.
        case noOnlineCPU
        /// Every slot for distinct LPI affinities is in use; nothing changed.
        case tooManyAffinities
        /// The ITS did not take the command.
        case failed
    }

    /// Requests `mask` for the LPI of `event`, as for SPIs: it stays where
    /// it is if that CPU is in the mask, and otherwise moves with one MOVI
    /// (and a SYNC) to the least loaded online CPU of the mask. On the
    /// controlling CPU (the console), never on an interrupt path.
    static func setAffinity(_ event: Int, to mask: CPUMask) -> AffinityResult {
        var result = AffinityResult.failed
        let done = submit { put in
            let receiving = receivingCPUs(CPUs.online)
            guard !mask.intersection(receiving).isEmpty else {
                result = .noOnlineCPU
                return
            }
            // The slot: the default, an equal mask, or one no LPI uses.
            var slot = -1
            if mask.intersection(affinityMasks[0]) == affinityMasks[0] { slot = 0 }
            for candidate in 1 ... affinitySlots where slot < 0 && affinityMasks[candidate] == mask { slot = candidate }
            if slot < 0 {
                var used = [Bool](repeating: false, count: affinitySlots + 1)
                for other in 0 ..< mappedEvents where other != event { used[Int(affinityOf.load(other))] = true }
                for candidate in 1 ... affinitySlots where slot < 0 && !used[candidate] { slot = candidate }
                guard slot > 0 else {
                    result = .tooManyAffinities
                    return
                }
                affinityMasks[slot] = mask
            }
            if (affinityOf.load(event) == 0) != (slot == 0) { requestedAffinities += slot == 0 ? -1 : 1 }
            affinityOf.store(event, UInt32(slot))
            let current = cpu(ofEvent: event)
            if mask.contains(LogicalCPU(current)) && receiving.contains(LogicalCPU(current)) {
                result = .routed(cpu: current, moved: false)
                return
            }
            tally()
            guard let to = leastLoaded(in: mask.intersection(receiving)), let state else { return }
            var move = LPIMove(cpu: to, up: false)
            moveOne(event, to: to, &move, put)
            put(.SYNC(target: target(of: LogicalCPU(to), state)))
            result = .routed(cpu: to, moved: true)
        }
        return done ? result : .failed
    }

    /// The requested affinity of the LPI of `event`.
    static func affinity(ofEvent event: Int) -> CPUMask {
        affinityMasks[Int(affinityOf.load(event))]
    }

    /// The seed policy offline: each of `dying`'s LPIs to the next online
    /// CPU of the round-robin cursor, one MOVI each.
    private static func seedOffline(_ dying: Int, online: CPUMask, _ move: inout LPIMove,
                                    _ put: (ITSOperation) -> Void) {
        tally()
        let marks = perCPU(3)
        for cpu in 0 ..< marks.count { marks[cpu] = 0 }
        for event in 0 ..< mappedEvents where cpu(ofEvent: event) == dying {
            guard let next = nextSeedCPU(online, within: affinity(ofEvent: event)) else { return }
            moveOne(event, to: next, &move, put)
            marks[next] = 1
        }
        synchronise(marks, put)
    }

    /// The seed policy online: every LPI re-spread round-robin over the
    /// online CPUs, a MOVI where its CPU changes.
    private static func seedOnline(online: CPUMask, _ move: inout LPIMove, _ put: (ITSOperation) -> Void) {
        tally()
        let marks = perCPU(3)
        for cpu in 0 ..< marks.count { marks[cpu] = 0 }
        for event in 0 ..< mappedEvents {
            guard let next = nextSeedCPU(online, within: affinity(ofEvent: event)) else { return }
            guard cpu(ofEvent: event) != next else { continue }
            moveOne(event, to: next, &move, put)
            marks[next] = 1
        }
        synchronise(marks, put)
    }

    /// The CPU after the seed cursor that can receive LPIs, cyclically,
    /// in `mask` when one of it can (else any); advances the cursor.
    private static func nextSeedCPU(_ online: CPUMask, within mask: CPUMask) -> Int? {
        let cpus = primaryCollection.count
        for pass in 0 ..< 2 {
            for step in 1 ... cpus {
                let cpu = (seedCursor + step) % cpus
                if receives(cpu, online) && (pass == 1 || mask.contains(LogicalCPU(cpu))) {
                    seedCursor = cpu
                    return cpu
                }
            }
        }
        return nil
    }

    /// One MOVI: `event`'s LPI into `cpu`'s primary collection; keeps the
    /// tally (LPIs per collection and per CPU) current.
    private static func moveOne(_ event: Int, to cpu: Int, _ move: inout LPIMove, _ put: (ITSOperation) -> Void) {
        let destination = UInt32(primaryCollection.load(cpu) - 1)
        let source = Int(collectionOf.load(event))
        // The tally's two first arrays, by pointer: this runs per LPI moved.
        let tally = moveScratch.baseAddress!
        let perCPUBase = collectionTarget.count
        tally[source] -= 1
        tally[Int(destination)] += 1
        tally[perCPUBase + Int(collectionTarget.load(source))] -= 1
        tally[perCPUBase + cpu] += 1
        put(.MOVI(device: kernelDevice, event: ITSEventID(UInt32(event)),
                  collection: ITSCollectionID(UInt16(destination))))
        collectionOf.store(event, destination)
        movisIssued.add()
        move.movi += 1
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
        if event < mappedEvents {
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

/// One hotplug event's LPI move: the CPU, the direction, the ITS commands
/// that moved LPIs, the fewest the balance rule allows (the pure core's
/// lower bound: `LPIOfflineCost.minimumMoveCommands` or
/// `LPIBalanceTarget.moves`; 0 under the seed policy, which has none) and
/// the counter ticks the move took, ITS waits included.
struct LPIMove {
    var cpu = -1
    var up = false
    var movi = 0
    var mapc = 0
    var movall = 0
    var lowerBound = 0
    /// Offline: the commands the per-LPI shape takes (one MOVI per LPI).
    var perLPI = 0
    var ticks: UInt64 = 0

    /// Move commands: MOVI, MAPC of a non-empty collection, MOVALL.
    var commands: Int { movi + mapc + movall }
}
