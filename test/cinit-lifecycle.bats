#!/usr/bin/env bats
# The services' lifecycle (#30): the shutdown's one budget (CINIT_SHUTDOWN_TIMEOUT) that every
# phase shares. Times here are bounds with a wide margin (a loaded machine): what is asserted
# is which phases ran and that the whole fits the budget, not how fast.
# shellcheck disable=SC2016,SC2030,SC2031

load lib/common
load lib/cinit

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() {
    if [ -n "${LISTENER:-}" ]; then kill "$LISTENER" 2> /dev/null || :; fi
    cinit_teardown
}

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

# ---- oneshots ----

# a oneshot NAME with the script RUN
add_oneshot() {
    add_service "$1" "$2"
    : > "$ETC/service/$1/oneshot"
}

@test "oneshot: runs once, is never restarted, and what depends on it starts after it exited 0" {
    add_oneshot setup 'echo run >> /run/setup-runs; sleep 0.5; echo setup-end >> /run/order; exit 0'
    add_service app 'echo app >> /run/order; touch /run/app-up; exec sleep 1000'
    echo setup > "$ETC/service/app/depends"
    # runsv would restart a service after 1 s: 2.5 s after the end, the oneshot still ran once
    run cinit -- sh -c 'until [ -e /run/app-up ]; do sleep 0.05; done
        sleep 2.5; cat /run/order /run/setup-runs; "$1/cinit-health"' sh "$BIN"
    assert_success
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -xE 'setup-end|app' | paste -sd' ')" "setup-end app"
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -cx run)" 1
    assert_output --partial "Service setup is done (its run exited 0"
    assert_output --regexp 'setup done [0-9]+ done: ./run exited 0'
    assert_output --regexp 'app up [0-9]+'
}

@test "oneshot: one that exits at once, before cinit sees it run, is done too" {
    add_oneshot quick 'exit 0'
    add_service app 'touch /run/app-up; exec sleep 1000'
    echo quick > "$ETC/service/app/depends"
    run cinit --wait-for-services=20 -- sh -c 'test -e /run/app-up && echo app-was-up; "$1/cinit-health" --service quick' sh "$BIN"
    assert_success
    assert_output --partial app-was-up
    assert_output --regexp 'quick done [0-9]+'
}

@test "oneshot: with --wait-for-services the main command starts after it is done" {
    add_oneshot setup 'sleep 1; touch /run/setup-done'
    run cinit --wait-for-services=20 -- sh -c 'test -e /run/setup-done && echo was-done'
    assert_success
    assert_output --partial was-done
}

@test "oneshot: a failing one fails the boot with exit 1, naming it and its status; what depends on it never runs" {
    add_oneshot setup 'exit 3'
    add_service app "touch '$T/app-ran'; exec sleep 1000"
    echo setup > "$ETC/service/app/depends"
    # with a main command, without --wait-for-services: it is stopped
    run cinit -- sh -c 'sleep 30; touch "$1/main-finished"' sh "$T"
    assert_equal "$status" 1
    assert_output --partial "oneshot service setup failed: ./run exited with status 3: stopping the container."
    assert_file_not_exists "$T/app-ran"
    assert_file_not_exists "$T/main-finished"
    # with --wait-for-services: the main command never runs
    run cinit --wait-for-services=20 -- touch "$T/main-ran"
    assert_equal "$status" 1
    assert_output --partial "oneshot service setup failed: ./run exited with status 3"
    assert_file_not_exists "$T/main-ran"
}

@test "oneshot: without a main command, a failing one ends cinit with 1 too" {
    add_oneshot setup 'kill -KILL $$'
    ns_start "$BIN/cinit"
    cinit_wait 30
    assert_equal "$status" 1
    assert_output --partial "oneshot service setup failed: ./run was killed by signal 9 (SIGKILL)"
}

# ---- stop order, stop-signal, stop-timeout ----

# a service NAME that logs its signals to $T/events as NAME-SIG, and its end as NAME-down after
# DELAY seconds on TERM (or on the signal it is stopped with)
add_logged() {
    add_service "$1" "trap 'echo $1-TERM >> \"$T/events\"; sleep ${2:-0}; echo $1-down >> \"$T/events\"; exit 0' TERM
trap 'echo $1-QUIT >> \"$T/events\"; sleep ${2:-0}; echo $1-down >> \"$T/events\"; exit 0' QUIT
echo $1-up >> \"$T/events\"
while :; do sleep 0.05; done"
}

