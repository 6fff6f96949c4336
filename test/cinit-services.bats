#!/usr/bin/env bats
# Services: readiness probes, start order (depends), the main command that waits for them,
# critical services, the restart limit, cinit-health, and probes that never hold PID 1 up.
# Services live in the private /etc of common.bash; the sandbox shares the host's network, so
# TCP tests pick a free port.
# Single-quoted scripts expand in the sandbox; each test runs in its own subshell, so that its
# run's $output and $lines are meant to be local.
# shellcheck disable=SC2016,SC2030,SC2031
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() {
    cinit_setup_file
    LISTEN=$BATS_FILE_TMPDIR/listen
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o "$LISTEN" "$SRC/test/fixtures/services/listen.c"
    export LISTEN
}
setup() { cinit_setup; }
teardown() { cinit_teardown; }

# a port nobody listens on now
free_port() { "$LISTEN" free; }

# the run of a TCP server that starts listening after $2 seconds on port $1
slow_server() { echo "exec $LISTEN serve $1 $2"; }

@test "a service that depends on a TCP server which takes 2 s to listen starts after it listens" {
    local port
    port=$(free_port)
    add_service db "$(slow_server "$port" 2)"
    echo "tcp:$port" > "$ETC/service/db/ready"
    # web records whether db accepted connections when its ./run started
    add_service web "if $LISTEN connect $port; then echo up > /etc/web-saw; else echo refused > /etc/web-saw; fi
exec sleep 1000"
    echo db > "$ETC/service/web/depends"
    run cinit --wait-for-services=20 -- sh -c 'cat /etc/web-saw; test ! -e /etc/service/web/down && echo no-down-file; sv status /etc/service/web'
    assert_success
    assert_line up
    assert_line no-down-file
    refute_output --partial 'normally down'
    assert_output --partial "Service db is ready"
    assert_output --partial "Starting service web: what it depends on is ready."
    # and the held file is not left behind
    assert_file_not_exists "$ETC/service/web/down"
}

@test "a chain a <- b <- c starts in order, and -v logs each readiness time" {
    for s in a b c; do
        add_service $s "echo $s >> /run/order; touch /run/$s-ready; exec sleep 1000"
        echo "file:/run/$s-ready" > "$ETC/service/$s/ready"
    done
    # a is slow to be ready: b and c must wait for it
    add_service a 'sleep 1; echo a >> /run/order; touch /run/a-ready; exec sleep 1000'
    echo a > "$ETC/service/b/depends"
    printf '# c needs b\nb\n' > "$ETC/service/c/depends"
    run cinit -v --wait-for-services=20 -- cat /run/order
    assert_success
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -xE '[abc]' | tr -d '\n')" abc
    assert_output --regexp 'service a is ready, [0-9.]+ s after its start'
    assert_output --regexp 'service c is ready, [0-9.]+ s after its start'
}

@test "the main command waits for a slow service (--wait-for-services and CINIT_WAIT_FOR_SERVICES)" {
    add_service slow 'sleep 1.5; touch /run/slow-ready; exec sleep 1000'
    echo file:/run/slow-ready > "$ETC/service/slow/ready"
    run cinit --wait-for-services -- test -e /run/slow-ready
    assert_success
    assert_output --partial 'Waiting up to 60 s for service to be ready: slow'
    assert_output --partial 'All services are ready'
    CINIT_WAIT_FOR_SERVICES=10 run cinit -- test -e /run/slow-ready
    assert_success
    assert_output --partial 'Waiting up to 10 s for service to be ready: slow'
    # without either, the main command does not wait
    run cinit -- test -e /run/slow-ready
    assert_failure 1
}

@test "a service without a probe is ready once it has run for 1 s; a disabled one is not waited for" {
    add_service plain 'date +%s%N > /run/plain-start; exec sleep 1000'
    add_service off 'exec sleep 1000'
    touch "$ETC/service/off/down"
    run cinit --wait-for-services=10 -- sh -c 'echo "after=$(( ($(date +%s%N) - $(cat /run/plain-start)) / 1000000 ))"'
    assert_success
    local after
    after=$(printf '%s\n' "${lines[@]}" | sed -n 's/^after=//p')
    [ "$after" -ge 950 ] || fail "the main command started $after ms after the service"
    refute_output --partial 'off'
}

