# Nightly rebuilds (DESIGN.md §4): tools/nightly does the work, README "Nightly rebuilds" says how.
#   make nightly [SUITES="trixie bookworm"] [REGISTRY=host:port/namespace] [IMAGE=cinit/base]
# For each suite: fresh rootfs (make rootfs), candidate image (make image), the full image test
# gate against the candidate; only then the tags IMAGE:SUITE, IMAGE:SUITE-YYYYMMDD, IMAGE:latest
# (DEFAULT_SUITE), the report in dist/reports/ and the push to REGISTRY.
# Also (tools/nightly): NIGHTLY_DATE=YYYYMMDD; for tests and trials NIGHTLY_GATE (bats files),
# NIGHTLY_GATE_FILTER (regex), NIGHTLY_FAIL_TEST=1, NIGHTLY_CACHE=yes.
SUITES ?= $(or $(SUITE),trixie)
DEFAULT_SUITE ?= trixie
REGISTRY ?=
REPORTS ?= dist/reports

.PHONY: nightly
# (not marked recursive: `make -n nightly` must not start a build; tools/nightly runs make itself)
nightly:
	SUITES="$(SUITES)" IMAGE="$(or $(IMAGE),cinit/base)" \
	    DEFAULT_SUITE="$(DEFAULT_SUITE)" REGISTRY="$(REGISTRY)" REPORTS="$(REPORTS)" \
	    BUILD="$(BUILD)" tools/nightly
