/*
 * Boot stub: the first instructions every CPU runs.
 *
 * The boot CPU enters at _start (QEMU's -kernel jumps to the ELF entry with
 * the MMU off); secondary CPUs enter at secondary_entry through PSCI CPU_ON
 * with x0 = the context id, which is the address of their `CPUStartBlock`
 * (Sources/Kernel/Platform/CPUStartBlock.swift).
 *
 * Both paths are written once: leave EL2 if entered there, take a stack,
 * enable FP/SIMD (Swift code uses the vector registers), install the EL1
 * vectors, then call into Swift. The image always runs at EL1: on a machine
 * with virtualization=on the CPUs start at EL2 and drop here, with the GIC
 * system-register interface opened to EL1 (ICC_SRE_EL2.Enable) and physical
 * interrupts left to EL1 (HCR_EL2.IMO/FMO clear).
 */

    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x19, CurrentEL
    lsr     x19, x19, #2                /* x19 = exception level at entry */
    bl      leave_el2_if_there

    adrp    x0, __boot_stack_top
    add     x0, x0, :lo12:__boot_stack_top
    mov     sp, x0
    bl      enable_fp_and_vectors

    /* Clear .bss (8-byte aligned by the linker script). */
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:
    mov     x0, x19
    bl      kernel_main                 /* returns the exit status in w0 */
    bl      semihosting_exit
3:  wfi
    b       3b

/*
 * Secondary CPUs: x0 = context id = address of this CPU's CPUStartBlock.
 * Layout (must match CPUStartBlock): +0 stack top, +8 MAIR_EL1, +16 TCR_EL1,
 * +24 TTBR0_EL1, +32 SCTLR_EL1 (0 = leave the MMU off).
 */
    .global secondary_entry
secondary_entry:
    mov     x20, x0
    mrs     x19, CurrentEL
    lsr     x19, x19, #2
    bl      leave_el2_if_there
    ldr     x0, [x20, #0]
    mov     sp, x0
    bl      enable_fp_and_vectors
    mov     x0, x20
    bl      mmu_enable_from_block
    mov     x0, x20
    mov     x1, x19
    bl      kernel_secondary_main       /* does not return */
4:  wfi
    b       4b

/*
 * mmu_enable_from_block(x0 = start block): program MAIR/TCR/TTBR0 and turn
 * on the MMU and caches with the values the boot CPU computed. The block's
 * SCTLR_EL1 field is 0 when the MMU is to stay off.
 */
    .global mmu_enable_from_block
mmu_enable_from_block:
    ldr     x4, [x0, #32]
    cbz     x4, 1f
    ldr     x1, [x0, #8]
    ldr     x2, [x0, #16]
    ldr     x3, [x0, #24]
    msr     mair_el1, x1
    msr     tcr_el1, x2
    msr     ttbr0_el1, x3
    dsb     ish
    isb
    tlbi    vmalle1                     /* no stale entries from a previous life of this CPU */
    dsb     ish
    isb
    msr     sctlr_el1, x4
    isb
1:  ret

/*
 * If running at EL2, configure EL2 so that EL1 owns the machine, and eret to
 * EL1 with all exceptions masked. Returns to the caller (x30) at EL1.
 */
leave_el2_if_there:
    mrs     x9, CurrentEL
    cmp     x9, #(2 << 2)
    b.ne    1f
    mov     x9, #(1 << 31)              /* HCR_EL2.RW: EL1 is AArch64; IMO/FMO/AMO clear */
    msr     hcr_el2, x9
    mov     x9, #3                      /* CNTHCTL_EL2: EL1PCTEN | EL1PCEN */
    msr     cnthctl_el2, x9
    msr     cntvoff_el2, xzr
    mov     x9, #0x33ff                 /* CPTR_EL2: RES1 bits, TFP clear */
    msr     cptr_el2, x9
    msr     hstr_el2, xzr
    mrs     x9, icc_sre_el2
    mov     x10, #0x9                   /* SRE | Enable: EL1 may use ICC_*_EL1 */
    orr     x9, x9, x10
    msr     icc_sre_el2, x9
    isb
    mrs     x9, midr_el1
    msr     vpidr_el2, x9
    mrs     x9, mpidr_el1
    msr     vmpidr_el2, x9              /* EL1 reads the real MPIDR */
    ldr     x9, =0x30d00800             /* SCTLR_EL1 RES1 bits, MMU and caches off */
    msr     sctlr_el1, x9
    mov     x9, #0x3c5                  /* SPSR: EL1h, DAIF masked */
    msr     spsr_el2, x9
    msr     elr_el2, x30
    eret
1:  ret

/* CPACR_EL1.FPEN = 0b11 (no FP/SIMD traps), VBAR_EL1 = exception_vectors. */
enable_fp_and_vectors:
    mov     x9, #(3 << 20)
    msr     cpacr_el1, x9
    adrp    x9, exception_vectors
    add     x9, x9, :lo12:exception_vectors
    msr     vbar_el1, x9
    isb
    ret

/*
 * semihosting_exit(w0 = status): SYS_EXIT_EXTENDED (0x20) with
 * ADP_Stopped_ApplicationExit (0x20026), so QEMU exits with `status`.
 */
    .global semihosting_exit
semihosting_exit:
    sub     sp, sp, #16
    ldr     x9, =0x20026
    mov     w10, w0
    stp     x9, x10, [sp]
    mov     x1, sp
    mov     w0, #0x20
    hlt     #0xf000
5:  wfi
    b       5b
