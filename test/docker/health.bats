# The image's HEALTHCHECK and the services' readiness, order and critical services, as a user of
# `FROM cinit/base` sees them (docs/services.md). Which image: test/lib/image.bash.
# gate: minimal compat
# Containers run with --network none: their 127.0.0.1 is their own, so ports are fixed.
# shellcheck disable=SC2016 # the sh -c scripts expand in the container
load ../lib/common
load ../lib/wait
load ../lib/image

image_test_label health
TEST_IMAGE=cinit-test/health-$SUITE-$RUN_ID:latest

setup_file() {
    image_setup_file
    # the image plus the fixture that listens and connects (static: any suite's libc will do)
    local d=$BATS_FILE_TMPDIR/image
    mkdir -p "$d"
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -static -o "$d/listen" "$SRC/test/fixtures/services/listen.c"
    printf 'FROM %s\nCOPY listen /usr/local/bin/listen\n' "$IMAGE" > "$d/Dockerfile"
    image_build "$TEST_IMAGE" "$d" > /dev/null
}

teardown() { image_teardown; }

teardown_file() { image_teardown_file; }


# boot [DOCKER-RUN-OPTION...] [-- COMMAND...]: a detached container of the test image; CID is its id
boot() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# = 0 ] || shift
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "${opts[@]}" "$TEST_IMAGE" "$@")
}

health_is() {
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$CID")" = "$1" ]
}

# short health intervals for the tests; the image's own are 10 s
FAST_HEALTH=(--health-interval=0.5s --health-timeout=5s --health-retries=1 --health-start-period=0s)

@test "the image declares cinit-health as its HEALTHCHECK" {
    run docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE"
    assert_success
    assert_output '["CMD","cinit-health"]'
}

@test "docker inspect: healthy once the services are up, unhealthy when one is stopped for good" {
    boot "${FAST_HEALTH[@]}"
    wait_for 60 health_is healthy
    run docker exec "$CID" cinit-health
    assert_success
    assert_line --regexp '^cron up [0-9]+ pid [0-9]+$'
    assert_line --regexp '^syslog up [0-9]+ pid [0-9]+$'
    docker exec "$CID" sv down cron
    wait_for 30 health_is unhealthy
    run docker exec "$CID" cinit-health
    assert_failure 1
    assert_line --regexp '^cron down [0-9]+ stopped \(sv down\)$'
}

@test "a service that keeps crashing is left down by CINIT_RESTART_LIMIT: unhealthy, failing" {
    boot "${FAST_HEALTH[@]}" -e CINIT_RESTART_LIMIT=2/60 -- sh -c '
        mkdir /etc/service/crash
        printf "#!/bin/sh\necho crashing\nexit 1\n" > /etc/service/crash/run
        chmod +x /etc/service/crash/run
        exec /sbin/my_init'
    wait_for 60 health_is unhealthy
    wait_for 30 sh -c "docker exec $CID cinit-health --service crash | grep -q 'restarted 2 times'"
    run docker exec "$CID" cinit-health --json
    assert_failure 1
    assert_output --partial '"name": "crash", "state": "failing"'
    run docker logs "$CID"
    assert_output --partial 'service crash restarted 2 times in 60 s (CINIT_RESTART_LIMIT=2/60): left down'
}

@test "a critical service that exits 3 ends the container with 3" {
    boot -- sh -c '
        mkdir /etc/service/app
        printf "#!/bin/sh\nsleep 1\nexit 3\n" > /etc/service/app/run
        chmod +x /etc/service/app/run
        touch /etc/service/app/critical
        exec /sbin/my_init'
    run timeout 60 docker wait "$CID"
    assert_success
    assert_output 3
    run docker logs "$CID"
    assert_output --partial 'critical service app exited with status 3: stopping the container.'
    assert_output --partial 'Shutting down runit daemon'
}

@test "downstream: a web service that depends on a slow database starts after it; the main command waits" {
    local d=$BATS_TEST_TMPDIR/downstream
    mkdir -p "$d/db" "$d/web"
    # the database takes 2 s to listen; web records whether it could connect when it started
    printf '#!/bin/sh\nexec listen serve 5432 2\n' > "$d/db/run"
    echo tcp:5432 > "$d/db/ready"
    printf '#!/bin/sh\nif listen connect 5432; then echo up > /run/web-saw-db; else echo refused > /run/web-saw-db; fi\nexec listen serve 8080\n' > "$d/web/run"
    echo db > "$d/web/depends"
    echo http://127.0.0.1:8080/ > "$d/web/ready"
    chmod +x "$d/db/run" "$d/web/run"
    cat > "$d/Dockerfile" <<EOF
FROM $TEST_IMAGE
COPY db/ /etc/service/db/
COPY web/ /etc/service/web/
CMD ["/sbin/my_init", "--wait-for-services=60", "--", "sh", "-c", "cat /run/web-saw-db; listen connect 8080 && echo web-answers; exec sleep 1000"]
EOF
    run image_build "$TEST_IMAGE-downstream" "$d"
    assert_success
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "${FAST_HEALTH[@]}" "$TEST_IMAGE-downstream")
    wait_for 60 health_is healthy
    run docker logs "$CID"
    assert_line up
    assert_line web-answers
    assert_output --partial 'Service db is ready'
    assert_output --partial 'Starting service web: what it depends on is ready.'
    assert_output --partial 'All services are ready'
    run docker exec "$CID" cinit-health --service web
    assert_success
    assert_output --regexp '^web up [0-9]+ pid [0-9]+, ready: http://127.0.0.1:8080/$'
    docker rm -f "$CID" > /dev/null
    docker rmi -f "$TEST_IMAGE-downstream" > /dev/null
}
