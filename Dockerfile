# cinit/base — `make image` builds this file (docs/image.md); by hand, after `make rootfs`:
#   docker build --network host --build-arg SUITE=trixie -t cinit/base:trixie .
# No registry is involved: every stage starts from the debootstrap rootfs that `make rootfs`
# imported as cinit/rootfs:SUITE-ARCH, and apt inside uses the mirror written into that rootfs.
ARG SUITE=trixie
# ARCH: the image's; BUILD_ARCH: the machine's, where the package is compiled (natively, or
# cross-compiled for ARCH: tools/deb-stage)
ARG ARCH=amd64
ARG BUILD_ARCH=amd64
ARG ROOTFS=cinit/rootfs:${SUITE}-${ARCH}
ARG BUILD_ROOTFS=cinit/rootfs:${SUITE}-${BUILD_ARCH}

# the rootfs of the image's arch, for its apt sources (the deb stage reads ARCH's archive there).
# Every FROM names its platform: buildah 1.28 keeps the platform of a FROM --platform for the
# stages after it, and finds no image of another arch then.
FROM --platform=linux/${ARCH} ${ROOTFS} AS target

# 1. The cinit-tools package, built in the suite it is for (its libc, its debhelper), on the
# build machine's arch.
FROM --platform=linux/${BUILD_ARCH} ${BUILD_ROOTFS} AS deb
ARG ARCH
# ARCHIVE_STATE: the digest of the signed indexes of every archive the rootfs' apt reads
# (tools/mkimage): a new package in the archive is a new input, so no cached layer of an older
# archive state is reused
ARG ARCHIVE_STATE=unknown
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src/cinit
# the build dependencies first, in their own layer: it stays cached while the sources change
COPY debian/control debian/control
COPY tools/deb-stage /tmp/cinit/deb-stage
COPY --from=target /etc/apt/sources.list /tmp/cinit/target-sources.list
RUN sh /tmp/cinit/deb-stage deps ${ARCH}
COPY . .
# the build's output stays in /build.log, the compiler and flags in /build.flags: tools/mkimage
# copies them out (build/deb-SUITE-ARCH.*), test/docker/image.bats fails on any warning
RUN sh /tmp/cinit/deb-stage build ${ARCH}

# 2. The system: cinit-tools, runit, cron, the services, then cleanup (image/build/setup).
FROM --platform=linux/${ARCH} ${ROOTFS} AS system
ARG SUITE
ARG ARCHIVE_STATE=unknown
# every date the build writes into the image (e.g. /etc/shadow's) is this one
ARG SOURCE_DATE_EPOCH
# openssh-server and /etc/service/sshd, disabled by a `down` file; WITH_SSHD=no leaves them out
ARG WITH_SSHD=yes
COPY --from=deb /debs/ /tmp/cinit/debs/
COPY image/ /tmp/cinit/image/
RUN SUITE=${SUITE} WITH_SSHD=${WITH_SSHD} SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} sh /tmp/cinit/image/build/setup

# 3. The image: the system as one layer, so that what the cleanup removed (and the files that
# the upgrade replaced) weighs nothing; then the metadata.
FROM scratch
ARG SUITE
ARG ROOTFS
# the rootfs as users find it in Docker (tools/mkimage builds from buildah's own copy of it)
ARG BASE_NAME=${ROOTFS}
ARG VERSION=0.1.0
COPY --from=system / /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive
LABEL org.opencontainers.image.title="cinit/base" \
      org.opencontainers.image.description="Minimal ${SUITE} base image: cinit (my_init) as PID 1, runit services (syslog to docker logs, cron), setuser, with-contenv, install_clean" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.ref.name="${SUITE}" \
      org.opencontainers.image.base.name="${BASE_NAME}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.vendor="cinit"
# cinit-health: exit 0 once every enabled runit service is up and ready (docs/services.md:
# readiness, order, health); cheap enough to run every 10 s (it reads supervise/ files and
# runs only the probes the services declare).
HEALTHCHECK --interval=10s --timeout=10s --start-period=30s --retries=3 CMD ["cinit-health"]
CMD ["/sbin/my_init"]
