#!/usr/bin/env bats
# cinit as PID 1: command line, exit codes, reaping, signals, timeouts, the final kill,
# non-root and read-only runs, what children inherit. (Boot, environment, runit: cinit-boot.bats)
# The sh -c scripts are single-quoted on purpose (they expand in the sandbox), and each test
# runs in its own subshell, so that exporting a variable there is meant to be local.
# shellcheck disable=SC2016,SC2030,SC2031
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() { cinit_setup; }
teardown() { cinit_teardown; }

# ---- command line and exit codes ----

@test "exit code of the main command is cinit's: 0, 42, 255" {
    for code in 0 42 255; do
        run cinit -- sh -c "exit $code"
        assert_equal "$status" "$code"
        assert_output --partial "*** Running sh -c exit $code..."
        assert_output --partial "exited with status $code."
    done
}

@test "a main command killed by signal N gives 128+N: KILL 137, TERM 143, RTMIN+1" {
    run cinit --skip-runit -- sh -c 'kill -KILL $$'
    assert_equal "$status" 137
    assert_output --partial "*** sh -c kill -KILL \$\$ was killed by signal 9 (SIGKILL)."
    run cinit --skip-runit -- sh -c 'kill -TERM $$'
    assert_equal "$status" 143
    assert_output --partial "*** sh -c kill -TERM \$\$ was killed by signal 15 (SIGTERM)."
    # a real-time signal is named as glibc's users know it, counted from its SIGRTMIN
    local rt
    rt=$(($(kill -l RTMIN) + 1))
    run cinit --skip-runit -- perl -e "kill $rt, \$\$; sleep 5"
    assert_equal "$status" $((128 + rt))
    assert_output --partial "was killed by signal $rt (SIGRTMIN+1)."
}

@test "a main command that does not exist: 127 with a message" {
    run -127 cinit --skip-runit -- /nonexistent/cmd
    assert_output --partial "*** ERROR: /nonexistent/cmd: command not found"
    run -127 cinit --skip-runit -- no-such-command-cinit-test
    assert_output --partial "*** ERROR: no-such-command-cinit-test: command not found"
}

@test "a main command that is not executable: 126 with a message" {
    printf '#!/bin/sh\ntouch "%s/ran"\n' "$T" > "$T/noexec"
    chmod 0644 "$T/noexec"
    run -126 cinit --skip-runit -- "$T/noexec"
    assert_output --partial "*** ERROR: $T/noexec: permission denied"
    assert_file_not_exists "$T/ran"
}

@test "--help prints usage on stdout, exit 0" {
    run --separate-stderr cinit --help
    assert_success
    assert_output --regexp '[Uu]sage'
    assert_output --partial -- --skip-startup-files
    assert_output --partial -- --no-kill-all-on-exit
}

@test "--version prints cinit VERSION, exit 0" {
    run --separate-stderr cinit --version
    assert_success
    assert_output --regexp '^cinit [0-9]+\.[0-9]+'
}

@test "an unknown option: exit 2 with a message, nothing run" {
    run cinit --bogus-option -- touch "$T/ran"
    assert_equal "$status" 2
    assert_output --partial -- --bogus-option
    assert_file_not_exists "$T/ran"
}

@test "--skip-runit without a main command: exit 1 with an error" {
    run cinit --skip-runit
    assert_equal "$status" 1
    assert_output --partial "*** ERROR: "
}

@test "every line cinit writes to stderr starts with '*** '" {
    run --separate-stderr cinit -- sh -c 'echo on-stdout; exit 3'
    assert_equal "$status" 3
    assert_output on-stdout
    [ -n "$stderr" ]
    run grep -v '^\*\*\* ' <<< "$stderr"
    assert_output ""
}

@test "options stop at the first non-option argument" {
    run cinit --skip-runit sh -c 'echo "arg=$1"; exit 3' sh --quiet
    assert_equal "$status" 3
    assert_output --partial "arg=--quiet"
    assert_output --partial "*** Running"
}

