/*
 * The guest kernel's entry: the first instructions every vCPU runs.
 *
 * Entered at GUEST_ENTRY_ADDRESS at EL1h with the MMU off, DAIF masked and
 * x0 = 0 (GuestRecord.h). No compiled code runs with the MMU off (every
 * data access would be Device-nGnRnE, where unaligned accesses fault and
 * exclusives are not guaranteed; Arm ARM D8.2.11), so this stub first turns
 * the MMU and caches on under the identity map of guest RAM that the image
 * carries ready-made (guest_level1_table below): the same tables for every
 * vCPU, never written, so no vCPU waits for another. Then it takes the
 * vCPU's index from MPIDR_EL1.Aff0, its stack, the vectors, and calls
 * guest_main (Swift), which does not return.
 */
#include "GuestRecord.h"

/* MAIR_EL1: attribute 0 Device-nGnRnE (unused), attribute 1 Normal, inner
 * and outer write-back, read- and write-allocate. */
#define GUEST_MAIR_EL1          0xFF00
/* TCR_EL1 without IPS: T0SZ 25 (39-bit addresses, the walk starts at level
 * 1), TTBR0 walks inner and outer write-back cacheable, inner shareable,
 * 4 KiB granule, TTBR1 walks disabled (EPD1). IPS from PARange. */
#define GUEST_TCR_EL1           0x803519
#define GUEST_TCR_IPS_SHIFT     32
/* SCTLR_EL1: RES1 bits plus M, C and I; alignment checking off. */
#define GUEST_SCTLR_EL1         0x30D01805
/* A level-2 block descriptor for guest RAM without its address: valid
 * block, AttrIndx 1 (Normal), inner shareable, AF (Arm ARM D8.3). */
#define GUEST_RAM_BLOCK         0x705
/* A table descriptor: valid, table (Arm ARM D8.3.1). */
#define GUEST_TABLE             0x3

    .section .text.entry, "ax"
    .global guest_entry
guest_entry:
    msr     cpacr_el1, xzr              /* FP/SIMD traps: the guest uses none */
    ldr     x1, =GUEST_MAIR_EL1
    msr     mair_el1, x1
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #0x7
    lsl     x2, x2, #GUEST_TCR_IPS_SHIFT
    ldr     x1, =GUEST_TCR_EL1
    orr     x1, x1, x2
    msr     tcr_el1, x1
    adrp    x0, guest_level1_table
    msr     ttbr0_el1, x0
    isb
    /* Nothing of an earlier life of this vCPU (or of another guest on
     * this PE: the hypervisor's VMID keeps those apart) may be used. */
    tlbi    vmalle1
    dsb     nsh
    ldr     x1, =GUEST_SCTLR_EL1
    msr     sctlr_el1, x1
    isb
    ic      iallu                       /* unknown contents until the first enable (Arm ARM D7.4.8) */
    dsb     nsh
    isb

    mrs     x19, mpidr_el1
    and     x20, x19, #0xff             /* Aff0: this vCPU's index */
    cmp     x20, #GUEST_MAX_VCPUS
    b.hs    reject_vcpu

    ldr     x0, =GUEST_STACKS_BASE
    mov     x1, #GUEST_STACK_SIZE
    madd    x0, x20, x1, x0
    add     sp, x0, x1                  /* top of this vCPU's stack */
    adrp    x0, guest_vectors
    add     x0, x0, :lo12:guest_vectors
    msr     vbar_el1, x0
    isb
    mov     x0, x20
    bl      guest_main
1:  wfi
    b       1b

/* A vCPU the record has no room for: its MPIDR is written down, and it stops. */
reject_vcpu:
    ldr     x0, =GUEST_RECORD_ADDRESS
    str     x19, [x0, #GUEST_RECORD_REJECTED_MPIDR]
    dsb     sy
2:  wfi
    b       2b

/*
 * The identity map of guest RAM: a level-1 table whose entry for the 1 GiB
 * at GUEST_RAM_BASE points to a level-2 table mapping the 2 MiB of guest RAM
 * as one Normal block. Everything else is unmapped: a stray access faults
 * into the record instead of reaching the hypervisor as a stage-2 abort.
 */
    .section .rodata.tables, "a"
    .balign 4096
guest_level1_table:
    .fill   (GUEST_RAM_BASE >> 30), 8, 0
    .quad   guest_level2_table + GUEST_TABLE
    .fill   (512 - (GUEST_RAM_BASE >> 30) - 1), 8, 0
    .balign 4096
guest_level2_table:
    .fill   ((GUEST_RAM_BASE >> 21) & 511), 8, 0
    .quad   GUEST_RAM_BASE + GUEST_RAM_BLOCK
    .fill   (512 - ((GUEST_RAM_BASE >> 21) & 511) - 1), 8, 0

    .if     GUEST_RAM_SIZE != (1 << 21)
    .error  "the guest's map is one 2 MiB block"
    .endif
