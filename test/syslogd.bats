#!/usr/bin/env bats
# cinit-syslogd: /dev/log (here a socket in the test's directory) to one line per message.
# Each @test runs in a subshell of its own (which is what keeps them apart):
# shellcheck disable=SC2030,SC2031
load lib/common

setup_file() {
    "$SRC/tools/ensure-packages" syslogd
}

setup() {
    T=$BATS_TEST_TMPDIR
    SOCK=$T/log
    DPID=
}

teardown() {
    if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
        kill -KILL "$DPID"
    fi
    if [ -n "${PUB:-}" ]; then
        rm -rf "$PUB"
    fi
}

# bounded wait (5 s; 20 s for the sanitizer build) until the shell condition holds
wait_until() {
    local i
    for i in $(seq 2000); do
        if eval "$1"; then return 0; fi
        sleep 0.01
    done
    echo "timed out waiting for: $1" >&2
    return 1
}

# start_daemon ARGS...: in the background on $SOCK, stdout to $T/stdout unless OUT says
# otherwise, stderr to $T/stderr; returns once the socket is there
start_daemon() {
    "$BIN/cinit-syslogd" --socket "$SOCK" "$@" >"${OUT:-$T/stdout}" 2>"$T/stderr" &
    DPID=$!
    wait_until "[ -S '$SOCK' ] || ! kill -0 $DPID 2>/dev/null"
    [ -S "$SOCK" ]
}

# SIGTERM, and the daemon must exit 0 (having written out everything sent before)
stop_daemon() {
    kill -TERM "$DPID"
    local rc=0
    wait "$DPID" || rc=$?
    DPID=
    [ "$rc" = 0 ] || { echo "cinit-syslogd exited $rc" >&2; cat "$T/stderr" >&2; return 1; }
}

# send_raw EXPR...: one datagram per Python bytes expression, exactly those bytes
send_raw() {
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
for e in sys.argv[2:]:
    s.sendto(eval(e, {"__builtins__": {}}), sys.argv[1])
' "$SOCK" "$@"
}

# every line of FILE is valid UTF-8 without control characters
clean_lines() {
    iconv -f UTF-8 -t UTF-8 "$1" >/dev/null
    run env LC_ALL=C grep -c "$(printf '[\001-\010\013-\037\177]')" "$1"
    [ "$output" = 0 ]
    run env LC_ALL=C grep -c "$(printf '\t')" "$1"
    [ "$output" = 0 ]
}

@test "--help, --version and usage errors" {
    run "$BIN/cinit-syslogd" --help
    assert_success
    assert_output --partial "Usage: cinit-syslogd"
    assert_output --partial "--socket PATH"
    run "$BIN/cinit-syslogd" --version
    assert_success
    assert_output --regexp '^cinit-syslogd [0-9]'
    run "$BIN/cinit-syslogd" --bogus
    assert_failure 2
    run "$BIN/cinit-syslogd" --format xml --socket "$SOCK"
    assert_failure 2
    assert_output --partial "unknown format 'xml'"
    run "$BIN/cinit-syslogd" --socket "$SOCK" extra
    assert_failure 2
    [ ! -e "$SOCK" ]
}

@test "logger messages with tags and priorities, one line each on stdout" {
    start_daemon
    [ "$(stat -c %a "$SOCK")" = 666 ]
    logger -u "$SOCK" -t web -p local0.info "server started"
    logger -u "$SOCK" --id=4242 -t sshd -p auth.err "Failed password for root"
    logger -u "$SOCK" -p daemon.debug "no tag given"
    logger -u "$SOCK" -t cron -p cron.warning --rfc3164 "relayed form, with a hostname"
    logger -u "$SOCK" -t mta -p mail.crit "queue full"
    logger -u "$SOCK" -t app -p local7.notice "tab	and \\ backslash"
    stop_daemon
    [ ! -e "$SOCK" ]
    me=$(id -un)
    run cat "$T/stdout"
    assert_output "local0.info web: server started
auth.err sshd[4242]: Failed password for root
daemon.debug $me: no tag given
cron.warning cron: relayed form, with a hostname
mail.crit mta: queue full
local7.notice app: tab\\tand \\ backslash"
    [ ! -s "$T/stderr" ]
}

