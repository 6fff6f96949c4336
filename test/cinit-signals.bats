#!/usr/bin/env bats
# cinit and signals, each test both as PID 1 of a namespace and as a plain child (a subreaper
# that the kernel does not protect): every catchable signal forwarded, none kills or stops
# cinit, storms lose nothing, job control, and the options that change forwarding.
# The sh -c scripts are single-quoted on purpose (they expand in the sandbox).
# shellcheck disable=SC2016
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() { cinit_teardown; }

MODES="pid1 child"

# start_mode MODE ARGS...: cinit ARGS as PID 1 (pid1), or as the child of a shell that is
# PID 1 (child); output in $T/out
start_mode() {
    MODE=$1
    shift
    rm -f "$T/ready" "$T/got" "$T/stop"
    if [ "$MODE" = pid1 ]; then
        ns_start "$BIN/cinit" "$@"
    else
        ns_start sh -c '"$@" & wait $!' sh "$BIN/cinit" "$@"
    fi
}

# the PID of cinit, as seen from here
cinit_pid() {
    local p c
    p=$(ns_pid1) || return 1
    if [ "$MODE" = child ]; then
        c=$(cat /proc/"$p"/task/*/children 2> /dev/null) || return 1
        p=${c%% *}
    fi
    [ -n "$p" ] && echo "$p"
}

# the first child of PID $1
child_of() {
    local c
    c=$(cat /proc/"$1"/task/*/children 2> /dev/null) || return 1
    c=${c%% *}
    [ -n "$c" ] && echo "$c"
}

# process state letter of PID $1 (R S D T Z...)
pstate() {
    local st
    st=$(cat "/proc/$1/stat" 2> /dev/null) || return 1
    st=${st##*) }
    echo "${st:0:1}"
}

num() { kill -l "$1"; }

# send_and_see PID SIG DIR [EXPECTED]: send signal number SIG to PID, wait until the recorder
# in DIR has EXPECTED (default SIG) as its last line
send_and_see() {
    # for the eval in wait_until, where the arguments are wait_until's
    # shellcheck disable=SC2034
    SEE_DIR=$3 SEE_SIG=${4:-$2}
    kill "-$2" "$1"
    wait_until 5 eval '[ "$(tail -n 1 "$SEE_DIR/got" 2> /dev/null)" = "$SEE_SIG" ]' || {
        echo "signal $SEE_SIG not received; got: $(tr '\n' ' ' < "$3/got" 2> /dev/null)" >&2
        return 1
    }
}

@test "every catchable signal but CHLD reaches the main command, the synchronous ones too; TERM then ends it" {
    local mode s p skip sent
    skip=" $(num KILL) $(num STOP) $(num CHLD) $(num TERM) $(num INT) $(num QUIT) "
    for mode in $MODES; do
        start_mode "$mode" --skip-runit -- "$HELPER" record "$T"
        wait_file "$T/ready"
        p=$(cinit_pid)
        sent=
        for s in $(seq 1 64); do
            case $skip in *" $s "*) continue ;; esac
            send_and_see "$p" "$s" "$T"
            sent+="$s "
        done
        [ "$(pstate "$p")" != T ]
        kill -TERM "$p"
        cinit_wait 10
        assert_equal "$status" 10
        assert_equal "$(tr '\n' ' ' < "$T/got")" "$sent$(num TERM) "
    done
}

@test "the synchronous signals sent with kill or sigqueue are forwarded (docker kill --signal=SEGV) and do not kill cinit" {
    local mode s p
    for mode in $MODES; do
        start_mode "$mode" --skip-runit -- "$HELPER" record "$T"
        wait_file "$T/ready"
        p=$(cinit_pid)
        for s in ILL TRAP ABRT BUS FPE SEGV SYS; do
            send_and_see "$p" "$(num $s)" "$T"
            # sigqueue (SI_QUEUE) as well as kill (SI_USER)
            /usr/bin/kill -s "$s" -q 7 "$p"
            wait_until 5 eval '[ "$(grep -cx "$(num '"$s"')" "$T/got")" = 2 ]'
        done
        [ "$(pstate "$p")" != Z ]
        job_running
        echo 5 > "$T/stop"
        cinit_wait 10
        assert_equal "$status" 5
    done
}

