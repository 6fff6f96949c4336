#!/usr/bin/env bats
# CINIT_SERVICE_LOGS=prefixed|json (docs/logging.md, "Service output"): every line a service
# writes without a log/ of its own, stdout and stderr, goes out marked with its name; lines
# never merged, split (below the length limit) or lost, each service's order kept; a reader
# that does not read never blocks PID 1.
# shellcheck disable=SC2016,SC2154 # stderr: bats run --separate-stderr sets it
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() {
    [ -z "${READER:-}" ] || kill "$READER" 2> /dev/null || :
    cinit_teardown
}

N=3000

# flood NAME: a service that writes N numbered lines to stdout and N/10 to stderr, at once,
# then notes it is done in /run and stays up
flood() {
    add_service "$1" "i=0; while [ \$i -lt $N ]; do echo \"$1-out-\$i \$(printf %0100d 0)\"; [ \$((i % 10)) != 0 ] || echo \"$1-err-\$i\" >&2; i=\$((i+1)); done; touch /run/done-$1; exec sleep 1000"
    # the run script's own exec 2>&1 (add_service) would merge stderr: this one keeps it apart
    sed -i '2d' "$ETC/service/$1/run"
}

# the main command: until both floods are done, then a moment for PID 1 to read the rest
WAIT_FLOODS='i=0; until [ -e /run/done-a ] && [ -e /run/done-b ]; do i=$((i+1)); [ $i -lt 600 ] || exit 1; sleep 0.1; done; sleep 0.5'

@test "prefixed: two services flooding at once, every line once, marked, in each one's order" {
    flood a
    flood b
    run --separate-stderr cinit --quiet --service-logs=prefixed -- sh -c "$WAIT_FLOODS"
    assert_success
    local pad
    pad=$(printf %0100d 0)
    for s in a b; do
        diff <(grep "^$s | $s-out-" <<< "$output") <(seq 0 $((N - 1)) | sed "s/.*/$s | $s-out-& $pad/")
        diff <(grep "^$s | $s-err-" <<< "$stderr") <(seq 0 10 $((N - 1)) | sed "s/.*/$s | $s-err-&/")
    done
    # nothing else, and nothing merged: every stdout line is one of theirs
    [ "$(grep -vc "^[ab] | [ab]-out-[0-9]* $pad\$" <<< "$output")" = 0 ]
}

@test "CINIT_SERVICE_LOGS=json: one object a line, the stream named, every line once in order" {
    flood a
    flood b
    CINIT_SERVICE_LOGS=json run --separate-stderr cinit --quiet -- sh -c "$WAIT_FLOODS"
    assert_success
    # every line is a JSON object of exactly these three keys
    jq -e -c 'select((keys == ["line","service","stream"]) | not)' <<< "$output" && fail "an object of other keys"
    local pad
    pad=$(printf %0100d 0)
    for s in a b; do
        diff <(jq -r "select(.service == \"$s\" and .stream == \"stdout\") | .line" <<< "$output") \
            <(seq 0 $((N - 1)) | sed "s/.*/$s-out-& $pad/")
        diff <(jq -r "select(.service == \"$s\" and .stream == \"stderr\") | .line" <<< "$output") \
            <(seq 0 10 $((N - 1)) | sed "s/.*/$s-err-&/")
    done
}

@test "long lines are cut into 16384-byte lines; invalid UTF-8 is unchanged (prefixed), U+FFFD (json)" {
    add_service long 'head -c 40000 /dev/zero | tr "\0" x; echo; printf "bad \377\300 end\n"; printf "no newline at the end"; touch /run/done; exec sleep 1000'
    local wait='i=0; until [ -e /run/done ]; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done; sleep 0.3'
    run cinit --quiet --service-logs=prefixed -- sh -c "$wait"
    assert_success
    assert_line "long | $(printf %16384s '' | tr ' ' x)"
    assert_line "long | $(printf %7232s '' | tr ' ' x)"
    assert_line "long | $(printf 'bad \377\300 end')"
    # the last line, without its newline, is a line when the service ends
    assert_line "long | no newline at the end"
    run cinit --quiet --service-logs=json -- sh -c "$wait"
    assert_success
    assert_line '{"service":"long","stream":"stdout","line":"bad \ufffd\ufffd end"}'
    [ "$(jq -r 'select(.service == "long") | .line | length' <<< "$output" | head -3 | tr '\n' ' ')" = "16384 16384 7232 " ]
}

@test "a service with its own log/ keeps it; --service-logs raw (the default) marks nothing" {
    add_service own 'echo to-my-log; exec sleep 1000'
    mkdir -p "$ETC/service/own/log"
    printf '#!/bin/sh\nwhile read -r l; do echo "own-log: $l"; done\n' > "$ETC/service/own/log/run"
    chmod +x "$ETC/service/own/log/run"
    add_service plain 'echo plain-line; exec sleep 1000'
    run cinit --quiet --service-logs=prefixed -- sh -c 'sleep 1.5'
    assert_success
    assert_line "own-log: to-my-log"
    assert_line "plain | plain-line"
    run cinit --quiet -- sh -c 'sleep 1.5'
    assert_line "plain-line"
    run cinit --service-logs=yaml -- true
    assert_failure 2
    assert_output --partial "--service-logs=yaml: 'yaml' is not raw, prefixed or json"
}

@test "a reader that does not read: the service blocks, PID 1 does not (signals, exit within the flush bound)" {
    # 4 MB: more than the service's pipe, PID 1's queue and the reader's pipe hold together
    add_service big 'head -c 4000000 /dev/zero | tr "\0" "\n" | sed "s/^/y/"; touch /run/done-big; exec sleep 1000'
    mkfifo "$T/fifo"
    # the FIFO's one reader holds it open and never reads: PID 1's stdout fills
    # shellcheck disable=SC2217 # it holds the FIFO open, reading nothing: that is the point
    sleep 1000 < "$T/fifo" 3>&- &
    READER=$!
    local p1 start
    in_ns "$BIN/cinit" --service-logs=prefixed > "$T/fifo" 2> "$T/err" &
    NS_JOB=$!
    wait_until 20 grep -q 'Runit started' "$T/err"
    p1=$(ns_pid1)
    # the service is blocked in write() on its full pipe, for good
    # (the kernel's name for it: pipe_write, anon_pipe_write since 6.x)
    blocked() { grep -lxE '(anon_)?pipe_write' /proc/[0-9]*/wchan > /dev/null 2>&1; }
    wait_until 20 blocked
    sleep 1
    [ ! -e "/proc/$p1/root/run/done-big" ]
    # PID 1 is not: it waits in its loop, and acts on a signal at once
    run cat "/proc/$p1/wchan"
    refute_output --regexp 'pipe_write$'
    start=$(now_ms)
    kill -TERM "$p1"
    wait_until 15 eval '! job_running'
    # the shutdown, then at most 2 s for the last lines
    [ $(($(now_ms) - start)) -lt 8000 ]
    wait "$NS_JOB" || :
    NS_JOB=
    run cat "$T/err"
    assert_output --partial "service output: 0 lines and"
    assert_output --partial "bytes could not be written"
}
