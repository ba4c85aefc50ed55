/*
 * Boot stub: the first instructions every CPU runs.
 *
 * The boot CPU enters at _start (QEMU's -kernel jumps to the ELF entry with
 * the MMU off); secondary CPUs enter at secondary_entry through PSCI CPU_ON
 * with x0 = the context id, the address of their `struct cpu_start_block`
 * (Sources/Kernel/Arch/AssemblyLayout.h).
 *
 * No compiled code runs with the MMU off. With the MMU off every data
 * access is Device-nGnRnE (Arm ARM D8.2.11), where unaligned accesses fault
 * and exclusives are not guaranteed; compiled Swift assumes neither. So
 * this stub, in assembly, turns the MMU and caches on first:
 *   - the boot CPU under an early identity map it builds here: the 1 GiB
 *     blocks holding the image and the device tree, as Normal memory with
 *     exactly the descriptor bits the final map gives RAM (AssemblyLayout.h);
 *     the kernel later switches TTBR0_EL1 to the map the device tree
 *     describes, which translates those blocks identically;
 *   - a secondary CPU directly under the final map, whose table address the
 *     boot CPU put in its start block.
 * Only then does a CPU take a stack, enable FP/SIMD (Swift uses the vector
 * registers), start the timer's event stream (Deadline waits in WFE),
 * install the EL1 vectors and call Swift. The boot CPU clears .bss with the
 * MMU on, so no stale cache line can shadow the zeros.
 *
 * Without KERNEL_AT_EL2 the image runs at EL1: on a machine with
 * virtualization=on the CPUs start at EL2 and drop here (leave_el2_if_there).
 * With KERNEL_AT_EL2 (make EL=2) the image is the hypervisor and stays at
 * EL2 (stay_at_el2): the EL2 translation regime, VBAR_EL2, CNTHCTL_EL2's
 * event stream; one macro below names the level each routine uses.
 */
#include "AssemblyLayout.h"
#include "mmu-enable.h"

#ifdef KERNEL_AT_EL2
#define SETUP_EXCEPTION_LEVEL stay_at_el2
#else
#define SETUP_EXCEPTION_LEVEL leave_el2_if_there
#endif

    .section .text.boot, "ax"
    .global _start
_start:
    mrs     x19, CurrentEL
    lsr     x19, x19, #2                /* x19 = exception level at entry */
    bl      SETUP_EXCEPTION_LEVEL       /* x21 = BOOT_STATUS_* flags */

    adrp    x0, early_level1_table
    add     x0, x0, :lo12:early_level1_table
    bl      build_early_map
    adrp    x0, early_level1_table
    add     x0, x0, :lo12:early_level1_table
    bl      mmu_enable

    adrp    x0, __boot_stack_top
    add     x0, x0, :lo12:__boot_stack_top
    mov     sp, x0
    bl      enable_fp_timer_and_vectors

    /* Clear .bss (8-byte aligned by the linker script), MMU and caches on. */
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
    mov     x1, x21
    bl      kernel_main                 /* returns the exit status in w0 */
    bl      semihosting_exit
3:  wfi
    b       3b

/*
 * Secondary CPUs: x0 = context id = address of this CPU's start block, read
 * here with the MMU off (aligned 64-bit loads only).
 */
    .global secondary_entry
