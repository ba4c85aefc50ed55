/*
 * A stand-in guest kernel for the hypervisor until the project's guest
 * (guest/) is linked in: position-independent code copied to the guest's
 * entry IPA, following the guest contract (entered at EL1h, MMU off, its
 * vCPU index in MPIDR_EL1.Aff0; the guest record 1 MiB in). It turns its
 * virtual CPU interface on, writes its boot marker, and counts every
 * interrupt it acknowledges in the record's counts[vcpu][intid] before
 * ending it (EOImode 0: the EOI deactivates, and through a hardware list
 * register the physical interrupt too). It idles in WFI.
 */
#define RECORD_OFFSET       0x100000
#define BOOT_MARKER_OFFSET  0x20
#define COUNTS_OFFSET       0x1000
#define BOOT_MARKER         0x55500001

    .section .rodata.guest_image, "a"
    .balign 4096
    .global guest_image_start
guest_image_start:
    adr     x20, guest_image_start
    add     x20, x20, #RECORD_OFFSET        /* x20 = the record */
    mrs     x19, mpidr_el1
    and     x19, x19, #0xff                 /* x19 = vCPU index */
    adr     x0, stand_in_vectors
    msr     vbar_el1, x0
    mrs     x0, icc_sre_el1
    orr     x0, x0, #1
    msr     icc_sre_el1, x0
    isb
    mov     x0, #0xff
    msr     icc_pmr_el1, x0
    msr     icc_bpr1_el1, xzr
    mov     x0, #1
    msr     icc_igrpen1_el1, x0
    isb
    ldr     w1, =BOOT_MARKER
    add     x2, x20, #BOOT_MARKER_OFFSET
    str     w1, [x2, x19, lsl #2]
    msr     daifclr, #2
1:  wfi
    b       1b
    .ltorg

    .balign 0x800
stand_in_vectors:
    .rept 5
    .balign 0x80
    b       .
    .endr
    .balign 0x80                            /* IRQ, current EL, SPx */
    mrs     x0, icc_iar1_el1
    cmp     x0, #1020
    b.hs    2f
    add     x1, x0, x19, lsl #10
    add     x2, x20, #COUNTS_OFFSET
    ldr     w3, [x2, x1, lsl #2]
    add     w3, w3, #1
    str     w3, [x2, x1, lsl #2]
    msr     icc_eoir1_el1, x0
2:  eret
    .rept 10
    .balign 0x80
    b       .
    .endr
    .global guest_image_end
guest_image_end:
