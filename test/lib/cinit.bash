# Helpers of the cinit suites (test/cinit*.bats): cinit as PID 1 in the sandbox of common.bash.
# shellcheck shell=bash

FIX=$SRC/test/fixtures/cinit

# setup_file: the C helper (fixtures/cinit/helper.c), built once per file.
cinit_setup_file() {
    HELPER=$BATS_FILE_TMPDIR/helper
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o "$HELPER" "$FIX/helper.c"
    export HELPER
}

# setup: a fresh sandbox; T is the test's scratch directory (outside the namespace's /etc).
cinit_setup() {
    ns_init
    T=$BATS_TEST_TMPDIR
    # the default timeouts are part of what is tested: the host's values must not leak in
    unset KILL_PROCESS_TIMEOUT KILL_ALL_PROCESSES_TIMEOUT CINIT_SHUTDOWN_TIMEOUT ENV_INIT_DIRECTORY
    NS_JOB=
}

# teardown: nothing of a test may outlive it. Killing PID 1 of a namespace kills all of it.
cinit_teardown() {
    if [ -n "${NS_JOB:-}" ] && job_running; then
        local p
        p=$(ns_pid1) && kill -KILL "$p" 2> /dev/null
        wait "$NS_JOB" 2> /dev/null || :
    fi
    if [ -n "${WORLD:-}" ]; then rm -rf "$WORLD"; fi
}

# in_ns calls unshare: here it is bounded, so that a PID 1 that hangs fails its test instead of
# the whole run. After NS_TIMEOUT s timeout signals (status 124); 5 s later it kills unshare,
# and --kill-child then takes PID 1, so the whole namespace, with it.
unshare() {
    timeout -k 5 "${NS_TIMEOUT:-60}" unshare --kill-child "$@"
}

# run cinit synchronously as PID 1 (use with bats' run)
cinit() {
    in_ns "$BIN/cinit" "$@"
}

now_ms() {
    local t=${EPOCHREALTIME//[.,]/}
    echo $((t / 1000))
}

# wait_until SECONDS CMD...: poll CMD until it succeeds; 1 after SECONDS. The first tries are
# 10 ms apart, then up to 100 ms: each try forks, and the suites run side by side on a busy
# machine (no test here measures with it closer than that).
wait_until() {
    local end=$(($(now_ms) + $1 * 1000)) ms=10
    shift
    until "$@"; do
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep "0.$(printf %03d $ms)"
        [ $ms -ge 100 ] || ms=$((ms * 3 / 2))
    done
}

# wait_file PATH [SECONDS]: until PATH exists (default 10 s); fails the test otherwise
wait_file() {
    wait_until "${2:-10}" test -e "$1" || {
        echo "timed out waiting for $1" >&2
        [ ! -e "$T/out" ] || cat "$T/out" >&2
        return 1
    }
}

# ns_start CMD...: in_ns CMD in the background; its output goes to $T/out. (bats' fd 3 is
# closed so that a test that fails early does not keep bats waiting on it.)
ns_start() {
    : > "$T/out"
    in_ns "$@" > "$T/out" 2>&1 3>&- &
    NS_JOB=$!
}
cinit_start() {
    ns_start "$BIN/cinit" "$@"
}

job_running() {
    local st
    st=$(cat "/proc/$NS_JOB/stat" 2> /dev/null) || return 1
    st=${st##*) }
    [ "${st:0:1}" != Z ]
}

# PID (as seen from here) of the namespace's PID 1: the child of unshare
ns_pid1() {
    local queue=("$NS_JOB") p c
    while [ ${#queue[@]} -gt 0 ]; do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        c=$(cat /proc/"$p"/task/*/children 2> /dev/null) || continue
        if [ "$(cat "/proc/$p/comm" 2> /dev/null)" = unshare ]; then
            [ -n "$c" ] || return 1
            echo "${c%% *}"
            return 0
        fi
        # shellcheck disable=SC2206 # a list of numbers
        queue+=($c)
    done
    return 1
}

# signal the namespace's PID 1 (cinit) from outside
cinit_kill() {
    local p
    p=$(ns_pid1) || {
        echo "no PID 1 to signal" >&2
        return 1
    }
    kill "-$1" "$p"
}

# cinit_wait [SECONDS]: wait (default 20 s) for the background cinit to end; sets status and
# output as bats' run does. On timeout the namespace is killed and the test fails.
# shellcheck disable=SC2034 # status, output, lines are for bats-assert
cinit_wait() {
    if ! wait_until "${1:-20}" eval '! job_running'; then
        echo "cinit still running after ${1:-20} s; output:" >&2
        cat "$T/out" >&2
        cinit_teardown
        return 1
    fi
    ENDED_MS=$(now_ms)
    status=0
    wait "$NS_JOB" || status=$?
    NS_JOB=
    output=$(cat "$T/out")
    mapfile -t lines < "$T/out"
}

# a directory that a non-root user can use (bats' own are 0700); removed by cinit_teardown
world_dir() {
    WORLD=$(mktemp -d /tmp/cinit-test.XXXXXX)
    chmod 0777 "$WORLD"
}

# an executable script in the sandbox: script PATH 'shell code'
script() {
    mkdir -p "$(dirname "$1")"
    printf '#!/bin/sh\n%s\n' "$2" > "$1"
    chmod +x "$1"
}

# assert_took START MIN MAX: from START (a now_ms value) to the end cinit_wait saw: MIN..MAX ms
assert_took() {
    local took=$((ENDED_MS - $1))
    if [ "$took" -lt "$2" ] || [ "$took" -gt "$3" ]; then
        echo "took $took ms, expected $2..$3 ms" >&2
        return 1
    fi
}