@test "stop order: a service gets its stop signal only after every service that depends on it has stopped" {
    add_logged db 0
    add_logged app 1
    add_logged web 1
    echo db > "$ETC/service/app/depends"
    echo app > "$ETC/service/web/depends"
    ns_start "$BIN/cinit"
    wait_until 20 grep -qsx web-up "$T/events"
    cinit_kill TERM
    cinit_wait 30
    assert_success
    assert_equal "$(grep -E -- '-(TERM|down)$' "$T/events" | paste -sd' ')" "web-TERM web-down app-TERM app-down db-TERM db-down"
}

@test "stop order: independent services stop in parallel" {
    add_logged x 1
    add_logged y 1
    add_logged base 0
    echo base > "$ETC/service/x/depends"
    echo base > "$ETC/service/y/depends"
    ns_start "$BIN/cinit"
    wait_until 20 grep -qsx x-up "$T/events"
    wait_until 20 grep -qsx y-up "$T/events"
    cinit_kill TERM
    cinit_wait 30
    assert_success
    # both got their signal before either was down; base only after both
    assert_equal "$(grep -E -- '-(TERM|down)$' "$T/events" | head -2 | sort | paste -sd' ')" "x-TERM y-TERM"
    assert_equal "$(grep -E -- '-(TERM|down)$' "$T/events" | tail -2 | paste -sd' ')" "base-TERM base-down"
}

@test "stop-signal: the service gets that signal and no TERM, at shutdown and on sv down; cinit's control/t goes again" {
    add_logged q 0
    echo QUIT > "$ETC/service/q/stop-signal"
    add_logged r 0
    echo SIGQUIT > "$ETC/service/r/stop-signal"
    run cinit -- sh -c '"$1/await.sh" q-up "$2/events" && "$1/await.sh" r-up "$2/events" && sv down r && "$1/await.sh" r-down "$2/events"' sh "$FIX" "$T"
    assert_success
    assert_equal "$(grep -E -- '-(TERM|QUIT)$' "$T/events" | sort | paste -sd' ')" "q-QUIT r-QUIT"
    assert_file_not_exists "$ETC/service/q/control"
}

@test "stop-timeout: a service that ignores its stop signal is killed after its own timeout" {
    export CINIT_SHUTDOWN_TIMEOUT=60
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; while :; do sleep 0.05; done"
    echo 1 > "$ETC/service/stubborn/stop-timeout"
    ns_start "$BIN/cinit"
    wait_file "$T/stubborn"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 40
    assert_success
    assert_took "$start" 800 9000
    assert_output --partial "service stubborn still up"
}

@test "stop-timeout: sv down at run time kills a service that ignores its stop signal, TERM or its own; sv once leaves one running" {
    # before: runsv waits on such a run for ever after sv down; only the shutdown killed it
    add_service t "trap '' TERM; echo up > '$T/t-up'; while :; do sleep 0.05; done"
    echo 1 > "$ETC/service/t/stop-timeout"
    add_service q "trap '' TERM QUIT; echo up > '$T/q-up'; while :; do sleep 0.05; done"
    echo QUIT > "$ETC/service/q/stop-signal"
    echo 1 > "$ETC/service/q/stop-timeout"
    add_service o "trap '' TERM; echo up > '$T/o-up'; while :; do sleep 0.05; done"
    echo 1 > "$ETC/service/o/stop-timeout"
    run cinit -- sh -c '
        for s in t q o; do "$1/await.sh" up "$2/$s-up" || exit 9; done
        sv down t q && sv once o || exit 8
        for i in $(seq 200); do
            sv status t q | grep -c "^down:" | grep -qx 2 && break
            sleep 0.05
        done
        sleep 1.5
        sv status t q o' sh "$FIX" "$T"
    assert_success
    assert_line --regexp '^down: t: '
    assert_line --regexp '^down: q: '
    assert_line --regexp '^run: o: .*want down'
    assert_output --partial "service t still up 1000 ms after its stop signal (its stop-timeout): killing it"
    assert_output --partial "service q still up 1000 ms after its stop signal (its stop-timeout): killing it"
    refute_output --partial "service o still up 1000 ms after its stop signal (its stop-timeout)"
}

