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
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
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
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
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
