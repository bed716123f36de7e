# SPDX-License-Identifier: MIT
# Spindle build. Targets (see README.md):
#   make            kernel ISO (build/spindle.iso) and host tools (build/host/kdisk)
#   make run        boot the ISO in QEMU on this terminal (GUI=1 for a window)
#   make test       host unit tests, then QEMU scenarios; ends "N passed, N failed"
#   make bench      benchmarks, printing "BENCH name metric=value" lines
#   make debug      QEMU paused with a gdb stub
# Sources are found by folder, so a new file needs no Makefile edit:
#   kernel image  = boot/ kernel/ blkdev/ drivers/ fs/  (*.c, *.asm; not *.mod.*)
#   hosted set    = blkdev/ fs/ kernel/lib/ kernel/shell/ + tests/host/ tests/fakes/
#   modules       = drivers/**/*.mod.asm and *.mod.c -> build/modules/NAME.o (GRUB modules)
#   unit tests    = tests/unit/test_*.c, each linked with the hosted set
# KTEST=1 builds the test kernel (crash command, panic exits QEMU) into BUILD.

BUILD ?= build
KTEST ?= 0
HOSTB := build/host
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

NASM := nasm
CC_K := gcc
CC_H := gcc

# ---- kernel (freestanding i386) -----------------------------------------------------------
KCFLAGS := -m32 -std=c11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
           -mgeneral-regs-only -mno-red-zone -fno-omit-frame-pointer -fno-strict-aliasing \
           -O2 -g -Wall -Wextra -Werror -MMD -MP -I.
ifeq ($(KTEST),1)
KCFLAGS += -DSPINDLE_TEST -DSPINDLE_DEBUG
endif
KLDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
            -T boot/linker.ld

KDIRS := boot kernel blkdev drivers fs
KERNEL_C := $(shell find $(KDIRS) -name '*.c' ! -name '*.mod.c' 2>/dev/null | sort)
KERNEL_ASM := $(shell find $(KDIRS) -name '*.asm' ! -name '*.mod.asm' 2>/dev/null | sort)
KOBJ := $(KERNEL_C:%.c=$(BUILD)/k/%.o) $(KERNEL_ASM:%.asm=$(BUILD)/k/%.asm.o)

MOD_ASM := $(shell find drivers -name '*.mod.asm' 2>/dev/null | sort)
MOD_C := $(shell find drivers -name '*.mod.c' 2>/dev/null | sort)
# Test kernel only: malformed modules the loader must reject (tests/modules/),
# plus two generated ones: a good module cut in half and a file that is not ELF.
MOD_GEN :=
ifeq ($(KTEST),1)
MOD_ASM += $(shell find tests/modules -name '*.mod.asm' 2>/dev/null | sort)
MOD_GEN := $(BUILD)/modules/bad_truncated.o $(BUILD)/modules/bad_not_elf.o
endif
MODULES := $(foreach f,$(MOD_ASM),$(BUILD)/modules/$(notdir $(f:.mod.asm=.o))) \
           $(foreach f,$(MOD_C),$(BUILD)/modules/$(notdir $(f:.mod.c=.o))) $(MOD_GEN)

ISO := $(BUILD)/spindle.iso

# ---- hosted (native, sanitizers) ----------------------------------------------------------
HCFLAGS := -std=c11 -D_GNU_SOURCE -DSPINDLE_HOSTED -O1 -g -Wall -Wextra -Werror \
           -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer -MMD -MP -I.
