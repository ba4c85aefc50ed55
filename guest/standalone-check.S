/*
 * A stand-in for the hypervisor, linked only into guest-standalone.elf (never
 * into the guest itself): it lets Tests/qemu/guest_standalone_check.py boot
 * the guest on bare QEMU at EL1, where the guest's ICC_* accesses reach the
 * physical CPU interface, and so check acknowledge, counting, end of
 * interrupt and the hold without a hypervisor.
 *
 * Entered on the boot CPU with the MMU off (QEMU -kernel). The check script
 * writes the parameters below with QEMU's generic loader, from the device
 * tree QEMU gives (nothing about the machine is assumed here). This code:
 *   1. enables the distributor (affinity routing, group 1; GICD_CTLR.DS is
 *      1 on QEMU's virt without EL3) and wakes every redistributor
 *      (GICR_WAKER.ProcessorSleep, IHI 0069 §9.11.40);
 *   2. makes each listed SPI group 1, priority 0xa0, routed to its CPU,
 *      enabled;
 *   3. arms the record's hold_intid, starts the other CPUs at guest_entry
 *      with PSCI CPU_ON over HVC, and makes every listed SPI pending: each is
 *      taken once its CPU's interface is on;
 *   4. enters the guest itself.
 * Register waits here are unbounded: a GIC that never settles shows as a
 * guest that never comes up, which the script reports after its deadline.
 */
#include "GuestRecord.h"

#define STANDALONE_PARAMETERS   0x40170000  /* between the record and the stacks */
#define PARAMETER_GICD          0
#define PARAMETER_GICR          8
#define PARAMETER_CPUS          16
#define PARAMETER_HOLD          24
#define PARAMETER_SPI_COUNT     32
#define PARAMETER_SPIS          40          /* each: INTID | target Aff0 << 32 */

#define GICD_CTLR               0x0000
#define GICD_CTLR_RWP           (1 << 31)
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
#define GICR_WAKER_ASLEEP       (1 << 2)
#define PSCI_CPU_ON_64          0xC4000003

    .section .text.standalone, "ax"
    .global standalone_entry
standalone_entry:
    ldr     x19, =STANDALONE_PARAMETERS
    ldr     x20, [x19, #PARAMETER_GICD]
    mov     w0, #GICD_CTLR_ARE_GRP1
    str     w0, [x20, #GICD_CTLR]
1:  ldr     w0, [x20, #GICD_CTLR]
    tbnz    w0, #31, 1b

    ldr     x21, [x19, #PARAMETER_GICR]
2:  ldr     w0, [x21, #GICR_WAKER]
    bic     w0, w0, #GICR_WAKER_SLEEP
    str     w0, [x21, #GICR_WAKER]
3:  ldr     w0, [x21, #GICR_WAKER]
    tbnz    w0, #2, 3b
    ldr     x1, [x21, #GICR_TYPER]
    mov     x2, #0x20000                /* RD_base and SGI_base frames */
    tst     x1, #GICR_TYPER_VLPIS
    b.eq    4f
    mov     x2, #0x40000                /* and the two VLPI frames */
4:  add     x21, x21, x2
    tst     x1, #GICR_TYPER_LAST
    b.eq    2b

    ldr     x22, [x19, #PARAMETER_SPI_COUNT]
    add     x23, x19, #PARAMETER_SPIS
    mov     x24, #0
5:  cmp     x24, x22
    b.hs    6f
    ldr     x0, [x23, x24, lsl #3]
    and     x1, x0, #0xffffffff         /* INTID */
    lsr     x2, x0, #32                 /* target Aff0 */
    lsr     x3, x1, #5
    lsl     x3, x3, #2                  /* byte offset of its 32-bit register */
    and     x4, x1, #31
    mov     w5, #1
    lsl     w5, w5, w4                  /* its bit */
    add     x6, x20, #GICD_IGROUPR
    ldr     w7, [x6, x3]
    orr     w7, w7, w5
    str     w7, [x6, x3]
    add     x6, x20, #GICD_IPRIORITYR
    mov     w7, #0xa0
    strb    w7, [x6, x1]
    add     x6, x20, #GICD_IROUTER
    str     x2, [x6, x1, lsl #3]
    add     x6, x20, #GICD_ISENABLER
    str     w5, [x6, x3]
    add     x24, x24, #1
    b       5b
6:
    ldr     x0, =GUEST_RECORD_ADDRESS
    ldr     x1, [x19, #PARAMETER_HOLD]
    str     w1, [x0, #GUEST_RECORD_HOLD_INTID_OFFSET]
    dc      civac, x0                   /* the guest reads it through its caches */
    dsb     sy

    ldr     x25, [x19, #PARAMETER_CPUS]
    mov     x26, #1
7:  cmp     x26, x25
    b.hs    8f
    ldr     x0, =PSCI_CPU_ON_64
    mov     x1, x26
    ldr     x2, =guest_entry
    mov     x3, #0
    hvc     #0
    add     x26, x26, #1
    b       7b
8:
    mov     x24, #0
9:  cmp     x24, x22
    b.hs    10f
    ldr     x0, [x23, x24, lsl #3]
    and     x1, x0, #0xffffffff
    lsr     x3, x1, #5
    lsl     x3, x3, #2
    and     x4, x1, #31
    mov     w5, #1
    lsl     w5, w5, w4
    add     x6, x20, #GICD_ISPENDR
    str     w5, [x6, x3]
    add     x24, x24, #1
    b       9b
10:
    dsb     sy
    mov     x0, #0
    b       guest_entry