@test "RFC 5424 messages: logger --rfc5424 and the RFC's examples" {
    start_daemon
    logger -u "$SOCK" --rfc5424 -t app --id=77 --msgid REQ --sd-id 'req@32473' --sd-param 'path="/x"' -p local1.info "handled"
    logger -u "$SOCK" --rfc5424=notime,nohost -t short "minimal header"
    send_raw "b'<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf\'su root\' failed for lonvick on /dev/pts/8'" \
        "b'<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It\'s time to make the do-nuts.'" \
        "b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] An application event log entry...'" \
        "b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]'"
    stop_daemon
    run cat "$T/stdout"
    assert_line --index 0 --regexp '^local1\.info app\[77\]: REQ \[timeQuality [^]]*\]\[req@32473 path="/x"\] handled$'
    assert_line --index 1 "user.notice short: minimal header"
    assert_line --index 2 "auth.crit su: ID47 'su root' failed for lonvick on /dev/pts/8"
    assert_line --index 3 "local4.notice myproc[8710]: %% It's time to make the do-nuts."
    assert_line --index 4 'local4.notice evntslog: ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] An application event log entry...'
    assert_line --index 5 'local4.notice evntslog: ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]'
    [ "${#lines[@]}" = 6 ]
}

@test "garbage never splits a line nor stops the messages after it" {
    start_daemon
    send_raw "b'<'" "b'<13>ok: 1'" \
        "b'<99999999999>huge pri'" "b'<13>ok: 2'" \
        "b''" "b'<13>ok: 3'" \
        "b'<13>nul: a\x00b\x00\x00c\nd\re'" "b'<13>ok: 4'" \
        "b'\xff\xfe<13>bad: \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 \xc2\x9b[31m'" "b'<13>ok: 5'" \
        "b'<13>max: ' + b'A' * (65536 - 12) + b'END'" "b'<13>ok: 6'" \
        "b'<13>over: ' + b'B' * 65536" "b'<13>ok: 7'" \
        "b'<13>big: ' + b'\x00\n\xff' * 23334" "b'<13>ok: 8'" \
        "b'\x00' * 100 + b'x'" "b'<13>ok: 9'" \
        "b'<13>1 - - - - - [broken' + b'\x00'" "b'<13>ok: 10'"
    kill -0 "$DPID"
    stop_daemon
    clean_lines "$T/stdout"
    run cat "$T/stdout"
    [ "${#lines[@]}" = 20 ]
    for i in $(seq 10); do assert_line --index $((2 * i - 1)) "user.notice ok: $i"; done
    assert_line --index 0 "user.notice <"
    assert_line --index 2 "user.notice <99999999999>huge pri"
    assert_line --index 4 "user.notice"
    assert_line --index 6 'user.notice nul: a\x00b\x00\x00c\nd\re'
    assert_line --index 8 'user.notice \xff\xfe<13>bad: \xc3( \xed\xa0\x80 \xf8\x88\x80\x80\x80 \u009b[31m'
    # exactly 64 KiB: whole; more: cut at 64 KiB and marked
    [[ ${lines[10]} == "user.notice max: AAA"*AEND ]]
    [ "${#lines[10]}" = $((17 + 65536 - 9)) ]
    [[ ${lines[12]} == *"B [truncated: 65546 bytes, 65536 kept]" ]]
    [[ ${lines[14]} == 'user.notice big: \x00\n\xff\x00\n\xff'*"[truncated: 70011 bytes, 65536 kept]" ]]
    assert_line --index 16 "user.notice $(printf '\\x00%.0s' $(seq 100))x"
    assert_line --index 18 'user.notice 1 - - - - - [broken'
}

@test "10,000 messages from 4 concurrent writers: none lost" {
    start_daemon
    pids=()
    for w in 1 2 3 4; do
        seq 2500 | logger -u "$SOCK" -t "w$w" &
        pids+=($!)
    done
    wait "${pids[@]}"
    stop_daemon
    run wc -l < "$T/stdout"
    [ "$output" = 10000 ]
    for w in 1 2 3 4; do
        # each writer's lines complete and in the order sent
        run bash -c "grep '^user.notice w$w: ' '$T/stdout' | sed 's/.*: //' | cmp - <(seq 2500)"
        assert_success
    done
}