@test "a storm of mixed signals: every real-time signal arrives, cinit never exits early" {
    local mode i p rt
    rt=$(( $(num RTMIN) + 5 ))
    for mode in $MODES; do
        start_mode "$mode" --skip-runit -- "$HELPER" record "$T"
        wait_file "$T/ready"
        p=$(cinit_pid)
        for i in $(seq 200); do
            kill "-$rt" "$p"
            kill -USR1 "$p"
            kill -ALRM "$p"
            kill -WINCH "$p"
            kill -HUP "$p"
        done
        wait_until 20 eval '[ "$(grep -cx "$rt" "$T/got")" -ge 200 ]' || {
            echo "only $(grep -cx "$rt" "$T/got") of 200" >&2
            false
        }
        job_running
        assert_equal "$(grep -cx "$rt" "$T/got")" 200
        for i in USR1 ALRM WINCH HUP; do grep -qx "$(num "$i")" "$T/got"; done
        echo 23 > "$T/stop"
        cinit_wait 10
        assert_equal "$status" 23
    done
}

@test "without a main command no catchable signal kills or stops cinit; TERM shuts down, exit 0" {
    local mode s p skip
    skip=" $(num KILL) $(num STOP) $(num TERM) $(num INT) $(num QUIT) "
    add_service svc 'exec sleep 1000'
    for mode in $MODES; do
        start_mode "$mode"
        rm -rf "$ETC/service/svc/supervise"
        wait_until 20 grep -qs run "$ETC/service/svc/supervise/stat" || { cat "$T/out" >&2; false; }
        p=$(cinit_pid)
        for s in $(seq 1 64); do
            case $skip in *" $s "*) continue ;; esac
            kill "-$s" "$p" || { echo "cinit gone before signal $s:" >&2; cat "$T/out" >&2; false; }
        done
        sleep 0.5
        job_running
        [ "$(pstate "$p")" != T ]
        [ "$(pstate "$p")" != Z ]
        kill -TERM "$p"
        cinit_wait 20
        assert_equal "$status" 0
        assert_output --partial "Shutting down runit daemon"
    done
}

@test "TSTP, TTIN, TTOU stop the main command's whole process group, not cinit; CONT resumes it" {
    local mode s p m c
    for mode in $MODES; do
        start_mode "$mode" --skip-runit -- sh -c 'sleep 1000 & : > "$1/ready"; wait' sh "$T"
        wait_file "$T/ready"
        p=$(cinit_pid)
        m=$(child_of "$p")
        wait_until 5 child_of "$m"
        c=$(child_of "$m")
        for s in TSTP TTIN TTOU; do
            kill "-$s" "$p"
            wait_until 5 eval '[ "$(pstate "$m")" = T ] && [ "$(pstate "$c")" = T ]'
            [ "$(pstate "$p")" != T ]
            kill -CONT "$p"
            wait_until 5 eval '[ "$(pstate "$m")" = S ] && [ "$(pstate "$c")" = S ]'
        done
        # TERM to a stopped main command: it gets a CONT with it, and the shutdown is prompt
        kill -TSTP "$p"
        wait_until 5 eval '[ "$(pstate "$m")" = T ]'
        kill -TERM "$p"
        cinit_wait 10
        assert_equal "$status" 143
    done
}

@test "--signal-process-group (and CINIT_SIGNAL_PROCESS_GROUP=1) signals the whole group; default only the leader" {
    local mode p
    for mode in $MODES; do
        mkdir -p "$T/kid"
        rm -f "$T/kid/got" "$T/kid/ready"
        start_mode "$mode" --skip-runit -- "$HELPER" record "$T" "$T/kid"
        wait_file "$T/ready" && wait_file "$T/kid/ready"
        p=$(cinit_pid)
        send_and_see "$p" "$(num USR1)" "$T"
        kill -TERM "$p"
        cinit_wait 10
        assert_equal "$status" 10
        # the child only got the TERM of the final kill_all
        assert_equal "$(cat "$T/kid/got")" "$(num TERM)"

        for how in option env; do
            rm -f "$T/kid/got" "$T/kid/ready"
            if [ "$how" = option ]; then
                start_mode "$mode" --skip-runit --signal-process-group -- "$HELPER" record "$T" "$T/kid"
            else
                CINIT_SIGNAL_PROCESS_GROUP=1 start_mode "$mode" --skip-runit -- "$HELPER" record "$T" "$T/kid"
            fi
            wait_file "$T/ready" && wait_file "$T/kid/ready"
            p=$(cinit_pid)
            send_and_see "$p" "$(num USR1)" "$T"
            wait_until 5 grep -qx "$(num USR1)" "$T/kid/got"
            kill -TERM "$p"
            cinit_wait 10
            assert_equal "$status" 10
            assert_equal "$(head -n 2 "$T/kid/got" | tr '\n' ' ')" "$(num USR1) $(num TERM) "
        done
    done
}