@test "--quiet suppresses the info lines" {
    run cinit --quiet --skip-runit -- sh -c 'echo main-ran'
    assert_success
    assert_output --partial main-ran
    refute_output --partial "*** Running"
    refute_output --partial "exited with status"
    # warnings stay (not being root gives some)
    run in_ns setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN/cinit" --quiet -- sh -c 'echo main-ran'
    assert_success
    assert_output --partial main-ran
    assert_output --partial "*** WARNING: "
    refute_output --partial "*** Running"
}

@test "works when invoked as my_init" {
    ln -s "$BIN/cinit" "$T/my_init"
    run in_ns "$T/my_init" --skip-runit -- sh -c 'exit 5'
    assert_equal "$status" 5
}

@test "--enable-insecure-key without /usr/sbin/enable_insecure_key: error, exit 1" {
    # /usr is the host's
    assert_file_not_exists /usr/sbin/enable_insecure_key
    run cinit --enable-insecure-key --skip-runit -- touch "$T/ran"
    assert_equal "$status" 1
    assert_output --partial "*** ERROR: "
    assert_file_not_exists "$T/ran"
}

# ---- reaping ----

@test "orphans are reaped while the main command runs" {
    run cinit --skip-runit -- sh -c '"$HELPER" orphans 20 && "$HELPER" zombies 5'
    assert_success
}

@test "a flood of 2000 orphans is reaped" {
    run cinit --skip-runit -- sh -c '"$HELPER" orphans 2000 && "$HELPER" zombies 10'
    assert_success
}

@test "main command exiting together with many other children: prompt exit with its code (50 runs)" {
    local i
    for i in $(seq 50); do
        cinit_start --skip-runit -- "$HELPER" race 30 $((100 + i))
        cinit_wait 10
        assert_equal "$status" $((100 + i))
    done
}

# ---- signals ----

