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

# Every src/NAME.c, or directory src/NAME/ of *.c (and its own *.h), is one program;
# src/lib/*.c is the internal library they share.
PROGRAMS := $(sort $(patsubst src/%.c,%,$(wildcard src/*.c)) \
              $(filter-out lib,$(patsubst src/%/,%,$(dir $(wildcard src/*/*.c)))))
prog_src = $(wildcard src/$(1).c src/$(1)/*.c)
LIB_SRC  := $(wildcard src/lib/*.c)
LIB_HDR  := $(wildcard src/lib/*.h)

# PID 1 is linked statically: it then maps no shared library pages, and it keeps running while
# the image's libc is upgraded under it. It uses nothing of libc that needs NSS or dlopen.
# With glibc that is a static PIE; the sanitizer build cannot be static.
STATIC_PROGRAMS := cinit
STATIC_LDFLAGS  := -static-pie

# LIBC=musl (the default where musl-gcc exists, Debian's musl-tools): the programs of
# MUSL_PROGRAMS are linked statically against musl instead: PID 1 and the syslog daemon, which
# stay resident in every container, take a fraction of glibc's memory and size (bench/RESULTS.md);
# setuser, contenv and cinit-health, which run on every docker exec, cron job and health check,
# start with a fraction of the instructions. With no dynamic program left, the package needs no
# libc of the target arch to be built for it (a cross build, docs/image.md "Architectures").
# LIBC=glibc builds everything against glibc (hosts without musl; `make asan` always does).
# musl-gcc's specs know no static PIE, so these are plain static executables (still with the
# stack protector, RELRO and BIND_NOW; the build ID that musl-gcc's specs drop is put back for
# dh_strip). musl has no kernel headers of its own: the few <linux/*.h>
# the programs use come from linux-libc-dev through $(BUILD)/musl/include.
MUSL_CC ?= musl-gcc
LIBC ?= $(if $(shell command -v $(MUSL_CC) 2>/dev/null),musl,glibc)
MUSL_PROGRAMS := cinit cinit-syslogd setuser contenv cinit-health
LINK_MUSL = $(if $(filter musl,$(LIBC)),$(MUSL_PROGRAMS))
MUSL_LDFLAGS := -static -Wl,--build-id=sha1
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
MUSL_INC := $(BUILD)/musl/include
MUSL_CPPFLAGS = $(subst -Isrc/lib,-Isrc/lib -isystem $(MUSL_INC),$(ALL_CPPFLAGS))

# The sanitizer build: the same sources, test suite run against $(BUILD)/asan.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1

.PHONY: all asan install test check check-asan clean deps-build deps-test help
all: $(addprefix $(BUILD)/,$(PROGRAMS))

$(BUILD)/lib/%.o: src/lib/%.c $(LIB_HDR) | $(BUILD)/lib
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/libcinit.a: $(patsubst src/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(foreach p,$(PROGRAMS),$(eval $(BUILD)/$(p): $(call prog_src,$(p)) $(wildcard src/$(p)/*.h)))
$(addprefix $(BUILD)/,$(PROGRAMS)): $(BUILD)/%: $(BUILD)/libcinit.a $(LIB_HDR)
	$(if $(filter $*,$(LINK_MUSL)),$(MUSL_CC) $(MUSL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(MUSL_LDFLAGS) -o $@ $(call prog_src,$*) $(BUILD)/musl/libcinit.a,$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(if $(filter $*,$(STATIC_PROGRAMS)),$(STATIC_LDFLAGS)) -o $@ $(call prog_src,$*) $(BUILD)/libcinit.a)
$(BUILD)/lib:
	mkdir -p $@

ifeq ($(LIBC),musl)
$(BUILD)/musl/lib/%.o: src/lib/%.c $(LIB_HDR) | $(BUILD)/musl/lib $(MUSL_INC)
	$(MUSL_CC) $(MUSL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/musl/libcinit.a: $(patsubst src/lib/%.c,$(BUILD)/musl/lib/%.o,$(LIB_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(addprefix $(BUILD)/,$(LINK_MUSL)): $(BUILD)/musl/libcinit.a | $(MUSL_INC)
$(BUILD)/musl/lib:
	mkdir -p $@
$(MUSL_INC):
	mkdir -p $@.tmp
	for d in linux asm-generic $(MULTIARCH)/asm; do ln -sfn /usr/include/$$d $@.tmp/$${d##*/}; done
	rm -rf $@ && mv $@.tmp $@
endif

asan:
	$(MAKE) BUILD=$(BUILD)/asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" CPPFLAGS= STATIC_LDFLAGS= LIBC=glibc all

# install exactly the paths of docs/design.md §1; each area adds its own install-* rule.
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
	@echo "make image         build cinit/base (SUITE=trixie|bookworm|noble|jammy, ARCH=amd64|arm64, FLAVOR=minimal|compat)"
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
