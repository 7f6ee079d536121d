# conmon - the container monitor.
#
#   make                 ./conmon: static musl when musl-gcc exists, else cc
#   make CC=gcc|clang    ./conmon against glibc
#   make test            unit tests, bats on runc and crun, Podman end to end
#   make demo            run a busybox container under conmon and runc
#   make bench           side-by-side figures against /usr/bin/conmon
#   make asan            ./conmon-asan (ASan + UBSan, glibc); asan-test runs it
#   make valgrind        the lifecycle suite under valgrind's memcheck
#   make fuzz            every libFuzzer target for FUZZ_TIME (300) s
#   make cross           dist/conmon-VERSION-linux-{amd64,arm64,armhf,riscv64}
#                        and dist/SHA256SUMS: static musl, reproducible
#   make test-cross      the cross binaries on runc under qemu-user
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

ifeq ($(origin CC),default)
ifneq ($(shell command -v musl-gcc 2>/dev/null),)
CC := musl-gcc
endif
endif

# The machine CC builds for (Debian's musl wrappers give their gnu triplet,
# aarch64-linux-gnu) and whether its C library is musl, told by what its
# headers define rather than by its name: musl's stdio.h defines
# __DEFINED_FILE (bits/alltypes.h), glibc's none, whether the compiler is
# musl-gcc, arm-linux-musleabihf-gcc or the riscv64 musl of make cross.
# (__DEFINED_size_t would not do: gcc's own stddef.h defines it too.)
TARGET := $(shell $(CC) -dumpmachine 2>/dev/null)
LIBC := $(if $(shell $(CC) -dM -E -include stdio.h -x c /dev/null 2>/dev/null | grep -w __DEFINED_FILE),musl)

# Against musl: plain -static, no PIE, said explicitly (Debian's musl-gcc
# with -static-pie silently links dynamically, and armhf's gcc makes a
# dynamic PIE unless told -fno-pie -no-pie); one segment for code and
# read-only data saves the padding pages between them.
ifeq ($(LIBC),musl)
LINK_STATIC := -static -no-pie -Wl,-z,noseparate-code
CFLAGS_PIE := -fno-pie
# Objects of 512 bytes and more go to .lbss, after all the small state:
# the small objects conmon and musl write then share one page instead of
# being strewn between buffers that an idle monitor never touches.
ifneq ($(filter x86_64%,$(TARGET)),)
CFLAGS_PIE += -mcmodel=medium -mlarge-data-threshold=512
endif
endif

# The commit --version reports; nothing outside a git checkout.
COMMIT := $(shell h=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null && echo $$h || echo $$h-dirty; })
# Nothing embeds a date today; should anything use __DATE__ or __TIME__,
# gcc takes the commit's date instead of the clock's.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)
ifneq ($(SOURCE_DATE_EPOCH),)
export SOURCE_DATE_EPOCH
endif
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
OPT ?= -Os
CFLAGS ?=
# No path of the checkout in any output (-ffile-prefix-map), no build id,
# stripped: the same sources and compiler give the same bytes anywhere.
CFLAGS_BASE = -std=gnu11 $(OPT) $(WARN) $(CFLAGS_PIE) -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-stack-protector \
	-ffile-prefix-map=$(CURDIR)/= $(CFLAGS)
CFLAGS_ALL = $(CFLAGS_BASE) -DCONMON_COMMIT='"$(COMMIT)"'
LDFLAGS_ALL = -Wl,--gc-sections -Wl,-O1 -Wl,--build-id=none $(LDFLAGS)

SRCS := conmon.c cli.c loop.c util.c io.c log.c sock.c oom.c
HDRS := conmon.h testing.h

# Objects are kept per target, compiler and flags: another compiler or
# flag set gets a directory of its own and never reuses them. The commit
# stays out of the key (each commit would leave a directory behind): the
# objects of the sources that use it depend on $(BUILD)/commit instead.
shquote = '$(subst ','\'',$(1))'
BUILD_KEY := $(shell printf '%s' $(call shquote,$(CC) $(CFLAGS_BASE) $(LINK_STATIC) $(LDFLAGS_ALL)) | sha256sum | cut -c1-8)
BUILD := .build/$(or $(TARGET),unknown)-$(notdir $(firstword $(CC)))-$(BUILD_KEY)
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
COMMIT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(shell grep -l CONMON_COMMIT $(SRCS) 2>/dev/null))
# The version in the names of make cross's binaries.
VERSION := $(shell grep -h 'define CONMON_VERSION "' $(HDRS) $(SRCS) 2>/dev/null | head -n 1 | cut -d'"' -f2)

.PHONY: FORCE all test unit demo bench asan valgrind fuzz fuzz-build asan-test install uninstall clean reference-test check-format cross cross-one test-cross

all: conmon

