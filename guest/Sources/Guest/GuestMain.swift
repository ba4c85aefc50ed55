// The guest kernel: each vCPU turns on its GIC CPU interface, unmasks
// interrupts and waits for them; every interrupt it acknowledges is counted
// in the guest record (GuestRecord.h) and ended. Under the hypervisor the
// ICC_* registers reach the virtual CPU interface (IHI 0069 §6.3), so the
// acknowledge reads a list register's vINTID and the end of a hardware
// interrupt deactivates its physical INTID.

/// `ICC_SRE_EL1.SRE`, bit 0: the system-register interface is in use.
private let systemRegisterEnable: UInt64 = 1 << 0
/// `ICC_CTLR_EL1.EOImode`, bit 1: 0 means a write to `ICC_EOIR1_EL1` both
/// drops the running priority and deactivates the interrupt.
private let splitEOIMode: UInt64 = 1 << 1
/// `ICC_IAR1_EL1.INTID`, bits 23:0.
private let interruptIDMask: UInt64 = 0xFF_FFFF
/// INTIDs 1020-1023 are special (IHI 0069 §2.2.1): nothing to end.
private let firstSpecialIntid: UInt32 = 1020

/// Entered once per vCPU from guest/start.S, MMU on, on its own stack.
@_cdecl("guest_main")
func guestMain(vcpu: Int) -> Never {
    let record = GuestRecord()
    record.markStarted()
    guest_write_icc_sre(guest_read_icc_sre() | systemRegisterEnable)
    guest_isb()
    if guest_read_icc_sre() & systemRegisterEnable == 0 {
        record.recordFault(vcpu: vcpu, kind: UInt32(GUEST_FAULT_SRE), syndrome: 0, link: 0, address: 0)
        stop()
    }
    // Every priority unmasked, no preemption groups (one priority level
    // suffices: IRQs never nest), EOImode 0, group 1 on.
    guest_write_icc_pmr(0xFF)
    guest_write_icc_bpr1(0)
    guest_write_icc_ctlr(guest_read_icc_ctlr() & ~splitEOIMode)
    guest_write_icc_igrpen1(1)
    guest_isb()
    // Marked up before the unmask, which may take an interrupt at once
    // (one held would keep the marker from ever being written after it).
    record.markUp(vcpu: vcpu)
    guest_unmask_interrupts()
    stop()
}

/// An IRQ on `vcpu` (guest/vectors.S, interrupts masked): every pending
/// interrupt acknowledged, counted and ended, until the interface answers
/// spurious. The hold interrupt stays active until the hypervisor releases it.
@_cdecl("guest_irq_entry")
func guestIRQEntry(vcpu: Int) {
    let record = GuestRecord()
    while true {
        let intid = UInt32(truncatingIfNeeded: guest_read_icc_iar1() & interruptIDMask)
        if intid >= firstSpecialIntid && intid < UInt32(GUEST_COUNTED_INTIDS) {
            return
        }
        record.received(intid, vcpu: vcpu)
        if intid == record.holdIntid {
            record.hold(vcpu: vcpu)
            guest_write_icc_eoir1(UInt64(intid))
            guest_isb()
            record.endHold(vcpu: vcpu)
        } else {
            guest_write_icc_eoir1(UInt64(intid))
        }
    }
}

/// Any exception but an IRQ (guest/vectors.S): written into the record
/// (`kind` is the vector slot plus one), and the vCPU stops.
@_cdecl("guest_exception_entry")
func guestExceptionEntry(vcpu: Int, kind: UInt32, syndrome: UInt64, link: UInt64, address: UInt64) -> Never {
    GuestRecord().recordFault(vcpu: vcpu, kind: kind, syndrome: syndrome, link: link, address: address)
    stop()
}

/// Waits for interrupts forever (each one handled by `guestIRQEntry`).
private func stop() -> Never {
    while true {
        guest_wait_for_interrupt()
    }
}
