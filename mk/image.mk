# The cinit/base image (docs/design.md §2, docs/image.md).
#   make rootfs   fresh debootstrap --variant=minbase of SUITE for ARCH from MIRROR, normalized
#                 and reproducible: $(BUILD)/rootfs-SUITE-ARCH.tar (+ .packages, .log),
#                 imported as ROOTFS_IMAGE:SUITE-ARCH (tools/mkrootfs, tools/mkimage import)
#   make image    IMAGE:SUITE-ARCH, and IMAGE:SUITE (+ IMAGE:latest for DEFAULT_SUITE) when ARCH
#                 is the host's, from the Dockerfile, built reproducibly by buildah for
#                 linux/ARCH (same inputs, same image ID); builds the rootfs first when there is
#                 none (tools/mkimage build); for a foreign ARCH also the host arch's rootfs,
#                 where the package is cross-compiled
# Both install what the host lacks (tools/deps/image; docker.io) and start a Docker engine when
# none answers (tools/ensure-docker).
# Variables (all can be given on the command line):
#   SUITE            trixie (default), bookworm; Ubuntu noble, jammy
#   ARCH             Debian architecture (default: the host's); a foreign one runs under qemu
#                    (tools/ensure-binfmt installs and registers it)
#   MIRROR           archive URL; default: Debian: the one the host's apt sources name
#                    (tools/host-mirror); Ubuntu: debootstrap's default for SUITE and ARCH
#   KEYRING          keyring file that signs MIRROR (default: Debian's, from debian-archive-keyring;
#                    Ubuntu's from tools/ubuntu-keyring)
#   SECURITY_MIRROR  archive of SUITE-security (default: Debian: the host's when MIRROR is;
#                    Ubuntu: MIRROR; none: leave out)
#   CACHE_DIR        debootstrap's package cache (default /var/cache/cinit/debootstrap)
#   ROOTFS_CACHE     finished rootfs tarballs by mirror state (default /var/cache/cinit/rootfs;
#                    none: always a fresh debootstrap)
#   IMAGE            cinit/base          ROOTFS_IMAGE   cinit/rootfs
#   TAGS             the tags of IMAGE to set: SUITE-ARCH, plus SUITE and (for DEFAULT_SUITE)
#                    latest when ARCH is the host's: a foreign arch never takes the plain tags
#   FLAVOR           minimal (default): IMAGE:SUITE(-ARCH); compat: also, on that very build,
#                    IMAGE:SUITE-compat(-ARCH) with baseimage-docker's tools, locale and
#                    /var/log/syslog (image/compat; docs/image.md "Flavors")
#   BASE_IMAGE       FLAVOR=compat: the minimal image to build on, as it is (a name that
#                    make image gave; default: make image's own minimal build, made first)
#   WITH_SSHD        no: leave out openssh-server and its disabled sshd service (default yes)
#   BUILD_FLAGS      extra `buildah bud` flags, e.g. --no-cache (DOCKER_BUILD_FLAGS: the same)
#   SOURCE_DATE_EPOCH    clamp for the rootfs' timestamps (default: the date of MIRROR's InRelease);
#                    for the image, every time in it (default: the newest of the rootfs' file
#                    times and debian/changelog's date)
SUITE ?= trixie
DEFAULT_SUITE ?= trixie
MIRROR ?=
KEYRING ?=
SECURITY_MIRROR ?=
CACHE_DIR ?=
ROOTFS_CACHE ?=
IMAGE ?= cinit/base
ROOTFS_IMAGE ?= cinit/rootfs
HOST_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
ARCH ?= $(HOST_ARCH)
FLAVOR ?= minimal
BASE_TAGS := $(SUITE)-$(ARCH) $(if $(filter $(HOST_ARCH),$(ARCH)),$(SUITE) $(if $(filter $(DEFAULT_SUITE),$(SUITE)),latest))
COMPAT_TAGS := $(SUITE)-compat-$(ARCH) $(if $(filter $(HOST_ARCH),$(ARCH)),$(SUITE)-compat)
# TAGS are the tags of the flavor asked for
TAGS ?= $(if $(filter compat,$(FLAVOR)),$(COMPAT_TAGS),$(BASE_TAGS))
BASE_IMAGE ?=
WITH_SSHD ?= yes
DOCKER_BUILD_FLAGS ?=
BUILD_FLAGS ?= $(DOCKER_BUILD_FLAGS)

