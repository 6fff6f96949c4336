#!/usr/bin/env bats
# cinit booting as another user than root (docs/non-root.md): the whole tree, runsvdir and the
# services included, runs as that user; a root boot narrows the image's world-writable /run.
# The sh -c scripts are single-quoted on purpose: they expand in the sandbox.
# shellcheck disable=SC2016
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() { cinit_teardown; }

# the sandbox's /run as the image has it (1777), then cinit as uid:gid 65534, as docker run --user
NOBODY=(sh -c 'chmod 1777 /run && exec setpriv --reuid 65534 --regid 65534 --clear-groups "$@"' sh)

@test "non-root: runsvdir and the services run as that user; the environment is exported to /run/cinit" {
    world_dir
    add_service hello 'id -u > /run/hello-uid; exec sleep 1000'
    ln -s /run/runit.hello "$ETC/service/hello/supervise"
    script "$ETC/my_init.d/10-note" "id -u > '$WORLD/script-uid'"
    run in_ns "${NOBODY[@]}" "$BIN/cinit" -- sh -c '
        i=0
        until [ -s /run/hello-uid ]; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
        cat /run/hello-uid > "$1/hello-uid"
        sv status /etc/service/hello > "$1/sv-status"
        . /run/cinit/container_environment.sh
        exit 42' sh "$WORLD"
    assert_equal "$status" 42
    assert_output --partial "*** Running as uid 65534, gid 65534: the services run as this user"
    assert_output --partial "*** WARNING: not running as root: container environment exported to /run/cinit/container_environment"
    refute_output --partial "not starting runit services"
    assert_equal "$(cat "$WORLD/hello-uid")" 65534
    assert_equal "$(cat "$WORLD/script-uid")" 65534
    run cat "$WORLD/sv-status"
    assert_output --regexp '^run: /etc/service/hello: \(pid [0-9]+\)'
}

@test "non-root without a main command: SIGTERM stops the services and cinit exits 0" {
    add_service hello 'exec sleep 1000'
    ln -s /run/runit.hello "$ETC/service/hello/supervise"
    ns_start "${NOBODY[@]}" "$BIN/cinit"
    wait_until 10 grep -q "Runit started" "$T/out"
    wait_until 10 sh -c "pgrep -u 65534 -x sleep > /dev/null"
    cinit_kill TERM
    cinit_wait 20
    assert_success
    assert_output --partial "*** Running as uid 65534, gid 65534"
}

@test "root: a world-writable /run is narrowed to 0755 before anything runs" {
    script "$ETC/my_init.d/10-mode" 'stat -c "startup /run mode %a" /run'
    run in_ns sh -c 'chmod 1777 /run && exec "$@"' sh "$BIN/cinit" --skip-runit -- true
    assert_success
    assert_output --partial "startup /run mode 755"
}

@test "a service that skips itself (supervise/cinit-skipped, sv down .) is not waited for" {
    add_service cronlike 'echo "needs root" > supervise/cinit-skipped; sv down .; exit 0'
    add_service other 'exec sleep 1000'
    run cinit --wait-for-services=20 -- echo main-ran
    assert_success
    assert_output --partial "*** Service cronlike skipped itself: needs root"
    assert_line main-ran
}