# the image's layout: supervise/ is a link into /run, which runsv makes at its start
link_supervise() { ln -s "/run/runit.$1" "$ETC/service/$1/supervise"; }

@test "services whose supervise/ links to a dir runsv makes later are followed: ready, in order" {
    local i
    for i in $(seq 1 12); do
        add_service "s$i" "touch /run/s$i-ready; exec sleep 1000"
        echo "file:/run/s$i-ready" > "$ETC/service/s$i/ready"
        link_supervise "s$i"
    done
    add_service plain 'exec sleep 1000'
    link_supervise plain
    echo s12 > "$ETC/service/s1/depends"
    run cinit -v --wait-for-services=20 -- sh -c 'ls -d /run/runit.*; sv status /etc/service/s1'
    assert_success
    assert_output --partial "All services are ready"
    assert_output --regexp 'service plain is ready, (1|2)\.[0-9]+ s after its start'
    assert_output --partial "Starting service s1: what it depends on is ready."
    assert_line --regexp '^run: /etc/service/s1: '
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^/run/runit\.')" 13
}

# read(2) calls of PID 1 from its start until every one of N services is ready (/proc/1/io)
boot_reads() {
    local i n=$1
    rm -rf "$ETC/service" && mkdir "$ETC/service"
    for i in $(seq 1 "$n"); do
        add_service "s$i" "touch /run/s$i-ready; exec sleep 1000"
        echo "file:/run/s$i-ready" > "$ETC/service/s$i/ready"
        link_supervise "s$i"
    done
    run cinit --wait-for-services=60 -- sed -n 's/^syscr: //p' /proc/1/io
    assert_success
    reads=$(printf '%s\n' "${lines[@]}" | grep -xE '[0-9]+') || fail "no count: $output"
}

@test "a boot reads each service's status a bounded number of times, not once per event of every service" {
    local reads r10 r100
    boot_reads 10
    r10=$reads
    boot_reads 100
    r100=$reads
    echo "# reads of PID 1: 10 services $r10, 100 services $r100" >&3
    # each added service costs its own few status reads (about 11 here); reading every status
    # at each event made it 30 to 60, growing with N
    [ $(((r100 - r10) / 90)) -le 20 ] || fail "100 services cost $r100 reads, 10 services $r10"
}

@test "on timeout the boot fails with 1, naming the service, its probe and its last output line" {
    add_service never 'echo "loading the model, 3% done"; exec sleep 1000'
    echo file:/run/never > "$ETC/service/never/ready"
    mkdir -p "$ETC/service/never/log"
    printf '#!/bin/sh\nmkdir -p main\nexec svlogd main\n' > "$ETC/service/never/log/run"
    chmod +x "$ETC/service/never/log/run"
    add_service fine 'exec sleep 1000'
    echo up > "$ETC/service/fine/ready"
    CINIT_WAIT_FOR_SERVICES=1.5 run cinit -- touch /etc/main-ran
    assert_failure 1
    assert_output --partial 'service never is not ready after 1.5 s: file:/run/never: No such file or directory; its last output:'
    assert_output --partial 'loading the model, 3% done'
    refute_output --partial 'service fine is not ready'
    assert_file_not_exists "$ETC/main-ran"
    # and the shutdown ran as for any failed boot
    assert_output --partial 'Shutting down runit daemon'
}

@test "a critical service that exits 3 ends cinit with 3, main command or not" {
    add_service app 'sleep 1; exit 3'
    touch "$ETC/service/app/critical"
    add_service other 'exec sleep 1000'
    run cinit
    assert_failure 3
    assert_output --partial 'critical service app exited with status 3: stopping the container.'
    assert_output --partial 'Shutting down runit daemon'
    START=$(now_ms)
    cinit_start -- sleep 100
    cinit_wait 20
    assert_equal "$status" 3
    # 1 s of the service's own, then a prompt shutdown
    assert_took "$START" 900 10000
}

@test "a critical service killed by signal N ends cinit with 128+N" {
    add_service app 'sleep 1; kill -USR1 $$'
    touch "$ETC/service/app/critical"
    run cinit -- sleep 100
    assert_failure 138
    assert_output --partial 'critical service app was killed by signal 10'
}