@test "idle memory stays small after a burst and a 64 KiB message" {
    start_daemon
    seq 3000 | logger -u "$SOCK" -t burst
    send_raw "b'<13>big: ' + b'\xff' * 65536"
    logger -u "$SOCK" -t last "done"
    wait_until "grep -q 'last: done' '$T/stdout'"
    anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$DPID/status")
    echo "RssAnon: $anon kB"
    case $BIN in
        */asan) [ "$anon" -gt 0 ] ;; # the sanitizers' shadow memory says nothing about ours
        *) [ "$anon" -lt 512 ] ;;
    esac
    stop_daemon
}

@test "one write(2) per message, whole, to a pipe" {
    OUT=/dev/null start_daemon
    stop_daemon
    # the same under strace, stdout a pipe: three messages, three writes of complete lines
    strace -o "$T/trace" -e trace=write -s 0 "$BIN/cinit-syslogd" --socket "$SOCK" 2>"$T/stderr" | cat > "$T/stdout" &
    wait_until "[ -S '$SOCK' ]"
    logger -u "$SOCK" -t a one
    send_raw "b'<13>b: ' + b'x' * 60000"
    logger -u "$SOCK" -t c three
    pid=$(pgrep -f -- "^$BIN/cinit-syslogd --socket $SOCK\$")
    [ -n "$pid" ]
    kill -TERM "$pid"
    wait
    run grep -c '^write(1, ' "$T/trace"
    [ "$output" = 3 ]
    run grep '^write(1, ' "$T/trace"
    assert_line --index 0 --regexp ', 19\) += 19$'
    assert_line --index 1 --regexp ', 60016\) += 60016$'
    assert_line --index 2 --regexp ', 21\) += 21$'
    [ "$(wc -l < "$T/stdout")" = 3 ]
}

@test "unbuffered on a pipe, and a reader that goes away (EPIPE) costs only its own lines" {
    mkfifo "$T/fifo"
    head -n 1 "$T/fifo" > "$T/first" &
    hpid=$!
    OUT=$T/fifo start_daemon --output - --output "$T/file"
    logger -u "$SOCK" -t t m1
    # the line reaches the pipe at once: head exits with the daemon still running
    wait_until "! kill -0 $hpid 2>/dev/null"
    [ "$(cat "$T/first")" = "user.notice t: m1" ]
    logger -u "$SOCK" -t t m2
    logger -u "$SOCK" -t t m3
    wait_until "grep -q m3 '$T/file'"
    kill -0 "$DPID"
    stop_daemon
    run cat "$T/file"
    assert_output "user.notice t: m1
user.notice t: m2
user.notice t: m3"
    run cat "$T/stderr"
    assert_line --partial "standard output: Broken pipe"
    [ "${#lines[@]}" = 1 ]
}

@test "SIGTERM stops it even while its output is stuck (a reader that never reads)" {
    mkfifo "$T/fifo"
    # this shell holds the read end open and never reads
    exec {rfd}<>"$T/fifo"
    OUT=$T/fifo start_daemon
    send_raw "b'<13>s: ' + b'x' * 60000" "b'<13>s: ' + b'y' * 60000" "b'<13>s: ' + b'z' * 60000"
    # more than the pipe holds: the daemon blocks in write(2)
    wait_until "grep -q pipe_write /proc/$DPID/wchan"
    start=$(date +%s)
    stop_daemon
    [ $(($(date +%s) - start)) -le 10 ]
    [ ! -e "$SOCK" ]
    exec {rfd}<&-
}

@test "--output files: appended to, and reopened on SIGHUP" {
    echo "old line" > "$T/file"
    start_daemon --output "$T/file" --output -
    logger -u "$SOCK" -t rot one
    mv "$T/file" "$T/file.1"
    kill -HUP "$DPID"
    logger -u "$SOCK" -t rot two
    stop_daemon
    run cat "$T/file.1"
    assert_output "old line
user.notice rot: one"
    run cat "$T/file"
    assert_output "user.notice rot: two"
    run cat "$T/stdout"
    assert_output "user.notice rot: one
user.notice rot: two"
    run "$BIN/cinit-syslogd" --socket "$T/log2" --output "$T/no/such/dir/file"
    assert_failure 1
    assert_output --partial "$T/no/such/dir/file"
}

