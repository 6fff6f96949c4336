# Shared by every bats suite: assertion libraries, where the binaries are, and a PID-1 sandbox.
# shellcheck shell=bash
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load
load /usr/lib/bats/bats-file/load

# the checkout: the nearest directory above the suite that holds the Makefile
SRC=${CINIT_SRC:-$(d=$BATS_TEST_DIRNAME; until [ -f "$d/Makefile" ] || [ "$d" = / ]; do d=$(dirname "$d"); done; cd "$d" && pwd)}
# tools/run-tests points this at build/ or build/asan/ (the same suite runs against both)
BIN=${CINIT_BUILD:-$SRC/build}
export SRC BIN

# ns_init: a private /etc for one test. Fixtures are written into $ETC (the overlay's upper
# layer, so what the programs write lands there too, for the test to look at afterwards).
# The runit and my_init directories are bound from $ETC so that the host's never show through.
ns_init() {
    ETC=$BATS_TEST_TMPDIR/etc
    mkdir -p "$ETC" "$BATS_TEST_TMPDIR/etc-work"
    local d
    for d in service my_init.d my_init.pre_shutdown.d my_init.post_shutdown.d container_environment; do
        mkdir -p "$ETC/$d"
    done
    chmod 0700 "$ETC/container_environment"
    export ETC
}

# in_ns CMD...: run CMD as PID 1 of a fresh PID and mount namespace, with the overlay on /etc,
# a private /run and /tmp kept. Exit status and output are CMD's.
in_ns() {
    [ -n "${ETC:-}" ] || ns_init
    # shellcheck disable=SC2016 # the inner shell expands them
    unshare -p -f -m --mount-proc --propagation private -- /bin/sh -c '
        set -e
        etc=$1 work=$2; shift 2
        mount -t overlay overlay -o "lowerdir=/etc,upperdir=$etc,workdir=$work" /etc
        for d in service my_init.d my_init.pre_shutdown.d my_init.post_shutdown.d container_environment; do
            mount --bind "$etc/$d" "/etc/$d"
        done
        mount -t tmpfs -o mode=0755 tmpfs /run
        exec "$@"' in_ns "$ETC" "$BATS_TEST_TMPDIR/etc-work" "$@"
}

# a runit service dir in the sandbox: add_service NAME 'shell code of ./run'
add_service() {
    mkdir -p "$ETC/service/$1"
    printf '#!/bin/sh\nexec 2>&1\n%s\n' "$2" > "$ETC/service/$1/run"
    chmod +x "$ETC/service/$1/run"
}
