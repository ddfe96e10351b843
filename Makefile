# SPDX-License-Identifier: MIT
# bondcheck — plain Makefile. `make check` and `make demo` install missing Debian
# packages first (tools/install-deps), then build and run.
#
# Variants: VARIANT=normal (default, -O2) and VARIANT=asan (AddressSanitizer +
# UBSan, leak detection on). Objects go to build/$(VARIANT)/.

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# the bus reads its policy and activation files only from /usr/share
DBUSPOLDIR ?= /usr/share/dbus-1/system.d
DBUSSVCDIR ?= /usr/share/dbus-1/system-services
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR     ?= $(DATADIR)/doc/bondcheck
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions

CC         ?= cc
PKG_CONFIG ?= pkg-config
VARIANT    ?= normal
BUILDDIR   ?= build/$(VARIANT)
B          := $(BUILDDIR)
NPROC      := $(shell nproc 2>/dev/null || echo 2)

PKGS       := glib-2.0 dbus-1 json-glib-1.0
PKG_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS    = $(shell $(PKG_CONFIG) --libs $(PKGS))
# the daemon alone talks to systemd (sd-daemon: sd_notify, log priorities)
SD_CFLAGS   = $(shell $(PKG_CONFIG) --cflags libsystemd)
SD_LIBS     = $(shell $(PKG_CONFIG) --libs libsystemd)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check)

# -Werror: on in a git checkout (developers), in `make check` and in CI;
# off in a release tree or a package build (debian/rules passes WERROR=), so a
# newer compiler's new warning does not break a packager's build.
WERROR ?= $(if $(wildcard .git),-Werror)

WARN := -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 -Wformat-security \
	-Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wold-style-definition -Wpointer-arith -Wwrite-strings -Wundef -Wvla \
	-Wswitch-enum -Wredundant-decls -Wnested-externs -Wimplicit-fallthrough \
	-Wcast-align -Wno-missing-field-initializers

BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -pipe -fstack-protector-strong \
	-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
	-DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
	-DBONDCHECK_VERSION='"$(VERSION)"' -Iinclude

# _FORTIFY_SOURCE=2 only when nobody chose a level: not when CPPFLAGS or
# CFLAGS name one (dpkg-buildflags, Fedora's and Ubuntu's =3) and not when
# the compiler defines it by itself (Ubuntu's gcc does) — a second definition
# is a "redefined" warning, an error under -Werror.
FORTIFY_SET := $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS))
ifeq ($(VARIANT),asan)
VAR_CFLAGS  := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
VAR_LDFLAGS := -fsanitize=address,undefined
else
ifeq ($(FORTIFY_SET),)
FORTIFY_SET := $(shell $(CC) -O2 -dM -E - </dev/null 2>/dev/null | \
	grep -c '_FORTIFY_SOURCE')
FORTIFY_SET := $(filter-out 0,$(FORTIFY_SET))
endif
VAR_CFLAGS  := -O2 $(if $(FORTIFY_SET),,-D_FORTIFY_SOURCE=2)
VAR_LDFLAGS :=
endif

ALL_CFLAGS  = $(CPPFLAGS) $(BASE_CFLAGS) $(WARN) $(VAR_CFLAGS) $(PKG_CFLAGS) \
	$(SD_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(VAR_LDFLAGS) $(LDFLAGS)

# Objects and programs depend on the flags they were built with: the stamp
# is rewritten only when the compiler or a flag changed, so changing CFLAGS
# (or CPPFLAGS, LDFLAGS, CC, VARIANT options) rebuilds and nothing else does.
FLAGS_STAMP := $(B)/.flags
FLAGS_TEXT   = $(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) | $(ALL_LDFLAGS) $(PKG_LIBS) \
	$(SD_LIBS) $(CHECK_LIBS)
ifneq ($(MAKECMDGOALS),clean)
ifneq ($(file <$(FLAGS_STAMP)),$(strip $(FLAGS_TEXT)))
$(shell mkdir -p $(B))
$(file >$(FLAGS_STAMP),$(strip $(FLAGS_TEXT)))
endif
endif

CORE_SRCS := $(wildcard src/core/*.c)
BUS_SRCS  := $(wildcard src/bus/*.c)
SIM_SRCS  := $(filter-out src/sim/main.c,$(wildcard src/sim/*.c))
CLI_SRCS  := $(filter-out src/cli/main.c,$(wildcard src/cli/*.c))
DMN_SRCS  := $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c))
TEST_SRCS := $(wildcard tests/unit/*.c tests/integration/*.c tests/helpers/*.c \
	tests/fuzz/*.c) tests/runner.c tests/vm/hcibridge.c

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIB      := $(B)/libbondcheck.a
SIMLIB   := $(B)/libbcsim.a
CLILIB   := $(B)/libbccli.a
DMNLIB   := $(B)/libbcdaemon.a
PROGS    := $(B)/bondcheck $(if $(wildcard src/sim/main.c),$(B)/bondcheck-sim) \
	$(if $(wildcard src/daemon/main.c),$(B)/bondcheckd)
TESTBIN  := $(B)/tests/bondcheck-tests
GENLOG   := $(B)/bench/bc-genlog
LOGBENCH := $(B)/bench/bc-logbench
VMDUT    := $(B)/bondcheck-vmdut
BRIDGE   := $(B)/bondcheck-bridge

ALL_OBJS := $(call obj,$(CORE_SRCS) $(BUS_SRCS) $(SIM_SRCS) $(CLI_SRCS) $(DMN_SRCS) \
	$(TEST_SRCS) $(wildcard src/*/main.c) bench/genlog_main.c bench/floor.c \
	bench/logbench.c bench/idlefloor.c bench/peakrss.c tests/vm/vmdut.c \
	tests/vm/bridge.c)

