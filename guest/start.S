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
/*
 * The translation regime's values are the kernel's own (AssemblyLayout.h,
 * the same bits the pure core's IdentityMap computes): MAIR (attribute 1
 * Normal write-back), TCR without IPS (39-bit addresses from level 1, walks
 * write-back and inner shareable, 4 KiB granule), SCTLR with M, C and I,
 * and the RAM block's bits (Normal, inner shareable, AF; the same at level
 * 2 as at level 1). Shared on purpose: the guest sees its RAM, the record
 * included, with the attributes the hypervisor gives RAM, write-back and
 * inner shareable at both stages, so each side reads what the other wrote
 * without cache maintenance (no mismatched attributes, Arm ARM "Mismatched
 * memory attributes").
 */
#include "AssemblyLayout.h"
#include "mmu-enable.h"

/* A table descriptor: valid, table (Arm ARM D8.3.1). */
#define GUEST_TABLE             0x3

    .section .text.entry, "ax"
    .global guest_entry
guest_entry:
    msr     cpacr_el1, xzr              /* FP/SIMD traps: the guest uses none */
    adrp    x0, guest_level1_table
    enable_mmu_el1 x0, x1, x2           /* boot/mmu-enable.h */

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
    .fill   (GUEST_RAM_BASE >> MMU_LEVEL1_BLOCK_SHIFT), 8, 0
    .quad   guest_level2_table + GUEST_TABLE
    .fill   (MMU_LEVEL1_ENTRIES - (GUEST_RAM_BASE >> MMU_LEVEL1_BLOCK_SHIFT) - 1), 8, 0
    .balign 4096
guest_level2_table:
    .fill   ((GUEST_RAM_BASE >> 21) & 511), 8, 0
    .quad   GUEST_RAM_BASE + MMU_NORMAL_BLOCK_ATTRIBUTES
    .fill   (512 - ((GUEST_RAM_BASE >> 21) & 511) - 1), 8, 0

    .if     GUEST_RAM_SIZE != (1 << 21)
    .error  "the guest's map is one 2 MiB block"
    .endif
