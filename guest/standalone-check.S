/*
 * A stand-in for the hypervisor, linked only into guest-standalone.elf (never
 * into the guest itself): it lets Tests/qemu/guest_standalone_check.py boot
 * the guest on bare QEMU and check acknowledge, counting, end of interrupt
 * and the hold without the real hypervisor, in two ways:
 *   - entered at EL1 (QEMU without virtualization): the guest runs on the
 *     physical CPU interface, its ICC_* accesses reaching the GIC directly;
 *   - entered at EL2 (virtualization=on): each CPU stays at EL2 just long
 *     enough to route physical interrupts there (HCR_EL2.IMO/FMO) and turn
 *     the virtual CPU interface on, then enters the guest at EL1 without
 *     stage 2 (IPA = PA). Each SPI it takes at EL2 it drops in priority
 *     (EOImode 1) and hands to the guest in a free list register with HW 1
 *     and the physical INTID: the guest acknowledges it through ICV_IAR1_EL1
 *     and its EOI deactivates the physical SPI (Xen's model, in miniature).
 *
 * Entered on the boot CPU with the MMU off (QEMU -kernel). The check script
 * writes the parameters below with QEMU's generic loader, from the device
 * tree QEMU gives (nothing about the machine is assumed here). This code:
 *   1. enables the distributor (affinity routing, group 1; GICD_CTLR.DS is
 *      1 on QEMU's virt without EL3) and wakes every redistributor
 *      (GICR_WAKER.ProcessorSleep, IHI 0069 §9.11.40);
 *   2. makes each listed SPI group 1, priority 0xa0, routed to its CPU,
 *      enabled; at EL2 also the maintenance interrupt on the boot CPU;
 *   3. arms the record's hold_intid, starts the other CPUs with PSCI CPU_ON
 *      (HVC from EL1, SMC from EL2: the conduits QEMU gives each case), and
 *      makes the first batch of SPIs pending: each is taken once its CPU's
 *      interface is on;
 *   4. enters the guest itself.
 * At EL2 the rest of the SPIs (the later batch, all for the boot CPU) are
 * made pending once the guest has worked through most of the first: the
 * boot CPU asks for the underflow maintenance interrupt (ICH_HCR_EL2.UIE:
 * at most one list register valid, IHI 0069 §12.4) after filling its list
 * registers, and pends the later batch when it comes. So list registers
 * the guest has freed are used again, with no delay chosen here.
 * Register waits here are unbounded: a GIC that never settles shows as a
 * guest that never comes up, which the script reports after its deadline.
 * Everything runs with the MMU off, in assembly, with aligned accesses only.
 */
#include "GuestRecord.h"

#define STANDALONE_PARAMETERS   0x40170000  /* between the record and the stacks */
#define PARAMETER_GICD          0
#define PARAMETER_GICR          8
#define PARAMETER_CPUS          16
#define PARAMETER_HOLD          24
#define PARAMETER_SPI_COUNT     32
#define PARAMETER_FIRST_BATCH   40          /* SPIs pended at once; the rest later (EL2) */
#define PARAMETER_MAINTENANCE   48          /* the maintenance interrupt's INTID (a PPI) */
#define PARAMETER_LATER_SENT    56          /* written here: 1 once the later batch is pending */
#define PARAMETER_SPIS          64          /* each: INTID | target Aff0 << 32 */
/* Where the EL2 stand-in writes ESR_EL2 | 1 if it takes an exception it
 * does not expect (per CPU, 8 bytes each); the check requires zeros. */
#define PARAMETER_EL2_FAULTS    0x800

#define GICD_CTLR               0x0000
#define GICD_CTLR_ARE_GRP1      0x12        /* ARE | EnableGrp1 (DS = 1) */
#define GICD_IGROUPR            0x0080
#define GICD_ISENABLER          0x0100
#define GICD_ISPENDR            0x0200
#define GICD_IPRIORITYR         0x0400
#define GICD_IROUTER            0x6000
#define GICR_TYPER              0x0008
#define GICR_TYPER_VLPIS        (1 << 1)
#define GICR_TYPER_LAST         (1 << 4)
#define GICR_WAKER              0x0014
#define GICR_WAKER_SLEEP        (1 << 1)
#define GICR_SGI_BASE           0x10000     /* the SGI_base frame after RD_base */
/* In the SGI_base frame: */
#define GICR_IGROUPR0           0x0080
#define GICR_ISENABLER0         0x0100
#define GICR_IPRIORITYR         0x0400
#define PSCI_CPU_ON_64          0xC4000003
#define STANDALONE_PRIORITY     0xa0

