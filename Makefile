# Interrupt migration during CPU hotplug on GICv3, as a freestanding
# Embedded Swift image for QEMU's virt machine.
#
#   make            build the image (build/hotplug-on/image.elf; HOTPLUG=0: build/hotplug-off/;
#                   FAULTS=1: build/hotplug-on-faults/)
#   make run        boot it in QEMU; exits with the image's status
#   make test       host tests (swift test) while the images build, then
#                   every QEMU check on the system's QEMU and on QEMU 10.0
#                   (scripts/fetch-qemu.sh), TEST_JOBS at a time
#                   (scripts/test.sh); QEMU=PATH runs them on that one only
#   make clean
#
#   make console    boot to the interactive console prompt (also reads piped lines)
#   make stress     random hotplug under an interrupt storm (SEED, EVENTS, SMP=20)
#   make debug      QEMU halted with its gdb stub; prints the gdb command
#   make bench      benchmarks, written to BENCHMARKS.md
#
# Variables: SMP (CPUs, default 4), EL (1, or 2 for virtualization=on and the
# hypervisor image, build/*-el2, with DOMAINS guests of VCPUS vCPUs, 2 and 2),
# POLICY (balanced, seed or load), HOTPLUG (1, or 0 to compile the feature out),
# FAULTS (0, or 1 for the fault-injection build, -D FAULT_INJECTION: the
# only image that takes psci-fault=, psci-conduit=, test-fault and
# test-stall=; make test builds and boots it),
# SCENARIO (console commands, e.g. 'cpu-offline 2; irqs; exit 0'),
# SCRIPT (a file of console commands, for scripts longer than the command
# line allows), QEMU (the qemu-system-aarch64 to run), QEMUFLAGS (extra QEMU
# arguments, appended last), APPEND (extra words for the image's command
# line), TIMEOUT_SCALE (N: every wait on another CPU may take N times as
# long, for a loaded host; passed as timeout-scale=N).

SMP       ?= 4
EL        ?= 1
POLICY    ?= balanced
HOTPLUG   ?= 1
FAULTS    ?= 0
QEMUFLAGS ?=
APPEND    ?=
SCENARIO  ?=
SCRIPT    ?=
QEMU      ?= qemu-system-aarch64
DOMAINS   ?= 2
VCPUS     ?= 2
SEED      ?= 1
EVENTS    ?= 20000
MEMORY    ?= 256M
TIMEOUT_SCALE ?=

SWIFTC  ?= swiftc
TOOLBIN := $(dir $(shell command -v $(SWIFTC)))
CLANG   ?= $(TOOLBIN)clang
LLD     ?= $(TOOLBIN)ld.lld

ifeq ($(HOTPLUG),0)
BUILD := build/hotplug-off
else
BUILD := build/hotplug-on
endif
# EL=2 is a different image: the hypervisor, which stays at EL2 (Swift
# -D HYPERVISOR, C and assembly -DKERNEL_AT_EL2: Sources/Kernel/Arch/AArch64.h
# and boot/*.S then name the EL2 registers).
ifeq ($(EL),2)
BUILD := $(BUILD)-el2
endif
ifeq ($(FAULTS),1)
BUILD := $(BUILD)-faults
endif
IMAGE := $(BUILD)/image.elf

CORE_SOURCES   := $(shell find Sources/HotplugCore -name '*.swift' | sort)
KERNEL_SOURCES := $(shell find Sources/Kernel -name '*.swift' | sort)
# Sources/Kernel/Hypervisor is the EL=2 image's only.
ifneq ($(EL),2)
KERNEL_SOURCES := $(filter-out Sources/Kernel/Hypervisor/%,$(KERNEL_SOURCES))
endif
BRIDGING_HEADER := Sources/Kernel/Arch/AArch64.h

# Embedded Swift for the image's AArch64 target, for the core and the kernel.
EMBEDDED_FLAGS := -target aarch64-none-none-elf -enable-experimental-feature Embedded \
	-wmo -parse-as-library -Osize -swift-version 6 \
	-Xfrontend -disable-stack-protector -Xfrontend -function-sections \
	-Xcc -fno-pic -Xcc -mcpu=cortex-a57

# The pure core (Sources/HotplugCore) has no conditional code: it is compiled
# once, as the module HotplugCore, for every image kind; each kernel imports it
# (Embedded Swift modules carry their code, so the kernel still specialises
# and inlines what it uses).
CORE_BUILD  := build/core
CORE_MODULE := $(CORE_BUILD)/HotplugCore.swiftmodule
CORE_OBJECT := $(CORE_BUILD)/HotplugCore.o