@test "a critical service stopped with sv down does not end the container" {
    add_service app 'exec sleep 1000'
    touch "$ETC/service/app/critical"
    run cinit --wait-for-services=10 -- sh -c 'sv down /etc/service/app && sleep 0.5 && sv status /etc/service/app'
    assert_success
    assert_output --partial 'down: /etc/service/app'
    refute_output --partial 'critical service'
}

@test "a dependency cycle is a boot error naming it; nothing starts" {
    add_service a 'touch /etc/a-ran; exec sleep 1000'
    add_service b 'touch /etc/b-ran; exec sleep 1000'
    add_service c 'touch /etc/c-ran; exec sleep 1000'
    echo b > "$ETC/service/a/depends"
    echo c > "$ETC/service/b/depends"
    echo a > "$ETC/service/c/depends"
    run cinit -- touch /etc/main-ran
    assert_failure 1
    assert_output --partial 'services depend on each other in a cycle: a -> b -> c -> a'
    assert_file_not_exists "$ETC/main-ran"
    assert_file_not_exists "$ETC/a-ran"
    assert_file_not_exists "$ETC/service/a/down"
}

@test "an unknown dependency is a boot error naming both services" {
    add_service web 'exec sleep 1000'
    printf 'db\ncache\n' > "$ETC/service/web/depends"
    add_service db 'exec sleep 1000'
    run cinit -- touch /etc/main-ran
    assert_failure 1
    assert_output --partial 'service web depends on cache, which is not a service in /etc/service'
    refute_output --partial 'depends on db'
    assert_file_not_exists "$ETC/main-ran"
}

@test "a malformed ready file is a boot error" {
    add_service web 'exec sleep 1000'
    echo 'tcp:http' > "$ETC/service/web/ready"
    run cinit -- true
    assert_failure 1
    assert_output --partial "service web: 'tcp:http': expected tcp:PORT"
}

@test "./check is the probe when there is one" {
    add_service web 'sleep 0.5; touch /run/web-ok; exec sleep 1000'
    printf '#!/bin/sh\necho checking >&2\ntest -e /run/web-ok\n' > "$ETC/service/web/check"
    chmod +x "$ETC/service/web/check"
    run cinit --wait-for-services=10 -- test -e /run/web-ok
    assert_success
    assert_output --partial 'Service web is ready'
}

@test "CINIT_RESTART_LIMIT leaves a crashing service down and cinit-health says failing" {
    add_service crash 'echo crashing; exit 1'
    add_service fine 'exec sleep 1000'
    CINIT_RESTART_LIMIT=2/30 run cinit -- sh -c '
        for i in $(seq 200); do "$BIN/cinit-health" --service crash | grep -q restarted && break; sleep 0.1; done
        "$BIN/cinit-health"; echo "rc=$?"'
    assert_success
    assert_output --partial 'service crash restarted 2 times in 30 s (CINIT_RESTART_LIMIT=2/30): left down'
    assert_line --regexp '^crash failing [0-9]+ restarted 2 times'
    assert_line --regexp '^fine up [0-9]+ pid [0-9]+$'
    assert_line rc=1
    CINIT_RESTART_LIMIT=5 run cinit -- true
    assert_failure 2
    assert_output --partial "CINIT_RESTART_LIMIT='5' is not RESTARTS/SECONDS"
}

@test "cinit-health: lines, --json, --service and its exit status" {
    local port
    port=$(free_port)
    add_service web 'exec sleep 1000'
    echo "tcp:$port" > "$ETC/service/web/ready"
    add_service cron 'exec sleep 1000'
    add_service sshd 'exec sleep 1000'
    touch "$ETC/service/sshd/down"
    add_service db "$(slow_server "$port" 0)"
    run cinit --wait-for-services=20 -- sh -c '
        "$BIN/cinit-health"; echo "rc=$?"
        "$BIN/cinit-health" --json > /run/health.json; echo "json rc=$?"; cat /run/health.json
        "$BIN/cinit-health" --service sshd; echo "sshd rc=$?"
        "$BIN/cinit-health" --service nope; echo "nope rc=$?"
        sv stop /etc/service/cron > /dev/null; "$BIN/cinit-health"; echo "rc=$?"'
    assert_success
    assert_line --regexp '^web up [0-9]+ pid [0-9]+, ready: tcp:[0-9]+$'
    assert_line --regexp '^cron up [0-9]+ pid [0-9]+$'
    assert_line --regexp '^sshd down [0-9]+ disabled \(down file\)$'
    assert_line rc=0
    assert_line 'json rc=0'
    assert_line 'sshd rc=1'
    assert_line 'nope rc=1'
    assert_output --partial 'no service nope in /etc/service'
    assert_line --regexp '^cron down [0-9]+ stopped \(sv down\)$'
    assert_line rc=1
    local json
    json=$(printf '%s\n' "${lines[@]}" | grep '^{"services"')
    run python3 -c 'import json, sys; d = json.loads(sys.argv[1]); s = {x["name"]: x for x in d["services"]}
print(d["healthy"], s["web"]["state"], s["web"]["probe"].startswith("tcp:"), s["sshd"]["enabled"], s["sshd"]["state"], s["cron"]["pid"] > 0)' "$json"
    assert_output 'True up True False down True'
}