/* EL2: one stack per CPU, below the parameters (the check uses 2 to 8 CPUs). */
#define STANDALONE_EL2_STACKS   0x40160000
#define STANDALONE_EL2_STACK    0x1000
/* HCR_EL2: RW (EL1 is AArch64), IMO and FMO (physical IRQs and FIQs to EL2,
 * ICC_* at EL1 reach the virtual interface). No stage 2 (VM 0). */
#define STANDALONE_HCR_EL2      (1 << 31 | 1 << 4 | 1 << 3)
/* ICC_SRE_EL2: SRE and Enable (EL1 may use the system registers). */
#define STANDALONE_SRE_EL2      0x9
/* ICC_CTLR_EL1.EOImode: EOIR drops priority only; the guest deactivates. */
#define ICC_CTLR_EOIMODE        (1 << 1)
/* ICH_HCR_EL2: En, and UIE (maintenance interrupt on underflow). */
#define ICH_HCR_EN              1
#define ICH_HCR_EN_UIE          3
/* ICH_LR<n>_EL2 without INTIDs: State pending (0b01 << 62), HW, Group 1,
 * priority 0xa0 (IHI 0069 §12.4). */
#define STANDALONE_LR_TEMPLATE  0x70a0000000000000
/* SPSR_EL2 for the guest's entry: EL1h, DAIF masked. */
#define STANDALONE_GUEST_SPSR   0x3c5
#define STANDALONE_SCTLR_EL1    0x30d00800

    .section .text.standalone, "ax"
    .global standalone_entry
