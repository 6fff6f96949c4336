# make bench: side-by-side benchmarks of cinit against tini, dumb-init and catatonit (bench/run).
# Never part of `make test` and never asserts a timing: it measures and reports, on stdout and in
# bench/RESULTS.md (+ bench/results.png).
# The image figures need the image of this checkout: `make image` runs first (BENCH_IMAGE=no
# skips it and uses what is there), under names of its own, BENCH_IMAGE_NAME:BENCH_SUITE and
# BENCH_ROOTFS_NAME:BENCH_SUITE-ARCH, so that a bench never replaces the IMAGE a user built.
# Its build caches (rootfs, layers) make that a minute or two; a cold rootfs takes longer.
BENCH_SUITE ?= $(or $(SUITE),trixie)
BENCH_IMAGE ?= yes
BENCH_IMAGE_NAME ?= cinit-bench/base
BENCH_ROOTFS_NAME ?= cinit-bench/rootfs
BENCH_HELPERS := $(BUILD)/bench/nsrun $(BUILD)/bench/benchkid

.PHONY: bench bench-helpers
bench-helpers: $(BENCH_HELPERS)

# static, so that the helpers' own start-up is as small and steady as it can be
$(BUILD)/bench/%: bench/%.c | $(BUILD)/bench
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -static -o $@ $<
$(BUILD)/bench:
	mkdir -p $@

bench:
	@mkdir -p $(BUILD) && date +%s > $(BUILD)/bench-started
	@tools/ensure-packages build bench
	@$(MAKE) --no-print-directory all bench-helpers >&2
	@if [ "$(BENCH_IMAGE)" = yes ]; then \
	    $(MAKE) --no-print-directory image SUITE=$(BENCH_SUITE) IMAGE=$(BENCH_IMAGE_NAME) \
	        ROOTFS_IMAGE=$(BENCH_ROOTFS_NAME) >&2; fi
	@BUILD=$(BUILD) SUITE=$(BENCH_SUITE) BENCH_STARTED=$$(cat $(BUILD)/bench-started) \
	    BENCH_BASE_IMAGE=$(BENCH_IMAGE_NAME):$(BENCH_SUITE) \
	    BENCH_ROOTFS_IMAGE=$(BENCH_ROOTFS_NAME):$(BENCH_SUITE)-$(ARCH) bench/run

# make bench-ready-chain: boot-to-ready of three services in a dependency chain, cinit's
# depends/ready against sleeps (bench/ready-chain; needs root and runit). Not part of `make bench`.
.PHONY: bench-ready-chain
bench-ready-chain: all
	@BUILD=$(BUILD) bench/ready-chain