@test "stop-signal and stop-timeout: a bad value is a boot error naming the service" {
    add_service a 'exec sleep 1000'
    echo NOSUCH > "$ETC/service/a/stop-signal"
    run cinit -- true
    assert_failure 1
    assert_output --partial "service a: stop-signal 'NOSUCH'"
    rm "$ETC/service/a/stop-signal"
    echo soon > "$ETC/service/a/stop-timeout"
    run cinit -- true
    assert_failure 1
    assert_output --partial "service a: stop-timeout 'soon'"
}

# ---- restart policy ----

@test "back-off: a service that fails at once is restarted after 1, 2, 4 s; cinit-health says failing and when" {
    add_service crash 'date +%s%3N >> /run/starts; exit 1'
    # (cinit-health is asked until the 4th run has ended: it says so from then until the 5th)
    run cinit -- sh -c 'for i in $(seq 300); do "$1/cinit-health" --service crash | grep -q "4 times in a row" && break; sleep 0.1; done
        "$1/cinit-health" --service crash; cat /run/starts' sh "$BIN"
    assert_success
    assert_line --regexp '^crash failing [0-9]+ failing: exited within 1 s of its start 4 times in a row; next restart at [0-9:]+ UTC \(in 8 s\)$'
    local starts
    mapfile -t starts < <(printf '%s\n' "${lines[@]}" | grep -xE '[0-9]{13}')
    [ "${#starts[@]}" -eq 4 ] || fail "starts: ${starts[*]}"
    local gap1=$((starts[1] - starts[0])) gap2=$((starts[2] - starts[1])) gap3=$((starts[3] - starts[2]))
    # the back-off is a lower bound; a loaded machine only makes gaps longer
    [ "$gap1" -ge 900 ] && [ "$gap2" -ge 1900 ] && [ "$gap3" -ge 3900 ] || fail "gaps $gap1 $gap2 $gap3 ms"
    [ "$gap3" -gt "$gap2" ] && [ "$gap2" -gt "$gap1" ] || fail "gaps $gap1 $gap2 $gap3 ms do not grow"
    assert_output --regexp '\*\*\* Service crash exited within 1 s of its start 2 times in a row; next restart at [0-9:]+ UTC \(in 2 s\)'
    case $output in *$'s)\n\n'*) fail "an empty line after the back-off message" ;; esac
}

@test "restart-limit: a service's own limit wins over CINIT_RESTART_LIMIT, and is named when it gives up" {
    export CINIT_RESTART_LIMIT=50/60
    # (it runs 0.5 s: an exit before cinit's first look at it, on a slow (ASan) start, is not counted)
    add_service crash 'echo run >> /run/runs; sleep 0.5; exit 1'
    echo 1/60 > "$ETC/service/crash/restart-limit"
    run cinit -- sh -c 'for i in $(seq 100); do "$1/cinit-health" --service crash | grep -q restarted && break; sleep 0.1; done
        "$1/cinit-health" --service crash; wc -l < /run/runs' sh "$BIN"
    assert_success
    assert_output --partial "service crash restarted 1 times in 60 s (restart-limit=1/60): left down"
    assert_line --regexp '^crash failing [0-9]+ restarted 1 times'
    assert_line 2
}

@test "restart-limit: a bad one is a boot error naming the service" {
    add_service a 'exec sleep 1000'
    echo often > "$ETC/service/a/restart-limit"
    run cinit -- true
    assert_failure 1
    assert_output --partial "service a: restart-limit 'often'"
}

# ---- readiness notification: cinit's own ----

# a listener on the unix datagram socket $1 that appends each message to $2, one a line
notify_listener() {
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[3], "w").close()
while True:
    m = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(m + "\n")
' "$1" "$2" "$T/listening" &
    LISTENER=$!
    wait_file "$T/listening"
}

@test "NOTIFY_SOCKET: cinit says READY=1 once the main command runs and every service is ready, STOPPING=1 at shutdown" {
    notify_listener "$T/notify.sock" "$T/events"
    add_service slow "sleep 1.5; echo svc-ready >> '$T/events'; touch /run/slow-ready; exec sleep 1000"
    echo file:/run/slow-ready > "$ETC/service/slow/ready"
    NOTIFY_SOCKET=$T/notify.sock run cinit -- sh -c 'echo "main: ${NOTIFY_SOCKET-unset}"
        until grep -qx READY=1 "$1/events"; do sleep 0.05; done' sh "$T"
    kill "$LISTENER"
    assert_success
    assert_output --partial "main: unset"
    wait_until 10 grep -qx STOPPING=1 "$T/events"
    assert_equal "$(paste -sd' ' "$T/events")" "svc-ready READY=1 STOPPING=1"
}

