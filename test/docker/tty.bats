# cinit/base on a terminal, as users type it: `docker run -it IMAGE /sbin/my_init -- bash -l`,
# `docker run -t` without -i, `docker attach`; driven through a pseudo-terminal (util-linux
# script). Tests cinit/base:$CINIT_SUITE (default trixie), or the image CINIT_IMAGE names;
# without CINIT_IMAGE, setup_file runs `make image SUITE=...` (cached when nothing changed).
# shellcheck disable=SC2016
load ../lib/common
load ../lib/wait
bats_require_minimum_version 1.5.0

SUITE=${CINIT_SUITE:-trixie}
IMAGE=${CINIT_IMAGE:-cinit/base:$SUITE}
run_id=$(basename "$BATS_RUN_TMPDIR" | tr -c 'a-zA-Z0-9\n' - | tr '[:upper:]' '[:lower:]')
LABEL=cinit-test=tty-$run_id

setup_file() {
    if [ -z "${CINIT_IMAGE:-}" ]; then
        make -s -C "$SRC" image SUITE="$SUITE" > "$BATS_FILE_TMPDIR/make-image.log" 2>&1 ||
            { cat "$BATS_FILE_TMPDIR/make-image.log" >&2; return 1; }
    fi
    docker image inspect "$IMAGE" > /dev/null
}

setup() {
    T=$BATS_TEST_TMPDIR
    NAME=cinit-tty-$run_id-$BATS_TEST_NUMBER
    TTY_PID=
}

teardown() {
    [ -z "$TTY_PID" ] || kill -KILL "$TTY_PID" 2> /dev/null || :
    exec 5>&- || :
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f > /dev/null
}

# what wait_for shows on a time-out: the terminal's output
wait_for_context() { echo "terminal output:"; cat -v "$T/out"; }

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
# tty_end: the terminal's command has ended (within 60 s); $status, $output
tty_end() {
    exec 5>&-
    wait_for 60 eval '! kill -0 "$TTY_PID" 2> /dev/null'
    status=0
    wait "$TTY_PID" || status=$?
    TTY_PID=
    output=$(tr -d '\r' < "$T/out")
}
seen() { grep -q "$1" "$T/out"; }
# a process of the container called $1 (its /proc, without procps)
has_proc() {
    docker exec "$NAME" sh -c 'cat /proc/[0-9]*/comm 2> /dev/null' | grep -qx "$1"
}

@test "docker run -it IMAGE /sbin/my_init -- bash -l: typed commands, ^C of a sleep, exit 3 is the container's status" {
    on_tty docker run -it --rm --name "$NAME" --label "$LABEL" --network none "$IMAGE" /sbin/my_init -- bash -l
    wait_for 60 seen 'Running bash -l'
    keys 'echo typed-$((40+2))\n'
    wait_for 20 seen typed-42
    keys 'sleep 1000\n'
    wait_for 20 has_proc sleep
    keys '\003'
    keys 'echo after-$?\n'
    wait_for 20 seen after-130
    keys 'exit 3\n'
    tty_end
    assert_equal "$status" 3
    assert_output --partial "bash -l exited with status 3."
}

@test "docker run -t without -i: the command runs on the terminal, in the foreground, and its status is kept" {
    on_tty docker run -t --rm --name "$NAME" --label "$LABEL" --network none "$IMAGE" /sbin/my_init -- \
        sh -c 'set -- $(cat /proc/$$/stat); [ "$5" = "$8" ] && echo "FOREGROUND $5"; tty; exit 4'
    tty_end
    assert_equal "$status" 4
    assert_output --regexp 'FOREGROUND [0-9]+'
    assert_output --partial /dev/pts/
}

@test "docker attach to a my_init -- bash container: typed commands run, exit 5 is its status" {
    docker run -dit --name "$NAME" --label "$LABEL" --network none "$IMAGE" /sbin/my_init -- bash -l > /dev/null
    wait_for 60 eval 'docker logs "$NAME" 2>&1 | grep -q "Running bash -l"'
    on_tty docker attach "$NAME"
    sleep 0.5
    keys 'echo attached-$((2+3))\n'
    wait_for 20 seen attached-5
    keys 'exit 5\n'
    tty_end
    run docker wait "$NAME"
    assert_output 5
}
