#!/usr/bin/env bats
# cinit on a terminal, driven through a pseudo-terminal (util-linux script): the main command is
# the terminal's foreground group and never stopped, ^C reaches it, an interactive bash has job
# control, a hang-up reaches it. Each test as PID 1 of a namespace and as a plain child.
# cinit is made the terminal's session leader (setsid -c), as docker run -t does.
# shellcheck disable=SC2016
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() {
    cinit_setup
    export BATS_TEST_TMPDIR T FIX HELPER
}
teardown() {
    [ -z "${TTY_PID:-}" ] || kill -KILL "$TTY_PID" 2> /dev/null || :
    exec 5>&- || :
    cinit_teardown
}

MODES="pid1 child"

# the sandbox of common.bash, bounded, without timeout's own process group (which would put
# everything in the terminal's background)
unshare() {
    timeout --foreground -k 5 "${NS_TIMEOUT:-60}" unshare --kill-child "$@"
}

# tty_start MODE CINIT_ARGS...: cinit on a fresh pseudo-terminal, as PID 1 (pid1) or as a child
# of the namespace's PID 1 (child). Write to it with keys; its output is $T/out.
tty_start() {
    local mode=$1 run
    shift
    if [ "$mode" = pid1 ]; then
        run='in_ns setsid -c "$@"'
    else
        # a background job's stdin is /dev/null unless redirected: the terminal is fd 3
        run='in_ns sh -c '\''exec 3<&0; setsid -c "$@" <&3 3<&- & wait $!'\'' sh "$@"'
    fi
    export -f in_ns ns_init unshare
    rm -f "$T/in"
    mkfifo "$T/in"
    # script runs its command with $SHELL -c; a dash there (CI's SHELL may be /bin/sh or unset)
    # drops the exported functions from the environment
    # shellcheck disable=SC2086 # the arguments are passed on as words
    SHELL=/bin/bash command script -qefc "$(printf 'bash -c %q bash %s' "$run" "$(printf '%q ' "$BIN/cinit" "$@")")" /dev/null < "$T/in" > "$T/out" 2>&1 3>&- &
    TTY_PID=$!
    exec 5> "$T/in"
}

# keys TEXT: TEXT (printf format) to the terminal
keys() {
    # shellcheck disable=SC2059
    printf "$@" >&5
}

# tty_wait: until the terminal session ends (20 s at most); its status in $status, output in $output
tty_wait() {
    exec 5>&-
    if ! wait_until 20 eval '! kill -0 "$TTY_PID" 2> /dev/null || [ "$(cat /proc/$TTY_PID/stat 2> /dev/null | sed "s/.*) //" | cut -c1)" = Z ]'; then
        echo "terminal session still running; output:" >&2
        cat -v "$T/out" >&2
        return 1
    fi
    status=0
    wait "$TTY_PID" || status=$?
    TTY_PID=
    output=$(tr -d '\r' < "$T/out")
}

# descendant PIDs of the terminal session whose command name is $1
find_comm() {
    local queue=("$TTY_PID") p c
    while [ ${#queue[@]} -gt 0 ]; do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        [ "$(cat "/proc/$p/comm" 2> /dev/null)" != "$1" ] || echo "$p"
        c=$(cat /proc/"$p"/task/*/children 2> /dev/null) || continue
        # shellcheck disable=SC2206 # a list of numbers
        queue+=($c)
    done
}

# process state of PID $1: R S T Z...
pstate() {
    local st
    st=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
    st=${st##*) }
    echo "${st:0:1}"
}

# wait_state COMM STATES: a process COMM of the session in one of STATES (e.g. "SR")
in_state() {
    local p
    for p in $(find_comm "$1"); do
        case $(pstate "$p") in ["$2"]) return 0 ;; esac
    done
    return 1
}
wait_state() {
    wait_until 10 in_state "$1" "$2" || {
        echo "no $1 in state $2; output:" >&2
        cat -v "$T/out" >&2
        return 1
    }
}

@test "on a terminal the main command is the foreground group, never stopped (-t without input too)" {
    local mode
    for mode in $MODES; do
        tty_start "$mode" --skip-runit -- sh -c 'set -- $(cat /proc/$$/stat); [ "$5" = "$8" ] && echo "FOREGROUND $5"; tty; exit 4'
        tty_wait
        assert_equal "$status" 4
        assert_output --regexp 'FOREGROUND [0-9]+'
        assert_output --partial /dev/pts/
        assert_output --partial "exited with status 4."
    done
}

@test "^C on the terminal ends a main command with 130" {
    local mode
    for mode in $MODES; do
        tty_start "$mode" --skip-runit -- sleep 1000
        wait_state sleep S
        keys '\003'
        tty_wait
        assert_equal "$status" 130
        assert_output --partial "killed by signal 2"
    done
}

@test "interactive bash: typed commands run, ^C stops only the foreground job, exit 3 is cinit's status" {
    local mode
    for mode in $MODES; do
        tty_start "$mode" --skip-runit -- bash --norc --noprofile -i
        keys 'echo typed-$((40+2))\n'
        wait_until 10 grep -q typed-42 "$T/out"
        keys 'sleep 1000\n'
        wait_state sleep S
        keys '\003'
        keys 'echo after-$?\n'
        wait_until 10 grep -q after-130 "$T/out"
        keys 'exit 3\n'
        tty_wait
        assert_equal "$status" 3
        assert_output --partial typed-42
        assert_output --partial after-130
        assert_output --partial "exited with status 3."
    done
}

@test "job control in interactive bash: set -m, ^Z, bg, jobs, fg" {
    local mode
    for mode in $MODES; do
        tty_start "$mode" --skip-runit -- bash --norc --noprofile -i
        keys 'set -m\n'
        keys 'sleep 1000\n'
        wait_state sleep S
        keys '\032'
        wait_state sleep T
        keys 'bg\n'
        wait_state sleep SR
        keys 'jobs > "$T/jobs"; echo listed\n'
        wait_until 10 grep -q listed "$T/out"
        keys 'fg\n'
        sleep 0.2
        keys '\003'
        keys 'echo fg-$?\n'
        wait_until 10 grep -q fg-130 "$T/out"
        keys 'exit 3\n'
        tty_wait
        assert_equal "$status" 3
        assert_output --partial Stopped
        run cat "$T/jobs"
        assert_output --partial Running
    done
}

@test "a hang-up of the terminal reaches the main command as SIGHUP" {
    local mode c
    for mode in $MODES; do
        rm -f "$T/ready" "$T/got" "$T/stop"
        tty_start "$mode" --skip-runit -- "$FIX/trapper.sh" "$T"
        wait_file "$T/ready"
        c=$(find_comm cinit)
        [ -n "$c" ]
        kill -KILL "$TTY_PID" # the terminal's master side closes: a hang-up
        wait_until 10 grep -qx HUP "$T/got"
        echo 0 > "$T/stop"
        wait_until 10 eval '! [ -d /proc/$c ] || [ "$(pstate "$c")" = Z ]'
        wait "$TTY_PID" || :
        TTY_PID=
        exec 5>&-
    done
}