standalone_entry:
    mrs     x28, CurrentEL
    lsr     x28, x28, #2                /* 1 or 2 */
    ldr     x19, =STANDALONE_PARAMETERS
    ldr     x20, [x19, #PARAMETER_GICD]
    mov     w0, #GICD_CTLR_ARE_GRP1
    str     w0, [x20, #GICD_CTLR]
1:  ldr     w0, [x20, #GICD_CTLR]
    tbnz    w0, #31, 1b                 /* RWP */

    /* Every redistributor awake; x27 = the boot CPU's RD_base. */
    mrs     x0, mpidr_el1
    and     x9, x0, #0xffffff
    lsr     x0, x0, #32
    and     x0, x0, #0xff
    orr     x9, x9, x0, lsl #24         /* Aff3.Aff2.Aff1.Aff0, as GICR_TYPER[63:32] */
    ldr     x21, [x19, #PARAMETER_GICR]
2:  ldr     w0, [x21, #GICR_WAKER]
    bic     w0, w0, #GICR_WAKER_SLEEP
    str     w0, [x21, #GICR_WAKER]
3:  ldr     w0, [x21, #GICR_WAKER]
    tbnz    w0, #2, 3b                  /* ChildrenAsleep */
    ldr     x1, [x21, #GICR_TYPER]
    cmp     x9, x1, lsr #32
    b.ne    4f
    mov     x27, x21
4:  mov     x2, #0x20000                /* RD_base and SGI_base frames */
    tst     x1, #GICR_TYPER_VLPIS
    b.eq    5f
    mov     x2, #0x40000                /* and the two VLPI frames */
5:  add     x21, x21, x2
    tst     x1, #GICR_TYPER_LAST
    b.eq    2b

    ldr     x22, [x19, #PARAMETER_SPI_COUNT]
    add     x23, x19, #PARAMETER_SPIS
    mov     x24, #0
6:  cmp     x24, x22
    b.hs    7f
    ldr     x0, [x23, x24, lsl #3]
    bl      spi_register_and_bit
    add     x6, x20, #GICD_IGROUPR
    ldr     w7, [x6, x3]
    orr     w7, w7, w5
    str     w7, [x6, x3]
    add     x6, x20, #GICD_IPRIORITYR
    mov     w7, #STANDALONE_PRIORITY
    strb    w7, [x6, x1]
    add     x6, x20, #GICD_IROUTER
    lsr     x2, x0, #32                 /* target Aff0 */
    str     x2, [x6, x1, lsl #3]
    add     x6, x20, #GICD_ISENABLER
    str     w5, [x6, x3]
    add     x24, x24, #1
    b       6b
7:
    cmp     x28, #2
    b.ne    8f
    /* The maintenance interrupt (a PPI) on the boot CPU: group 1, enabled. */
    ldr     x1, [x19, #PARAMETER_MAINTENANCE]
    mov     w5, #1
    lsl     w5, w5, w1
    add     x8, x27, #(GICR_SGI_BASE >> 12), lsl #12
    ldr     w7, [x8, #GICR_IGROUPR0]
    orr     w7, w7, w5
    str     w7, [x8, #GICR_IGROUPR0]
    add     x6, x8, #GICR_IPRIORITYR
    mov     w7, #STANDALONE_PRIORITY
    strb    w7, [x6, x1]
    str     w5, [x8, #GICR_ISENABLER0]
8:
    ldr     x0, =GUEST_RECORD_ADDRESS
    ldr     x1, [x19, #PARAMETER_HOLD]
    str     w1, [x0, #GUEST_RECORD_HOLD_INTID_OFFSET]
    dc      civac, x0                   /* the guest reads it through its caches */
    dsb     sy

    ldr     x25, [x19, #PARAMETER_CPUS]
    mov     x26, #1
9:  cmp     x26, x25
    b.hs    12f
    ldr     x0, =PSCI_CPU_ON_64
    mov     x1, x26
    ldr     x2, =guest_entry
    mov     x3, #0
    cmp     x28, #2
    b.eq    10f
    hvc     #0
    b       11f
10: ldr     x2, =enter_guest_from_el2
    smc     #0
11: add     x26, x26, #1
    b       9b
12:
    mov     x0, #0
    ldr     x1, [x19, #PARAMETER_FIRST_BATCH]
    bl      pend_spis
    cmp     x28, #2
    b.eq    enter_guest_from_el2
    mov     x0, #0
    b       guest_entry

/*
 * spi_register_and_bit(x0 = a parameter entry): x1 = its INTID, x3 = the
 * byte offset of its 32-bit register in a bit-per-INTID array, w5 = its bit.
 */
spi_register_and_bit:
    and     x1, x0, #0xffffffff
    lsr     x3, x1, #5
    lsl     x3, x3, #2
    and     x4, x1, #31
    mov     w5, #1
    lsl     w5, w5, w4
    ret

/* pend_spis(x0 = first, x1 = end): GICD_ISPENDR for SPI entries [x0, x1). */
pend_spis:
    mov     x10, x30
    mov     x11, x0
    mov     x12, x1
    ldr     x13, =STANDALONE_PARAMETERS
    ldr     x14, [x13, #PARAMETER_GICD]
    add     x14, x14, #GICD_ISPENDR
    add     x13, x13, #PARAMETER_SPIS
1:  cmp     x11, x12
    b.hs    2f
    ldr     x0, [x13, x11, lsl #3]
    bl      spi_register_and_bit
    str     w5, [x14, x3]
    add     x11, x11, #1
    b       1b
2:  dsb     sy
    mov     x30, x10
    ret

/*
 * Every CPU at EL2 (the boot CPU from above, the others from CPU_ON): its
 * EL2 stack and vectors, physical interrupts to EL2, its own physical CPU
 * interface on with EOImode 1, the virtual interface on (ICH_HCR_EL2.En),
 * VMPIDR_EL2 = MPIDR_EL1 (so vCPU n reads Aff0 = n), then ERET into the
 * guest's entry at EL1h with DAIF masked, x0 = 0.
 */
enter_guest_from_el2:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    ldr     x1, =STANDALONE_EL2_STACKS + STANDALONE_EL2_STACK
    mov     x2, #STANDALONE_EL2_STACK
    madd    x1, x0, x2, x1
    mov     sp, x1
    adr     x1, standalone_el2_vectors
    msr     vbar_el2, x1
    ldr     x1, =STANDALONE_HCR_EL2
    msr     hcr_el2, x1
    mov     x1, #STANDALONE_SRE_EL2
    msr     icc_sre_el2, x1
    isb
    mov     x1, #0xff
    msr     icc_pmr_el1, x1
    msr     icc_bpr1_el1, xzr
    mrs     x1, icc_ctlr_el1
    orr     x1, x1, #ICC_CTLR_EOIMODE
    msr     icc_ctlr_el1, x1
    mov     x1, #1
    msr     icc_igrpen1_el1, x1
    msr     ich_vmcr_el2, xzr
    mov     x1, #ICH_HCR_EN
    msr     ich_hcr_el2, x1
    mrs     x1, midr_el1
    msr     vpidr_el2, x1
    mrs     x1, mpidr_el1
    msr     vmpidr_el2, x1
    ldr     x1, =STANDALONE_SCTLR_EL1
    msr     sctlr_el1, x1
    mov     x1, #STANDALONE_GUEST_SPSR
    msr     spsr_el2, x1
    ldr     x1, =guest_entry
    msr     elr_el2, x1
    isb
    mov     x0, #0
    eret

/*
 * EL2 vectors: only an IRQ from EL1 (slot 9) is expected. It acknowledges
 * every pending physical interrupt: an SPI it drops in priority (EOImode 1:
 * it stays active) and writes into a free list register (ICH_ELRSR_EL2) as
 * a hardware interrupt, vINTID = pINTID; the maintenance interrupt it ends
 * and deactivates itself, turns UIE off and pends the later batch. At most
 * four list registers are used: the check keeps fewer interrupts than that
 * in flight per CPU. On the boot CPU, once it has filled list registers
 * and before the later batch is sent, it asks for the underflow
 * maintenance interrupt.
 */
    .macro el2_fault_slot
    .balign 0x80
    b       standalone_el2_fault
    .endm

    .balign 2048
standalone_el2_vectors:
    .rept   9
    el2_fault_slot
    .endr
    .balign 0x80                        /* 9: IRQ from a lower EL, AArch64 */
    b       standalone_el2_irq
    .rept   6
    el2_fault_slot
    .endr

standalone_el2_irq:
    sub     sp, sp, #128
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x10, x11, [sp, #16 * 3]
    stp     x12, x13, [sp, #16 * 4]
    stp     x14, x15, [sp, #16 * 5]
    str     x30, [sp, #16 * 6]
    mov     x15, #0                     /* list registers written in this pass */
1:  mrs     x0, icc_iar1_el1
    and     x0, x0, #0xffffff
    cmp     x0, #1020                   /* 1020-1023: nothing more */
    b.hs    8f
    ldr     x1, =STANDALONE_PARAMETERS
    ldr     x2, [x1, #PARAMETER_MAINTENANCE]
    cmp     x0, x2
    b.eq    7f
    msr     icc_eoir1_el1, x0
    ldr     x3, =STANDALONE_LR_TEMPLATE
    orr     x3, x3, x0
    orr     x3, x3, x0, lsl #32
    add     x15, x15, #1
    mrs     x2, ich_elrsr_el2
    tbnz    x2, #0, 2f
    tbnz    x2, #1, 3f
    tbnz    x2, #2, 4f
    tbnz    x2, #3, 5f
    b       standalone_el2_fault
2:  msr     ich_lr0_el2, x3
    b       1b
3:  msr     ich_lr1_el2, x3
    b       1b
4:  msr     ich_lr2_el2, x3
    b       1b
5:  msr     ich_lr3_el2, x3
    b       1b
7:  mov     x2, #ICH_HCR_EN             /* UIE off first: the interrupt is a level */
    msr     ich_hcr_el2, x2
    isb
    msr     icc_eoir1_el1, x0
    msr     icc_dir_el1, x0
    ldr     x2, [x1, #PARAMETER_LATER_SENT]
    cbnz    x2, 1b
    mov     x2, #1
    str     x2, [x1, #PARAMETER_LATER_SENT]
    ldr     x0, [x1, #PARAMETER_FIRST_BATCH]
    ldr     x1, [x1, #PARAMETER_SPI_COUNT]
    bl      pend_spis
    b       1b
8:  cbz     x15, 9f
    mrs     x0, mpidr_el1
    tst     x0, #0xff
    b.ne    9f                          /* not the boot CPU */
    ldr     x1, =STANDALONE_PARAMETERS
    ldr     x2, [x1, #PARAMETER_LATER_SENT]
    cbnz    x2, 9f
    mov     x2, #ICH_HCR_EN_UIE
    msr     ich_hcr_el2, x2
9:  ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x10, x11, [sp, #16 * 3]
    ldp     x12, x13, [sp, #16 * 4]
    ldp     x14, x15, [sp, #16 * 5]
    ldr     x30, [sp, #16 * 6]
    add     sp, sp, #128
    eret

standalone_el2_fault:
    mrs     x0, mpidr_el1
    and     x0, x0, #0xff
    ldr     x1, =STANDALONE_PARAMETERS + PARAMETER_EL2_FAULTS
    mrs     x2, esr_el2
    orr     x2, x2, #1                  /* never 0, even for an ESR of 0 */
    str     x2, [x1, x0, lsl #3]
13: wfi
    b       13b
