/*
 * Saving and loading the general registers x2-x29 in pairs, for every
 * register frame here that keeps xN at byte 8 * N of its base: the kernel's
 * exception frame (boot/vectors.S), a vCPU's guest frame (boot/guest-entry.S)
 * and the guest kernel's own IRQ frame (guest/vectors.S). x0, x1 and x30 are
 * left to the caller: each site has them elsewhere first (pushed by a
 * vector slot, or holding the frame's base). Assembly macros only.
 */
#ifndef KERNEL_GENERAL_REGISTERS_H
#define KERNEL_GENERAL_REGISTERS_H

/* x2-x29 to [\base, #16 * 1] .. [\base, #16 * 14]. */
    .macro save_x2_to_x29 base
    stp     x2, x3, [\base, #16 * 1]
    stp     x4, x5, [\base, #16 * 2]
    stp     x6, x7, [\base, #16 * 3]
    stp     x8, x9, [\base, #16 * 4]
    stp     x10, x11, [\base, #16 * 5]
    stp     x12, x13, [\base, #16 * 6]
    stp     x14, x15, [\base, #16 * 7]
    stp     x16, x17, [\base, #16 * 8]
    stp     x18, x19, [\base, #16 * 9]
    stp     x20, x21, [\base, #16 * 10]
    stp     x22, x23, [\base, #16 * 11]
    stp     x24, x25, [\base, #16 * 12]
    stp     x26, x27, [\base, #16 * 13]
    stp     x28, x29, [\base, #16 * 14]
    .endm

/* The reverse of save_x2_to_x29; \base must not be one of x2-x29. */
    .macro load_x2_to_x29 base
    ldp     x2, x3, [\base, #16 * 1]
    ldp     x4, x5, [\base, #16 * 2]
    ldp     x6, x7, [\base, #16 * 3]
    ldp     x8, x9, [\base, #16 * 4]
    ldp     x10, x11, [\base, #16 * 5]
    ldp     x12, x13, [\base, #16 * 6]
    ldp     x14, x15, [\base, #16 * 7]
    ldp     x16, x17, [\base, #16 * 8]
    ldp     x18, x19, [\base, #16 * 9]
    ldp     x20, x21, [\base, #16 * 10]
    ldp     x22, x23, [\base, #16 * 11]
    ldp     x24, x25, [\base, #16 * 12]
    ldp     x26, x27, [\base, #16 * 13]
    ldp     x28, x29, [\base, #16 * 14]
    .endm

#endif