ROOTFS_TAR = $(BUILD)/rootfs-$(SUITE)-$(ARCH).tar
ROOTFS_REF = $(ROOTFS_IMAGE):$(SUITE)-$(ARCH)
# a foreign ARCH's package is cross-compiled in the host arch's rootfs of SUITE (tools/deb-stage)
BUILD_ROOTFS_TAR = $(BUILD)/rootfs-$(SUITE)-$(HOST_ARCH).tar

.PHONY: rootfs image deps-image
deps-image:
	@tools/ensure-packages image

rootfs: deps-image
	@echo "[rootfs] 1/2 $(SUITE) $(ARCH): debootstrap"
	@MIRROR='$(MIRROR)' KEYRING='$(KEYRING)' SECURITY_MIRROR='$(SECURITY_MIRROR)' ARCH='$(ARCH)' \
	    CACHE_DIR='$(CACHE_DIR)' ROOTFS_CACHE='$(ROOTFS_CACHE)' \
	    tools/mkrootfs '$(SUITE)' '$(ROOTFS_TAR)'
	@echo "[rootfs] 2/2 $(SUITE) $(ARCH): docker import"
	@tools/ensure-docker
	@tools/mkimage import '$(ROOTFS_TAR)' '$(ROOTFS_REF)'

image:
	@case '$(FLAVOR)' in minimal|compat) ;; *) echo "make image: FLAVOR is minimal or compat, not '$(FLAVOR)'" >&2; exit 2 ;; esac
	@tools/ensure-docker
	@if [ -s '$(ROOTFS_TAR)' ]; then \
	    echo "[image] 1/2 $(SUITE): rootfs $(ROOTFS_TAR) (make rootfs makes a fresh one)"; \
	    tools/mkimage import '$(ROOTFS_TAR)' '$(ROOTFS_REF)'; \
	else \
	    echo "[image] 1/2 $(SUITE): no rootfs yet: make rootfs"; \
	    $(MAKE) --no-print-directory rootfs; \
	fi
	@if [ '$(ARCH)' != '$(HOST_ARCH)' ] && [ ! -s '$(BUILD_ROOTFS_TAR)' ]; then \
	    echo "[image] the package for $(ARCH) is cross-compiled in the $(HOST_ARCH) rootfs: make rootfs ARCH=$(HOST_ARCH)"; \
	    $(MAKE) --no-print-directory rootfs ARCH='$(HOST_ARCH)'; \
	fi
	@echo "[image] 2/2 $(SUITE)/$(ARCH): buildah bud"
	@tools/ensure-packages image
ifeq ($(FLAVOR),minimal)
	@$(MINIMAL_BUILD) $(foreach t,$(TAGS),'$(IMAGE):$(t)')
else ifeq ($(FLAVOR),compat)
ifeq ($(BASE_IMAGE),)
	@$(MINIMAL_BUILD) $(foreach t,$(BASE_TAGS),'$(IMAGE):$(t)')
endif
	@echo "[image] compat flavor of $(SUITE)/$(ARCH): buildah bud"
	@BUILD_FLAGS='$(BUILD_FLAGS)' tools/mkimage compat '$(SUITE)' '$(ARCH)' '$(ROOTFS_TAR)' \
	    '$(or $(BASE_IMAGE),$(IMAGE):$(firstword $(BASE_TAGS)))' '$(BUILD)/image-$(SUITE)-compat-$(ARCH).log' \
	    $(foreach t,$(TAGS),'$(IMAGE):$(t)')
endif

MINIMAL_BUILD = VERSION='$(VERSION)' WITH_SSHD='$(WITH_SSHD)' BUILD_FLAGS='$(BUILD_FLAGS)' ROOTFS_IMAGE='$(ROOTFS_IMAGE)' \
	    BUILD_ROOTFS_TAR='$(BUILD_ROOTFS_TAR)' \
	    tools/mkimage build '$(SUITE)' '$(ARCH)' '$(ROOTFS_TAR)' '$(BUILD)/image-$(SUITE)-$(ARCH).log'