HLDFLAGS := -fsanitize=address,undefined -pthread
# drivers/*/lib/: the hardware-free part of a driver (format parsers, image
# backends), compiled into both the kernel and the hosted library.
HOSTED_C := $(shell find blkdev fs kernel/lib kernel/shell tests/host tests/fakes \
              $(wildcard drivers/*/lib) -name '*.c' 2>/dev/null | sort)
HOBJ := $(HOSTED_C:%.c=$(HOSTB)/o/%.o)
HLIB := $(HOSTB)/libspindle.a
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(HOSTB)/tests/%)
KDISK_C := $(sort $(wildcard tools/kdisk/*.c))
KDISK := $(HOSTB)/kdisk
BENCH_C := $(sort $(wildcard tools/bench/*.c))
BENCH_BIN := $(BENCH_C:tools/bench/%.c=$(HOSTB)/bench/%)

.PHONY: all kernel iso host unit run debug test test-unit test-qemu bench deps clean
all: iso host

kernel: $(BUILD)/kernel.elf
iso: $(ISO)
host: $(KDISK) $(UNIT_BIN) $(BENCH_BIN)

$(BUILD)/k/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC_K) $(KCFLAGS) -c $< -o $@

$(BUILD)/k/%.asm.o: %.asm
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) -f elf32 -g -F dwarf -I. -MD $(@:.o=.d) -MP $< -o $@

$(BUILD)/kernel.elf: $(KOBJ) boot/linker.ld
	@echo "  LD      $@"
	$(Q)$(CC_K) $(KLDFLAGS) -o $@ $(KOBJ) -lgcc

# Driver modules: ELF32 relocatable objects that the kernel links at boot.
define module_asm_rule
$(BUILD)/modules/$(notdir $(1:.mod.asm=.o)): $(1)
	@mkdir -p $$(dir $$@)
	@echo "  NASM    $$< (module)"
	$$(Q)$$(NASM) -f elf32 -I. $$< -o $$@
endef
define module_c_rule
$(BUILD)/modules/$(notdir $(1:.mod.c=.o)): $(1)
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$< (module)"
	$$(Q)$$(CC_K) $$(KCFLAGS) -c $$< -o $$@
endef
$(foreach f,$(MOD_ASM),$(eval $(call module_asm_rule,$(f))))
$(foreach f,$(MOD_C),$(eval $(call module_c_rule,$(f))))
ifeq ($(KTEST),1)
$(BUILD)/modules/bad_truncated.o: $(BUILD)/modules/ramdisk_asm.o
	@echo "  GEN     $@"
	$(Q)head -c $$(( $$(stat -c %s $<) / 2 )) $< > $@
$(BUILD)/modules/bad_not_elf.o: Makefile
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)printf 'Spindle test module: plain text, not an ELF object at all.\n' > $@
endif

$(ISO): $(BUILD)/kernel.elf $(MODULES) boot/grub.cfg.in tools/mkiso.sh
	@echo "  ISO     $@"
	$(Q)tools/mkiso.sh $(BUILD) $(ISO) $(MODULES)

# ---- hosted objects, unit tests, kdisk ------------------------------------------------------
$(HOSTB)/o/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(CC_H) $(HCFLAGS) -c $< -o $@

$(HLIB): $(HOBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $(HOBJ)

$(HOSTB)/tests/%: tests/unit/%.c $(HLIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $<"
	$(Q)$(CC_H) $(HCFLAGS) -o $@ $< $(HLIB) $(HLDFLAGS) -lcmocka

$(KDISK): $(KDISK_C) $(HLIB)
	@mkdir -p $(dir $@)
	@echo "  HOSTLD  $@"
	$(Q)$(CC_H) $(HCFLAGS) -o $@ $(KDISK_C) -Wl,--whole-archive $(HLIB) -Wl,--no-whole-archive $(HLDFLAGS)

$(HOSTB)/bench/%: tools/bench/%.c $(HLIB)
	@mkdir -p $(dir $@)
	@echo "  BENCH   $<"
	$(Q)$(CC_H) $(filter-out -fsanitize=% -fno-sanitize-recover=% -O1,$(HCFLAGS)) -O2 \
	    -o $@ $< $(HOBJ:$(HOSTB)/o/%=$(HOSTB)/bench-o/%) -pthread -lm

$(HOSTB)/bench-o/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CC_H) $(filter-out -fsanitize=% -fno-sanitize-recover=% -O1,$(HCFLAGS)) -O2 -c $< -o $@

$(BENCH_BIN): $(HOBJ:$(HOSTB)/o/%=$(HOSTB)/bench-o/%)

# ---- running ----------------------------------------------------------------------------------
deps:
	$(Q)tools/deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/run-qemu.sh $(ISO)

debug: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)DEBUG=1 tools/run-qemu.sh $(ISO)

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory tsan-build
	$(Q)$(MAKE) --no-print-directory BUILD=build/test KTEST=1 iso
	$(Q)python3 tests/run_all.py

test-unit: host
	$(Q)python3 tests/run_all.py --unit-only

test-qemu:
	$(Q)$(MAKE) --no-print-directory BUILD=build/test KTEST=1 iso
	$(Q)python3 tests/run_all.py --qemu-only

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)python3 tests/bench.py

clean:
	rm -rf build

-include $(shell find build -name '*.d' -type f 2>/dev/null)
# Feature fragments (e.g. mk/fuzz.mk) kept beside the main rules.
-include $(sort $(wildcard mk/*.mk))

# ---- ThreadSanitizer build of the cache concurrency tests (issue #4) -------------------------
# `make tsan`: the hosted set again with -fsanitize=thread in its own tree, then the tests.
TSANB := build/host-tsan
TSAN_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(HCFLAGS)) -fsanitize=thread
TSAN_TESTS := test_cache_concurrency
TSAN_OBJ := $(HOSTED_C:%.c=$(TSANB)/o/%.o)
TSAN_BIN := $(TSAN_TESTS:%=$(TSANB)/tests/%)

.PHONY: tsan tsan-build
tsan-build: $(TSAN_BIN)
tsan: $(TSAN_BIN)
	$(Q)for t in $(TSAN_BIN); do echo "  TSAN    $$t"; \
	    TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/tsan.supp" $$t || exit 1; done

$(TSANB)/o/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  TSANCC  $<"
	$(Q)$(CC_H) $(TSAN_CFLAGS) -c $< -o $@

$(TSANB)/libspindle.a: $(TSAN_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $(TSAN_OBJ)

$(TSANB)/tests/%: tests/unit/%.c $(TSANB)/libspindle.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $< (tsan)"
	$(Q)$(CC_H) $(TSAN_CFLAGS) -o $@ $< $(TSANB)/libspindle.a -fsanitize=thread -pthread -lcmocka
