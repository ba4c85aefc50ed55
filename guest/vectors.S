/*
 * The guest's EL1 exception vectors (Arm ARM D1.10.2: 16 slots of 0x80
 * bytes, the table 2 KiB aligned).
 *
 * Only one exception is expected: an IRQ taken from EL1 with SP_EL1 (slot
 * 5), a virtual interrupt signalled by the virtual CPU interface. It saves
 * the general registers in the frame layout the kernel's own frames use
 * (boot/general-registers.h: x0-x30, xN at 8 * N; more than the
 * procedure-call standard lets guest_irq_entry clobber, for one layout
 * everywhere; the guest uses no FP/SIMD register, CPACR_EL1 traps them) and
 * returns with ERET. IRQs stay masked for the whole handler, so
 * they never nest. Every other slot is a fault: guest_exception_entry
 * writes it into the record and stops the vCPU.
 */
#include "GuestRecord.h"
#include "general-registers.h"

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
    sub     sp, sp, #256                /* xN at 8 * N, x30 at 240 */
    stp     x0, x1, [sp, #16 * 0]
    save_x2_to_x29 sp
    str     x30, [sp, #8 * 30]
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    bl      guest_irq_entry
    ldp     x0, x1, [sp, #16 * 0]
    load_x2_to_x29 sp
    ldr     x30, [sp, #8 * 30]
    add     sp, sp, #256
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