@test "--format json and --format rfc5424" {
    start_daemon --format json --output "$T/json"
    logger -u "$SOCK" --id=9 -t j -p mail.warning 'say "hi"'
    send_raw "b'<13>x: a\x00\xff'"
    stop_daemon
    run cat "$T/json"
    assert_line --index 0 --regexp '^\{"facility":"mail","severity":"warning","timestamp":"[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8}","tag":"j","pid":"9","message":"say \\"hi\\""\}$'
    assert_line --index 1 '{"facility":"user","severity":"notice","tag":"x","message":"a\u0000\udcff"}'
    python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/json"
    start_daemon --format rfc5424
    logger -u "$SOCK" --id=9 -t r -p mail.warning "m"
    stop_daemon
    run cat "$T/stdout"
    assert_output --regexp "^<20>1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z $(cat /proc/sys/kernel/hostname) r 9 - - m\$"
}

@test "a stale socket is replaced; a live one, a file or a symlink never" {
    start_daemon
    kill -KILL "$DPID"
    wait "$DPID" || true
    [ -S "$SOCK" ]
    run logger -u "$SOCK" --socket-errors=on -t s lost
    assert_failure
    "$BIN/cinit-syslogd" --socket "$SOCK" > "$T/stdout" 2> "$T/stderr" &
    DPID=$!
    # the socket file is there all along: ready is when a message gets through
    wait_until "logger -u '$SOCK' --socket-errors=on -t s after-stale 2>/dev/null"
    # a second daemon on the live socket refuses, and the first keeps it
    run "$BIN/cinit-syslogd" --socket "$SOCK"
    assert_failure 1
    assert_output --partial "another process is listening"
    logger -u "$SOCK" -t s still-there
    stop_daemon
    run cat "$T/stdout"
    assert_output "user.notice s: after-stale
user.notice s: still-there"

    echo precious > "$T/file"
    run "$BIN/cinit-syslogd" --socket "$T/file"
    assert_failure 1
    assert_output --partial "not a socket"
    [ "$(cat "$T/file")" = precious ]
    ln -s "$T/file" "$T/link"
    run "$BIN/cinit-syslogd" --socket "$T/link"
    assert_failure 1
    [ -L "$T/link" ]
    mkdir "$T/dir"
    run "$BIN/cinit-syslogd" --socket "$T/dir"
    assert_failure 1
    [ -d "$T/dir" ]
    run "$BIN/cinit-syslogd" --socket "$T/$(printf 'x%.0s' $(seq 120))"
    assert_failure 1
    assert_output --partial "too long"
}

@test "any user may log (socket 0666)" {
    PUB=$(mktemp -d /tmp/cinit-syslogd.XXXXXX)
    chmod 0755 "$PUB"
    SOCK=$PUB/log
    start_daemon
    setpriv --reuid=65534 --regid=65534 --clear-groups logger -u "$SOCK" -t nobody "from uid 65534"
    stop_daemon
    run cat "$T/stdout"
    assert_output "user.notice nobody: from uid 65534"
}

