# cinit/base — `make image` builds this file (README, "The image"); by hand, after `make rootfs`:
#   docker build --network host --build-arg SUITE=trixie -t cinit/base:trixie .
# No registry is involved: every stage starts from the debootstrap rootfs that `make rootfs`
# imported as cinit/rootfs:SUITE-ARCH, and apt inside uses the mirror written into that rootfs.
ARG SUITE=trixie
ARG ROOTFS=cinit/rootfs:${SUITE}-amd64

# 1. The cinit-tools package, built inside the suite it is for (its libc, its debhelper).
FROM ${ROOTFS} AS deb
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src/cinit
# the build dependencies first, in their own layer: it stays cached while the sources change
COPY debian/control debian/control
RUN apt-get -q update \
 && apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends build-dep ./ \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# the build's output stays in /build.log: test/docker/image.bats fails on any compiler warning
RUN { dpkg-buildpackage -us -uc -b -Jauto > /build.log 2>&1 || { cat /build.log; exit 1; }; } \
 && cat /build.log && mkdir /debs && mv ../cinit-tools_*.deb /debs/

# 2. The system: cinit-tools, runit, cron, the services, then cleanup (image/build/setup).
FROM ${ROOTFS} AS system
ARG SUITE
# WITH_SSHD=yes: add openssh-server and /etc/service/sshd, disabled by a `down` file
ARG WITH_SSHD=no
COPY --from=deb /debs/ /tmp/cinit/debs/
COPY image/ /tmp/cinit/image/
RUN SUITE=${SUITE} WITH_SSHD=${WITH_SSHD} sh /tmp/cinit/image/build/setup

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
# cinit-health: exit 0 once every enabled runit service is up and ready (README "Services:
# readiness, order, health"); cheap enough to run every 10 s (it reads supervise/ files and
# runs only the probes the services declare).
HEALTHCHECK --interval=10s --timeout=10s --start-period=30s --retries=3 CMD ["cinit-health"]
CMD ["/sbin/my_init"]