# ---- readiness notification: services ----

@test "ready: notify: the service is ready on READY=1 (no probe loop), STATUS= shows in cinit-health" {
    add_service db "sleep 0.5; python3 '$FIX/sdnotify.py' STATUS=loading; sleep 1
python3 '$FIX/sdnotify.py' 'STATUS=accepting connections' READY=1; exec sleep 1000"
    echo notify > "$ETC/service/db/ready"
    add_service app "touch /run/app-up; exec sleep 1000"
    echo db > "$ETC/service/app/depends"
    run cinit --wait-for-services=20 -- sh -c 'test -e /run/app-up || sleep 1; "$1/cinit-health" --service db; "$1/cinit-health" --service app' sh "$BIN"
    assert_success
    assert_output --regexp 'Service db is ready \([0-9.]+ s after its start, notify\)'
    assert_line --regexp '^db up [0-9]+ pid [0-9]+, ready: notify; accepting connections$'
    assert_line --regexp '^app up '
}

@test "ready: notify: a service that never says READY=1 is not ready, and cinit-health shows its STATUS=" {
    add_service db "python3 '$FIX/sdnotify.py' STATUS=recovering; exec sleep 1000"
    echo notify > "$ETC/service/db/ready"
    run cinit --wait-for-services=3 -- true
    assert_failure 1
    assert_output --partial "service db is not ready after 3 s"
    # (the daemon says STATUS= once python has started: on a loaded machine that takes seconds)
    run cinit -- sh -c 'for i in $(seq 300); do out=$("$1/cinit-health" --service db);
        case $out in *recovering*) break ;; esac; sleep 0.1; done; echo "$out"' sh "$BIN"
    assert_line --regexp '^db starting [0-9]+ pid [0-9]+, notify: no READY=1 yet; recovering$'
}

@test "notification-fd: the service is ready on its newline (s6's convention), alone or with marked output; cinit-health says so" {
    # fd 3 of the run: what a daemon started by s6-supervise writes its readiness to
    add_service n "echo starting; sleep 1; echo n-ready >> '$T/order'; printf '\n' >&3; exec 3>&-; exec sleep 1000"
    echo 3 > "$ETC/service/n/notification-fd"
    add_service app "echo app-up >> '$T/order'; exec sleep 1000"
    echo n > "$ETC/service/app/depends"
    run cinit --wait-for-services=20 -- "$BIN/cinit-health" --service n
    assert_success
    assert_output --regexp 'Service n is ready \([0-9.]+ s after its start, notification-fd 3\)'
    assert_line --regexp '^n up [0-9]+ pid [0-9]+, ready: notification-fd 3$'
    assert_equal "$(paste -sd' ' "$T/order")" "n-ready app-up"
    rm "$T/order"
    # with nothing waiting for it too, its readiness is said (as for a `ready` file)
    rm -r "$ETC/service/app"
    CINIT_SERVICE_LOGS=prefixed run cinit -- sh -c 'until "$1/cinit-health" --service n; do sleep 0.1; done' sh "$BIN"
    assert_success
    assert_output --regexp 'Service n is ready \([0-9.]+ s after its start, notification-fd 3\)'
    assert_line "n | starting"
}

@test "notification-fd: a run that never writes its newline is not ready; a bad value, or another probe as well, is a boot error naming the service" {
    add_service n "exec sleep 1000"
    echo 3 > "$ETC/service/n/notification-fd"
    run cinit --wait-for-services=2 -- true
    assert_failure 1
    assert_output --partial "service n is not ready after 2 s"
    run cinit -- sh -c 'sleep 1; "$1/cinit-health" --service n' sh "$BIN"
    assert_line --regexp '^n starting [0-9]+ pid [0-9]+, notification-fd 3: no newline on it yet$'
    echo 1 > "$ETC/service/n/notification-fd"
    run cinit -- true
    assert_failure 1
    assert_output --partial "service n: notification-fd '1': not a file descriptor number from 3 to 1023"
    echo 3 > "$ETC/service/n/notification-fd"
    echo tcp:8080 > "$ETC/service/n/ready"
    run cinit -- true
    assert_failure 1
    assert_output --partial "service n: notification-fd and ready: two ways to tell readiness; keep one"
}
