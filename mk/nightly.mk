# Nightly rebuilds (docs/design.md §4): tools/nightly does the work, docs/nightly.md says how.
#   make nightly [SUITES="trixie bookworm"] [ARCHES="amd64 arm64"] [REGISTRY=host:port/namespace]
#                [IMAGE=cinit/base]
# For each suite and arch: fresh rootfs (make rootfs), candidate image (make image), the full
# image test gate against the candidate; only when every arch of the suite passed: the tags
# IMAGE:SUITE-ARCH(-YYYYMMDD), for the host's arch IMAGE:SUITE, IMAGE:SUITE-YYYYMMDD,
# IMAGE:latest (DEFAULT_SUITE), the report in dist/reports/, the push of the per-arch images
# and of one multi-platform tag per suite to REGISTRY. An unchanged image is not pushed again:
# only its date tag is added.
# Also (tools/nightly): NIGHTLY_DATE=YYYYMMDD; for tests and trials NIGHTLY_GATE (bats files),
# NIGHTLY_GATE_FILTER (regex), NIGHTLY_FAIL_TEST=1, NIGHTLY_CACHE=yes, NIGHTLY_ROOTFS=keep.
SUITES ?= $(or $(SUITE),trixie)
ARCHES ?= $(or $(ARCH),$(shell dpkg --print-architecture 2>/dev/null || echo amd64))
DEFAULT_SUITE ?= trixie
REGISTRY ?=
REPORTS ?= dist/reports

.PHONY: nightly
# (not marked recursive: `make -n nightly` must not start a build; tools/nightly runs make itself)
nightly:
	SUITES="$(SUITES)" ARCHES="$(ARCHES)" IMAGE="$(or $(IMAGE),cinit/base)" \
	    DEFAULT_SUITE="$(DEFAULT_SUITE)" REGISTRY="$(REGISTRY)" REPORTS="$(REPORTS)" \
	    BUILD="$(BUILD)" tools/nightly
