#!/usr/bin/env bats
# Critical services: the container ends with the status of the service's ./run, on every kernel.
# "helper nopidfd" runs cinit where pidfd_open fails (a seccomp filter, as on Linux before 5.3):
# no pidfd, so none of the kernel's exit information (PIDFD_INFO_EXIT, Linux 6.15+, which
# qemu-user does not pass through either). What cinit knows there comes from ./finish alone.
# shellcheck disable=SC2016
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() { cinit_teardown; }

# critical NAME 'code of ./run'
critical() {
    add_service "$1" "$2"
    touch "$ETC/service/$1/critical"
}

@test "without pidfds a critical service that exits 3 ends cinit with 3, main command or not" {
    critical app 'sleep 0.5; exit 3'
    add_service other 'exec sleep 1000'
    run in_ns "$HELPER" nopidfd "$BIN/cinit" -- sleep 100
    assert_failure 3
    assert_output --partial 'critical service app exited with status 3: stopping the container.'
    run in_ns "$HELPER" nopidfd "$BIN/cinit"
    assert_failure 3
}

@test "without pidfds a critical service killed by signal N ends cinit with 128+N" {
    critical app 'sleep 0.5; kill -USR1 $$'
    run in_ns "$HELPER" nopidfd "$BIN/cinit" -- sleep 100
    assert_failure 138
    assert_output --partial 'critical service app was killed by signal 10 (SIGUSR1)'
}

@test "a critical service that exits at once, before cinit sees it run, still gives its status" {
    critical app 'exit 7'
    run in_ns "$HELPER" nopidfd "$BIN/cinit" -- sleep 100
    assert_failure 7
    assert_output --partial 'critical service app exited with status 7'
}

@test "cinit's ./finish is there while the service runs and goes at shutdown; other services get none" {
    critical app 'exec sleep 1000'
    add_service plain 'exec sleep 1000'
    run cinit --wait-for-services=10 -- sh -c 'readlink /etc/service/app/finish; test ! -e /etc/service/plain/finish && echo plain-has-none'
    assert_success
    assert_line "$(readlink -f "$BIN/cinit")"
    assert_line plain-has-none
    assert_file_not_exists "$ETC/service/app/finish"
    assert_file_not_exists "$ETC/service/plain/finish"
}

@test "a critical service's own ./finish runs with runsv's arguments, and gives cinit the status" {
    critical app 'sleep 0.5; exit 4'
    # it runs for a moment: cinit reads its arguments while it runs
    script "$ETC/service/app/finish" 'echo "$*" > /run/finish-args; sleep 0.5; cp /run/finish-args /etc/finish-args'
    run in_ns "$HELPER" nopidfd "$BIN/cinit" -- sleep 100
    assert_failure 4
    assert_output --partial 'critical service app exited with status 4'
    # the user's own, unchanged: runsv's two arguments, and it is still there afterwards
    assert_equal "$(cat "$ETC/finish-args")" '4 0'
    assert_file_executable "$ETC/service/app/finish"
    assert_equal "$(head -c 9 "$ETC/service/app/finish")" '#!/bin/sh'
}

# in_ns with the service dir app read-only and its supervise/ in /run (the image's layout, as
# under docker run --read-only --tmpfs /run); then CMD
in_ns_ro_app() {
    ln -s /run/runit.app "$ETC/service/app/supervise"
    in_ns sh -c 'mount --bind /etc/service/app /etc/service/app &&
        mount -o remount,bind,ro /etc/service/app && exec "$@"' sh "$@"
}

@test "a read-only critical service without ./finish: cinit says it cannot add one, and that the status is unknown" {
    critical app 'sleep 0.5; exit 3'
    run in_ns_ro_app "$HELPER" nopidfd "$BIN/cinit" -- sleep 100
    assert_failure 1
    assert_output --partial "service app: cannot add cinit's ./finish"
    assert_output --partial 'critical service app exited (its status is unknown'
}

@test "a read-only critical service whose image links ./finish to cinit gives its status" {
    critical app 'sleep 0.5; exit 3'
    ln -s "$BIN/cinit" "$ETC/service/app/finish"
    run in_ns_ro_app "$HELPER" nopidfd "$BIN/cinit" -- sleep 100
    assert_failure 3
    refute_output --partial "cannot add cinit's ./finish"
    # cinit leaves a link it did not make where it was
    assert_link_exists "$ETC/service/app/finish"
}
