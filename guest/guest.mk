# The guest kernel (guest/): built into $(BUILD)/guest.elf and the flat
# $(BUILD)/guest.bin, which $(GUEST_OBJECT) carries as read-only data
# (guest_image_start .. guest_image_end) for the hypervisor image to link.
# Included by the Makefile; uses its SWIFTC, CLANG, LLD and BUILD.
#
#   make guest               the guest, its flat image and that object
#   make guest-standalone    the guest behind a stand-in for a hypervisor
#                            (guest/standalone-check.S) that boots it on bare
#                            QEMU, at EL1 or under EL2 through list registers,
#                            for Tests/qemu/guest_standalone_check.py

GUEST_SOURCES := $(sort $(wildcard guest/Sources/Guest/*.swift))
GUEST_HEADERS := guest/GuestRecord.h guest/Sources/GuestArch.h Sources/Kernel/Arch/AssemblyLayout.h boot/general-registers.h boot/mmu-enable.h
OBJCOPY ?= $(TOOLBIN)llvm-objcopy

# Embedded Swift without FP/SIMD code (general registers only: the vectors
# save no q registers and CPACR_EL1 traps them) and without allocation.
GUEST_SWIFT_FLAGS := -target aarch64-none-none-elf -enable-experimental-feature Embedded \
	-wmo -parse-as-library -Osize -swift-version 6 \
	-Xfrontend -disable-stack-protector -Xfrontend -function-sections \
	-Xcc -fno-pic -Xcc -mcpu=cortex-a57 -Xcc -mgeneral-regs-only -no-allocations \
	-import-bridging-header guest/Sources/GuestArch.h -module-name Guest
GUEST_ASM_FLAGS := --target=aarch64-none-elf -mcpu=cortex-a57 -I guest -I boot -I Sources/Kernel/Arch -fno-pic

GUEST_OBJECTS := $(BUILD)/guest/start.o $(BUILD)/guest/vectors.o $(BUILD)/guest/guest.o
GUEST_OBJECT := $(BUILD)/guest/guest-image.o

.PHONY: guest guest-standalone
guest: $(BUILD)/guest.elf $(BUILD)/guest.bin $(GUEST_OBJECT)
guest-standalone: $(BUILD)/guest-standalone.elf

$(BUILD)/guest/guest.o: $(GUEST_SOURCES) $(GUEST_HEADERS) guest/guest.mk
	@mkdir -p $(dir $@)
	$(SWIFTC) $(GUEST_SWIFT_FLAGS) -c $(GUEST_SOURCES) -o $@
	@touch $@

$(BUILD)/guest/%.o: guest/%.S $(GUEST_HEADERS) guest/guest.mk
	@mkdir -p $(dir $@)
	$(CLANG) $(GUEST_ASM_FLAGS) -c $< -o $@

$(BUILD)/guest.elf: $(GUEST_OBJECTS) guest/guest.ld
	$(LLD) -T guest/guest.ld --gc-sections --orphan-handling=error -nostdlib -o $@ $(GUEST_OBJECTS)

$(BUILD)/guest.bin: $(BUILD)/guest.elf
	$(OBJCOPY) -O binary $< $@

$(GUEST_OBJECT): guest/guest-image.S $(BUILD)/guest.bin
	@mkdir -p $(dir $@)
	$(CLANG) $(GUEST_ASM_FLAGS) -DGUEST_BIN='"$(BUILD)/guest.bin"' -c $< -o $@

# The same guest, entered first at standalone_entry on the boot CPU.
$(BUILD)/guest-standalone.elf: $(GUEST_OBJECTS) $(BUILD)/guest/standalone-check.o guest/guest.ld
	$(LLD) -T guest/guest.ld --gc-sections --orphan-handling=error -nostdlib -e standalone_entry \
		-o $@ $(GUEST_OBJECTS) $(BUILD)/guest/standalone-check.o