@test "cinit-health: starting and not supervised; --help, --version, usage errors" {
    add_service slow 'exec sleep 1000'
    echo file:/run/never > "$ETC/service/slow/ready"
    run cinit -- sh -c '
        for i in $(seq 200); do "$BIN/cinit-health" | grep -q starting && break; sleep 0.05; done
        "$BIN/cinit-health"; echo "rc=$?"'
    assert_line --regexp '^slow starting [0-9]+ pid [0-9]+, file:/run/never: No such file or directory$'
    assert_line rc=1
    # without runsv, nothing is supervised
    run in_ns "$BIN/cinit-health"
    assert_failure 1
    assert_output --regexp '^slow down 0 not supervised \(no runsv\)$'
    run "$BIN/cinit-health" --help
    assert_success
    assert_output --partial 'Usage: cinit-health'
    run "$BIN/cinit-health" --version
    assert_success
    assert_output --regexp '^cinit-health [0-9]'
    run "$BIN/cinit-health" --bogus
    assert_failure 2
    run "$BIN/cinit-health" --timeout x
    assert_failure 2
    run "$BIN/cinit-health" --dir /nonexistent
    assert_failure 1
    assert_output --partial 'cannot read /nonexistent'
}

# ---- PID 1 never waits on a service: checks and probes run off its path (children the loop
# reaps, sockets it watches), so that while any number of them hang, every signal is forwarded
# and every orphan reaped at once. Bounds are generous (the suites share the machine): what
# they tell apart is "at once" from "after a check's 1 s timeout, times ten".

num() { kill -l "$1"; }

# ten services whose ./check hangs, five whose http probe and five whose tcp probe hang (a
# server that accepts nothing: its backlog full, a connect waits; else the request is never
# answered); app depends on them all, so that cinit says why each is not ready
hanging_services() {
    local i port
    port=$("$LISTEN" free)
    add_service mute "exec $HELPER mute $port"
    add_service app 'exec sleep 1000'
    for i in $(seq 10); do
        add_service "check$i" 'exec sleep 1000'
        script "$ETC/service/check$i/check" 'exec sleep 30'
        echo "check$i" >> "$ETC/service/app/depends"
    done
    for i in $(seq 5); do
        add_service "http$i" 'exec sleep 1000'
        echo "http://127.0.0.1:$port/" > "$ETC/service/http$i/ready"
        add_service "tcp$i" 'exec sleep 1000'
        echo "tcp:$port" > "$ETC/service/tcp$i/ready"
        printf 'http%s\ntcp%s\n' "$i" "$i" >> "$ETC/service/app/depends"
    done
}