@test "SIGINT and SIGQUIT stop it cleanly too; its fds are close-on-exec" {
    for sig in INT QUIT; do
        # started with nothing above fd 2, so that every fd there is its own
        (
            for fd in "/proc/$BASHPID/fd/"*; do
                fd=${fd##*/}
                [ "$fd" -le 2 ] || eval "exec $fd>&-"
            done
            exec "$BIN/cinit-syslogd" --socket "$SOCK" --output "$T/file" --output - >"$T/stdout" 2>"$T/stderr"
        ) &
        DPID=$!
        wait_until "[ -S '$SOCK' ]"
        [ "$(find "/proc/$DPID/fd" -mindepth 1 | wc -l)" -ge 7 ] # 0-2, socket, pipe (2), file
        for fd in /proc/"$DPID"/fd/*; do
            n=${fd##*/}
            [ "$n" -le 2 ] && continue
            flags=$(awk '/^flags:/ {print $2}' "/proc/$DPID/fdinfo/$n")
            (( (8#$flags & 8#2000000) != 0 )) # O_CLOEXEC
        done
        kill "-$sig" "$DPID"
        rc=0
        wait "$DPID" || rc=$?
        DPID=
        [ "$rc" = 0 ]
        [ ! -e "$SOCK" ]
    done
}

# in_service_sandbox 'SHELL CODE': runs the code as PID 1 of a sandbox with its own /dev and
# the image's syslog service in /etc/service; PID 1's stdout is $T/pid1.out; $T is "$1" there
in_service_sandbox() {
    ns_init
    cp -r "$SRC/image/services/syslog" "$ETC/service/syslog"
    # shellcheck disable=SC2016 # the script is for the sandbox's shell
    PATH=$BIN:$PATH run in_ns /bin/sh -c '
        set -e
        exec > "$1/pid1.out" 2> "$1/pid1.err"
        mkdir "$1/dev"
        mount -t tmpfs -o mode=0755 tmpfs "$1/dev"
        touch "$1/dev/null"
        mount --bind /dev/null "$1/dev/null"
        mount --move "$1/dev" /dev
        # wait until the shell condition $1 holds, for 60 s at most: a bound in time, since
        # each try forks and tries stretch on a machine busy with the other lanes
        wait_for() {
            end=$(($(date +%s) + 60))
            until eval "$1"; do
                [ "$(date +%s)" -lt "$end" ] || { echo "timed out (60 s) waiting for: $1" >&2; exit 3; }
                sleep 0.02
            done
        }
        '"$1" sh "$T"
    # what the sandbox said, for a failure to show
    [ "$status" = 0 ] || { echo "--- pid1.err"; cat "$T/pid1.err"; echo "--- pid1.out"; cat "$T/pid1.out"; } || :
}

@test "the runit service writes to PID 1's stdout, even when runsvdir's goes elsewhere; restarts" {
    [ ! -e "$SRC/image/services/syslog/log" ]
    # shellcheck disable=SC2016 # for the sandbox's shell
    in_service_sandbox '
        runsvdir -P /etc/service > /dev/null 2>&1 &
        wait_for "[ -S /dev/log ]"
        stat -c %a /dev/log > "$1/mode"
        logger -t svc -p daemon.info "hello from a service"
        wait_for "grep -q \"hello from a service\" \"$1/pid1.out\""
        # killed, it leaves a stale socket, which the restarted one replaces
        pid=$(sv status /etc/service/syslog | sed -n "s/^run: [^(]*(pid \([0-9]*\)).*/\1/p")
        kill -KILL "$pid"
        # until runsv has seen it die, a send may still reach the socket of the dying one and
        # be lost with it: wait for the next run, then for its socket
        new_run() {
            case $(sv status /etc/service/syslog) in
                "run: "*"(pid $pid)"*) return 1 ;;
                "run: "*) return 0 ;;
            esac
            return 1
        }
        wait_for new_run
        wait_for "logger --socket-errors=on -t svc \"after a restart\" 2>/dev/null"
        wait_for "grep -q \"after a restart\" \"$1/pid1.out\""'
    assert_success
    run cat "$T/pid1.out"
    assert_output "daemon.info svc: hello from a service
user.notice svc: after a restart"
    [ "$(cat "$T/mode")" = 666 ]
}

@test "the runit service stays down when /dev/log is another daemon's (the host's, mounted in)" {
    # shellcheck disable=SC2016 # for the sandbox's shell
    in_service_sandbox '
        cinit-syslogd --output "$1/host.out" &
        wait_for "[ -S /dev/log ]"
        runsvdir -P /etc/service > /dev/null 2>&1 &
        wait_for "grep -q \"stays down\" \"$1/pid1.out\""
        wait_for "sv status /etc/service/syslog | grep -q ^down:"
        logger -t app "still reaches the other daemon"
        wait_for "grep -q \"still reaches\" \"$1/host.out\""'
    assert_success
    run cat "$T/pid1.out"
    assert_output "cinit-syslogd: /dev/log is served by another daemon (mounted from the host?): syslog service stays down"
    run cat "$T/host.out"
    assert_output "user.notice cinit-syslogd: /dev/log is served by another daemon: the syslog service stays down
user.notice app: still reaches the other daemon"
}

@test "the runit service, without the right to create /dev/log (docker run --user), listens on /run/cinit/log" {
    # shellcheck disable=SC2016 # for the sandbox's shell
    in_service_sandbox '
        chmod 1777 /run
        chmod 0777 "$1"
        setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "cd /etc/service/syslog && exec ./run" &
        wait_for "[ -S /run/cinit/log ]"
        setpriv --reuid=65534 --regid=65534 --clear-groups logger -u /run/cinit/log -t app "through the fallback"
        wait_for "grep -q \"through the fallback\" \"$1/pid1.out\""
        kill $!'
    assert_success
    run cat "$T/pid1.out"
    assert_output "cinit-syslogd: /dev is not writable for uid 65534: listening on /run/cinit/log instead of /dev/log (libc's syslog() does not reach it; logger -u /run/cinit/log does)
user.notice app: through the fallback"
}
