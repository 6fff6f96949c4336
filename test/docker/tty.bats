# cinit/base on a terminal: `docker run -t` without -i, `docker attach` (`docker run -it IMAGE
# /sbin/my_init -- bash -l` is in image.bats, for every suite and arch); driven through a
# pseudo-terminal (util-linux script). Which image: test/lib/image.bash.
# gate: minimal compat
# shellcheck disable=SC2016
load ../lib/common
load ../lib/wait
load ../lib/tty
load ../lib/image
bats_require_minimum_version 1.5.0

image_test_label tty

setup_file() {
    image_setup_file
}

setup() {
    T=$BATS_TEST_TMPDIR
    NAME=cinit-tty-$RUN_ID-$BATS_TEST_NUMBER
}

teardown() {
    tty_teardown
    image_teardown
}

# what wait_for shows on a time-out: the terminal's output
wait_for_context() { echo "terminal output:"; cat -v "$T/out"; }

@test "docker run -t without -i: the command runs on the terminal, in the foreground, and its status is kept" {
    on_tty docker run --platform "linux/$ARCH" -t --rm --name "$NAME" --label "$LABEL" --network none "$IMAGE" /sbin/my_init -- \
        sh -c 'set -- $(cat /proc/$$/stat); [ "$5" = "$8" ] && echo "FOREGROUND $5"; tty; exit 4'
    tty_end
    assert_equal "$status" 4
    assert_output --regexp 'FOREGROUND [0-9]+'
    assert_output --partial /dev/pts/
}

@test "docker attach to a my_init -- bash container: typed commands run, exit 5 is its status" {
    docker run --platform "linux/$ARCH" -dit --name "$NAME" --label "$LABEL" --network none "$IMAGE" /sbin/my_init -- bash -l > /dev/null
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
