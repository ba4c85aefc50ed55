/*
 * Values and layouts shared by the assembly (boot/start.S and boot/vectors.S
 * include this file) and the Swift kernel (through the bridging header
 * AArch64.h). Written once here: the structs' offsets are checked by the
 * compiler (_Static_assert), and the host suite reads this file and checks the
 * MMU values against the pure core's IdentityMap, which builds the final map.
 */
#ifndef KERNEL_BOOT_LAYOUT_H
#define KERNEL_BOOT_LAYOUT_H

/*
 * The translation regime every CPU runs under, early map and final map
 * alike (Arm ARM D8, D19.2): both maps use these values, so switching from
 * one to the other changes only TTBR0_EL1.
 *
 * MAIR_EL1: attribute 0 Device-nGnRnE (0x00), attribute 1 Normal, inner
 * and outer write-back, read- and write-allocate (0xFF).
 */
#define MMU_MAIR_EL1                0xFF00
#define MMU_DEVICE_ATTRIBUTE_INDEX  0
#define MMU_NORMAL_ATTRIBUTE_INDEX  1

/*
 * TCR_EL1 without IPS (which comes from ID_AA64MMFR0_EL1.PARange): T0SZ 25
 * (39-bit addresses, so the walk starts at level 1), TTBR0 walks inner and
 * outer write-back cacheable (IRGN0 = ORGN0 = 0b01) and inner shareable
 * (SH0 = 0b11), 4 KiB granule (TG0 = 0), TTBR1 walks disabled (EPD1).
 */
#define MMU_TCR_EL1_WITHOUT_IPS     0x803519
#define MMU_TCR_EL1_IPS_SHIFT       32

/*
 * SCTLR_EL1: the RES1 bits (0x30D00800) plus M (MMU), C (data cache) and
 * I (instruction cache); A (alignment checking) off, so unaligned accesses
 * to Normal memory are allowed, as compiled Swift code assumes.
 */
#define MMU_SCTLR_EL1               0x30D01805

/*
 * A level-1 block descriptor for RAM, without its output address: valid
 * block (0b01), AttrIndx 1 (Normal), SH inner shareable (0b11 << 8), AF.
 * The same bits IdentityMap gives every RAM block of the final map, so the
 * block holding the image translates identically under both maps and the
 * switch needs no break-before-make (Arm ARM D8.14.1).
 */
#define MMU_NORMAL_BLOCK_ATTRIBUTES 0x705
#define MMU_LEVEL1_BLOCK_SHIFT      30
#define MMU_LEVEL1_ENTRIES          512

/*
 * The hypervisor image (KERNEL_AT_EL2) runs under the EL2 translation
 * regime instead (Arm ARM D8, non-VHE: HCR_EL2.E2H clear), with the same
 * MAIR value in MAIR_EL2 and the same tables, but:
 *
 * TCR_EL2 has one VA range and other field positions: T0SZ 25, IRGN0 =
 * ORGN0 = 0b01, SH0 = 0b11, TG0 4 KiB, as for EL1; the physical address
 * size in PS (bits 18:16, from ID_AA64MMFR0_EL1.PARange); bits 31 and 23
 * RES1.
 */
#define MMU_TCR_EL2_WITHOUT_PS      0x80803519
#define MMU_TCR_EL2_PS_SHIFT        16
/*
 * SCTLR_EL2: its RES1 bits (4, 5, 11, 16, 18, 22, 23, 28, 29: 0x30C50830)
 * plus M, C and I; A off, as at EL1.
 */
#define MMU_SCTLR_EL2               0x30C51835
/*
 * In a translation regime with one privilege level (EL2 without E2H) the
 * descriptors' AP[1] (bit 6) is RES1: every block of the hypervisor's map,
 * early and final, carries it (as KVM's EL2 map does, AP[2:1] = 0b01 for
 * read/write).
 */
#define MMU_EL2_BLOCK_AP1           0x40

/*
 * What the boot stub found on its way to EL1 that the kernel must report
 * (it cannot print yet): passed to kernel_main as its second argument.
 */
#define BOOT_STATUS_GIC_SYSTEM_REGISTERS_ABSENT  0x1  /* ID_AA64PFR0_EL1.GIC = 0 */
#define BOOT_STATUS_EL2_SRE_DID_NOT_STICK        0x2  /* ICC_SRE_EL2.SRE read back 0 */

/*
 * What a secondary CPU is handed by PSCI CPU_ON in x0 (the context id): the
 * boot stub reads it with the MMU off, so it is cleaned to the point of
 * coherency by the boot CPU. Offsets for the assembly, the struct for Swift.
 */
#define CPU_START_BLOCK_STACK_TOP      0
#define CPU_START_BLOCK_TABLE_BASE     8
#define CPU_START_BLOCK_LOGICAL_INDEX  16
#define CPU_START_BLOCK_SIZE           24

/*
 * What boot/vectors.S saves on every exception, on the current stack:
 * x0-x30, ELR_EL1, SPSR_EL1 and a pad word; q0-q31; FPSR and FPCR; then 16
 * bytes where the vector slot first pushed x0/x1 (moved into x[0..1] once
 * the frame is built).
 */
#define EXCEPTION_FRAME_ELR         248
#define EXCEPTION_FRAME_SPSR        256
#define EXCEPTION_FRAME_Q           272
#define EXCEPTION_FRAME_FP_STATUS   784
#define EXCEPTION_FRAME_SLOT_PUSH   800
#define EXCEPTION_FRAME_SIZE        816

