/*
 * The hypervisor's world switch (KERNEL_AT_EL2 only): into a guest with
 * ERET, and back out through the lower-EL vectors.
 *
 * arch_enter_guest(x0 = struct guest_frame *) runs the vCPU whose general
 * and FP/SIMD registers, ELR_EL2 and SPSR_EL2 the frame holds, with the
 * caller's other state (EL1 system registers, the virtual CPU interface,
 * stage 2, HCR_EL2) already loaded and interrupts masked. It keeps the
 * caller's callee-saved registers and the frame's address on the
 * hypervisor's stack (GUEST_HOST_SAVE_*, AssemblyLayout.h) and leaves SP_EL2
 * pointing at them: the guest runs on SP_EL1/SP_EL0, so when an exception
 * from the guest comes back to EL2 (vectors.S, slots 8-11) SP_EL2 is that
 * block again. guest_exit stores the guest's registers into the frame,
 * with ESR_EL2, FAR_EL2 and HPFAR_EL2, and returns to arch_enter_guest's
 * caller with GUEST_EXIT_* in x0, interrupts still masked (the exception
 * masked them): an IRQ that ended the run is taken when the caller
 * unmasks, through the hypervisor's own IRQ path.
 */
#include "AssemblyLayout.h"
#include "fp-registers.h"
#include "general-registers.h"

#ifdef KERNEL_AT_EL2
    .section .text
    .global arch_enter_guest
arch_enter_guest:
    sub     sp, sp, #GUEST_HOST_SAVE_SIZE
    str     x0, [sp, #GUEST_HOST_SAVE_FRAME]
    stp     x19, x20, [sp, #GUEST_HOST_SAVE_X19 + 16 * 0]
    stp     x21, x22, [sp, #GUEST_HOST_SAVE_X19 + 16 * 1]
    stp     x23, x24, [sp, #GUEST_HOST_SAVE_X19 + 16 * 2]
    stp     x25, x26, [sp, #GUEST_HOST_SAVE_X19 + 16 * 3]
    stp     x27, x28, [sp, #GUEST_HOST_SAVE_X19 + 16 * 4]
    stp     x29, x30, [sp, #GUEST_HOST_SAVE_X19 + 16 * 5]
    stp     d8, d9, [sp, #GUEST_HOST_SAVE_D8 + 16 * 0]
    stp     d10, d11, [sp, #GUEST_HOST_SAVE_D8 + 16 * 1]
    stp     d12, d13, [sp, #GUEST_HOST_SAVE_D8 + 16 * 2]
    stp     d14, d15, [sp, #GUEST_HOST_SAVE_D8 + 16 * 3]

    add     x1, x0, #GUEST_FRAME_Q
    add     x4, x0, #GUEST_FRAME_FP_STATUS
    restore_fp_registers x1, x4, x2, x3
    ldr     x2, [x0, #GUEST_FRAME_ELR]
    ldr     x3, [x0, #GUEST_FRAME_SPSR]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    load_x2_to_x29 x0
    ldr     x30, [x0, #8 * 30]
    ldr     x1, [x0, #8 * 1]
    ldr     x0, [x0, #8 * 0]
    eret

/*
 * guest_exit: from vectors.S with x0 = the vector kind (8-11), the guest's
 * x0 and x1 pushed at SP_EL2 and the host save block right above them.
 */
    .global guest_exit
guest_exit:
    ldr     x1, [sp, #16 + GUEST_HOST_SAVE_FRAME]
    save_x2_to_x29 x1
    str     x30, [x1, #8 * 30]
    ldp     x2, x3, [sp], #16           /* the guest's x0, x1 the slot pushed */
    stp     x2, x3, [x1, #16 * 0]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    str     x2, [x1, #GUEST_FRAME_ELR]
    str     x3, [x1, #GUEST_FRAME_SPSR]
    mrs     x2, esr_el2
    mrs     x3, far_el2
    mrs     x4, hpfar_el2
    str     x2, [x1, #GUEST_FRAME_ESR]
    str     x3, [x1, #GUEST_FRAME_FAR]
    str     x4, [x1, #GUEST_FRAME_HPFAR]
    add     x2, x1, #GUEST_FRAME_Q
    add     x5, x1, #GUEST_FRAME_FP_STATUS
    save_fp_registers x2, x5, x3, x4

    sub     x0, x0, #8                  /* GUEST_EXIT_*: the slot within its group */
    ldp     x19, x20, [sp, #GUEST_HOST_SAVE_X19 + 16 * 0]
    ldp     x21, x22, [sp, #GUEST_HOST_SAVE_X19 + 16 * 1]
    ldp     x23, x24, [sp, #GUEST_HOST_SAVE_X19 + 16 * 2]
    ldp     x25, x26, [sp, #GUEST_HOST_SAVE_X19 + 16 * 3]
    ldp     x27, x28, [sp, #GUEST_HOST_SAVE_X19 + 16 * 4]
    ldp     x29, x30, [sp, #GUEST_HOST_SAVE_X19 + 16 * 5]
    ldp     d8, d9, [sp, #GUEST_HOST_SAVE_D8 + 16 * 0]
    ldp     d10, d11, [sp, #GUEST_HOST_SAVE_D8 + 16 * 1]
    ldp     d12, d13, [sp, #GUEST_HOST_SAVE_D8 + 16 * 2]
    ldp     d14, d15, [sp, #GUEST_HOST_SAVE_D8 + 16 * 3]
    add     sp, sp, #GUEST_HOST_SAVE_SIZE
    ret
#endif
