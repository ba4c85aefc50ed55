/*
 * Saving and restoring the FP/SIMD state (q0-q31, FPSR, FPCR), for
 * boot/vectors.S (the kernel's own exceptions: compiled code uses the q
 * registers) and boot/guest-entry.S (a vCPU's state in its guest frame).
 * Assembly macros only.
 */
#ifndef KERNEL_FP_REGISTERS_H
#define KERNEL_FP_REGISTERS_H

/* q0-q31 to 512 bytes at \q, then FPSR and FPCR to 16 bytes at \status;
 * \t1 and \t2 are clobbered. */
    .macro save_fp_registers q, status, t1, t2
    stp     q0, q1, [\q, #32 * 0]
    stp     q2, q3, [\q, #32 * 1]
    stp     q4, q5, [\q, #32 * 2]
    stp     q6, q7, [\q, #32 * 3]
    stp     q8, q9, [\q, #32 * 4]
    stp     q10, q11, [\q, #32 * 5]
    stp     q12, q13, [\q, #32 * 6]
    stp     q14, q15, [\q, #32 * 7]
    stp     q16, q17, [\q, #32 * 8]
    stp     q18, q19, [\q, #32 * 9]
    stp     q20, q21, [\q, #32 * 10]
    stp     q22, q23, [\q, #32 * 11]
    stp     q24, q25, [\q, #32 * 12]
    stp     q26, q27, [\q, #32 * 13]
    stp     q28, q29, [\q, #32 * 14]
    stp     q30, q31, [\q, #32 * 15]
    mrs     \t1, fpsr
    mrs     \t2, fpcr
    stp     \t1, \t2, [\status]
    .endm

/* The reverse of save_fp_registers. */
    .macro restore_fp_registers q, status, t1, t2
    ldp     \t1, \t2, [\status]
    msr     fpsr, \t1
    msr     fpcr, \t2
    ldp     q0, q1, [\q, #32 * 0]
    ldp     q2, q3, [\q, #32 * 1]
    ldp     q4, q5, [\q, #32 * 2]
    ldp     q6, q7, [\q, #32 * 3]
    ldp     q8, q9, [\q, #32 * 4]
    ldp     q10, q11, [\q, #32 * 5]
    ldp     q12, q13, [\q, #32 * 6]
    ldp     q14, q15, [\q, #32 * 7]
    ldp     q16, q17, [\q, #32 * 8]
    ldp     q18, q19, [\q, #32 * 9]
    ldp     q20, q21, [\q, #32 * 10]
    ldp     q22, q23, [\q, #32 * 11]
    ldp     q24, q25, [\q, #32 * 12]
    ldp     q26, q27, [\q, #32 * 13]
    ldp     q28, q29, [\q, #32 * 14]
    ldp     q30, q31, [\q, #32 * 15]
    .endm

#endif