# Linked per compiler, then copied when it differs: after `make CC=clang`,
# a plain `make` puts the musl binary back although ./conmon is newer.
conmon: $(BUILD)/conmon FORCE
	@cmp -s $< $@ || { cp $< $@.tmp && mv -f $@.tmp $@; }

$(BUILD)/conmon: $(OBJS)
	$(CC) $(CFLAGS_ALL) $(LINK_STATIC) $(LDFLAGS_ALL) -s -o $@ $(OBJS)

FORCE:

$(BUILD)/%.o: %.c $(HDRS) Makefile | $(BUILD)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

# Rewritten only when the commit changes, so that its objects are rebuilt
# then and only then.
$(COMMIT_OBJS): $(BUILD)/commit
$(BUILD)/commit: FORCE | $(BUILD)
	@[ "$$(cat $@ 2>/dev/null)" = '$(COMMIT)' ] || echo '$(COMMIT)' >$@

$(BUILD):
	mkdir -p $@

# Unit tests link every object with main() renamed, against glibc.
UNIT_BUILD := .build/unit
UNIT_OBJS := $(SRCS:%.c=$(UNIT_BUILD)/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(UNIT_BUILD)/%,$(wildcard tests/unit/test_*.c))
UNIT_CFLAGS := -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes
UNIT_OBJ_CFLAGS := $(UNIT_CFLAGS) -DCONMON_COMMIT='"test"' -Dmain=conmon_main

$(UNIT_BUILD)/%.o: %.c $(HDRS) Makefile | $(UNIT_BUILD)
	cc $(UNIT_OBJ_CFLAGS) -c -o $@ $<

$(UNIT_BUILD)/test_%: tests/unit/test_%.c tests/unit/unit.h $(UNIT_OBJS) | $(UNIT_BUILD)
	cc $(UNIT_CFLAGS) -I. -o $@ $< $(UNIT_OBJS)

$(UNIT_BUILD) $(UNIT_BUILD)-portable:
	mkdir -p $@

# The same tests again on the portable code that non-x86 targets build
# (CONMON_NO_SIMD: no SSE2 paths): arm64, armhf and riscv64 run it, and
# only the emulated suites would otherwise.
UNIT_PORTABLE_OBJS := $(SRCS:%.c=$(UNIT_BUILD)-portable/%.o)
UNIT_PORTABLE_TESTS := $(UNIT_TESTS:$(UNIT_BUILD)/%=$(UNIT_BUILD)-portable/%)

$(UNIT_BUILD)-portable/%.o: %.c $(HDRS) Makefile | $(UNIT_BUILD)-portable
	cc $(UNIT_OBJ_CFLAGS) -DCONMON_NO_SIMD -c -o $@ $<

$(UNIT_BUILD)-portable/test_%: tests/unit/test_%.c tests/unit/unit.h $(UNIT_PORTABLE_OBJS) | $(UNIT_BUILD)-portable
	cc $(UNIT_CFLAGS) -DCONMON_NO_SIMD -I. -o $@ $< $(UNIT_PORTABLE_OBJS)

# Keep the unit objects: make would otherwise delete them as intermediates
# and print its rm after the closing count line.
.SECONDARY: $(UNIT_OBJS) $(UNIT_PORTABLE_OBJS)

unit: $(UNIT_TESTS) $(UNIT_PORTABLE_TESTS)
	@for t in $(UNIT_TESTS) $(UNIT_PORTABLE_TESTS); do $$t || exit 1; done

# tests/run-all installs what it misses (root on Debian, Ubuntu, Fedora),
# then builds ./conmon and the unit tests itself, so that a static build
# follows a musl-tools it just installed.
test:
	tests/run-all

demo:
	tests/demo

# The client suites (Podman end to end, CRI-O's calls) against Debian's
# conmon 2.1.6 prove those tests right.  The other suites also assert
# what upstream added after 2.1.6 (0640 logs, --log-rotate, ...):
# run them with CONMON=/usr/bin/conmon tests/run-all to see the difference.
reference-test:
	CONMON=/usr/bin/conmon UNIT=0 SUITES=clients tests/run-all

bench: conmon
	bench/run

# ASan + UBSan build against glibc, used by `make test` (tests/run-all runs
# the lifecycle suite with it; `make asan-test` does only that).  clang, not
# gcc: gcc's UBSan runtime is a library of its own that ignores log_path
# when ASan is linked too, and the detached monitor's stderr is /dev/null,
# so its reports would be lost.  conmon leaves through _exit(), which skips
# LeakSanitizer's check at exit: tests/lib/san-exit.c runs it there too.
ASAN_CC ?= clang
asan: conmon-asan
asan-test: conmon-asan
	tests/lib/sanitizer-run asan
conmon-asan: $(SRCS) $(HDRS) tests/lib/san-exit.c Makefile
	$(ASAN_CC) -std=gnu11 -O1 -g -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		$(WARN) -DCONMON_COMMIT='"$(COMMIT)"' \
		-Wl,--wrap=_exit -o $@ $(SRCS) tests/lib/san-exit.c

