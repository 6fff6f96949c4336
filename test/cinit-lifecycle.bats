#!/usr/bin/env bats
# The services' lifecycle (#30): the shutdown's one budget (CINIT_SHUTDOWN_TIMEOUT) that every
# phase shares. Times here are bounds with a wide margin (a loaded machine): what is asserted
# is which phases ran and that the whole fits the budget, not how fast.
# shellcheck disable=SC2016,SC2030,SC2031

load lib/common
load lib/cinit

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() { cinit_teardown; }

# ---- the shutdown budget ----

@test "budget: by default a service that ignores TERM is killed within docker stop's 10 s, and post_shutdown still runs" {
    # before: KILL_PROCESS_TIMEOUT's 30 s on the service alone, so docker's KILL came first
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; while :; do sleep 0.05; done"
    script "$ETC/my_init.post_shutdown.d/10-post" "echo post >> '$T/events'"
    ns_start "$HELPER" exec -- "$BIN/cinit"
    wait_file "$T/stubborn"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 40
    assert_success
    assert_took "$start" 3000 9500
    assert_equal "$(cat "$T/events")" post
    assert_output --partial "runit services still up after"
}

@test "budget: every phase runs within CINIT_SHUTDOWN_TIMEOUT when each would hang" {
    export CINIT_SHUTDOWN_TIMEOUT=5
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; while :; do sleep 0.05; done"
    script "$ETC/my_init.pre_shutdown.d/10-hang" "echo pre >> '$T/events'; exec sleep 1000"
    script "$ETC/my_init.post_shutdown.d/10-hang" "echo post >> '$T/events'; exec sleep 1000"
    cinit_start -- sh -c '
        (trap "" TERM; echo ready > "$1/orphan"; exec sleep 1000) &
        trap "" TERM; "$2/await.sh" ready "$1/orphan"; "$2/await.sh" up "$1/stubborn"
        : > "$1/ready"; while :; do sleep 0.05; done' sh "$T" "$FIX"
    wait_file "$T/ready"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 40
    assert_equal "$status" 137
    assert_took "$start" 2500 7500
    assert_equal "$(paste -sd' ' "$T/events")" "pre post"
    assert_output --partial "did not stop within"
    assert_output --partial "10-hang still running after"
    assert_output --partial "runit services still up after"
    assert_output --partial "processes still running after"
}

@test "budget: a phase that ends early leaves its time to the next ones" {
    export CINIT_SHUTDOWN_TIMEOUT=6
    # the main command stops at once: the stubborn service may use what the main command's
    # share left, up to three tenths before the end (6 - 1.8 s), not just its own share
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; while :; do sleep 0.05; done"
    cinit_start -- sh -c '"$2/await.sh" up "$1/stubborn"; : > "$1/ready"; exec sleep 1000' sh "$T" "$FIX"
    wait_file "$T/ready"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 40
    assert_took "$start" 3800 8000
}

@test "budget: KILL_PROCESS_TIMEOUT still caps its phases within the budget" {
    export CINIT_SHUTDOWN_TIMEOUT=60 KILL_PROCESS_TIMEOUT=1
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; while :; do sleep 0.05; done"
    ns_start "$HELPER" exec -- "$BIN/cinit"
    wait_file "$T/stubborn"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 40
    assert_success
    assert_took "$start" 800 9000
}

@test "budget: a baseimage-docker timeout set alone keeps its meaning (the budget is the phases' sum)" {
    # KILL_PROCESS_TIMEOUT=11 and nothing else: the service gets its 11 s, more than the 9 s default
    export KILL_PROCESS_TIMEOUT=11
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; while :; do sleep 0.05; done"
    ns_start "$HELPER" exec -- "$BIN/cinit"
    wait_file "$T/stubborn"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 40
    assert_success
    assert_took "$start" 10500 25000
}

@test "budget: a malformed CINIT_SHUTDOWN_TIMEOUT is exit 2, with a message naming it, nothing run" {
    local val
    for val in abc -1 "" 1e3 86401; do
        run in_ns env "CINIT_SHUTDOWN_TIMEOUT=$val" "$BIN/cinit" --skip-runit -- touch "$T/ran"
        assert_equal "$status" 2
        assert_output --partial CINIT_SHUTDOWN_TIMEOUT
        assert_file_not_exists "$T/ran"
    done
}
