/*
 * Turning on the EL1&0 stage-1 MMU, for the kernel at EL1 (boot/start.S)
 * and the guest kernel (guest/start.S): MAIR_EL1, TCR_EL1 (IPS from
 * ID_AA64MMFR0_EL1.PARange), TTBR0_EL1, then SCTLR_EL1 with M, C and I
 * (AssemblyLayout.h). The TLB is invalidated first: a CPU coming back after
 * CPU_OFF, or a vCPU in a later life, must not use entries from before (for
 * a guest, the hypervisor's VMID keeps other guests' entries apart). The
 * instruction cache is invalidated after, as its contents are unknown until
 * the first enable (Arm ARM D7.4.8). Assembly macros only.
 */
#ifndef KERNEL_MMU_ENABLE_H
#define KERNEL_MMU_ENABLE_H

/* \table: the level-1 table's address; \t1 and \t2 are clobbered. */
    .macro enable_mmu_el1 table, t1, t2
    ldr     \t1, =MMU_MAIR_EL1
    msr     mair_el1, \t1
    mrs     \t2, id_aa64mmfr0_el1
    and     \t2, \t2, #0x7
    lsl     \t2, \t2, #MMU_TCR_EL1_IPS_SHIFT
    ldr     \t1, =MMU_TCR_EL1_WITHOUT_IPS
    orr     \t1, \t1, \t2
    msr     tcr_el1, \t1
    msr     ttbr0_el1, \table
    isb
    tlbi    vmalle1
    dsb     nsh
    ldr     \t1, =MMU_SCTLR_EL1
    msr     sctlr_el1, \t1
    isb
    ic      iallu
    dsb     nsh
    isb
    .endm

#endif