# RawLayout, StaticExclusiveOnly and BuiltinModule: the inline storage of a
# lock's data (Sources/Kernel/Arch/SpinLock.swift), built as the standard
# library builds Mutex.
SWIFT_FLAGS := $(EMBEDDED_FLAGS) \
	-enable-experimental-feature RawLayout -enable-experimental-feature StaticExclusiveOnly \
	-enable-experimental-feature BuiltinModule \
	-import-bridging-header $(BRIDGING_HEADER) -module-name Kernel -I $(CORE_BUILD)
ifeq ($(HOTPLUG),0)
SWIFT_FLAGS += -D HOTPLUG_DISABLED
endif
ifeq ($(FAULTS),1)
SWIFT_FLAGS += -D FAULT_INJECTION
endif

C_FLAGS := --target=aarch64-none-elf -mcpu=cortex-a57 -ffreestanding -fno-builtin -I Sources/Kernel/Arch \
	-fno-pic -O2 -Wall -Wextra -ffunction-sections
# The hypervisor also reads the guest contract (guest/GuestRecord.h).
ifeq ($(EL),2)
SWIFT_FLAGS += -D HYPERVISOR -Xcc -DKERNEL_AT_EL2 -Xcc -I -Xcc guest
C_FLAGS += -DKERNEL_AT_EL2 -I guest
endif

# DTB=0 boots the same code linked 512 KiB into RAM instead of 2 MiB: QEMU
# then has no room for its device tree below the image and writes none, so
# the image must refuse to run (the no-device-tree check).
DTB ?= 1
ifeq ($(DTB),0)
BOOT_IMAGE := $(BUILD)/image-low.elf
else
BOOT_IMAGE := $(IMAGE)
endif
# SCRIPT=FILE reaches the image as script=/absolute/path: it reads the file
# through semihosting (the command line itself holds about 1 KiB).
ifneq ($(SCRIPT),)
ifeq ($(wildcard $(SCRIPT)),)
$(error SCRIPT=$(SCRIPT): no such file)
endif
ifneq ($(words $(abspath $(SCRIPT))),1)
$(error SCRIPT=$(SCRIPT): the path must not contain spaces (QEMU splits the command line at spaces))
endif
endif
SCRIPT_ARG = $(if $(SCRIPT),script=$(abspath $(SCRIPT)) )
TIMEOUT_ARG = $(if $(TIMEOUT_SCALE),timeout-scale=$(TIMEOUT_SCALE) )
GUEST_ARGS = $(if $(filter 2,$(EL)),domains=$(DOMAINS) vcpus=$(VCPUS) )
IMAGE_ARGS = policy=$(POLICY) $(GUEST_ARGS)$(TIMEOUT_ARG)$(CONSOLE_WORD)$(STRESS_WORD)$(SCRIPT_ARG)$(APPEND)$(if $(SCENARIO), -- $(SCENARIO))
# The one way every target boots: scripts/qemu.sh with this environment.
RUN = QEMU="$(QEMU)" IMAGE=$(BOOT_IMAGE) SMP=$(SMP) EL=$(EL) MEMORY=$(MEMORY) \
	IMAGE_ARGS="$(IMAGE_ARGS)" QEMUFLAGS="$(GDB_STUB) $(QEMUFLAGS)" scripts/qemu.sh
# make turns any failing recipe into its own status 2; the image's status
# is printed on the way out.
REPORT_STATUS = || { status=$$?; echo "image exit status $$status" >&2; exit $$status; }

.PHONY: all run console stress debug bench test deps clean

all: $(IMAGE)

deps:
	@scripts/install-deps.sh

# The Swift frontend leaves an object file untouched when its new content is
# the same (an edit to code this image does not contain): the touch tells
# make it is up to date all the same.
$(CORE_OBJECT) $(CORE_MODULE) &: $(CORE_SOURCES) Makefile
	@mkdir -p $(CORE_BUILD)
	$(SWIFTC) $(EMBEDDED_FLAGS) -module-name HotplugCore -emit-module -emit-module-path $(CORE_MODULE) \
		-c $(CORE_SOURCES) -o $(CORE_OBJECT)
	@touch $(CORE_OBJECT) $(CORE_MODULE)

$(BUILD)/kernel.o: $(KERNEL_SOURCES) $(CORE_MODULE) $(BRIDGING_HEADER) Sources/Kernel/Arch/AssemblyLayout.h guest/GuestRecord.h Makefile
	@mkdir -p $(BUILD)
	$(SWIFTC) $(SWIFT_FLAGS) -c $(KERNEL_SOURCES) -o $@
	@touch $@

$(BUILD)/%.o: boot/%.S boot/fp-registers.h boot/general-registers.h boot/mmu-enable.h Sources/Kernel/Arch/AssemblyLayout.h Makefile
	@mkdir -p $(BUILD)
	$(CLANG) $(C_FLAGS) -c $< -o $@

