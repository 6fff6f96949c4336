# Driving a command through a pseudo-terminal (util-linux script), as a user at a terminal
# does, for the Docker suites. The caller's teardown calls tty_teardown.
# shellcheck shell=bash

# on_tty COMMAND...: COMMAND on a fresh pseudo-terminal; keys types into it, $T/out is its output
on_tty() {
    rm -f "$T/in"
    mkfifo "$T/in"
    command script -qefc "$(printf '%q ' "$@")" /dev/null < "$T/in" > "$T/out" 2>&1 3>&- &
    TTY_PID=$!
    exec 5> "$T/in"
}
keys() {
    # shellcheck disable=SC2059
    printf "$@" >&5
}
# tty_end: the terminal's command has ended (within 60 s); $status, $output (for bats' asserts)
# shellcheck disable=SC2034
tty_end() {
    exec 5>&-
    # shellcheck disable=SC2016 # evaluated by wait_for
    wait_for 60 eval '! kill -0 "$TTY_PID" 2> /dev/null'
    status=0
    wait "$TTY_PID" || status=$?
    TTY_PID=
    output=$(tr -d '\r' < "$T/out")
}
seen() { grep -q "$1" "$T/out"; }
# tty_teardown: what a test on a terminal leaves
tty_teardown() {
    [ -z "${TTY_PID:-}" ] || kill -KILL "$TTY_PID" 2> /dev/null || :
    TTY_PID=
    exec 5>&- || :
}
