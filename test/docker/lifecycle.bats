# The services' lifecycle (#30) in a real container: the shutdown's one budget against docker
# stop's own grace period, oneshot services, the stop order and stop-signal, the restart
# back-off. Which image: test/lib/image.bash.
# gate: minimal compat
# Containers run with --network none.
# shellcheck disable=SC2016 # the sh -c scripts expand in the container
load ../lib/common
load ../lib/wait
load ../lib/image

image_test_label lifecycle
TEST_IMAGE=cinit-test/lifecycle-$SUITE-$RUN_ID:latest
PG_IMAGE=cinit-test/lifecycle-pg-$SUITE-$RUN_ID:latest

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
 && mkdir -p /opt/svc/db /opt/svc/web /opt/svc/quitter /opt/svc/crash \\
 && printf '#!/bin/sh\ntrap "echo db-TERM; exit 0" TERM\necho db-up\nwhile :; do sleep 0.1; done\n' > /opt/svc/db/run \\
 && printf '#!/bin/sh\ntrap "echo web-TERM; sleep 1; echo web-stopped; exit 0" TERM\necho web-up\nwhile :; do sleep 0.1; done\n' > /opt/svc/web/run \\
 && echo db > /opt/svc/web/depends \\
 && printf '#!/bin/sh\ntrap "echo quitter-TERM; exit 0" TERM\ntrap "echo quitter-QUIT; exit 0" QUIT\necho quitter-up\nwhile :; do sleep 0.1; done\n' > /opt/svc/quitter/run \\
 && echo QUIT > /opt/svc/quitter/stop-signal \\
 && printf '#!/bin/sh\necho crash-ran\nexit 1\n' > /opt/svc/crash/run \\
 && mkdir -p /opt/svc/s6ready /opt/svc/sticky \\
 && printf '#!/bin/sh\nsleep 1\necho s6ready-says-ready\nprintf "\\\\n" >&3\nexec 3>&-\nexec sleep infinity\n' > /opt/svc/s6ready/run \\
 && echo 3 > /opt/svc/s6ready/notification-fd \\
 && printf '#!/bin/sh\ntrap "echo sticky-TERM" TERM\necho sticky-up\nwhile :; do sleep 0.1; done\n' > /opt/svc/sticky/run \\
 && echo 2 > /opt/svc/sticky/stop-timeout \\
 && chmod +x /opt/svc/*/run \\
 && printf '#!/bin/sh\necho post-shutdown-ran\n' > /etc/my_init.post_shutdown.d/50-said \\
 && chmod +x /etc/my_init.post_shutdown.d/50-said
DOCKERFILE
    image_build "$TEST_IMAGE" "$d" > /dev/null
}

teardown() { image_teardown; }

teardown_file() { image_teardown_file; }

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

@test "docker stop: a service stops only after what depends on it has stopped; stop-signal QUIT is sent, not TERM" {
    boot "db web quitter"
    wait_for 60 logs_have web-up
    wait_for 60 logs_have quitter-up
    docker stop "$CID" > /dev/null
    assert_equal "$(exit_code)" 0
    run docker logs "$CID"
    assert_equal "$(docker logs "$CID" 2>&1 | grep -xE 'web-TERM|web-stopped|db-TERM' | paste -sd' ')" "web-TERM web-stopped db-TERM"
    assert_line quitter-QUIT
    refute_line quitter-TERM
}

@test "restart back-off: a service that fails at once is held down longer each time; cinit-health says when it restarts" {
    boot crash
    wait_for 60 eval '[ "$(docker logs "$CID" 2>&1 | grep -cx crash-ran)" -ge 3 ]'
    run docker exec "$CID" cinit-health --service crash
    assert_failure 1
    assert_output --regexp '^crash failing [0-9]+ failing: exited within 1 s of its start [0-9]+ times in a row; next restart at [0-9:]+ UTC'
    # after 1 + 2 + 4 s of back-off, not the 7 restarts runsv's own 1 s pause would give
    sleep 7
    local n
    n=$(docker logs "$CID" 2>&1 | grep -cx crash-ran)
    [ "$n" -le 6 ] || fail "$n runs in about 10 s"
}

@test "notification-fd: ready on the daemon's newline; sv down at run time: killed after its stop-timeout" {
    boot "s6ready sticky"
    wait_for 60 logs_have "Service s6ready is ready"
    run docker exec "$CID" cinit-health --service s6ready
    assert_success
    assert_output --regexp '^s6ready up [0-9]+ pid [0-9]+, ready: notification-fd 3$'
    wait_for 30 logs_have sticky-up
    docker exec "$CID" sv down sticky
    wait_for 60 eval 'docker exec "$CID" sv status sticky | grep -q "^down:"'
    run docker logs "$CID"
    assert_line sticky-TERM
    assert_output --partial "service sticky still up 2000 ms after its stop signal (its stop-timeout): killing it"
}

# a downstream image with PostgreSQL (Debian's is built with sd_notify: it says READY=1 when
# NOTIFY_SOCKET is set) as a runit service with `ready` = notify
postgres_image() {
    local d=$BATS_FILE_TMPDIR/pg
    mkdir -p "$d"
    cat > "$d/Dockerfile" <<DOCKERFILE
FROM $IMAGE
RUN install_clean postgresql \\
 && mkdir -p /etc/service/postgres \\
 && printf '#!/bin/sh\\nexec 2>&1\\ninstall -d -o postgres -g postgres /run/postgresql\\nv=\$(ls /usr/lib/postgresql)\\nexec chpst -u postgres /usr/lib/postgresql/\$v/bin/postgres -D /var/lib/postgresql/\$v/main -c config_file=/etc/postgresql/\$v/main/postgresql.conf -c ssl=off\\n' > /etc/service/postgres/run \\
 && chmod +x /etc/service/postgres/run \\
 && echo notify > /etc/service/postgres/ready \\
 && echo INT > /etc/service/postgres/stop-signal
DOCKERFILE
    image_build "$PG_IMAGE" "$d" > /dev/null
}

@test "ready: notify with PostgreSQL: ready on its READY=1; stop-signal INT is its fast shutdown" {
    postgres_image
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "$PG_IMAGE")
    wait_for 120 logs_have "Service postgres is ready"
    run docker exec "$CID" cinit-health --service postgres
    assert_success
    # (Debian's PostgreSQL says READY=1 and no STATUS=: the no-Docker suite tests STATUS=)
    assert_output --regexp '^postgres up [0-9]+ pid [0-9]+, ready: notify'
    run docker exec "$CID" setuser postgres psql -Atc 'select 42'
    assert_output 42
    docker stop "$CID" > /dev/null
    assert_equal "$(exit_code)" 0
    run docker logs "$CID"
    assert_output --partial "fast shutdown request"
}
