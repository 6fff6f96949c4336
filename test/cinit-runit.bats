#!/usr/bin/env bats
# cinit and runit: how fast and in what order services come down. Regression tests for two
# waits that are runit's, not ours: runsvdir's 5 s sleep before it looks at a signal, and
# runsv's 1 s sleep after a service that ran for less than a second.
# shellcheck disable=SC2016

load lib/common
load lib/cinit

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() { cinit_teardown; }

elapsed_ms() { echo $(($(now_ms) - START)); }

@test "a container stopped right after boot does not wait for runsv's restart delay" {
    add_service a 'exec sleep 1000'
    add_service b 'exec sleep 1000'
    add_service c 'exec sleep 1000'
    mkdir -p "$ETC/service/c/log"
    printf '#!/bin/sh\nexec cat > /dev/null\n' > "$ETC/service/c/log/run"
    chmod +x "$ETC/service/c/log/run"
    # the services run for about 0.3 s: runsv would sleep 1 s after each before exiting, so
    # with that delay, the shutdown (from the main command's end to cinit's) takes a second or
    # more every time; without it, even on a machine loaded enough to make one shutdown that
    # slow, not three in a row
    local t=$BATS_TEST_TMPDIR/main-ended shutdown best=
    for _ in 1 2 3; do
        run cinit --quiet -- sh -c "sleep 0.3; date +%s%3N > $t; exit 3"
        assert_failure 3
        shutdown=$(($(now_ms) - $(cat "$t")))
        echo "shutdown: $shutdown ms"
        [ -n "$best" ] && [ "$best" -le "$shutdown" ] || best=$shutdown
    done
    [ "$best" -lt 1000 ] || fail "every shutdown took a second or more (the fastest $best ms)"
}

@test "shutting down just as runsvdir starts is never delayed by runsvdir's 5 s sleep" {
    add_service a 'exec sleep 1000'
    for _ in $(seq 20); do
        START=$(now_ms)
        run cinit --quiet -- true
        assert_success
        # runsvdir's sleep would make it 5 s or more
        [ "$(elapsed_ms)" -lt 4500 ] || fail "took $(elapsed_ms) ms"
    done
}

@test "a service's finish script has run before the post-shutdown scripts" {
    add_service a 'exec sleep 1000'
    printf '#!/bin/sh\necho finished > /run/finish-ran\n' > "$ETC/service/a/finish"
    chmod +x "$ETC/service/a/finish"
    printf '#!/bin/sh\ncat /run/finish-ran > /etc/seen-by-post || echo missing > /etc/seen-by-post\n' \
        > "$ETC/my_init.post_shutdown.d/check"
    chmod +x "$ETC/my_init.post_shutdown.d/check"
    run cinit --quiet -- sh -c 'sleep 1.2'
    assert_success
    assert_file_contains "$ETC/seen-by-post" '^finished$'
}

@test "a service that ignores TERM is killed after KILL_PROCESS_TIMEOUT, and the rest goes on" {
    add_service stubborn 'trap "" TERM; while :; do sleep 0.05; done'
    add_service polite 'exec sleep 1000'
    printf '#!/bin/sh\necho post > /etc/post-ran\n' > "$ETC/my_init.post_shutdown.d/p"
    chmod +x "$ETC/my_init.post_shutdown.d/p"
    START=$(now_ms)
    KILL_PROCESS_TIMEOUT=1 run cinit --quiet -- sh -c 'sleep 1.2'
    assert_success
    assert_file_exists "$ETC/post-ran"
    local t
    t=$(elapsed_ms)
    [ "$t" -ge 2000 ] && [ "$t" -lt 9000 ] || fail "took $t ms (expected 1.2 s + 1 s timeout)"
}

@test "services are down before the post-shutdown scripts run: no runsv or service is left" {
    add_service a 'exec sleep 1000'
    add_service b 'exec sleep 1000'
    printf '#!/bin/sh\nps -eo comm= > /etc/left\n' > "$ETC/my_init.post_shutdown.d/ps"
    chmod +x "$ETC/my_init.post_shutdown.d/ps"
    run cinit --quiet -- sh -c 'sleep 0.5'
    assert_success
    assert_file_exists "$ETC/left"
    run grep -xE 'runsv|runsvdir|sleep' "$ETC/left"
    assert_failure
}