secondary_entry:
    mov     x20, x0
    mrs     x19, CurrentEL
    lsr     x19, x19, #2
    bl      SETUP_EXCEPTION_LEVEL
    ldr     x0, [x20, #CPU_START_BLOCK_TABLE_BASE]
    bl      mmu_enable
    ldr     x0, [x20, #CPU_START_BLOCK_STACK_TOP]
    mov     sp, x0
    bl      enable_fp_timer_and_vectors
    mov     x0, x20
    mov     x1, x19
    bl      kernel_secondary_main       /* does not return */
4:  wfi
    b       4b

/*
 * build_early_map(x0 = the 4 KiB level-1 table): every entry invalid but
 * the blocks holding the image (__image_start) and the start of RAM, where
 * QEMU leaves the device tree (__ram_start). Written with the MMU off, so
 * the table's lines are invalidated before (no dirty line may later be
 * evicted over it) and after (no line fetched meanwhile may shadow it), as
 * the Arm ARM asks when data written with caches off is later read through
 * them (D7.5.9, "Data and unified caches").
 */
build_early_map:
    mov     x7, x30
    mov     x6, x0
    mov     x1, #4096
    bl      invalidate_data_cache_range
    mov     x1, #0
1:  str     xzr, [x6, x1, lsl #3]
    add     x1, x1, #1
    cmp     x1, #MMU_LEVEL1_ENTRIES
    b.lo    1b
    adrp    x2, __image_start
    add     x2, x2, :lo12:__image_start
    bl      map_ram_block
    ldr     x2, =__ram_start
    bl      map_ram_block
    dmb     sy
    mov     x0, x6
    mov     x1, #4096
    bl      invalidate_data_cache_range
    mov     x30, x7
    ret

/* map_ram_block(x6 = level-1 table, x2 = an address): its 1 GiB block as RAM
 * (at EL2 with AP[1], RES1 in that regime). */
map_ram_block:
    lsr     x3, x2, #MMU_LEVEL1_BLOCK_SHIFT
    lsl     x4, x3, #MMU_LEVEL1_BLOCK_SHIFT
#ifdef KERNEL_AT_EL2
    mov     x5, #(MMU_NORMAL_BLOCK_ATTRIBUTES | MMU_EL2_BLOCK_AP1)
#else
    mov     x5, #MMU_NORMAL_BLOCK_ATTRIBUTES
#endif
    orr     x4, x4, x5
    str     x4, [x6, x3, lsl #3]
    ret

/*
 * invalidate_data_cache_range(x0 = start, x1 = bytes): DC IVAC by the
 * smallest data cache line (CTR_EL0.DminLine, log2 of words), then DSB.
 */
invalidate_data_cache_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4
    mov     x4, #4
    lsl     x4, x4, x3                  /* line size in bytes */
    add     x1, x0, x1
    sub     x5, x4, #1
    bic     x0, x0, x5
1:  dc      ivac, x0
    add     x0, x0, x4
    cmp     x0, x1
    b.lo    1b
    dsb     sy
    ret

/*
 * mmu_enable(x0 = level-1 table): at EL1 the sequence of boot/mmu-enable.h
 * (MAIR, TCR with IPS from PARange, TTBR0, TLB invalidated, SCTLR with M, C
 * and I, instruction cache invalidated).
 */
#ifdef KERNEL_AT_EL2
/* The same at EL2: MAIR_EL2, TCR_EL2 (PS from PARange), TTBR0_EL2, TLBI
 * ALLE2, SCTLR_EL2 (AssemblyLayout.h). */
mmu_enable:
    ldr     x1, =MMU_MAIR_EL1
    msr     mair_el2, x1
    mrs     x2, id_aa64mmfr0_el1
    and     x2, x2, #0x7
    lsl     x2, x2, #MMU_TCR_EL2_PS_SHIFT
    ldr     x1, =MMU_TCR_EL2_WITHOUT_PS
    orr     x1, x1, x2
    msr     tcr_el2, x1
    msr     ttbr0_el2, x0
    isb
    tlbi    alle2
    dsb     nsh
    ldr     x1, =MMU_SCTLR_EL2
    msr     sctlr_el2, x1
    isb
    ic      iallu
    dsb     nsh
    isb
    ret
#else
mmu_enable:
    enable_mmu_el1 x0, x1, x2
    ret
#endif

/*
 * x21 = BOOT_STATUS_GIC_SYSTEM_REGISTERS_ABSENT when ID_AA64PFR0_EL1.GIC says
 * the CPU has no GIC system-register interface, else 0.
 */
    .macro detect_gic_system_registers
    mov     x21, #0
    mrs     x9, id_aa64pfr0_el1
    ubfx    x9, x9, #24, #4
    cbnz    x9, 91f
    orr     x21, x21, #BOOT_STATUS_GIC_SYSTEM_REGISTERS_ABSENT
91:
    .endm

/*
 * configure_el2(x9 = the HCR_EL2 value, x21 = BOOT_STATUS_* flags so far):
 * the EL2 state both images set, whether they leave EL2 or stay.
 *
 * CNTHCTL_EL2: EL1 may read the physical counter and use its timer;
 * CNTVOFF_EL2 0; CPTR_EL2: no FP/SIMD traps; HSTR_EL2: no traps.
 * MDCR_EL2: no debug or PMU traps to EL2, and HPMN = PMCR_EL0.N so EL1
 * sees every event counter (HPMN resets UNKNOWN; Arm ARM, MDCR_EL2).
 * Without a PMU (ID_AA64DFR0_EL1.PMUVer 0 or 0xF) HPMN is 0.
 * GIC (IHI 0069 §12.1.7, "GIC System register access"): only when
 * ID_AA64PFR0_EL1.GIC says the system-register interface exists;
 * then ICC_SRE_EL2.SRE and .Enable (EL2 uses the interface, EL1 may use
 * ICC_*_EL1 and read its ICC_SRE_EL1), read back since SRE is RAO/WI or
 * RAZ/WI on some implementations, and ICH_HCR_EL2 zeroed: no virtual CPU
 * interface, nothing of a previous owner left enabled.
 * VPIDR_EL2 = MIDR_EL1; SCTLR_EL1 its RES1 bits, MMU and caches off.
 * Clobbers x9 and x10.
 */
configure_el2:
    msr     hcr_el2, x9
    mov     x9, #3                      /* CNTHCTL_EL2: EL1PCTEN | EL1PCEN */
    msr     cnthctl_el2, x9
    msr     cntvoff_el2, xzr
    mov     x9, #0x33ff                 /* CPTR_EL2: RES1 bits, TFP clear */
    msr     cptr_el2, x9
    msr     hstr_el2, xzr
    mov     x10, #0
    mrs     x9, id_aa64dfr0_el1
    ubfx    x9, x9, #8, #4
    cbz     x9, 2f
    cmp     x9, #0xf
    b.eq    2f
    mrs     x10, pmcr_el0
    ubfx    x10, x10, #11, #5
2:  msr     mdcr_el2, x10
    tbnz    x21, #0, 4f                 /* no GIC system registers: leave them alone */
    mrs     x9, icc_sre_el2
    mov     x10, #0x9                   /* SRE | Enable */
    orr     x9, x9, x10
    msr     icc_sre_el2, x9
    isb
    mrs     x9, icc_sre_el2
    tbnz    x9, #0, 3f
    orr     x21, x21, #BOOT_STATUS_EL2_SRE_DID_NOT_STICK
    b       4f
3:  msr     ich_hcr_el2, xzr
4:  mrs     x9, midr_el1
    msr     vpidr_el2, x9
    ldr     x9, =0x30d00800             /* SCTLR_EL1 RES1 bits, MMU and caches off */
    msr     sctlr_el1, x9
    isb
    ret

#ifndef KERNEL_AT_EL2
/*
 * If running at EL2, configure EL2 so that EL1 owns the machine, and eret to
 * EL1 with all exceptions masked. Returns to the caller (x30) at EL1, with
 * x21 = BOOT_STATUS_* flags for what kernel_main must report.
 *
 * HCR_EL2: RW (EL1 is AArch64) and HCD (HVC is UNDEFINED at EL1: no code of
 * ours answers at EL2 after this, so a stray HVC traps at EL1, where it is
 * reported, instead of entering an EL2 without vectors). IMO/FMO/AMO clear:
 * physical interrupts go to EL1. VMPIDR_EL2 = MPIDR_EL1: EL1 reads the real
 * MPIDR.
 */
leave_el2_if_there:
    detect_gic_system_registers
    mrs     x9, CurrentEL
    cmp     x9, #(2 << 2)
    b.ne    6f
    mov     x23, x30
    mov     x9, #(1 << 31 | 1 << 29)
    bl      configure_el2
    mrs     x9, mpidr_el1
    msr     vmpidr_el2, x9
    mov     x9, #0x3c5                  /* SPSR: EL1h, DAIF masked */
    msr     spsr_el2, x9
    msr     elr_el2, x23
    isb
    eret
6:  ret

#endif

#ifdef KERNEL_AT_EL2
/*
 * The hypervisor's EL2 set-up, on every CPU before its MMU is on; returns at
 * EL2 with x21 = BOOT_STATUS_* flags. A CPU not at EL2 (the image booted
 * without virtualization=on) says so through semihosting, which works with
 * the MMU off, and stops with status 2.
 *
 * HCR_EL2: RW (EL1 is AArch64); IMO, FMO and AMO, so physical IRQs, FIQs
 * and SErrors are taken to EL2 whatever EL runs (Arm ARM, "Routing
 * of asynchronous exceptions"), and EL1's ICC_* accesses reach the virtual
 * CPU interface (IHI 0069, "Virtual CPU interface"). Stage 2 (VM) and the
 * guest traps are set by the hypervisor before it enters a guest. HCD
 * clear: an HVC from a guest comes to EL2. ICC_SRE_EL2.Enable lets a guest
 * read its ICC_SRE_EL1 and find SRE set, as under Xen and KVM.
 */
stay_at_el2:
    mrs     x9, CurrentEL
    cmp     x9, #(2 << 2)
    b.eq    1f
    adrp    x1, not_at_el2_message
    add     x1, x1, :lo12:not_at_el2_message
    mov     w0, #0x04                   /* SYS_WRITE0 */
    hlt     #0xf000
    mov     w0, #2
    b       semihosting_exit
1:  detect_gic_system_registers
    mov     x23, x30
    mov     x9, #(1 << 31)
    orr     x9, x9, #(1 << 5 | 1 << 4 | 1 << 3)
    bl      configure_el2
    ret     x23

/*
 * CPTR_EL2.TFP is clear (stay_at_el2): no FP/SIMD traps at EL2. CNTHCTL_EL2
 * EVNTEN with EVNTI 9, the event stream as at EL1; EL1PCTEN (guests read
 * the physical count) but not EL1PCEN: the EL1 physical timer is the
 * hypervisor's own clock (Drivers/GenericTimer.swift), guests have the
 * virtual timer. VBAR_EL2 = exception_vectors, once an exception can run
 * Swift with the MMU on.
 */
enable_fp_timer_and_vectors:
    mov     x9, #(1 | 1 << 2 | 9 << 4)
    msr     cnthctl_el2, x9
    adrp    x9, exception_vectors
    add     x9, x9, :lo12:exception_vectors
    msr     vbar_el2, x9
    isb
    ret

    .section .rodata
not_at_el2_message:
    .asciz "error: the hypervisor image (EL=2) must be entered at EL2 (QEMU -M virt,virtualization=on)\n"
    .section .text.boot, "ax"
#else
/*
 * CPACR_EL1.FPEN = 0b11 (no FP/SIMD traps); CNTKCTL_EL1 = EVNTEN with
 * EVNTI 9, an event each time bit 9 of the virtual counter flips (Arm ARM
 * D11.2.3), so WFE waits always wake; VBAR_EL1 = exception_vectors, only
 * now that an exception can run Swift with the MMU on.
 */
enable_fp_timer_and_vectors:
    mov     x9, #(3 << 20)
    msr     cpacr_el1, x9
    mov     x9, #(1 << 2 | 9 << 4)
    msr     cntkctl_el1, x9
    adrp    x9, exception_vectors
    add     x9, x9, :lo12:exception_vectors
    msr     vbar_el1, x9
    isb
    ret
#endif

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

/* The boot CPU's early level-1 table: 4 KiB, 4 KiB aligned, never in .bss
 * (it is in use while .bss is cleared). */
    .section .early_tables, "aw", %nobits
    .balign 4096
early_level1_table:
    .space  4096