$(BUILD)/%.o: boot/%.c Makefile
	@mkdir -p $(BUILD)
	$(CLANG) $(C_FLAGS) -c $< -o $@

OBJECTS := $(BUILD)/start.o $(BUILD)/vectors.o $(BUILD)/runtime.o $(BUILD)/kernel.o $(CORE_OBJECT)
ifeq ($(EL),2)
OBJECTS += $(BUILD)/guest-entry.o $(BUILD)/guest/guest-image.o
endif
LINK := $(LLD) -T linker/image.ld --gc-sections --orphan-handling=error -nostdlib

$(IMAGE): $(OBJECTS) linker/image.ld
	$(LINK) -Map $(BUILD)/image.map -o $@ $(OBJECTS)

$(BUILD)/image-low.elf: $(OBJECTS) linker/image.ld
	$(LINK) --defsym=__load_address=0x40080000 -o $@ $(OBJECTS)

include guest/guest.mk

# make itself exits 2 whenever QEMU exits non-zero; the image's own status
# is printed, and scripts/qemu.sh returns it exactly.
run: deps $(BOOT_IMAGE)
	@QEMU_PRINT=1 $(RUN) $(REPORT_STATUS)

console: deps $(BOOT_IMAGE)
	@$(RUN) $(REPORT_STATUS)

console: CONSOLE_WORD := console 

# A long stress run: 20,000 random events at -smp 20 unless told otherwise,
# with text streaming into the UART all along.
stress: deps $(BOOT_IMAGE)
	@yes 'uart traffic during the stress run' | QEMU_PRINT=1 $(RUN) $(REPORT_STATUS)

stress: SMP := 20
# The storm fires the kernel's LPIs too (with ITS INT), checked exactly once.
stress: STRESS_WORD := stress-lpis 
stress: SCENARIO := stress $(SEED) $(EVENTS); exit 0

# QEMU waits for gdb before the first instruction; the image's symbols are in
# the ELF. Breakpoints on C names work as they are: interrupt_migration_rebalance
# (every rebalance), kernel_main, kernel_irq_entry, kernel_exception_entry.
debug: deps $(IMAGE)
	@command -v gdb-multiarch >/dev/null || echo "debug: install gdb-multiarch (apt-get install gdb-multiarch) to attach"
	@echo "QEMU is waiting for gdb on localhost:1234. In another terminal:"
	@echo "  gdb-multiarch $(IMAGE) -ex 'target remote localhost:1234' -ex 'break interrupt_migration_rebalance' -ex continue"
	@QEMU_PRINT=1 $(RUN) $(REPORT_STATUS)

debug: GDB_STUB := -s -S

# The rebalance measured in QEMU (-icount) and on the host; tables printed
# and written to BENCHMARKS.md.
bench: deps $(IMAGE)
	python3 scripts/bench.py

# The host tests once, then every QEMU check on each QEMU: the system's and
# QEMU 10.0 from Debian bookworm-backports (fetched into build/qemu-10 on
# first use), or only the one QEMU=PATH names. scripts/test.sh arranges the
# phases for a small machine (the images build beside swift build; swift test
# runs beside the QEMU checks at the lowest priority) and closes with one
# summary.
ifneq ($(filter command line environment,$(origin QEMU)),)
TEST_FETCH_QEMU10 :=
else
TEST_FETCH_QEMU10 := 1
endif

test: deps
	@MAKE="$(MAKE)" TEST_JOBS=$(TEST_JOBS) TEST_FETCH_QEMU10=$(TEST_FETCH_QEMU10) scripts/test.sh --qemu "$(QEMU)"

# Every image the QEMU checks boot, built side by side: each is one
# single-threaded swiftc, so make test builds as many at once as the host
# has CPUs (TEST_JOBS); QEMU 10.0 is fetched meanwhile. The QEMU checks then
# run TEST_JOBS at a time.
TEST_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TEST_IMAGES := test-image-default test-image-hotplug-off test-image-faults test-image-el2 test-image-el2-faults
.PHONY: test-images test-qemu10 $(TEST_IMAGES)
test-images: $(TEST_IMAGES)
# The core first, once, before the images that share it build side by side.
$(TEST_IMAGES): $(CORE_OBJECT)
test-image-default:
	@$(MAKE) --no-print-directory $(IMAGE) $(BUILD)/image-low.elf guest-standalone
test-image-hotplug-off:
	@$(MAKE) --no-print-directory HOTPLUG=0 all
test-image-faults:
	@$(MAKE) --no-print-directory FAULTS=1 all
test-image-el2:
	@$(MAKE) --no-print-directory EL=2 all
test-image-el2-faults:
	@$(MAKE) --no-print-directory EL=2 FAULTS=1 all
test-qemu10:
	@scripts/fetch-qemu.sh > /dev/null

clean:
	rm -rf build .build
