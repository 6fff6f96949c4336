# CINIT_SERVICE_LOGS=prefixed|json in the image (docs/logging.md, "Service output"): two services
# flooding docker logs at once, every line once, marked with its service, in each one's order;
# as root and under --user --read-only. Which image: test/lib/image.bash.
# gate: minimal compat
# Containers run with --network none.
load ../lib/common
load ../lib/wait
load ../lib/image

image_test_label service-logs
TEST_IMAGE=cinit-test/service-logs-$SUITE-$RUN_ID:latest
N=2000

setup_file() {
    image_setup_file
    local d=$BATS_FILE_TMPDIR/image
    cp -R "$SRC/test/fixtures/service_logs" "$d"
    sed -i "s|@IMAGE@|$IMAGE|" "$d/Dockerfile"
    image_build "$TEST_IMAGE" "$d" > /dev/null
}

teardown() { image_teardown; }

teardown_file() { image_teardown_file; }

wait_for_context() { [ -z "${CID:-}" ] || docker logs "$CID" 2>&1 | tail -5; }

boot() {
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" -e FLOOD_LINES=$N "$@" "$TEST_IMAGE")
}
floods_done() { docker exec "$CID" test -e /run/flood-done-a -a -e /run/flood-done-b; }
# docker logs' stdout and stderr, apart
logs() {
    wait_for 60 floods_done
    sleep 1
    docker logs "$CID" > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
}

check_prefixed() {
    logs
    for s in a b; do
        diff <(grep "^flood-$s | $s-out-" "$BATS_TEST_TMPDIR/out") <(seq 0 $((N - 1)) | sed "s/.*/flood-$s | $s-out-&/")
        diff <(grep "^flood-$s | $s-err-" "$BATS_TEST_TMPDIR/err") <(seq 0 10 $((N - 1)) | sed "s/.*/flood-$s | $s-err-&/")
    done
}

@test "CINIT_SERVICE_LOGS=prefixed: two services flooding at once, every line once, in order" {
    boot -e CINIT_SERVICE_LOGS=prefixed
    check_prefixed
    # cinit's own lines stay as they were; the syslog service's are marked too
    grep -q '^\*\*\* Runit started' "$BATS_TEST_TMPDIR/err"
    grep -q '^syslog | cron.info cron' "$BATS_TEST_TMPDIR/out"
    docker stop -t 10 "$CID" > /dev/null
    assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$CID")" 0
}

@test "CINIT_SERVICE_LOGS=json: one object a line with service, stream and line" {
    boot -e CINIT_SERVICE_LOGS=json
    logs
    run jq -e -c 'select((keys == ["line","service","stream"]) | not)' "$BATS_TEST_TMPDIR/out" < /dev/null
    [ -z "$output" ]
    for s in a b; do
        diff <(jq -r "select(.service == \"flood-$s\" and .stream == \"stdout\") | .line" "$BATS_TEST_TMPDIR/out") \
            <(seq 0 $((N - 1)) | sed "s/.*/$s-out-&/")
        diff <(jq -r "select(.service == \"flood-$s\" and .stream == \"stderr\") | .line" "$BATS_TEST_TMPDIR/out") \
            <(seq 0 10 $((N - 1)) | sed "s/.*/$s-err-&/")
    done
    # the syslog service's lines are objects too (what cron sends to syslog)
    wait_for 10 grep -q '{"service":"syslog","stream":"stdout","line":"cron.info cron' "$BATS_TEST_TMPDIR/out"
}

@test "prefixed under --user 1000 --read-only --tmpfs /run --tmpfs /tmp: the same" {
    boot -e CINIT_SERVICE_LOGS=prefixed --user 1000 --read-only --tmpfs /run --tmpfs /tmp
    check_prefixed
    grep -q '^cron | cron: not running as root (uid 1000)' "$BATS_TEST_TMPDIR/out"
    docker stop -t 10 "$CID" > /dev/null
    assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$CID")" 0
}