.PHONY: all check test demo bench install uninstall clean deps fuzz fuzz-seeds \
	check-vm check-pkg deb format format-check tidy vm-dut
.DEFAULT_GOAL := all

all: $(PROGS)

$(B)/obj/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/tests/%.o: tests/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests -MMD -MP -c $< -o $@

$(B)/obj/bench/%.o: bench/%.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests -MMD -MP -c $< -o $@

$(LIB): $(call obj,$(CORE_SRCS) $(BUS_SRCS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SIMLIB): $(call obj,$(SIM_SRCS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CLILIB): $(call obj,$(CLI_SRCS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(DMNLIB): $(call obj,$(DMN_SRCS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/bondcheck: $(call obj,src/cli/main.c) $(CLILIB) $(SIMLIB) $(LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lutil

$(B)/bondcheck-sim: $(call obj,src/sim/main.c) $(SIMLIB) $(LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/bondcheckd: $(call obj,src/daemon/main.c) $(DMNLIB) $(LIB)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(SD_LIBS)

$(TESTBIN): $(call obj,$(TEST_SRCS)) $(CLILIB) $(DMNLIB) $(SIMLIB) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(SD_LIBS) -lutil

$(VMDUT): $(call obj,tests/vm/vmdut.c) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BRIDGE): $(call obj,tests/vm/bridge.c tests/vm/hcibridge.c) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# bench/NAME.c alone -> bc-NAME (floor, idlefloor, peakrss)
.PRECIOUS: $(B)/obj/bench/%.o
$(B)/bench/bc-%: $(B)/obj/bench/%.o
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(LOGBENCH): $(call obj,bench/logbench.c) $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(GENLOG): $(call obj,bench/genlog_main.c tests/helpers/genlog.c)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

deps:
	@./tools/install-deps

# Run every suite in one variant (the binaries of that variant are what the
# integration tests start).
test: $(PROGS) $(TESTBIN)
	@echo "== Check suites, $(VARIANT) build"
	BONDCHECK_BUILDDIR=$(abspath $(B)) BONDCHECK_SRCDIR=$(CURDIR) \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	CK_VERBOSITY=$${CK_VERBOSITY:-normal} $(TESTBIN)

check: deps
	$(MAKE) format-check
	$(MAKE) -j$(NPROC) VARIANT=normal WERROR=-Werror all \
		build/normal/tests/bondcheck-tests
	$(MAKE) VARIANT=normal WERROR=-Werror test
	$(MAKE) -j$(NPROC) VARIANT=asan WERROR=-Werror all \
		build/asan/tests/bondcheck-tests
	$(MAKE) VARIANT=asan WERROR=-Werror test
	$(MAKE) check-vm
	$(MAKE) WERROR=-Werror check-pkg

# Packaging and build checks (tests/pkg/) that build or install: the
# distribution's flags, make install/uninstall, the Debian package. (The
# README's sample output, bash completion and the CI templates are checked
# by the suite's "pkg" tests, on every landing.)
check-pkg: deps all
	@echo "== Packaging checks"
	./tests/pkg/build-flags
	./tests/pkg/install
	./tests/pkg/deb

# The real-BlueZ tier: bluetoothd 5.66 and the kernel's SMP on btvirt in a
# QEMU guest (tests/vm/README.md). BONDCHECK_SKIP_VM=1 skips it, loudly.
check-vm: deps
	$(MAKE) -j$(NPROC) VARIANT=normal all build/normal/bondcheck-vmdut \
		build/normal/bondcheck-bridge
	/usr/bin/python3 tests/vm/run --build build/normal

# Your own firmware build as the DUT on hci1 of that guest, against real
# bluetoothd on hci0 (doc/own-firmware.md):
#   make vm-dut DUT_CMD='./micropython app.py' DUT_FILES=path/to/dir
# DUT_TRANSPORT=h4-pty|user-channel, DUT_REBOOT=hard|graceful,
# DUT_SCENARIO='a.scn b.scn' (default bond-survives-reboot.scn), DUT_ARGS.
DUT_TRANSPORT ?= h4-pty
DUT_REBOOT    ?= hard
DUT_SCENARIO  ?= bond-survives-reboot.scn
# as written: make would expand the $VARIABLES meant for the DUT's shell
vm-dut: export BC_DUT_CMD = $(value DUT_CMD)
vm-dut: export BC_DUT_ARGS = $(value DUT_ARGS)
vm-dut: deps
	@if [ -z "$$BC_DUT_CMD" ] || [ -z "$(DUT_FILES)" ]; then \
		echo "usage: make vm-dut DUT_CMD='CMD ARGS' DUT_FILES=DIR" \
			"[DUT_TRANSPORT=h4-pty|user-channel]" \
			"[DUT_REBOOT=hard|graceful] [DUT_SCENARIO=...]" \
			"[DUT_ARGS=...] (doc/own-firmware.md)"; exit 2; fi
	$(MAKE) -j$(NPROC) VARIANT=normal all build/normal/bondcheck-vmdut \
		build/normal/bondcheck-bridge
	set --; for s in $(DUT_SCENARIO); do set -- "$$@" --dut-scenario "$$s"; \
	done; /usr/bin/python3 tests/vm/run --build build/normal \
		--dut-cmd "$$BC_DUT_CMD" --dut-files "$(DUT_FILES)" \
		--dut-transport "$(DUT_TRANSPORT)" --dut-reboot "$(DUT_REBOOT)" \
		--dut-args "$$BC_DUT_ARGS" "$$@"

demo: deps
	$(MAKE) -j$(NPROC) VARIANT=normal all
	./tools/demo build/normal

# libFuzzer (clang; ASan+UBSan) on what reads input from outside, one binary
# per target (tests/fuzz/fuzz_*.c): scenario (the parser), logread (run logs
# as report and compare read them), dbus (msg.c and the BlueZ mirror). `make
# fuzz` runs each for FUZZ_SECONDS (default 60) on a copy of its corpus in
# build/fuzz/TARGET/, and stops at the first finding (its input is saved in
# build/fuzz/TARGET/ as crash-*, leak-* or timeout-*: fix it and add it to
# tests/fuzz/corpus/TARGET/, which make check replays). FUZZ_TARGETS picks
# some; FUZZ_JOBS runs targets in parallel (default 1). The figures of each
# run are in build/fuzz/TARGET.log.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= scenario logread dbus
FUZZ_JOBS    ?= 1
FUZZ_CC      ?= clang
FB           := build/fuzz
FUZZ_MAXLEN_scenario := 8192
FUZZ_MAXLEN_logread  := 16384
FUZZ_MAXLEN_dbus     := 4096
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
	-DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74 \
	-DBONDCHECK_VERSION='"$(VERSION)"' -Iinclude -Itests $(PKG_CFLAGS)
FUZZ_LIBOBJS = $(patsubst %.c,$(FB)/obj/%.o,$(CORE_SRCS) $(BUS_SRCS))

$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-MMD -MP -c $< -o $@

$(FB)/libbondcheck.a: $(FUZZ_LIBOBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FB)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/libfuzzer/main.c tests/fuzz/fuzz.h \
		$(FB)/libbondcheck.a
	$(call say,LD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		-DFUZZ_TARGET=fuzz_$* tests/fuzz/fuzz_$*.c \
		tests/fuzz/libfuzzer/main.c $(FB)/libbondcheck.a -o $@ \
		$(PKG_LIBS) -lm

$(FB)/mkseeds-dbus: tests/fuzz/libfuzzer/mkseeds-dbus.c $(LIB)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LIB) -o $@ $(PKG_LIBS)

# Runs one target: fuzz-run-NAME (make fuzz runs them all).
fuzz-run-%: $(FB)/fuzz_%
	@rm -rf $(FB)/$* && mkdir -p $(FB)/$*/corpus
	cp tests/fuzz/corpus/$*/* $(FB)/$*/corpus/
	cd $(FB)/$* && G_DEBUG=fatal-criticals \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		../fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
		-max_len=$(FUZZ_MAXLEN_$*) -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 corpus 2>&1 | tee ../$*.log | \
		grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|Done|stat::|==[0-9]+==|SUMMARY)'; \
		test $${PIPESTATUS[0]} -eq 0

fuzz: deps
	$(MAKE) -j$(NPROC) $(addprefix $(FB)/fuzz_,$(FUZZ_TARGETS))
	$(MAKE) -j$(FUZZ_JOBS) SHELL=/bin/bash $(addprefix fuzz-run-,$(FUZZ_TARGETS))

# Rewrites tests/fuzz/corpus/dbus/*.bin, the D-Bus seeds, from their source.
fuzz-seeds: $(FB)/mkseeds-dbus
	$(FB)/mkseeds-dbus tests/fuzz/corpus/dbus

bench: deps
	$(MAKE) -j$(NPROC) VARIANT=normal all build/normal/bench/bc-genlog \
		build/normal/bench/bc-floor build/normal/bench/bc-logbench \
		build/normal/bench/bc-idlefloor build/normal/bench/bc-peakrss \
		build/normal/bondcheck-vmdut build/normal/bondcheck-bridge
	/usr/bin/python3 bench/run build/normal

# Installed documentation is named by its installed path: the man pages' and
# the programs' hints say PREFIX/share/doc/bondcheck/X.md, not doc/X.md.
MANS     := $(wildcard doc/man/*.[158])
DOCS     := README.md $(wildcard doc/*.md)
CIDOCS   := $(wildcard doc/ci/*)
SCNDIR   := $(DATADIR)/bondcheck/scenarios
INST_PATHS = -e 's|doc/\([A-Za-z0-9_-]*\.md\)|$(DOCDIR)/\1|g' \
	-e 's|\([ (]\)scenarios/|\1$(SCNDIR)/|g'

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
		$(addprefix $(DESTDIR)$(MANDIR)/man,1 5 8) \
		$(DESTDIR)$(SCNDIR) $(DESTDIR)$(DOCDIR) \
		$(if $(CIDOCS),$(DESTDIR)$(DOCDIR)/ci) \
		$(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(DBUSPOLDIR) $(DESTDIR)$(DBUSSVCDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(SYSCONFDIR)/bondcheck
	install -m 0755 $(B)/bondcheck $(B)/bondcheck-sim $(DESTDIR)$(BINDIR)/
	install -m 0755 $(B)/bondcheckd $(DESTDIR)$(SBINDIR)/
	for m in $(MANS); do \
		sed $(INST_PATHS) $$m > $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(if $(CIDOCS),install -m 0644 $(CIDOCS) $(DESTDIR)$(DOCDIR)/ci/)
	install -m 0644 scenarios/*.scn $(DESTDIR)$(SCNDIR)/
	install -m 0644 completion/bondcheck $(DESTDIR)$(COMPLETIONDIR)/bondcheck
	ln -sf bondcheck $(DESTDIR)$(COMPLETIONDIR)/bondcheck-sim
	ln -sf bondcheck $(DESTDIR)$(COMPLETIONDIR)/bondcheckd
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/bondcheckd.service.in > \
		$(DESTDIR)$(UNITDIR)/bondcheckd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/bondcheckd.service
	install -m 0644 systemd/org.bondcheck.conf $(DESTDIR)$(DBUSPOLDIR)/
	install -m 0644 systemd/org.bondcheck.service $(DESTDIR)$(DBUSSVCDIR)/
	install -m 0644 systemd/bondcheck.sysusers \
		$(DESTDIR)$(SYSUSERSDIR)/bondcheckd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/bondcheck/bondcheckd.conf || \
		install -m 0644 systemd/bondcheckd.conf \
		$(DESTDIR)$(SYSCONFDIR)/bondcheck/bondcheckd.conf

# Removes what install put there; the configuration file only when it is
# still the shipped one (an edited one is the administrator's).
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/bondcheck $(DESTDIR)$(BINDIR)/bondcheck-sim \
		$(DESTDIR)$(SBINDIR)/bondcheckd \
		$(foreach m,$(MANS),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS))) \
		$(addprefix $(DESTDIR)$(DOCDIR)/ci/,$(notdir $(CIDOCS))) \
		$(addprefix $(DESTDIR)$(SCNDIR)/,$(notdir $(wildcard scenarios/*.scn))) \
		$(addprefix $(DESTDIR)$(COMPLETIONDIR)/,bondcheck bondcheck-sim bondcheckd) \
		$(DESTDIR)$(UNITDIR)/bondcheckd.service \
		$(DESTDIR)$(DBUSPOLDIR)/org.bondcheck.conf \
		$(DESTDIR)$(DBUSSVCDIR)/org.bondcheck.service \
		$(DESTDIR)$(SYSUSERSDIR)/bondcheckd.conf
	if cmp -s systemd/bondcheckd.conf \
		$(DESTDIR)$(SYSCONFDIR)/bondcheck/bondcheckd.conf; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/bondcheck/bondcheckd.conf; fi
	-rmdir $(DESTDIR)$(DOCDIR)/ci $(DESTDIR)$(DOCDIR) $(DESTDIR)$(SCNDIR) \
		$(DESTDIR)$(DATADIR)/bondcheck \
		$(DESTDIR)$(SYSCONFDIR)/bondcheck 2>/dev/null

# The Debian packages (debian/), built by dpkg-buildpackage from a copy of
# the tree's files (tracked and new, not build/ or ignored ones), as a
# clean clone would: build/deb/bondcheck_*.deb and bondcheckd_*.deb.
DEBDIR := build/deb
deb:
	@command -v dpkg-buildpackage >/dev/null || { echo "make deb needs \
		dpkg-dev and debhelper (tools/install-deps)" >&2; exit 3; }
	rm -rf $(DEBDIR) && mkdir -p $(DEBDIR)/bondcheck-$(VERSION)
	if [ -e .git ]; then git ls-files -z -co --exclude-standard; \
	else find . -path ./build -prune -o ! -type d -print0; fi | \
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null | \
		tar -xf - -C $(DEBDIR)/bondcheck-$(VERSION)
	cd $(DEBDIR)/bondcheck-$(VERSION) && \
		env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		dpkg-buildpackage -b -us -uc $(DEB_BUILD_ARGS) \
		>../dpkg-buildpackage.log 2>&1 || \
		{ tail -40 ../dpkg-buildpackage.log >&2; exit 1; }
	rm -rf $(DEBDIR)/bondcheck-$(VERSION)
	@ls $(DEBDIR)/*.deb

clean:
	rm -rf build

# ---- style and static checks ------------------------------------------
#
# make format-check: the files that differ from clang-format's output with
# .clang-format (tools/format-check; exit 1 if any). `make check` runs it
# first (two seconds). The tree was formatted in one commit, listed in
# .git-blame-ignore-revs (git config blame.ignoreRevsFile .git-blame-ignore-revs).
# make format: clang-format -i on every C file.
# make tidy: clang-tidy with .clang-tidy on every C file, with the flags the
# objects are built with; any finding fails. One stamp per file under
# build/tidy/, so `make -j2 tidy` runs in parallel and re-checks only what
# changed (a header change re-checks everything).
CLANG_FORMAT ?= clang-format
CLANG_TIDY   ?= clang-tidy
TIDY_SRCS := $(CORE_SRCS) $(BUS_SRCS) $(wildcard src/sim/*.c src/cli/*.c \
	src/daemon/*.c) $(TEST_SRCS) $(wildcard bench/*.c) \
	$(wildcard tests/vm/*.c)
TIDY_HDRS := $(wildcard include/bondcheck/*.h src/*/*.h tests/*.h \
	tests/helpers/*.h)
# the compile flags, less what only gcc knows and what only changes code
# generation; warnings are the compiler's business, not tidy's
TIDY_CFLAGS = $(CPPFLAGS) $(BASE_CFLAGS) $(PKG_CFLAGS) $(SD_CFLAGS) \
	$(CHECK_CFLAGS) -Itests
TIDY_STAMPS := $(patsubst %.c,build/tidy/%.ok,$(TIDY_SRCS))

format-check:
	@CLANG_FORMAT=$(CLANG_FORMAT) ./tools/format-check

format:
	$(CLANG_FORMAT) -i $$(git ls-files '*.c' '*.h' 2>/dev/null || \
		find include src tests bench -name '*.[ch]')

tidy: $(TIDY_STAMPS)
	@echo "tidy: $(words $(TIDY_STAMPS)) files, no findings"

build/tidy/%.ok: %.c .clang-tidy $(TIDY_HDRS)
	@mkdir -p $(dir $@)
	$(call say,TIDY,$<)
	$(Q)if $(CLANG_TIDY) --quiet $< -- $(TIDY_CFLAGS) >$@.out 2>&1; then \
		rm -f $@.out; touch $@; \
	else \
		grep -v 'warnings\? generated\.$$' $@.out >&2; \
		rm -f $@.out; exit 1; \
	fi

-include $(ALL_OBJS:.o=.d)