@test "--rewrite-signal: TERM:QUIT forwards QUIT, USR1:0 drops USR1, RTMIN+2:HUP; CINIT_REWRITE_SIGNALS too" {
    local mode p how
    for mode in $MODES; do
        for how in option env; do
            if [ "$how" = option ]; then
                start_mode "$mode" --skip-runit --rewrite-signal=TERM:QUIT --rewrite-signal USR1:0,SIGRTMIN+2:hup -- "$HELPER" record "$T"
            else
                CINIT_REWRITE_SIGNALS=TERM:QUIT,USR1:0,RTMIN+2:HUP start_mode "$mode" --skip-runit -- "$HELPER" record "$T"
            fi
            wait_file "$T/ready"
            p=$(cinit_pid)
            kill -USR1 "$p"
            send_and_see "$p" "$(( $(num RTMIN) + 2 ))" "$T" "$(num HUP)"
            kill -TERM "$p"
            cinit_wait 10
            assert_equal "$status" 12
            assert_equal "$(tr '\n' ' ' < "$T/got")" "$(num HUP) $(num QUIT) "
            rm -f "$T/got"
        done
    done
    for bad in TERM KILL:TERM CHLD:0 TERM:NOPE TERM:99 :TERM; do
        run -2 cinit --skip-runit --rewrite-signal="$bad" -- true
        assert_output --partial "--rewrite-signal"
        refute_output --partial "Running"
    done
    CINIT_REWRITE_SIGNALS=FOO:BAR run -2 cinit --skip-runit -- true
    assert_output --partial "CINIT_REWRITE_SIGNALS"
}

@test "--remap-exit=CODE (and CINIT_REMAP_EXIT) makes those exit codes 0, others stay" {
    run -0 cinit --skip-runit --remap-exit=143 -- sh -c 'kill -TERM $$'
    run -143 cinit --skip-runit -- sh -c 'kill -TERM $$'
    run -0 cinit --skip-runit --remap-exit 3,130 -- sh -c 'exit 3'
    run -4 cinit --skip-runit --remap-exit=3,130 -- sh -c 'exit 4'
    CINIT_REMAP_EXIT=7 run -0 cinit --skip-runit -- sh -c 'exit 7'
    run -2 cinit --skip-runit --remap-exit=256 -- true
    assert_output --partial "--remap-exit"
    run -2 cinit --skip-runit --remap-exit -- true
}

@test "--parent-death-signal=TERM: when cinit's parent dies the main command gets TERM, cinit shuts down" {
    local mode p parent
    for mode in $MODES; do
        if [ "$mode" = pid1 ]; then
            start_mode pid1 --skip-runit --parent-death-signal=TERM -- "$HELPER" record "$T"
        else
            # a parent between PID 1 and cinit, that the test can kill
            MODE=child
            rm -f "$T/ready" "$T/got"
            ns_start sh -c 'sh -c "\"\$@\" & exec sleep 1000" mid "$@"; sleep 1000' sh \
                "$BIN/cinit" --skip-runit --parent-death-signal=SIGTERM -- "$HELPER" record "$T"
        fi
        wait_file "$T/ready"
        if [ "$mode" = pid1 ]; then
            p=$(ns_pid1)
        else
            wait_until 5 eval 'child_of "$(child_of "$(ns_pid1)")"'
            p=$(child_of "$(child_of "$(ns_pid1)")")
        fi
        assert_equal "$(cat "/proc/$p/comm")" cinit
        parent=$(awk '{print $4}' "/proc/$p/stat")
        kill -KILL "$parent"
        wait_until 10 eval '[ "$(tail -n 1 "$T/got" 2> /dev/null)" = "$(num TERM)" ]'
        wait_until 10 eval '! [ -d /proc/$p ] || [ "$(pstate "$p")" = Z ]'
        cinit_teardown
    done
    run -2 cinit --skip-runit --parent-death-signal=KILL -- true
    assert_output --partial "--parent-death-signal"
    CINIT_PARENT_DEATH_SIGNAL=nonsense run -2 cinit --skip-runit -- true
}
