# promsight — offline analyzer for Prometheus Agent -> Thanos Receive bundles.
# Single non-recursive Makefile. Sources are globbed per stage, so a new file
# in src/<stage>/ or tests/unit/ needs no edit here.
#
#   make            build build/rel/promsight
#   make demo       analyse the example bundle in testdata/
#   make check      unit + CLI tests, then again under ASan+UBSan, + fuzz replay
#   make bench      benchmarks against Prometheus' own tools (tests/bench/)
#   make fuzz       short libFuzzer run of every harness (clang)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Knobs: BUILD=dir (build root, default build), SAN=1 (sanitizers), V=1,
# CC=compiler (default clang; gcc builds the same code warning-free too).

BUILD   ?= build
PREFIX  ?= /usr/local
# clang unless CC is given on the command line or in the environment (make's
# own default, cc, does not count). Why clang: the WAL reader's snappy loop,
# the largest cost of reading a compressed WAL, runs ~9% faster as clang 14
# lays it out than as gcc 12 does (a whole read of the snappy bench WAL:
# 140 -> 134 ms CPU on one thread, wall min 81.6 -> 76.9 ms on two; the
# uncompressed WAL ~2% slower; docs/format-wal.md, session 6). clang is
# installed by .ci/install-deps.sh in any case, for the fuzzers.
# `make check` builds its sanitizer pass with gcc then, so both compilers
# build and test every file warning-free.
ifeq ($(origin CC),default)
  CC := clang
  SAN_CC := gcc
else
  SAN_CC := $(CC)
endif
CLANG   ?= clang
FUZZ_SECONDS ?= 10
SHARED  ?= ../shared

ifeq ($(SAN),1)
  OBJDIR := $(BUILD)/asan
  # float-cast-overflow: gcc's "undefined" leaves it out (clang's has it);
  # fuzz_block found a double -> uint64 conversion of +Inf (e92b17e).
  SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
  OPT := -O1 -g -gdwarf-4
else
  OBJDIR := $(BUILD)/rel
  SANFLAGS :=
  # DWARF 4: valgrind 3.19 (Debian 12) cannot read clang 14's DWARF 5
  OPT := -O2 -g -gdwarf-4
endif

# What promsight links. snappy is not among them: the WAL reader has its
# own decoder (src/wal/wal_snappy.c); libsnappy (C++, so libstdc++ too) is
# the reference the tests compress with and compare against (TEST_LIBS).
# Nor is libarchive: src/bundle/archive_lib.c dlopen()s it by soname on the
# first archive open (its dependency chain doubled process start); only its
# headers are used here, and the tests that write archives link it.
PKGS := libzstd jansson gsl yaml-0.1 libpcre2-8
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) libarchive 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  = $(shell pkg-config --libs cmocka snappy 2>/dev/null)
LA_LIBS    = $(shell pkg-config --libs libarchive 2>/dev/null)
# The soname of the libarchive pkg-config finds, read once from its ELF
# header; if that fails, libarchive.so.13 (the current one, Debian 12's).
LA_SONAME := $(shell objdump -p "$$(pkg-config --variable=libdir libarchive \
               2>/dev/null)/libarchive.so" 2>/dev/null | awk '$$1 == "SONAME" { print $$2 }')
LA_SONAME := $(if $(LA_SONAME),$(LA_SONAME),libarchive.so.13)

WARN := -Wall -Wextra -Werror -Wshadow -Wvla -Wpointer-arith -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CPPFLAGS_ALL := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc \
                -DPS_DATADIR='"$(PREFIX)/share/promsight"' \
                -DPS_LIBARCHIVE_SONAME='"$(LA_SONAME)"'
CFLAGS_ALL = $(CPPFLAGS_ALL) $(WARN) $(OPT) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS_ALL = $(SANFLAGS) $(PKG_LIBS) -lm $(LDFLAGS)

Q := $(if $(V),,@)

LIB_SRC  := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(OBJDIR)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(OBJDIR)/%.o)
LIB_A    := $(OBJDIR)/libpromsight.a
BIN      := $(OBJDIR)/promsight
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(OBJDIR)/tests/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(OBJDIR)/replay/replay_%)

.PHONY: all deps demo check check-run bench fuzz install clean reports oracle help
.DEFAULT_GOAL := all

all: $(BIN) ## build build/rel/promsight

deps: ## install missing Debian packages (idempotent)
	$(Q)sh .ci/install-deps.sh

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB_A)
	$(if $(V),,@echo "  LD      $@")
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(LIB_A) $(LDLIBS_ALL)

$(OBJDIR)/tests/%: tests/unit/%.c $(LIB_A) tests/unit/test_util.h
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(shell pkg-config --cflags snappy 2>/dev/null) -Itests/unit \
	  $< -o $@ $(LIB_A) $(TEST_LIBS) $(LDLIBS_ALL)

# Unit tests that build their archives with libarchive's write API.
$(OBJDIR)/tests/test_bundle_archive $(OBJDIR)/tests/test_ingest_wal_once: TEST_LIBS += $(LA_LIBS)

$(OBJDIR)/replay/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $< tests/fuzz/replay_main.c -o $@ $(LIB_A) $(LDLIBS_ALL)

# Run everything built for one configuration (OBJDIR); used twice by check.
check-run: $(BIN) $(UNIT_BIN) $(REPLAY_BIN)
	$(Q)sh tests/run-tests.sh $(OBJDIR) $(SHARED)

check: deps ## unit, CLI and fuzz-replay tests, plain and under ASan+UBSan
	$(Q)$(MAKE) --no-print-directory check-run
	$(Q)$(MAKE) --no-print-directory check-run SAN=1 CC=$(SAN_CC)

demo: deps $(BIN) ## analyse the example bundle in testdata/ into reports/demo/
	$(Q)sh tests/demo.sh $(BIN)

reports: $(BIN) ## regenerate the committed example reports in reports/ and the man page
	$(Q)sh tests/reports.sh $(BIN)
	$(Q)sh tests/gen-man.sh $(BIN) > docs/promsight.1

bench: deps $(BIN) ## benchmarks against promtool / prometheus (tests/bench/)
	$(Q)sh tests/bench/run.sh $(BIN)

FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/fuzz/%.o)
FUZZ_CFLAGS = $(CPPFLAGS_ALL) $(WARN) -O1 -g -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS)

$(BUILD)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJ) -o $@ $(PKG_LIBS) -lm

fuzz: deps $(FUZZ_BIN) ## run every libFuzzer harness for FUZZ_SECONDS
	$(Q)sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

oracle: ## regenerate the promtool-made TSDB fixtures and their expected output
	$(Q)sh tests/tsdb-oracle.sh

install: $(BIN) ## install to $(DESTDIR)$(PREFIX)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/promsight \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/promsight
	[ ! -f src/collect/collect-bundle.sh ] || \
	  install -m 755 src/collect/collect-bundle.sh $(DESTDIR)$(PREFIX)/bin/promsight-collect
	cp -R models $(DESTDIR)$(PREFIX)/share/promsight/
	[ ! -f docs/promsight.1 ] || install -m 644 docs/promsight.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean: ## remove build/
	rm -rf $(BUILD)

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

# headers a test or replay binary includes (tests/unit/test_wal_writer.h, ...)
# are in the .d files -MMD writes beside each binary
-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_BIN:=.d) $(REPLAY_BIN:=.d)
