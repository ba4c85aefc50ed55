/*
 * AArch64 instructions that Swift cannot express: system-register access,
 * barriers, wait-for-interrupt, and the conduits into firmware (HVC/SMC for
 * PSCI, HLT #0xF000 for semihosting). Imported into the kernel module as its
 * bridging header; each function is a single instruction or two.
 *
 * The image runs at EL1 on every CPU (boot/start.S leaves EL2 when entered
 * there), so only EL1 and EL0-accessible registers appear here.
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

ARCH_READ_REGISTER(mpidr, mpidr_el1)
/* Cache Type Register: DminLine (bits 19:16), log2 of the smallest data-cache
 * line in words, for cleaning by virtual address. */
ARCH_READ_REGISTER(cache_type, ctr_el0)
ARCH_READ_REGISTER(current_el, CurrentEL)
ARCH_READ_REGISTER(daif, daif)
ARCH_WRITE_REGISTER(daif, daif)
ARCH_READ_REGISTER(tpidr, tpidr_el1)
ARCH_WRITE_REGISTER(tpidr, tpidr_el1)
ARCH_READ_REGISTER(esr, esr_el1)
ARCH_READ_REGISTER(far, far_el1)
ARCH_READ_REGISTER(sctlr, sctlr_el1)
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
ARCH_WRITE_REGISTER(icc_sgi1r, icc_sgi1r_el1)
ARCH_WRITE_REGISTER(counter_control, cntkctl_el1)
ARCH_READ_REGISTER(counter_control, cntkctl_el1)
/* Per-CPU scratch register kept for the PSCI call marker (PSCIFirmware). */
ARCH_READ_REGISTER(firmware_call_marker, tpidrro_el0)
ARCH_WRITE_REGISTER(firmware_call_marker, tpidrro_el0)

/* Translation regime (Arm ARM D8): MAIR, TCR and SCTLR are the boot stub's
 * (AssemblyLayout.h); the kernel only moves TTBR0 to the final map. */
ARCH_WRITE_REGISTER(ttbr0, ttbr0_el1)

/* Clean one data-cache line to the point of coherency: for data a CPU reads
 * with its MMU (and so its caches) still off. */
static inline void arch_clean_data_cache_line(const void *address)
{
    __asm__ volatile("dc cvac, %0" :: "r"(address) : "memory");
}

/* This CPU's stage-1 EL1 TLB entries (TLBI VMALLE1, not broadcast: every
 * CPU switches maps for itself), then DSB and ISB so the next access uses
 * the new translation. */
static inline void arch_invalidate_tlb_all(void)
{
    __asm__ volatile("dsb ishst\n tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
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
