# conmon - the container monitor.
#
#   make                 ./conmon: static musl when musl-gcc exists, else cc
#   make CC=gcc|clang    ./conmon against glibc
#   make test            unit tests, bats on runc and crun, Podman end to end
#   make demo            run a busybox container under conmon and runc
#   make bench           side-by-side figures against /usr/bin/conmon
#   make asan            ./conmon-asan (ASan + UBSan, glibc)
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

# Debian's musl-gcc with -static-pie silently links dynamically: plain
# -static, no PIE; one segment for code and read-only data saves the
# padding pages between them.
ifneq ($(findstring musl-gcc,$(CC)),)
LINK_STATIC := -static -no-pie -Wl,-z,noseparate-code
CFLAGS_PIE := -fno-pie
endif

# The commit --version reports; nothing outside a git checkout.
COMMIT := $(shell h=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null && echo $$h || echo $$h-dirty; })
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
OPT ?= -Os
CFLAGS ?=
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) $(CFLAGS_PIE) -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-stack-protector \
	-DCONMON_COMMIT='"$(COMMIT)"' $(CFLAGS)
LDFLAGS_ALL = -Wl,--gc-sections -Wl,-O1 -Wl,--build-id=none $(LDFLAGS)

SRCS := conmon.c cli.c io.c log.c sock.c oom.c fmt.c
HDRS := conmon.h
BUILD := .build/$(notdir $(firstword $(CC)))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)

.PHONY: all test unit demo bench asan valgrind fuzz install uninstall clean reference-test check-format

all: conmon

conmon: $(OBJS)
	$(CC) $(CFLAGS_ALL) $(LINK_STATIC) $(LDFLAGS_ALL) -s -o $@ $(OBJS)

$(BUILD)/%.o: %.c $(HDRS) Makefile | $(BUILD)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD):
	mkdir -p $@

# Unit tests link every object with main() renamed, against glibc.
UNIT_BUILD := .build/unit
UNIT_OBJS := $(SRCS:%.c=$(UNIT_BUILD)/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(UNIT_BUILD)/%,$(wildcard tests/unit/test_*.c))

$(UNIT_BUILD)/%.o: %.c $(HDRS) Makefile | $(UNIT_BUILD)
	cc -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -DCONMON_COMMIT='"test"' -Dmain=conmon_main -c -o $@ $<

$(UNIT_BUILD)/test_%: tests/unit/test_%.c tests/unit/unit.h $(UNIT_OBJS) | $(UNIT_BUILD)
	cc -std=gnu11 -O1 -g $(WARN) -Wno-missing-prototypes -I. -o $@ $< $(UNIT_OBJS)

$(UNIT_BUILD):
	mkdir -p $@

# Keep the unit objects: make would otherwise delete them as intermediates
# and print its rm after the closing count line.
.SECONDARY: $(UNIT_OBJS)

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do $$t || exit 1; done

test: conmon $(UNIT_TESTS)
	tests/run-all

demo: conmon
	tests/demo

# The same integration tests against Debian's conmon prove the tests right.
reference-test:
	CONMON=/usr/bin/conmon UNIT=0 tests/run-all

bench: conmon
	bench/run

# ASan + UBSan build against glibc, used by `make test` when present.
asan: conmon-asan
conmon-asan: $(SRCS) $(HDRS) Makefile
	cc -std=gnu11 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		-fno-sanitize-recover=all $(WARN) -DCONMON_COMMIT='"$(COMMIT)"' -o $@ $(SRCS)

install: conmon
	install -D -m 0755 conmon $(DESTDIR)$(BINDIR)/conmon
	install -D -m 0644 conmon.8 $(DESTDIR)$(MANDIR)/man8/conmon.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/conmon $(DESTDIR)$(MANDIR)/man8/conmon.8

check-format:
	clang-format --dry-run --Werror $(SRCS) $(HDRS)

clean:
	rm -rf .build conmon conmon-asan
