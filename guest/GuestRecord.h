/*
 * The contract between the guest kernel (guest/) and the hypervisor that runs
 * it: where the guest lives in its intermediate physical address space, how
 * it is entered, and the "guest record", the memory through which the guest
 * reports what it received. Included by the guest's assembly and Swift and by
 * the hypervisor; the record's offsets are checked by the compiler below.
 *
 * Entry: every vCPU enters at GUEST_ENTRY_ADDRESS at EL1h with its MMU off,
 * DAIF masked and x0 = 0, and takes its index from MPIDR_EL1.Aff0 (the
 * hypervisor sets VMPIDR_EL2 so that vCPU n reads Aff0 = n). The image has
 * been written into guest RAM by the hypervisor and cleaned to the point of
 * coherency, and the record zeroed and cleaned likewise: the guest's first
 * instruction fetches and its table walk before the MMU is on bypass the
 * caches (Arm ARM D7.5.9, "Data and unified caches").
 *
 * Guest RAM (IPA, identity-mapped by the guest as Normal write-back memory):
 *   0x4000_0000  the image (at most 1 MiB), its own translation tables inside
 *   0x4010_0000  the guest record (struct guest_record, below)
 *   0x4018_0000  the vCPU stacks, GUEST_STACK_SIZE each, vCPU n's at
 *                GUEST_STACKS_BASE + n * GUEST_STACK_SIZE
 *   0x4020_0000  end of guest RAM
 *
 * The guest touches no device: it uses only the GIC CPU interface through
 * the ICC_* system registers, which HCR_EL2.IMO/FMO redirect to the virtual
 * CPU interface (IHI 0069 §6.3). It uses no FP/SIMD register.
 */
#ifndef GUEST_RECORD_H
#define GUEST_RECORD_H

#define GUEST_RAM_BASE              0x40000000
#define GUEST_RAM_SIZE              0x200000
#define GUEST_ENTRY_ADDRESS         GUEST_RAM_BASE
#define GUEST_IMAGE_LIMIT           0x100000
#define GUEST_RECORD_ADDRESS        0x40100000
#define GUEST_STACKS_BASE           0x40180000
#define GUEST_STACK_SIZE            0x10000

/* vCPUs a guest can have (the record's per-vCPU arrays) and the vINTIDs it
 * counts (SGIs, PPIs and SPIs of the GIC's first 1020 INTIDs). */
#define GUEST_MAX_VCPUS             8
#define GUEST_COUNTED_INTIDS        1024

/* "GUST": written by each vCPU as it starts. */
#define GUEST_RECORD_MAGIC          0x54535547
/* boot_marker[n] once vCPU n has its CPU interface on; written just before it unmasks IRQs. */
#define GUEST_BOOT_MARKER           0x55500001
/* hold_intid's value when no interrupt is to be held (INTID 0 is an SGI,
 * never injected as a hold). */
#define GUEST_HOLD_NONE             0
/* ICC_IAR1_EL1 (ICV_IAR1_EL1) when nothing is pending. */
#define GUEST_SPURIOUS_INTID        1023

/*
 * fault_kind[n]: why vCPU n stopped, 0 while it runs. 1-16 are the EL1
 * vector slots plus one (Arm ARM D1.10.2: slot = 4 * group + kind, groups
 * current EL with SP_EL0, current EL with SP_ELx, lower EL AArch64, lower EL
 * AArch32; kinds synchronous, IRQ, FIQ, SError), with ESR/ELR/FAR_EL1 beside
 * it; GUEST_FAULT_SRE when ICC_SRE_EL1.SRE read back 0 (no system-register
 * interface: nothing else the guest does could work).
 */
#define GUEST_FAULT_SRE             0x100

/* Offsets of struct guest_record, for the assembly. */
#define GUEST_RECORD_MAGIC_OFFSET        0x000
#define GUEST_RECORD_HOLD_INTID_OFFSET   0x004
#define GUEST_RECORD_HOLD_RELEASE_OFFSET 0x008
#define GUEST_RECORD_REJECTED_MPIDR      0x010
#define GUEST_RECORD_BOOT_MARKER_OFFSET  0x020
#define GUEST_RECORD_LAST_INTID_OFFSET   0x040
#define GUEST_RECORD_HOLDING_OFFSET      0x060
#define GUEST_RECORD_UNCOUNTED_OFFSET    0x080
#define GUEST_RECORD_FAULT_KIND_OFFSET   0x0a0
#define GUEST_RECORD_FAULT_ESR_OFFSET    0x0c0
#define GUEST_RECORD_FAULT_ELR_OFFSET    0x100
#define GUEST_RECORD_FAULT_FAR_OFFSET    0x140
#define GUEST_RECORD_COUNTS_OFFSET       0x1000
#define GUEST_RECORD_SIZE                (0x1000 + GUEST_MAX_VCPUS * GUEST_COUNTED_INTIDS * 4)

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

/*
 * The guest record at GUEST_RECORD_ADDRESS. Each per-vCPU field is written
 * only by that vCPU; the hypervisor writes only hold_intid and hold_release
 * (and zeroes the whole record before the first entry), and reads the rest
 * with the accessors below. The guest stores
 * with release semantics after the data they publish (a count before
 * last_intid, a vCPU's set-up before its boot marker), so a hypervisor
 * reading with acquire semantics sees them in that order.
 */
struct guest_record {
    uint32_t magic;                             /* GUEST_RECORD_MAGIC */
    /*
     * The hold: when a vCPU acknowledges hold_intid it counts it, sets
     * holding[n] to 1 and keeps it active (no EOIR), spinning with its
     * interrupts masked until hold_release is non-zero; then it clears
     * hold_release, writes ICC_EOIR1_EL1 (deactivating it: EOImode 0) and
     * clears holding[n]. hold_intid stays armed for the next time.
     */
    uint32_t hold_intid;
    uint32_t hold_release;
    uint32_t reserved0;
    uint64_t rejected_mpidr;                    /* MPIDR_EL1 of a vCPU whose Aff0 is not below GUEST_MAX_VCPUS */
    uint64_t reserved1;
    uint32_t boot_marker[GUEST_MAX_VCPUS];      /* GUEST_BOOT_MARKER once up */
    uint32_t last_intid[GUEST_MAX_VCPUS];       /* the INTID vCPU n last acknowledged */
    uint32_t holding[GUEST_MAX_VCPUS];          /* 1 while vCPU n holds hold_intid active */
    uint32_t uncounted[GUEST_MAX_VCPUS];        /* acknowledged INTIDs at or above GUEST_COUNTED_INTIDS */
    uint32_t fault_kind[GUEST_MAX_VCPUS];       /* 0, a vector slot + 1, or GUEST_FAULT_SRE */
    uint64_t fault_esr[GUEST_MAX_VCPUS];
    uint64_t fault_elr[GUEST_MAX_VCPUS];
    uint64_t fault_far[GUEST_MAX_VCPUS];
    uint8_t reserved2[GUEST_RECORD_COUNTS_OFFSET - GUEST_RECORD_FAULT_FAR_OFFSET - 8 * GUEST_MAX_VCPUS];
    /* counts[n][intid]: how many times vCPU n acknowledged intid. */
    uint32_t counts[GUEST_MAX_VCPUS][GUEST_COUNTED_INTIDS];
};

_Static_assert(offsetof(struct guest_record, magic) == GUEST_RECORD_MAGIC_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, hold_intid) == GUEST_RECORD_HOLD_INTID_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, hold_release) == GUEST_RECORD_HOLD_RELEASE_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, rejected_mpidr) == GUEST_RECORD_REJECTED_MPIDR, "guest record layout");
_Static_assert(offsetof(struct guest_record, boot_marker) == GUEST_RECORD_BOOT_MARKER_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, last_intid) == GUEST_RECORD_LAST_INTID_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, holding) == GUEST_RECORD_HOLDING_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, uncounted) == GUEST_RECORD_UNCOUNTED_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, fault_kind) == GUEST_RECORD_FAULT_KIND_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, fault_esr) == GUEST_RECORD_FAULT_ESR_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, fault_elr) == GUEST_RECORD_FAULT_ELR_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, fault_far) == GUEST_RECORD_FAULT_FAR_OFFSET, "guest record layout");
_Static_assert(offsetof(struct guest_record, counts) == GUEST_RECORD_COUNTS_OFFSET, "guest record layout");
_Static_assert(sizeof(struct guest_record) == GUEST_RECORD_SIZE, "guest record layout");
_Static_assert(GUEST_RECORD_ADDRESS + GUEST_RECORD_SIZE <= GUEST_STACKS_BASE, "the record overlaps the stacks");
_Static_assert(GUEST_STACKS_BASE + GUEST_MAX_VCPUS * GUEST_STACK_SIZE <= GUEST_RAM_BASE + GUEST_RAM_SIZE,
               "the stacks lie beyond guest RAM");

/*
 * The hypervisor's side, through its own mapping of the record (Normal
 * write-back, like the guest's, so no cache maintenance is needed between
 * them). Loads acquire, stores release: the other side's ordering above.
 */
static inline uint32_t guest_record_count(const struct guest_record *record, unsigned vcpu, unsigned intid)
{
    return __atomic_load_n(&record->counts[vcpu][intid], __ATOMIC_ACQUIRE);
}

static inline int guest_record_is_up(const struct guest_record *record, unsigned vcpu)
{
    return __atomic_load_n(&record->boot_marker[vcpu], __ATOMIC_ACQUIRE) == GUEST_BOOT_MARKER;
}

static inline uint32_t guest_record_last_intid(const struct guest_record *record, unsigned vcpu)
{
    return __atomic_load_n(&record->last_intid[vcpu], __ATOMIC_ACQUIRE);
}

static inline int guest_record_is_holding(const struct guest_record *record, unsigned vcpu)
{
    return __atomic_load_n(&record->holding[vcpu], __ATOMIC_ACQUIRE) != 0;
}

static inline uint32_t guest_record_fault_kind(const struct guest_record *record, unsigned vcpu)
{
    return __atomic_load_n(&record->fault_kind[vcpu], __ATOMIC_ACQUIRE);
}

/* Arms (or, with GUEST_HOLD_NONE, disarms) the hold for the next time a
 * vCPU acknowledges `intid`. */
static inline void guest_record_set_hold(struct guest_record *record, uint32_t intid)
{
    __atomic_store_n(&record->hold_intid, intid, __ATOMIC_RELEASE);
}

/* Lets the vCPU holding the hold interrupt end it. */
static inline void guest_record_release_hold(struct guest_record *record)
{
    __atomic_store_n(&record->hold_release, 1, __ATOMIC_RELEASE);
}
#endif

#endif
