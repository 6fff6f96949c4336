# The services' lifecycle (#30) in a real container: the shutdown's one budget against docker
# stop's own grace period, and oneshot services. Which image: test/lib/image.bash.
# gate: minimal compat
# Containers run with --network none.
# shellcheck disable=SC2016 # the sh -c scripts expand in the container
load ../lib/common
load ../lib/wait
load ../lib/image

run_id=$(basename "$BATS_RUN_TMPDIR" | tr -c 'a-zA-Z0-9\n' - | tr '[:upper:]' '[:lower:]')
LABEL=cinit-test=lifecycle-$SUITE-$run_id
TEST_IMAGE=cinit-test/lifecycle-$SUITE-$run_id:latest

setup_file() {
    image_setup_file
    # services kept in /opt/svc: each test copies the ones it needs into /etc/service at boot
    local d=$BATS_FILE_TMPDIR/image
    mkdir -p "$d"
    cat > "$d/Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN mkdir -p /opt/svc/stubborn /opt/svc/migrate /opt/svc/app /opt/svc/broken \\
 && printf '#!/bin/sh\ntrap "" TERM\necho stubborn-up\nwhile :; do sleep 1; done\n' > /opt/svc/stubborn/run \\
 && printf '#!/bin/sh\nsleep 1\necho migrated > /run/order\n' > /opt/svc/migrate/run \\
 && touch /opt/svc/migrate/oneshot \\
 && printf '#!/bin/sh\necho app >> /run/order\nexec sleep infinity\n' > /opt/svc/app/run \\
 && echo migrate > /opt/svc/app/depends \\
 && printf '#!/bin/sh\nexit 4\n' > /opt/svc/broken/run \\
 && touch /opt/svc/broken/oneshot \\
 && chmod +x /opt/svc/*/run \\
 && printf '#!/bin/sh\necho post-shutdown-ran\n' > /etc/my_init.post_shutdown.d/50-said \\
 && chmod +x /etc/my_init.post_shutdown.d/50-said
DOCKERFILE
    docker build -q --platform "linux/$ARCH" --network host --label "$LABEL" -t "$TEST_IMAGE" "$d" > /dev/null
}

teardown() {
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f > /dev/null
}

teardown_file() {
    teardown
    docker rmi -f "$TEST_IMAGE" > /dev/null 2>&1 || :
}

# boot SERVICES [DOCKER-RUN-OPTION...] [-- MY_INIT-ARGS...]: a detached container with those services
boot() {
    local svcs=$1 opts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# = 0 ] || shift
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "${opts[@]}" "$TEST_IMAGE" \
        sh -c 'for s in $1; do cp -a "/opt/svc/$s" /etc/service/; done; shift; exec /sbin/my_init "$@"' sh "$svcs" "$@")
}

logs_have() { docker logs "$CID" 2>&1 | grep -qF -- "$1"; }
exit_code() { docker inspect -f '{{.State.ExitCode}}' "$CID"; }
running() { [ "$(docker inspect -f '{{.State.Running}}' "$CID")" = true ]; }

@test "docker stop with its default 10 s: a service that ignores TERM is killed in time, post-shutdown runs, exit 0" {
    # before the budget: cinit waited KILL_PROCESS_TIMEOUT's 30 s on it, docker killed the
    # container first (exit 137) and post-shutdown never ran
    boot stubborn
    wait_for 60 logs_have stubborn-up
    docker stop "$CID" > /dev/null
    run docker logs "$CID"
    assert_equal "$(exit_code)" 0
    assert_output --partial "runit services still up after"
    assert_output --partial post-shutdown-ran
}

@test "docker stop -t 30 with CINIT_SHUTDOWN_TIMEOUT=28: the service gets its time, and every phase still runs" {
    boot stubborn -e CINIT_SHUTDOWN_TIMEOUT=28
    wait_for 60 logs_have stubborn-up
    local start=$SECONDS
    docker stop -t 30 "$CID" > /dev/null
    assert_equal "$(exit_code)" 0
    [ $((SECONDS - start)) -ge 15 ] || fail "stopped after $((SECONDS - start)) s: the budget's services' share is about 19 s"
    run docker logs "$CID"
    assert_output --partial post-shutdown-ran
}

@test "oneshot: the main command sees it done, what depends on it started after it, and cinit-health says done" {
    boot "migrate app" -- --wait-for-services=60 -- sh -c 'cat /run/order; cinit-health'
    wait_for 90 eval '! running'
    run docker logs "$CID"
    assert_equal "$(exit_code)" 0
    assert_line migrated
    assert_line app
    assert_equal "$(docker logs "$CID" 2>&1 | grep -xE 'migrated|app' | paste -sd' ')" "migrated app"
    assert_line --regexp '^migrate done [0-9]+ done: ./run exited 0$'
}

@test "oneshot: one that fails fails the boot: exit 1, a message naming it and its status" {
    boot broken
    wait_for 90 eval '! running'
    run docker logs "$CID"
    assert_equal "$(exit_code)" 1
    assert_output --partial "oneshot service broken failed: ./run exited with status 4"
}
