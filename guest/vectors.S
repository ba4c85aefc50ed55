/*
 * The guest's EL1 exception vectors (Arm ARM D1.10.2: 16 slots of 0x80
 * bytes, the table 2 KiB aligned).
 *
 * Only one exception is expected: an IRQ taken from EL1 with SP_EL1 (slot
 * 5), a virtual interrupt signalled by the virtual CPU interface. It saves
 * the registers the procedure-call standard lets guest_irq_entry clobber
 * (x0-x18, x29, x30; the guest uses no FP/SIMD register, CPACR_EL1 traps
 * them) and returns with ERET. IRQs stay masked for the whole handler, so
 * they never nest. Every other slot is a fault: guest_exception_entry
 * writes it into the record and stops the vCPU.
 */
#include "GuestRecord.h"

    .macro fault_slot number
    .balign 0x80
    mov     x0, #\number
    b       guest_fault
    .endm

    .section .text.vectors, "ax"
    .balign 2048
    .global guest_vectors
guest_vectors:
    fault_slot 0                        /* current EL, SP_EL0: synchronous */
    fault_slot 1                        /* IRQ */
    fault_slot 2                        /* FIQ */
    fault_slot 3                        /* SError */
    fault_slot 4                        /* current EL, SP_ELx: synchronous */
    .balign 0x80                        /* 5: IRQ, the one expected */
    b       guest_irq
    fault_slot 6                        /* FIQ */
    fault_slot 7                        /* SError */
    fault_slot 8                        /* lower EL, AArch64 */
    fault_slot 9
    fault_slot 10
    fault_slot 11
    fault_slot 12                       /* lower EL, AArch32 */
    fault_slot 13
    fault_slot 14
    fault_slot 15

guest_irq:
    sub     sp, sp, #176
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x29, [sp, #16 * 9]
    str     x30, [sp, #16 * 10]
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    bl      guest_irq_entry
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x29, [sp, #16 * 9]
    ldr     x30, [sp, #16 * 10]
    add     sp, sp, #176
    eret

/* x0 = the vector slot: guest_exception_entry(vcpu, kind, esr, elr, far). */
guest_fault:
    add     x1, x0, #1
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    mrs     x2, esr_el1
    mrs     x3, elr_el1
    mrs     x4, far_el1
    bl      guest_exception_entry
1:  wfi
    b       1b