# A plain glibc build for valgrind's memcheck (a static musl binary hides
# malloc from it); tests/lib/valgrind-conmon runs it, tests/run-all runs the
# lifecycle suite through that.  `make valgrind` builds it and runs that
# suite on runc.
VALGRIND_CONMON := .build/valgrind/conmon
valgrind: $(VALGRIND_CONMON)
	tests/lib/sanitizer-run valgrind
$(VALGRIND_CONMON): $(SRCS) $(HDRS) Makefile
	mkdir -p $(dir $@)
	cc -std=gnu11 -O1 -g $(WARN) -DCONMON_COMMIT='"$(COMMIT)"' -o $@ $(SRCS)

# libFuzzer targets (tests/fuzz/fuzz_*.c) with ASan + UBSan.  `make fuzz`
# runs each for FUZZ_TIME seconds; `make test` runs each for a few seconds.
# The objects are conmon's own with main() renamed; fuzz_cli wraps exit()
# and _exit() so that cli_parse can fail and the fuzzer go on.
FUZZ_CC ?= clang
FUZZ_TIME ?= 300
FUZZ_BUILD := .build/fuzz
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	$(WARN) -Wno-missing-prototypes -DCONMON_COMMIT='"fuzz"'
FUZZ_OBJS := $(SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: $(FUZZ_TARGETS)
	FUZZ_TIME=$(FUZZ_TIME) tests/fuzz/run

fuzz-build: $(FUZZ_TARGETS)

$(FUZZ_BUILD)/%.o: %.c $(HDRS) Makefile | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Dmain=conmon_main -c -o $@ $<

$(FUZZ_BUILD)/fuzz_cli: tests/fuzz/fuzz_cli.c $(FUZZ_OBJS) $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I. -Wl,--wrap=exit,--wrap=_exit \
		-o $@ $< $(FUZZ_OBJS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) $(HDRS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I. -o $@ $< $(FUZZ_OBJS)

$(FUZZ_BUILD):
	mkdir -p $@

.SECONDARY: $(FUZZ_OBJS)

# make cross: one fully static musl binary per architecture in dist/,
# dist/conmon-VERSION-linux-ARCH, and dist/SHA256SUMS; ./conmon is not
# touched. build/cross-toolchain names each compiler and installs what is
# missing (Debian's cross gcc and musl-dev:ARCH; for riscv64 a musl built
# from Debian's source package, kept in MUSL_CACHE). Each binary is linked
# by a make of its own with that CC, in a build directory of its own.
CROSS_ARCHES ?= amd64 arm64 armhf riscv64
DIST ?= dist
MUSL_CACHE ?= $(CURDIR)/.build/musl
CROSS_NAMES = $(CROSS_ARCHES:%=conmon-$(VERSION)-linux-%)

cross:
	@set -e; for arch in $(CROSS_ARCHES); do \
		cc=$$(MUSL_CACHE='$(MUSL_CACHE)' build/cross-toolchain cc $$arch); \
		echo "# $$arch: $$cc"; \
		$(MAKE) --no-print-directory CC="$$cc" CROSS_OUT='$(DIST)'/conmon-$(VERSION)-linux-$$arch cross-one; \
	done
	cd '$(DIST)' && sha256sum $(CROSS_NAMES) >SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS
	@cat '$(DIST)/SHA256SUMS'

# One binary of make cross, from this make's CC, which must build static
# against musl: a compiler that gives anything else stops the build.
ifneq ($(filter cross-one,$(MAKECMDGOALS)),)
ifneq ($(LIBC),musl)
$(error $(CC) does not compile against musl: no static binary for $(CROSS_OUT))
endif
endif
cross-one: $(BUILD)/conmon
	@if readelf -lW $< | grep -q -w -e INTERP -e DYNAMIC; then \
		echo "$<: not a static binary" >&2; exit 1; fi
	@mkdir -p $(dir $(CROSS_OUT))
	@cmp -s $< '$(CROSS_OUT)' || cp $< '$(CROSS_OUT)'

# The cross binaries under qemu-user on the host's runc (tests/run-all
# with CROSS=only: the suites, the architectures and the reproducibility
# check are listed there).
test-cross:
	CROSS=only tests/run-all

install: conmon
	install -D -m 0755 conmon $(DESTDIR)$(BINDIR)/conmon
	install -D -m 0644 conmon.8 $(DESTDIR)$(MANDIR)/man8/conmon.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/conmon $(DESTDIR)$(MANDIR)/man8/conmon.8

check-format:
	clang-format --dry-run --Werror $(SRCS) $(HDRS)

# The riscv64 musl in .build/musl is a toolchain, not this project's
# output: it stays, as the test rootfs in tests/.cache does.
clean:
	rm -rf conmon conmon-asan dist
	[ ! -d .build ] || find .build -mindepth 1 -maxdepth 1 ! -name musl -exec rm -rf {} +
