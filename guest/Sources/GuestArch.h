/*
 * The few AArch64 instructions the guest's Swift code needs and cannot
 * express: the GIC CPU interface's system registers (IHI 0069 §12.2; at EL1
 * under a hypervisor with HCR_EL2.IMO set, the ICC_* names reach the virtual
 * CPU interface, ICV_*, §6.3), the interrupt mask, WFI, and loads and stores
 * with acquire and release semantics for the record the hypervisor reads.
 * The guest module's bridging header; it also brings in the record's layout.
 */
#ifndef GUEST_ARCH_H
#define GUEST_ARCH_H

#include <stdint.h>

#include "../GuestRecord.h"

#define GUEST_READ_REGISTER(name, reg)                                      \
    static inline uint64_t guest_read_##name(void)                          \
    {                                                                       \
        uint64_t value;                                                     \
        __asm__ volatile("mrs %0, " #reg : "=r"(value) :: "memory");        \
        return value;                                                       \
    }

#define GUEST_WRITE_REGISTER(name, reg)                                     \
    static inline void guest_write_##name(uint64_t value)                   \
    {                                                                       \
        __asm__ volatile("msr " #reg ", %0" :: "r"(value) : "memory");      \
    }

GUEST_READ_REGISTER(icc_sre, icc_sre_el1)
GUEST_WRITE_REGISTER(icc_sre, icc_sre_el1)
GUEST_WRITE_REGISTER(icc_pmr, icc_pmr_el1)
GUEST_WRITE_REGISTER(icc_bpr1, icc_bpr1_el1)
GUEST_READ_REGISTER(icc_ctlr, icc_ctlr_el1)
GUEST_WRITE_REGISTER(icc_ctlr, icc_ctlr_el1)
GUEST_WRITE_REGISTER(icc_igrpen1, icc_igrpen1_el1)
GUEST_READ_REGISTER(icc_iar1, icc_iar1_el1)
GUEST_WRITE_REGISTER(icc_eoir1, icc_eoir1_el1)

/* Context synchronization: a CPU interface write takes effect before what follows. */
static inline void guest_isb(void) { __asm__ volatile("isb" ::: "memory"); }

/* PSTATE.I and PSTATE.A cleared: virtual IRQs and SErrors are taken. */
static inline void guest_unmask_interrupts(void) { __asm__ volatile("msr daifclr, #6" ::: "memory"); }

static inline void guest_wait_for_interrupt(void) { __asm__ volatile("wfi" ::: "memory"); }

/* A pause in a spin on memory another agent writes. */
static inline void guest_spin_pause(void) { __asm__ volatile("yield" ::: "memory"); }

static inline uint32_t guest_load_acquire(const uint32_t *address)
{
    return __atomic_load_n(address, __ATOMIC_ACQUIRE);
}

static inline void guest_store_release(uint32_t *address, uint32_t value)
{
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

static inline void guest_store_release64(uint64_t *address, uint64_t value)
{
    __atomic_store_n(address, value, __ATOMIC_RELEASE);
}

#endif
