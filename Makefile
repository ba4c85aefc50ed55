# Interrupt migration during CPU hotplug on GICv3, as a freestanding
# Embedded Swift image for QEMU's virt machine.
#
#   make            build the image (build/image.elf)
#   make run        boot it in QEMU; exits with the image's status
#   make test       host tests (swift test), then QEMU boot checks
#   make clean
#
# Variables: SMP (CPUs, default 4), EL (1, or 2 for virtualization=on),
# POLICY (balanced or seed), HOTPLUG (1, or 0 to compile the feature out),
# QEMUFLAGS (extra QEMU arguments, appended last), APPEND (extra words for
# the image's command line).

SMP       ?= 4
EL        ?= 1
POLICY    ?= balanced
HOTPLUG   ?= 1
QEMUFLAGS ?=
APPEND    ?=
MEMORY    ?= 256M

SWIFTC  ?= swiftc
TOOLBIN := $(dir $(shell command -v $(SWIFTC)))
CLANG   ?= $(TOOLBIN)clang
LLD     ?= $(TOOLBIN)ld.lld

ifeq ($(HOTPLUG),0)
BUILD := build/hotplug-off
else
BUILD := build/hotplug-on
endif
IMAGE := $(BUILD)/image.elf

CORE_SOURCES   := $(shell find Sources/HotplugCore -name '*.swift' | sort)
KERNEL_SOURCES := $(shell find Sources/Kernel -name '*.swift' | sort)
BRIDGING_HEADER := Sources/Kernel/Arch/AArch64.h

SWIFT_FLAGS := -target aarch64-none-none-elf -enable-experimental-feature Embedded \
	-wmo -parse-as-library -Osize -swift-version 6 \
	-Xfrontend -disable-stack-protector -Xfrontend -function-sections \
	-Xcc -fno-pic -Xcc -mcpu=cortex-a57 \
	-import-bridging-header $(BRIDGING_HEADER) -module-name Kernel
ifeq ($(HOTPLUG),0)
SWIFT_FLAGS += -D HOTPLUG_DISABLED
endif

C_FLAGS := --target=aarch64-none-elf -mcpu=cortex-a57 -ffreestanding -fno-builtin \
	-fno-pic -O2 -Wall -Wextra -ffunction-sections

MACHINE := virt,gic-version=3
ifeq ($(EL),2)
MACHINE := $(MACHINE),virtualization=on
else ifneq ($(EL),1)
$(error EL must be 1 or 2, not $(EL))
endif

# BOOT=kernel (default) boots like a kernel: QEMU writes its device tree at
# the start of RAM. BOOT=loader loads the ELF with QEMU's generic loader,
# which writes no device tree: the image must refuse to run.
BOOT ?= kernel
ifeq ($(BOOT),loader)
LOAD := -device loader,file=$(IMAGE),cpu-num=0
else
LOAD := -kernel $(IMAGE)
endif

QEMU := qemu-system-aarch64 -M $(MACHINE) -cpu cortex-a57 -smp $(SMP) -m $(MEMORY) \
	-nographic -semihosting $(LOAD)
IMAGE_ARGS := policy=$(POLICY) $(APPEND)

.PHONY: all run test host-test qemu-test deps clean

all: $(IMAGE)

deps:
	@scripts/install-deps.sh

$(BUILD)/kernel.o: $(CORE_SOURCES) $(KERNEL_SOURCES) $(BRIDGING_HEADER) Makefile
	@mkdir -p $(BUILD)
	$(SWIFTC) $(SWIFT_FLAGS) -c $(CORE_SOURCES) $(KERNEL_SOURCES) -o $@

$(BUILD)/%.o: boot/%.S Makefile
	@mkdir -p $(BUILD)
	$(CLANG) $(C_FLAGS) -c $< -o $@

$(BUILD)/%.o: boot/%.c Makefile
	@mkdir -p $(BUILD)
	$(CLANG) $(C_FLAGS) -c $< -o $@

$(IMAGE): $(BUILD)/start.o $(BUILD)/vectors.o $(BUILD)/runtime.o $(BUILD)/kernel.o linker/image.ld
	$(LLD) -T linker/image.ld --gc-sections --orphan-handling=error -nostdlib \
		-Map $(BUILD)/image.map -o $@ $(filter %.o,$^)

run: deps $(IMAGE)
	$(QEMU) -append "$(IMAGE_ARGS)" $(QEMUFLAGS)

test: deps
	swift test
	$(MAKE) $(IMAGE)
	$(MAKE) HOTPLUG=0 all
	python3 Tests/qemu/boot_checks.py

clean:
	rm -rf build .build
