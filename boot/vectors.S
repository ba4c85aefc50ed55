/*
 * The kernel's exception vectors, EL1's or (KERNEL_AT_EL2) EL2's (Arm ARM D1.10.2: 16 entries of 0x80 bytes, table
 * aligned to 2 KiB).
 *
 * Every entry saves the complete interrupted context — x0-x30, ELR, SPSR and
 * the FP/SIMD state, since Swift code uses q registers — in an
 * `struct exception_frame` (AssemblyLayout.h) on the current stack, then
 * calls Swift:
 *   - IRQ from the current EL (SPx): kernel_irq_entry(frame); then restore
 *     and eret. Interrupts stay masked (PSTATE.I set by the exception) for
 *     the whole handler, so IRQs never nest.
 *   - anything else: kernel_exception_entry(kind, frame), which prints the
 *     syndrome and stops the machine with a non-zero status; it never
 *     returns.
 */

/* The frame's layout: struct exception_frame in AssemblyLayout.h. */
#include "AssemblyLayout.h"
#include "fp-registers.h"
#include "general-registers.h"
/* The kernel's own level's exception registers (the hypervisor: EL2). */
#ifdef KERNEL_AT_EL2
#define ELR_KERNEL  elr_el2
#define SPSR_KERNEL spsr_el2
#else
#define ELR_KERNEL  elr_el1
#define SPSR_KERNEL spsr_el1
#endif
#define FRAME_SIZE      EXCEPTION_FRAME_SIZE
#define FRAME_Q_OFFSET  EXCEPTION_FRAME_Q
#define FRAME_FP_STATUS EXCEPTION_FRAME_FP_STATUS

    .macro save_frame
    sub     sp, sp, #(FRAME_SIZE - 16)
    save_x2_to_x29 sp
    mrs     x21, ELR_KERNEL
    mrs     x22, SPSR_KERNEL
    str     x30, [sp, #8 * 30]
    str     x21, [sp, #EXCEPTION_FRAME_ELR]
    str     x22, [sp, #EXCEPTION_FRAME_SPSR]
    add     x21, sp, #FRAME_Q_OFFSET
    add     x24, sp, #FRAME_FP_STATUS
    save_fp_registers x21, x24, x22, x23
    add     x21, sp, #EXCEPTION_FRAME_SLOT_PUSH
    ldp     x2, x3, [x21]               /* the x0, x1 the slot pushed */
    stp     x2, x3, [sp, #16 * 0]
    .endm

    .macro restore_frame
    add     x21, sp, #FRAME_Q_OFFSET
    add     x24, sp, #FRAME_FP_STATUS
    restore_fp_registers x21, x24, x22, x23
    ldr     x30, [sp, #8 * 30]
    ldr     x21, [sp, #EXCEPTION_FRAME_ELR]
    ldr     x22, [sp, #EXCEPTION_FRAME_SPSR]
    msr     ELR_KERNEL, x21
    msr     SPSR_KERNEL, x22
    ldp     x0, x1, [sp, #16 * 0]
    load_x2_to_x29 sp
    add     sp, sp, #FRAME_SIZE
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global exception_vectors
exception_vectors:
    /*
     * kinds: 0-3 current EL with SP_EL0, 4-7 current EL with SPx, 8-11 lower
     * EL AArch64, 12-15 lower EL AArch32; within each group synchronous,
     * IRQ, FIQ, SError. A slot is too small for the whole save, so it pushes
     * x0/x1 (into the top of the frame save_frame builds), puts its kind in
     * x0 and branches out: no register of the interrupted code is lost.
     */
    .irp kind, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mov     x0, #\kind
    b       vector_common
    .endr

    .section .text
vector_common:
#ifdef KERNEL_AT_EL2
    /* From a guest (lower EL, AArch64: kinds 8-11): its exit, not a fault
     * of ours (guest-entry.S). A guest is AArch64 only (HCR_EL2.RW), so
     * kinds 12-15 cannot come and would be reported as faults. */
    cmp     x0, #8
    b.lo    3f
    cmp     x0, #11
    b.ls    guest_exit
3:
#endif
    save_frame
    mov     x1, sp                      /* x1 = struct exception_frame */
    cmp     x0, #5                      /* IRQ, current EL, SPx */
    b.ne    1f
    mov     x0, x1
    bl      kernel_irq_entry
    restore_frame
    eret
1:  bl      kernel_exception_entry      /* kind, frame; does not return */
2:  wfi
    b       2b
