# cinit — everything is driven from here: tools, tests, .debs, rootfs, image, repo, nightly, bench.
# Areas keep their own rules in mk/*.mk so that they can change independently.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
# the upstream part of the newest debian/changelog entry: one place to bump the version
VERSION := $(shell awk -F'[()]' 'NR==1 {print $$2; exit}' debian/changelog 2>/dev/null | sed 's/-[^-]*$$//')
ifeq ($(VERSION),)
VERSION := 0.1.0
endif

CC ?= cc
# Debian's hardening set (bindnow, PIE, fortify, stack protector); the environment wins so that
# dpkg-buildpackage's own flags (path mapping for reproducibility) are used when it calls us.
BUILDFLAGS := $(shell command -v dpkg-buildflags >/dev/null && echo yes)
ifeq ($(BUILDFLAGS),yes)
CFLAGS   ?= $(shell DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CFLAGS)
CPPFLAGS ?= $(shell DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get CPPFLAGS)
LDFLAGS  ?= $(shell DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS)
else
CFLAGS   ?= -g -O2 -fstack-protector-strong -Wformat -Werror=format-security
CPPFLAGS ?= -D_FORTIFY_SOURCE=2
LDFLAGS  ?= -Wl,-z,relro -Wl,-z,now
endif
# -Werror is the developers' and CI's: a distribution's package build (debian/rules sets
# WERROR empty) must not fail because a newer compiler finds something new to say.
WERROR ?= -Werror
WARN := -std=c11 -Wall -Wextra $(WERROR) -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CPPFLAGS = -D_GNU_SOURCE -DCINIT_VERSION='"$(VERSION)"' -Isrc/lib $(CPPFLAGS)
ALL_CFLAGS = $(WARN) -O2 $(CFLAGS)

# Every src/*.c is one program; src/lib/*.c is the internal library they share.
PROGRAMS := $(patsubst src/%.c,%,$(wildcard src/*.c))
LIB_SRC  := $(wildcard src/lib/*.c)
LIB_HDR  := $(wildcard src/lib/*.h)

# PID 1 is linked statically (as a PIE): it then maps no shared library pages, so it uses less
# memory than tini (bench/RESULTS.md), and it keeps running while the image's libc is upgraded
# under it. It uses nothing of glibc that needs NSS or dlopen. The sanitizer build cannot be static.
STATIC_PROGRAMS := cinit
STATIC_LDFLAGS  := -static-pie

# The sanitizer build: the same sources, test suite run against $(BUILD)/asan.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1

.PHONY: all asan install test check check-asan clean deps-build deps-test help
all: $(addprefix $(BUILD)/,$(PROGRAMS))

$(BUILD)/lib/%.o: src/lib/%.c $(LIB_HDR) | $(BUILD)/lib
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/libcinit.a: $(patsubst src/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/%: src/%.c $(BUILD)/libcinit.a $(LIB_HDR)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(if $(filter $*,$(STATIC_PROGRAMS)),$(STATIC_LDFLAGS)) -o $@ $< $(BUILD)/libcinit.a
$(BUILD)/lib:
	mkdir -p $@

asan:
	$(MAKE) BUILD=$(BUILD)/asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" CPPFLAGS= STATIC_LDFLAGS= all

# install exactly the paths of DESIGN.md §1; each area adds its own install-* rule.
INSTALL_TARGETS :=
include $(sort $(wildcard mk/*.mk))

install: all $(INSTALL_TARGETS)

# make test: the whole suite (installs its own test dependencies, builds, runs everything);
# prints one closing line "N passed, N failed".
test check:
	@tools/run-tests
check-asan:
	@tools/run-tests --asan-only

deps-build:
	@tools/ensure-packages build
deps-test:
	@tools/ensure-packages build test

clean:
	rm -rf $(BUILD) dist

help:
	@echo "make image         build cinit/base (SUITE=trixie|bookworm|noble|jammy, ARCH=amd64|arm64)"
	@echo "make test          the whole test suite"
	@echo "make               build the programs into $(BUILD)/"
	@echo "make asan          sanitizer build into $(BUILD)/asan/"
	@echo "make check-asan    the no-Docker suites against the sanitizer build"
	@echo "make install       DESTDIR=... PREFIX=/usr"
	@echo "make deb           the cinit-tools package into dist/"
	@echo "make repo          a signed apt repository in dist/repo/"
	@echo "make rootfs        the debootstrap base (SUITE=...), imported as cinit/rootfs:SUITE-ARCH (ARCH=...)"
	@echo "make nightly       fresh base, image, test gate, tags, report (SUITES=..., REGISTRY=...)"
	@echo "make bench         benchmarks against tini, dumb-init and catatonit"