/*
 * The hypervisor's world switch (boot/guest-entry.S): a vCPU's general
 * registers, the state ERET gives it (ELR_EL2, SPSR_EL2), what the exit
 * that ended its run says (ESR_EL2, FAR_EL2, HPFAR_EL2), and its FP/SIMD
 * registers (the guest's compiled code uses them, and so does the
 * hypervisor's). Its EL1 system registers are saved apart, in
 * `struct guest_system_registers`, by C (AArch64.h).
 */
#define GUEST_FRAME_ELR             248
#define GUEST_FRAME_SPSR            256
#define GUEST_FRAME_ESR             264
#define GUEST_FRAME_FAR             272
#define GUEST_FRAME_HPFAR           280
#define GUEST_FRAME_Q               288
#define GUEST_FRAME_FP_STATUS       800
#define GUEST_FRAME_SIZE            816

/*
 * What arch_enter_guest keeps on the hypervisor's stack while the guest
 * runs: the guest frame's address, then the caller's callee-saved x19-x30
 * and d8-d15 (AAPCS64). The stack pointer stays there: SP_EL2 is not the
 * guest's, so the lower-EL vectors find this block at SP_EL2.
 */
#define GUEST_HOST_SAVE_FRAME       0
#define GUEST_HOST_SAVE_X19         16
#define GUEST_HOST_SAVE_D8          112
#define GUEST_HOST_SAVE_SIZE        176

/*
 * Why arch_enter_guest returned: the vector group "lower EL, AArch64"
 * (Arm ARM D1.10.2), in its order.
 */
#define GUEST_EXIT_SYNCHRONOUS      0
#define GUEST_EXIT_IRQ              1
#define GUEST_EXIT_FIQ              2
#define GUEST_EXIT_SERROR           3

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

struct guest_frame {
    uint64_t x[31];
    uint64_t elr;            /* ELR_EL2: where the guest resumes */
    uint64_t spsr;           /* SPSR_EL2: its PSTATE (EL1h, DAIF) */
    uint64_t esr;            /* ESR_EL2 of the last exit */
    uint64_t far;            /* FAR_EL2 of the last exit */
    uint64_t hpfar;          /* HPFAR_EL2 of the last exit */
    uint64_t q[64];          /* q0-q31, two words each */
    uint64_t fpsr;
    uint64_t fpcr;
};
_Static_assert(offsetof(struct guest_frame, elr) == GUEST_FRAME_ELR, "guest frame layout");
_Static_assert(offsetof(struct guest_frame, spsr) == GUEST_FRAME_SPSR, "guest frame layout");
_Static_assert(offsetof(struct guest_frame, esr) == GUEST_FRAME_ESR, "guest frame layout");
_Static_assert(offsetof(struct guest_frame, far) == GUEST_FRAME_FAR, "guest frame layout");
_Static_assert(offsetof(struct guest_frame, hpfar) == GUEST_FRAME_HPFAR, "guest frame layout");
_Static_assert(offsetof(struct guest_frame, q) == GUEST_FRAME_Q, "guest frame layout");
_Static_assert(offsetof(struct guest_frame, fpsr) == GUEST_FRAME_FP_STATUS, "guest frame layout");
_Static_assert(sizeof(struct guest_frame) == GUEST_FRAME_SIZE, "guest frame layout");

struct exception_frame {
    uint64_t x[31];
    uint64_t elr;            /* ELR_EL1: where the exception was taken */
    uint64_t spsr;           /* SPSR_EL1 */
    uint64_t pad;
    uint64_t q[64];          /* q0-q31, two words each */
    uint64_t fpsr;
    uint64_t fpcr;
    uint64_t slot_push[2];
};
_Static_assert(offsetof(struct exception_frame, elr) == EXCEPTION_FRAME_ELR, "exception frame layout");
_Static_assert(offsetof(struct exception_frame, spsr) == EXCEPTION_FRAME_SPSR, "exception frame layout");
_Static_assert(offsetof(struct exception_frame, q) == EXCEPTION_FRAME_Q, "exception frame layout");
_Static_assert(offsetof(struct exception_frame, fpsr) == EXCEPTION_FRAME_FP_STATUS, "exception frame layout");
_Static_assert(offsetof(struct exception_frame, slot_push) == EXCEPTION_FRAME_SLOT_PUSH, "exception frame layout");
_Static_assert(sizeof(struct exception_frame) == EXCEPTION_FRAME_SIZE, "exception frame layout");

struct cpu_start_block {
    uint64_t stack_top;      /* top of this CPU's stack (stacks grow down) */
    uint64_t table_base;     /* TTBR0_EL1: the final identity map */
    uint64_t logical_index;  /* the CPU's logical number */
};
_Static_assert(offsetof(struct cpu_start_block, stack_top) == CPU_START_BLOCK_STACK_TOP, "start block layout");
_Static_assert(offsetof(struct cpu_start_block, table_base) == CPU_START_BLOCK_TABLE_BASE, "start block layout");
_Static_assert(offsetof(struct cpu_start_block, logical_index) == CPU_START_BLOCK_LOGICAL_INDEX, "start block layout");
_Static_assert(sizeof(struct cpu_start_block) == CPU_START_BLOCK_SIZE, "start block layout");
#endif

#endif
