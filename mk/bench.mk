# make bench: side-by-side benchmarks of cinit against tini, dumb-init and catatonit (bench/run).
# Never part of `make test` and never asserts a timing: it measures and reports, on stdout and in
# bench/RESULTS.md (+ bench/results.png).
# The image figures use $(IMAGE):$(BENCH_SUITE) and $(ROOTFS_IMAGE):$(BENCH_SUITE) (cinit/base,
# cinit/rootfs) when they exist, else the table says they are missing: building them takes
# many minutes and needs the archive, so only BENCH_IMAGE=yes runs `make image` first.
BENCH_SUITE ?= $(or $(SUITE),trixie)
BENCH_IMAGE ?= no
BENCH_HELPERS := $(BUILD)/bench/nsrun $(BUILD)/bench/benchkid

.PHONY: bench bench-helpers
bench-helpers: $(BENCH_HELPERS)

# static, so that the helpers' own start-up is as small and steady as it can be
$(BUILD)/bench/%: bench/%.c | $(BUILD)/bench
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -static -o $@ $<
$(BUILD)/bench:
	mkdir -p $@

bench:
	@tools/ensure-packages build bench
	@$(MAKE) --no-print-directory all bench-helpers >&2
	@if [ "$(BENCH_IMAGE)" = yes ]; then $(MAKE) --no-print-directory image SUITE=$(BENCH_SUITE); fi
	@BUILD=$(BUILD) SUITE=$(BENCH_SUITE) \
	    BENCH_BASE_IMAGE=$(or $(IMAGE),cinit/base):$(BENCH_SUITE) \
	    BENCH_ROOTFS_IMAGE=$(or $(ROOTFS_IMAGE),cinit/rootfs):$(BENCH_SUITE)-$(ARCH) bench/run

# make bench-ready-chain: boot-to-ready of three services in a dependency chain, cinit's
# depends/ready against sleeps (bench/ready-chain; needs root and runit). Not part of `make bench`.
.PHONY: bench-ready-chain
bench-ready-chain: all
	@BUILD=$(BUILD) bench/ready-chain
