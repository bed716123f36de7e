# SPDX-License-Identifier: MIT
# `make fuzz [FUZZ_SECONDS=N] [FUZZ_TARGETS="part fat"]`: libFuzzer harnesses
# (tests/fuzz/fuzz_*.c) over the hosted set, built with clang and
# -fsanitize=fuzzer,address,undefined into build/fuzz/. Each harness runs N
# seconds (default 60) from a seed corpus made by tests/fuzz/make-corpus.sh
# with real tools; any crash, leak, timeout or sanitizer report fails the
# target (tests/fuzz/run-fuzz.sh prints executions per harness).
# `make fuzz-build` only builds.

FUZZB := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -DSPINDLE_HOSTED -DSPINDLE_FUZZ -O1 -g -Wall -Wextra \
               -Wno-unused-parameter -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=undefined -fno-omit-frame-pointer -MMD -MP -I.
FUZZ_LDFLAGS := -fsanitize=fuzzer,address,undefined -pthread
FUZZ_OBJ := $(HOSTED_C:%.c=$(FUZZB)/o/%.o)
FUZZ_LIB := $(FUZZB)/libspindle-fuzz.a
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ALL := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BIN := $(FUZZ_ALL:%=$(FUZZB)/fuzz_%)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	$(Q)tests/fuzz/make-corpus.sh $(FUZZB)/seeds
	$(Q)tests/fuzz/run-fuzz.sh $(FUZZB) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(FUZZB)/o/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $(FUZZ_OBJ)

$(FUZZB)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	@echo "  FUZZLD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB) $(FUZZ_LDFLAGS)