@test "TERM, INT and QUIT are forwarded to the main command; cinit returns its code" {
    local sig code
    for sig in TERM:10 INT:11 QUIT:12; do
        code=${sig#*:} sig=${sig%:*}
        rm -f "$T/ready" "$T/got"
        ns_start "$HELPER" exec -- "$BIN/cinit" --skip-runit -- "$FIX/trapper.sh" "$T"
        wait_file "$T/ready"
        cinit_kill "$sig"
        cinit_wait 10
        assert_equal "$status" "$code"
        assert_equal "$(cat "$T/got")" "$sig"
    done
}

@test "HUP, USR1, USR2 and WINCH are forwarded to the main command" {
    local sig
    ns_start "$HELPER" exec -- "$BIN/cinit" --skip-runit -- "$FIX/trapper.sh" "$T"
    wait_file "$T/ready"
    for sig in HUP USR1 USR2 WINCH; do
        cinit_kill "$sig"
        wait_until 5 grep -qsx "$sig" "$T/got"
    done
    echo 7 > "$T/stop"
    cinit_wait 10
    assert_equal "$status" 7
    assert_equal "$(cat "$T/got")" "$(printf 'HUP\nUSR1\nUSR2\nWINCH')"
}

@test "INT and QUIT reach the main command when cinit was started with them ignored" {
    local sig code
    for sig in INT:11 QUIT:12; do
        code=${sig#*:} sig=${sig%:*}
        rm -f "$T/ready" "$T/got"
        ns_start "$HELPER" exec -i INT,QUIT -- "$BIN/cinit" --skip-runit -- "$FIX/trapper.sh" "$T"
        wait_file "$T/ready"
        cinit_kill "$sig"
        cinit_wait 10
        assert_equal "$status" "$code"
        assert_equal "$(cat "$T/got")" "$sig"
    done
}

@test "a storm of 300 signals: cinit stays up, main gets them and ends with its own code" {
    local i p
    ns_start "$HELPER" exec -- "$BIN/cinit" --skip-runit -- "$FIX/trapper.sh" "$T"
    wait_file "$T/ready"
    p=$(ns_pid1)
    for i in $(seq 150); do
        kill -USR1 "$p"
        kill -HUP "$p"
    done
    wait_until 5 test -s "$T/got"
    job_running
    echo 23 > "$T/stop"
    cinit_wait 10
    assert_equal "$status" 23
    run grep -cxE 'USR1|HUP' "$T/got"
    [ "$output" -ge 1 ]
}

# ---- timeouts and shutdown ----

@test "KILL_PROCESS_TIMEOUT=1: a main command ignoring TERM is killed after about 1 s, exit 137" {
    export KILL_PROCESS_TIMEOUT=1
    cinit_start --skip-runit -- sh -c 'trap "" TERM; : > "$1/ready"; exec sleep 100' sh "$T"
    wait_file "$T/ready"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 10
    assert_equal "$status" 137
    assert_took "$start" 800 9000
}

@test "KILL_PROCESS_TIMEOUT=0.5 (decimals) is accepted and honoured" {
    export KILL_PROCESS_TIMEOUT=0.5
    cinit_start --skip-runit -- sh -c 'trap "" TERM; : > "$1/ready"; exec sleep 100' sh "$T"
    wait_file "$T/ready"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 10
    assert_equal "$status" 137
    assert_took "$start" 400 9000
}

@test "KILL_ALL_PROCESSES_TIMEOUT=1: a leftover process ignoring TERM is killed after about 1 s" {
    export KILL_ALL_PROCESSES_TIMEOUT=1
    # the orphan signals once it ignores TERM; the main command exits 0 right after
    cinit_start --skip-runit -- sh -c '
        (trap "" TERM; echo ready > "$1/orphan"; exec sleep 100) &
        "$2/await.sh" ready "$1/orphan"
        : > "$1/main-done"' sh "$T" "$FIX"
    wait_file "$T/main-done"
    local start
    start=$(now_ms)
    cinit_wait 10
    assert_success
    assert_output --partial "*** Killing all processes..."
    assert_took "$start" 700 9000
}

@test "shutdown is event-driven: main and orphan exiting on TERM stop without waiting for a timeout" {
    # an orphan (reparented to cinit) with the default TERM action, then the main command; the
    # timeouts are long, and the shutdown must not wait for them (behaviour, not speed)
    export KILL_PROCESS_TIMEOUT=30 KILL_ALL_PROCESSES_TIMEOUT=30
    cinit_start -- sh -c '(exec sleep 100 &); exec "$1/trapper.sh" "$2"' sh "$FIX" "$T"
    wait_file "$T/ready"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 25
    assert_equal "$status" 10
    assert_took "$start" 0 15000
}

@test "malformed timeouts: exit 2, message naming the variable, nothing run" {
    local var val
    for var in KILL_PROCESS_TIMEOUT KILL_ALL_PROCESSES_TIMEOUT; do
        for val in abc -1 "" 1e3 " 5" 86401; do
            run in_ns env "$var=$val" "$BIN/cinit" --skip-runit -- touch "$T/ran"
            assert_equal "$status" 2
            assert_output --partial "$var"
            assert_file_not_exists "$T/ran"
        done
    done
}

@test "orphans get TERM at exit and time to clean up" {
    run cinit --skip-runit -- sh -c '
        (trap "sleep 0.3; echo cleaned > \"$1/cleaned\"; exit 0" TERM
         echo ready > "$1/orphan"
         while :; do sleep 0.05 & wait $! || :; done) &
        "$2/await.sh" ready "$1/orphan"' sh "$T" "$FIX"
    assert_success
    assert_file_exists "$T/cleaned"
}

@test "with no process left at the end, cinit kills nothing and says nothing of it" {
    run cinit --skip-runit -- true
    assert_success
    refute_output --partial "*** Killing all processes"
    add_service quick 'exec sleep 1000'
    run cinit -- true
    assert_success
    assert_output --partial 'Shutting down runit daemon'
    refute_output --partial "*** Killing all processes"
}

@test "--no-kill-all-on-exit: orphans are not signalled" {
    run cinit --no-kill-all-on-exit --skip-runit -- sh -c '
        (trap "echo cleaned > \"$1/cleaned\"; exit 0" TERM
         echo ready > "$1/orphan"
         while :; do sleep 0.05 & wait $! || :; done) &
        "$2/await.sh" ready "$1/orphan"' sh "$T" "$FIX"
    assert_success
    assert_file_not_exists "$T/cleaned"
    refute_output --partial "*** Killing all processes"
}

# ---- unusual environments ----

@test "not PID 1: a child subreaper that kills only its own descendants, never kill(-1)" {
    run in_ns "$FIX/nested.sh" "$BIN/cinit" "$T" "$FIX"
    assert_equal "$status" 42
    assert_equal "$(cat "$T/sibling")" USR1
}

@test "non-root: warns, runs startup files and the main command, keeps its exit code, reaps" {
    world_dir
    cp "$HELPER" "$WORLD/helper"
    script "$ETC/my_init.d/10-note" "touch '$WORLD/script-ran'"
    run in_ns setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN/cinit" -- \
        sh -c '"$1" orphans 50 && "$1" zombies 5 && id -u > "$2/uid" && exit 42' sh "$WORLD/helper" "$WORLD"
    assert_equal "$status" 42
    assert_output --partial "*** WARNING: not running as root"
    assert_file_exists "$WORLD/script-ran"
    assert_equal "$(cat "$WORLD/uid")" 65534
}

@test "read-only /etc: the environment is exported to /run/cinit and the main command works" {
    printf 'ro-value\n' > "$ETC/container_environment/RO_VAR"
    run in_ns sh -c '
        mount -o remount,ro,bind /etc/container_environment
        mount -o remount,ro,bind /etc
        exec "$@"' sh "$BIN/cinit" --skip-runit -- sh -c '
        set -eu
        [ "$RO_VAR" = ro-value ]
        [ "$(stat -c %a /run/cinit/container_environment)" = 700 ]
        [ "$(cat /run/cinit/container_environment/RO_VAR)" = ro-value ]
        unset RO_VAR
        . /run/cinit/container_environment.sh
        [ "$RO_VAR" = ro-value ]
        [ -s /run/cinit/container_environment.json ]
        echo main-ok'
    assert_success
    assert_output --partial main-ok
    assert_output --partial "*** WARNING"
    assert_file_not_exists "$ETC/container_environment.sh"
}

# ---- what children inherit ----

@test "children get default signal dispositions and an empty mask (cinit started with INT, PIPE ignored)" {
    script "$ETC/my_init.d/10-status" "grep -E '^Sig(Ign|Blk):' /proc/self/status > '$T/script-status'"
    # -r: also glibc's reserved 32 and 33, which only the raw system call resets
    run --separate-stderr in_ns "$HELPER" exec -i INT,PIPE -b USR1 -r -- "$BIN/cinit" -- cat /proc/self/status
    assert_success
    assert_line --regexp $'^SigIgn:\t0+$'
    assert_line --regexp $'^SigBlk:\t0+$'
    run cat "$T/script-status"
    assert_line --regexp $'^SigIgn:\t0+$'
    assert_line --regexp $'^SigBlk:\t0+$'
}

@test "the main command runs in its own process group" {
    run cinit --skip-runit -- sh -c 'set -- $(cat /proc/$$/stat); [ "$5" = $$ ] || { echo "pgid $5"; exit 1; }'
    assert_success
}

@test "children inherit no file descriptor besides 0, 1, 2" {
    script "$ETC/my_init.d/10-fds" "ls /proc/self/fd > '$T/script-fds'"
    run --separate-stderr in_ns "$HELPER" exec -c -- "$BIN/cinit" -- ls /proc/self/fd
    assert_success
    # 3 is the directory ls itself opens
    assert_equal "$(paste -sd' ' <<< "$output")" "0 1 2 3"
    assert_equal "$(paste -sd' ' "$T/script-fds")" "0 1 2 3"
}

# ---- what PID 1 itself holds ----

@test "PID 1 maps no NSS module when it looks up the docker_env group" {
    # glibc's getgrnam loads the modules nsswitch.conf names after "files" for a group that is
    # not in /etc/group (libnss_systemd, with libcap and libm): memory PID 1 would keep for the
    # life of the container. cinit reads /etc/group itself.
    grep -v '^docker_env:' /etc/group > "$ETC/group" || :
    printf 'passwd: files systemd\ngroup: files systemd\n' > "$ETC/nsswitch.conf"
    run cinit --quiet --skip-runit -- sh -c 'grep -c "libnss" /proc/1/maps; stat -c %g /etc/container_environment.sh'
    assert_success
    assert_equal "${lines[0]}" 0
    assert_equal "${lines[1]}" 0
}
