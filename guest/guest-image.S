/*
 * The guest kernel's flat image (guest.bin, GuestRecord.h's contract) as
 * read-only data of the hypervisor image, which copies it into each
 * domain's RAM at GUEST_ENTRY_ADDRESS.
 */
    .section .rodata.guest_image, "a"
    .balign 4096
    .global guest_image_start
guest_image_start:
    .incbin GUEST_BIN
    .global guest_image_end
guest_image_end:
