/*
 * AArch64 instructions that Swift cannot express: system-register access,
 * barriers, wait-for-interrupt, and the conduits into firmware (HVC/SMC for
 * PSCI, HLT #0xF000 for semihosting). Imported into the kernel module as its
 * bridging header; each function is a single instruction or two.
 *
 * One compile-time switch picks the exception level the kernel runs at:
 * without KERNEL_AT_EL2 (make EL=1) it runs at EL1 (boot/start.S leaves EL2
 * when entered there); with it (make EL=2, the hypervisor image) it stays
 * at EL2. The accessors below keep their names either way and read or
 * write the register of the kernel's own level (ARCH_KERNEL_REGISTER): the
 * Swift kernel calls arch_read_esr() and gets ESR_EL1 or ESR_EL2.
 */
#ifndef KERNEL_AARCH64_H
#define KERNEL_AARCH64_H

#include <stdint.h>
#include <stddef.h>

#include "AssemblyLayout.h"

#define ARCH_READ_REGISTER(name, reg)                                       \
    static inline uint64_t arch_read_##name(void)                           \
    {                                                                       \
        uint64_t value;                                                     \
        __asm__ volatile("mrs %0, " #reg : "=r"(value) :: "memory");        \
        return value;                                                       \
    }

#define ARCH_WRITE_REGISTER(name, reg)                                      \
    static inline void arch_write_##name(uint64_t value)                    \
    {                                                                       \
        __asm__ volatile("msr " #reg ", %0" :: "r"(value) : "memory");      \
    }

/* The kernel's own level's copy of a banked register: NAME_el1 or NAME_el2. */
#ifdef KERNEL_AT_EL2
#define ARCH_KERNEL_REGISTER(name) name##_el2
#define ARCH_KERNEL_LEVEL 2
#else
#define ARCH_KERNEL_REGISTER(name) name##_el1
#define ARCH_KERNEL_LEVEL 1
#endif
#define ARCH_STRINGIFY(x) ARCH_STRINGIFY_(x)
#define ARCH_STRINGIFY_(x) #x
#define ARCH_READ_KERNEL_REGISTER(name, reg)                                \
    static inline uint64_t arch_read_##name(void)                           \
    {                                                                       \
        uint64_t value;                                                     \
        __asm__ volatile("mrs %0, " ARCH_STRINGIFY(ARCH_KERNEL_REGISTER(reg)) : "=r"(value) :: "memory"); \
        return value;                                                       \
    }
#define ARCH_WRITE_KERNEL_REGISTER(name, reg)                               \
    static inline void arch_write_##name(uint64_t value)                    \
    {                                                                       \
        __asm__ volatile("msr " ARCH_STRINGIFY(ARCH_KERNEL_REGISTER(reg)) ", %0" :: "r"(value) : "memory"); \
    }

/* The exception level the kernel runs at: 1, or 2 in the hypervisor image. */
static inline uint64_t arch_kernel_level(void) { return ARCH_KERNEL_LEVEL; }

ARCH_READ_REGISTER(mpidr, mpidr_el1)
/* Cache Type Register: DminLine (bits 19:16), log2 of the smallest data-cache
 * line in words, for cleaning by virtual address. */
ARCH_READ_REGISTER(cache_type, ctr_el0)
ARCH_READ_REGISTER(current_el, CurrentEL)
ARCH_READ_REGISTER(daif, daif)
ARCH_WRITE_REGISTER(daif, daif)
ARCH_READ_KERNEL_REGISTER(tpidr, tpidr)
ARCH_WRITE_KERNEL_REGISTER(tpidr, tpidr)
ARCH_READ_KERNEL_REGISTER(esr, esr)
ARCH_READ_KERNEL_REGISTER(far, far)
ARCH_READ_KERNEL_REGISTER(sctlr, sctlr)
ARCH_READ_REGISTER(counter, cntvct_el0)
ARCH_READ_REGISTER(counter_frequency, cntfrq_el0)
ARCH_READ_REGISTER(id_aa64mmfr0, id_aa64mmfr0_el1)

/* Generic timer (Arm ARM D11): the physical count, and the comparators of
 * the EL1 physical timer (CNTP_*, usable from EL1 and EL2) and of the EL2
 * physical timer (CNTHP_*, EL2 only). GenericTimer.swift picks one. */
ARCH_READ_REGISTER(physical_counter, cntpct_el0)
ARCH_WRITE_REGISTER(el1_physical_timer_compare, cntp_cval_el0)
ARCH_WRITE_REGISTER(el1_physical_timer_control, cntp_ctl_el0)
ARCH_WRITE_REGISTER(el2_physical_timer_compare, cnthp_cval_el2)
ARCH_WRITE_REGISTER(el2_physical_timer_control, cnthp_ctl_el2)
ARCH_READ_REGISTER(el1_physical_timer_control, cntp_ctl_el0)
ARCH_READ_REGISTER(el2_physical_timer_control, cnthp_ctl_el2)

/* GIC CPU interface, system-register form (IHI 0069 §12.2). */
ARCH_READ_REGISTER(icc_sre, icc_sre_el1)
ARCH_WRITE_REGISTER(icc_sre, icc_sre_el1)
ARCH_WRITE_REGISTER(icc_pmr, icc_pmr_el1)
ARCH_READ_REGISTER(icc_pmr, icc_pmr_el1)
ARCH_READ_REGISTER(icc_bpr1, icc_bpr1_el1)
ARCH_WRITE_REGISTER(icc_bpr1, icc_bpr1_el1)
ARCH_READ_REGISTER(icc_ctlr, icc_ctlr_el1)
ARCH_WRITE_REGISTER(icc_ctlr, icc_ctlr_el1)
ARCH_READ_REGISTER(icc_igrpen1, icc_igrpen1_el1)
ARCH_WRITE_REGISTER(icc_igrpen1, icc_igrpen1_el1)
ARCH_READ_REGISTER(icc_iar1, icc_iar1_el1)
ARCH_WRITE_REGISTER(icc_eoir1, icc_eoir1_el1)
/* Deactivation on its own, for EOImode 1 (IHI 0069, ICC_DIR_EL1). */
ARCH_WRITE_REGISTER(icc_dir, icc_dir_el1)
ARCH_WRITE_REGISTER(icc_sgi1r, icc_sgi1r_el1)
/* The event stream's control: CNTKCTL_EL1 at EL1, CNTHCTL_EL2 at EL2 (with
 * HCR_EL2.E2H clear, EVNTEN, EVNTDIR and EVNTI sit at the same bits). */
#ifdef KERNEL_AT_EL2
ARCH_WRITE_REGISTER(counter_control, cnthctl_el2)
ARCH_READ_REGISTER(counter_control, cnthctl_el2)
#else
ARCH_WRITE_REGISTER(counter_control, cntkctl_el1)
ARCH_READ_REGISTER(counter_control, cntkctl_el1)
#endif
/* Per-CPU scratch register kept for the PSCI call marker (PSCIFirmware). */
ARCH_READ_REGISTER(firmware_call_marker, tpidrro_el0)
ARCH_WRITE_REGISTER(firmware_call_marker, tpidrro_el0)

/* Translation regime (Arm ARM D8): MAIR, TCR and SCTLR are the boot stub's
 * (AssemblyLayout.h); the kernel only moves TTBR0 to the final map. */
ARCH_WRITE_KERNEL_REGISTER(ttbr0, ttbr0)

/* Clean one data-cache line to the point of coherency: for data a CPU reads
 * with its MMU (and so its caches) still off. */
static inline void arch_clean_data_cache_line(const void *address)
{
    __asm__ volatile("dc cvac, %0" :: "r"(address) : "memory");
}

/* This CPU's stage-1 TLB entries of the kernel's regime (TLBI VMALLE1 at
 * EL1, TLBI ALLE2 at EL2; not broadcast: every CPU switches maps for
 * itself), then DSB and ISB so the next access uses the new translation. */
static inline void arch_invalidate_tlb_all(void)
{
#ifdef KERNEL_AT_EL2
    __asm__ volatile("dsb ishst\n tlbi alle2\n dsb nsh\n isb" ::: "memory");
#else
    __asm__ volatile("dsb ishst\n tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
#endif
}

static inline void arch_mask_interrupts(void) { __asm__ volatile("msr daifset, #3" ::: "memory"); }
static inline void arch_unmask_interrupts(void) { __asm__ volatile("msr daifclr, #3" ::: "memory"); }
static inline void arch_isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void arch_dsb_sy(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void arch_dsb_ish(void) { __asm__ volatile("dsb ish" ::: "memory"); }
static inline void arch_dsb_ishst(void) { __asm__ volatile("dsb ishst" ::: "memory"); }
static inline void arch_wait_for_interrupt(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void arch_wait_for_event(void) { __asm__ volatile("wfe" ::: "memory"); }
static inline void arch_send_event(void) { __asm__ volatile("sev" ::: "memory"); }
static inline void arch_yield(void) { __asm__ volatile("yield" ::: "memory"); }

/*
 * SMC Calling Convention (Arm DEN 0028) call with three arguments; the
 * result comes back in x0. x0-x17 may be clobbered by the firmware.
 */
#define ARCH_FIRMWARE_CALL(name, instruction)                                \
    static inline uint64_t name(uint64_t function, uint64_t a1, uint64_t a2, uint64_t a3) \
    {                                                                        \
        register uint64_t x0 __asm__("x0") = function;                       \
        register uint64_t x1 __asm__("x1") = a1;                             \
        register uint64_t x2 __asm__("x2") = a2;                             \
        register uint64_t x3 __asm__("x3") = a3;                             \
        __asm__ volatile(instruction                                         \
                         : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)            \
                         :                                                   \
                         : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", \
                           "x12", "x13", "x14", "x15", "x16", "x17", "memory"); \
        return x0;                                                           \
    }
ARCH_FIRMWARE_CALL(arch_hvc_call, "hvc #0")
ARCH_FIRMWARE_CALL(arch_smc_call, "smc #0")

#ifdef KERNEL_AT_EL2
/*
 * The hypervisor's side of a guest (Arm ARM D1, D8; IHI 0069 §12.4), and
 * the guest contract: where a guest lives and its record (guest/).
 */
#include "GuestRecord.h"

/* A vCPU's EL1 (and EL0) system registers: what a guest kernel owns and a
 * world switch must save when the vCPU leaves a PE and load when it runs. */
struct guest_system_registers {
    uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar;
    uint64_t elr, spsr, sp_el1, sp_el0, tpidr_el0, tpidr_el1, tpidrro_el0;
    uint64_t esr, far, afsr0, afsr1, par, contextidr, cpacr, csselr;
    uint64_t cntkctl, cntv_ctl, cntv_cval;
};

#define ARCH_GUEST_REGISTERS(apply)                                         \
    apply(sctlr, sctlr_el1) apply(ttbr0, ttbr0_el1) apply(ttbr1, ttbr1_el1) \
    apply(tcr, tcr_el1) apply(mair, mair_el1) apply(amair, amair_el1)       \
    apply(vbar, vbar_el1) apply(elr, elr_el1) apply(spsr, spsr_el1)         \
    apply(sp_el1, sp_el1) apply(sp_el0, sp_el0) apply(tpidr_el0, tpidr_el0) \
    apply(tpidr_el1, tpidr_el1) apply(tpidrro_el0, tpidrro_el0)             \
    apply(esr, esr_el1) apply(far, far_el1) apply(afsr0, afsr0_el1)         \
    apply(afsr1, afsr1_el1) apply(par, par_el1)                             \
    apply(contextidr, contextidr_el1) apply(cpacr, cpacr_el1)               \
    apply(csselr, csselr_el1) apply(cntkctl, cntkctl_el1)                   \
    apply(cntv_cval, cntv_cval_el0)
#define ARCH_SAVE_ONE(field, reg) __asm__ volatile("mrs %0, " #reg : "=r"(state->field) :: "memory");
#define ARCH_LOAD_ONE(field, reg) __asm__ volatile("msr " #reg ", %0" :: "r"(state->field) : "memory");

/* Saves the EL1 state of the vCPU that just left this PE. Its virtual timer
 * is then stopped (CNTV_CTL_EL0 = 0, as Xen and KVM do), so that it cannot
 * fire at EL2 while the vCPU is away; CNTV_CTL is saved first. TPIDRRO_EL0
 * goes back to the hypervisor's value: 0, no firmware call under way
 * (PSCIFirmware's marker). */
static inline void arch_save_guest_system_registers(struct guest_system_registers *state)
{
    __asm__ volatile("mrs %0, cntv_ctl_el0" : "=r"(state->cntv_ctl) :: "memory");
    __asm__ volatile("msr cntv_ctl_el0, xzr\n isb" ::: "memory");
    ARCH_GUEST_REGISTERS(ARCH_SAVE_ONE)
    __asm__ volatile("msr tpidrro_el0, xzr" ::: "memory");
}

/* Loads a vCPU's EL1 state onto this PE before it runs; the timer's control
 * last, once its compare value is in place. An ISB is owed before the ERET
 * (the ERET itself is a context synchronisation event). */
static inline void arch_load_guest_system_registers(const struct guest_system_registers *state)
{
    ARCH_GUEST_REGISTERS(ARCH_LOAD_ONE)
    __asm__ volatile("msr cntv_ctl_el0, %0" :: "r"(state->cntv_ctl) : "memory");
}

/* Runs the vCPU in `frame` until it exits; returns GUEST_EXIT_* (boot/guest-entry.S). */
extern uint64_t arch_enter_guest(struct guest_frame *frame);

ARCH_READ_REGISTER(hcr, hcr_el2)
ARCH_WRITE_REGISTER(hcr, hcr_el2)
ARCH_WRITE_REGISTER(vttbr, vttbr_el2)
ARCH_WRITE_REGISTER(vtcr, vtcr_el2)
ARCH_WRITE_REGISTER(vmpidr, vmpidr_el2)
ARCH_READ_REGISTER(vmpidr, vmpidr_el2)

/* The virtual CPU interface's EL2 registers (IHI 0069 §12.5). */
ARCH_READ_REGISTER(ich_vtr, ich_vtr_el2)
ARCH_READ_REGISTER(ich_hcr, ich_hcr_el2)
ARCH_WRITE_REGISTER(ich_hcr, ich_hcr_el2)
ARCH_READ_REGISTER(ich_vmcr, ich_vmcr_el2)
ARCH_WRITE_REGISTER(ich_vmcr, ich_vmcr_el2)
ARCH_READ_REGISTER(ich_elrsr, ich_elrsr_el2)
ARCH_READ_REGISTER(ich_eisr, ich_eisr_el2)
ARCH_READ_REGISTER(ich_misr, ich_misr_el2)

/* ICH_LR<n>_EL2 and ICH_AP1R<n>_EL2 by number: the register is encoded in
 * the instruction, so one case per register. n must be implemented
 * (ICH_VTR_EL2): an access to another is UNDEFINED. */
#define ARCH_LR_CASE(n) case n: __asm__ volatile("mrs %0, ich_lr" #n "_el2" : "=r"(value) :: "memory"); break;
#define ARCH_LR_WRITE_CASE(n) case n: __asm__ volatile("msr ich_lr" #n "_el2, %0" :: "r"(value) : "memory"); break;
static inline uint64_t arch_read_ich_lr(uint64_t n)
{
    uint64_t value = 0;
    switch (n) {
    ARCH_LR_CASE(0) ARCH_LR_CASE(1) ARCH_LR_CASE(2) ARCH_LR_CASE(3)
    ARCH_LR_CASE(4) ARCH_LR_CASE(5) ARCH_LR_CASE(6) ARCH_LR_CASE(7)
    ARCH_LR_CASE(8) ARCH_LR_CASE(9) ARCH_LR_CASE(10) ARCH_LR_CASE(11)
    ARCH_LR_CASE(12) ARCH_LR_CASE(13) ARCH_LR_CASE(14) ARCH_LR_CASE(15)
    }
    return value;
}
static inline void arch_write_ich_lr(uint64_t n, uint64_t value)
{
    switch (n) {
    ARCH_LR_WRITE_CASE(0) ARCH_LR_WRITE_CASE(1) ARCH_LR_WRITE_CASE(2) ARCH_LR_WRITE_CASE(3)
    ARCH_LR_WRITE_CASE(4) ARCH_LR_WRITE_CASE(5) ARCH_LR_WRITE_CASE(6) ARCH_LR_WRITE_CASE(7)
    ARCH_LR_WRITE_CASE(8) ARCH_LR_WRITE_CASE(9) ARCH_LR_WRITE_CASE(10) ARCH_LR_WRITE_CASE(11)
    ARCH_LR_WRITE_CASE(12) ARCH_LR_WRITE_CASE(13) ARCH_LR_WRITE_CASE(14) ARCH_LR_WRITE_CASE(15)
    }
}
#define ARCH_AP1R_CASE(n) case n: __asm__ volatile("mrs %0, ich_ap1r" #n "_el2" : "=r"(value) :: "memory"); break;
#define ARCH_AP1R_WRITE_CASE(n) case n: __asm__ volatile("msr ich_ap1r" #n "_el2, %0" :: "r"(value) : "memory"); break;
static inline uint64_t arch_read_ich_ap1r(uint64_t n)
{
    uint64_t value = 0;
    switch (n) { ARCH_AP1R_CASE(0) ARCH_AP1R_CASE(1) ARCH_AP1R_CASE(2) ARCH_AP1R_CASE(3) }
    return value;
}
static inline void arch_write_ich_ap1r(uint64_t n, uint64_t value)
{
    switch (n) { ARCH_AP1R_WRITE_CASE(0) ARCH_AP1R_WRITE_CASE(1) ARCH_AP1R_WRITE_CASE(2) ARCH_AP1R_WRITE_CASE(3) }
}

/* The guest kernel's image (guest/guest-image.S), as addresses. */
extern char guest_image_start[], guest_image_end[];
static inline uint64_t linker_guest_image_start(void) { return (uint64_t)(uintptr_t)guest_image_start; }
static inline uint64_t linker_guest_image_end(void) { return (uint64_t)(uintptr_t)guest_image_end; }

/* A 32-bit load-acquire (LDAR) from any address: what a guest publishes
 * with a release store, read in order and never hoisted out of a loop. */
static inline uint32_t arch_load_acquire32(uint64_t address)
{
    uint32_t value;
    __asm__ volatile("ldar %w0, [%1]" : "=r"(value) : "r"(address) : "memory");
    return value;
}

/* A 32-bit store-release (STLR): published to a guest in order. */
static inline void arch_store_release32(uint64_t address, uint32_t value)
{
    __asm__ volatile("stlr %w1, [%0]" :: "r"(address), "r"(value) : "memory");
}

/* Every instruction cache of the inner shareable domain, to the point of
 * unification (code written as data, e.g. a guest image), then DSB and ISB. */
static inline void arch_invalidate_instruction_caches(void)
{
    __asm__ volatile("ic ialluis\n dsb ish\n isb" ::: "memory");
}

/* Stage-2 TLB entries of the current VMID on every PE of the inner
 * shareable domain (after a VTTBR's tables change), then DSB and ISB. */
static inline void arch_invalidate_guest_tlb(void)
{
    __asm__ volatile("dsb ishst\n tlbi vmalls12e1is\n dsb ish\n isb" ::: "memory");
}
#endif

/* Semihosting (Arm IHI 0060): operation in w0, parameter block in x1. */
static inline uint64_t arch_semihosting_call(uint64_t operation, const void *parameters)
{
    register uint64_t x0 __asm__("x0") = operation;
    register const void *x1 __asm__("x1") = parameters;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

/* Symbols from boot/ and linker/image.ld, as addresses (Swift cannot name
 * an array of unknown size). */
extern char __ram_start[], __image_start[], __image_end[];
extern char __cpu_stacks_start[], __heap_start[], __heap_end[];
static inline uint64_t linker_ram_start(void) { return (uint64_t)(uintptr_t)__ram_start; }
static inline uint64_t linker_image_start(void) { return (uint64_t)(uintptr_t)__image_start; }
static inline uint64_t linker_image_end(void) { return (uint64_t)(uintptr_t)__image_end; }
static inline uint64_t linker_cpu_stacks_start(void) { return (uint64_t)(uintptr_t)__cpu_stacks_start; }
static inline uint64_t linker_heap_size(void) { return (uint64_t)(__heap_end - __heap_start); }
extern void secondary_entry(uint64_t context);
extern _Noreturn void semihosting_exit(uint32_t status);
extern size_t heap_bytes_reserved(void);

/* A load the compiler cannot drop or move, from any address: a deliberate data abort. */
static inline uint64_t arch_read_unmapped(uint64_t address)
{
    uint64_t value;
    __asm__ volatile("ldr %0, [%1]" : "=r"(value) : "r"(address) : "memory");
    return value;
}

static inline uint64_t arch_address_of_secondary_entry(void)
{
    return (uint64_t)(uintptr_t)&secondary_entry;
}

#endif