# zombies among the children of the namespace's PID 1
zombies() {
    local p c n=0
    p=$(ns_pid1) || return 1
    # shellcheck disable=SC2013 # a list of numbers
    for c in $(cat /proc/"$p"/task/*/children 2> /dev/null); do
        [ "$(cut -d' ' -f3 "/proc/$c/stat" 2> /dev/null)" != Z ] || n=$((n + 1))
    done
    echo $n
}

@test "while ten checks and ten network probes hang, PID 1 forwards every signal and reaps every orphan at once" {
    hanging_services
    add_service orphans "while :; do $HELPER orphans 50; sleep 1; done"
    cinit_start -- "$HELPER" record "$T"
    wait_file "$T/ready"
    # the checks and probes are under way (cinit says which are not ready)
    wait_until 20 grep -q 'Service check10 is not ready yet (./check timed out after 1000 ms' "$T/out"
    wait_until 20 grep -q 'Service http5 is not ready yet' "$T/out"
    local p i t0 worst=0 took
    p=$(ns_pid1)
    for i in $(seq 20); do
        t0=$(now_ms)
        kill -USR1 "$p"
        wait_until 2 eval '[ "$(grep -cx "$(num USR1)" "$T/got")" -ge '"$i"' ]' || {
            echo "signal $i not forwarded within 2 s" >&2
            false
        }
        took=$(($(now_ms) - t0))
        [ "$took" -le "$worst" ] || worst=$took
        # no orphan is left a zombie for long: each is reaped as it comes
        wait_until 1 eval '[ "$(zombies)" = 0 ]' || {
            echo "zombies left: $(zombies)" >&2
            false
        }
        sleep 0.1
    done
    echo "# worst signal latency: $worst ms" >&3
    # and the main command's end still stops everything in order
    echo 0 > "$T/stop"
    cinit_wait 30
    assert_equal "$status" 0
    assert_output --partial 'Shutting down runit daemon'
}

@test "a check that hangs is killed at its 1 s deadline with what it started, and says so" {
    add_service web 'exec sleep 1000'
    # two tries hang, each leaving a sleep in the background; the third passes
    script "$ETC/service/web/check" '[ "$(wc -l < /run/bg 2> /dev/null)" -ge 2 ] && exit 0
echo still starting; sleep 30 & echo $! >> /run/bg; exec sleep 30'
    run cinit -v --wait-for-services=20 -- sh -c 'for p in $(cat /run/bg); do kill -0 $p 2> /dev/null && echo "$p alive"; done; echo main-ran'
    assert_success
    assert_output --partial 'Service web is not ready yet (./check timed out after 1000 ms: still starting).'
    assert_line main-ran
    refute_line --regexp '^[0-9]+ alive$'
}

@test "an http probe answered late, a refused one, and a file probe: each says why it is not ready" {
    local port
    port=$("$LISTEN" free)
    add_service slow "exec $LISTEN serve $port 2"
    add_service web 'exec sleep 1000'
    echo "http://127.0.0.1:$port/health" > "$ETC/service/web/ready"
    add_service db 'exec sleep 1000'
    echo 'file:/run/db-ready' > "$ETC/service/db/ready"
    run cinit --wait-for-services=10 -- sh -c 'echo main-ran'
    assert_failure 1
    assert_output --partial 'Service web is not ready yet (http://127.0.0.1:'"$port"'/health: Connection refused)'
    assert_output --partial 'Service web is ready'
    assert_output --partial 'service db is not ready after 10 s: file:/run/db-ready: No such file or directory'
    refute_output --partial main-ran
}

# CPU time (clock ticks, user + system) that process $1 has used
cpu_ticks() {
    local st
    st=$(cat "/proc/$1/stat") || return 1
    st=${st##*) }
    # shellcheck disable=SC2086 # the fields of /proc/PID/stat after the command name
    set -- $st
    echo $((${12} + ${13}))
}

@test "a starting service whose supervise dir goes does not make PID 1 spin: its probe waits its turn" {
    local port p before after
    port=$("$LISTEN" free)
    add_service web 'exec sleep 1000'
    echo "tcp:$port" > "$ETC/service/web/ready"
    add_service app 'exec sleep 1000'
    echo web > "$ETC/service/app/depends"
    cinit_start -- sleep 1000
    wait_until 20 grep -q 'Service web is not ready yet' "$T/out"
    rm -rf "$ETC/service/web/supervise"
    p=$(ns_pid1)
    sleep 0.5
    before=$(cpu_ticks "$p")
    sleep 2
    after=$(cpu_ticks "$p")
    echo "# PID 1: $((after - before)) ticks in 2 s" >&3
    # a probe every 100 ms costs next to nothing; a loop that never sleeps, the whole 2 s
    [ $((after - before)) -lt 20 ] || {
        echo "PID 1 used $((after - before)) ticks in 2 s" >&2
        false
    }
    cinit_kill TERM
    cinit_wait 20
    assert_equal "$status" 143
}
