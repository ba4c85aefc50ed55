/// The guest record (`struct guest_record`, guest/GuestRecord.h): the memory
/// through which the guest tells the hypervisor what it received. Each
/// per-vCPU field is written only by its vCPU; stores that publish are
/// releases, so a hypervisor reading with acquire semantics sees a count
/// before the `last_intid` that follows it.
struct GuestRecord {
    /// The record, identity-mapped at its IPA.
    let base: UnsafeMutablePointer<guest_record>

    init() {
        base = UnsafeMutablePointer(bitPattern: UInt(GUEST_RECORD_ADDRESS))!
    }

    private func field<T>(_ offset: Int32, vcpu: Int, stride: Int) -> UnsafeMutablePointer<T> {
        (UnsafeMutableRawPointer(base) + Int(offset) + vcpu * stride).assumingMemoryBound(to: T.self)
    }

    /// Written by every vCPU as it starts (the same value).
    func markStarted() {
        guest_store_release(field(GUEST_RECORD_MAGIC_OFFSET, vcpu: 0, stride: 0), UInt32(GUEST_RECORD_MAGIC))
    }

    /// `vcpu` runs with its CPU interface on and its interrupts unmasked.
    func markUp(vcpu: Int) {
        guest_store_release(field(GUEST_RECORD_BOOT_MARKER_OFFSET, vcpu: vcpu, stride: 4), UInt32(GUEST_BOOT_MARKER))
    }

    /// `vcpu` acknowledged `intid`: its count, then `last_intid`.
    func received(_ intid: UInt32, vcpu: Int) {
        if intid < UInt32(GUEST_COUNTED_INTIDS) {
            let count: UnsafeMutablePointer<UInt32> =
                field(GUEST_RECORD_COUNTS_OFFSET, vcpu: vcpu * Int(GUEST_COUNTED_INTIDS) + Int(intid), stride: 4)
            guest_store_release(count, count.pointee &+ 1)
        } else {
            let uncounted: UnsafeMutablePointer<UInt32> = field(GUEST_RECORD_UNCOUNTED_OFFSET, vcpu: vcpu, stride: 4)
            guest_store_release(uncounted, uncounted.pointee &+ 1)
        }
        guest_store_release(field(GUEST_RECORD_LAST_INTID_OFFSET, vcpu: vcpu, stride: 4), intid)
    }

    /// The INTID the hypervisor asks the guest to hold active, if any.
    var holdIntid: UInt32? {
        let intid = guest_load_acquire(field(GUEST_RECORD_HOLD_INTID_OFFSET, vcpu: 0, stride: 0))
        return intid == UInt32(GUEST_HOLD_NONE) ? nil : intid
    }

    /// Sets `holding[vcpu]`, waits for the hypervisor's `hold_release`,
    /// consumes it. The interrupt stays active (and this vCPU's interrupts
    /// masked) all the while; the caller deactivates it after, then calls
    /// `endHold`.
    func hold(vcpu: Int) {
        guest_store_release(field(GUEST_RECORD_HOLDING_OFFSET, vcpu: vcpu, stride: 4), 1)
        let release: UnsafeMutablePointer<UInt32> = field(GUEST_RECORD_HOLD_RELEASE_OFFSET, vcpu: 0, stride: 0)
        while guest_load_acquire(release) == 0 {
            guest_spin_pause()
        }
        guest_store_release(release, 0)
    }

    /// The held interrupt has been deactivated.
    func endHold(vcpu: Int) {
        guest_store_release(field(GUEST_RECORD_HOLDING_OFFSET, vcpu: vcpu, stride: 4), 0)
    }

    /// Why `vcpu` stopped (`fault_kind`, with the syndrome registers).
    func recordFault(vcpu: Int, kind: UInt32, syndrome: UInt64, link: UInt64, address: UInt64) {
        guest_store_release64(field(GUEST_RECORD_FAULT_ESR_OFFSET, vcpu: vcpu, stride: 8), syndrome)
        guest_store_release64(field(GUEST_RECORD_FAULT_ELR_OFFSET, vcpu: vcpu, stride: 8), link)
        guest_store_release64(field(GUEST_RECORD_FAULT_FAR_OFFSET, vcpu: vcpu, stride: 8), address)
        guest_store_release(field(GUEST_RECORD_FAULT_KIND_OFFSET, vcpu: vcpu, stride: 4), kind)
    }
}
