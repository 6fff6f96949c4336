# docker run --user UID[:GID]: the whole supervision tree boots as that user (docs/non-root.md):
# startup scripts, runsvdir and the services, cinit-health, a clean docker stop; what needs root
# (cron, sshd) says so in one line and is down, never a failure. Which image: test/lib/image.bash.
# gate: minimal compat
# Containers run with --network none.
# shellcheck disable=SC2016 # the single-quoted commands are for the shell in the container
load ../lib/common
load ../lib/wait
load ../lib/image

image_test_label nonroot
TEST_IMAGE=cinit-test/nonroot-$SUITE-$RUN_ID:latest

setup_file() {
    image_setup_file
    local d=$BATS_FILE_TMPDIR/image
    cp -R "$SRC/test/fixtures/nonroot" "$d"
    sed -i "s|@IMAGE@|$IMAGE|" "$d/Dockerfile"
    image_build "$TEST_IMAGE" "$d" > /dev/null
}

teardown() { image_teardown; }

teardown_file() { image_teardown_file; }

wait_for_context() {
    [ ! -f "$BATS_TEST_TMPDIR/last" ] || cat "$BATS_TEST_TMPDIR/last"
    [ -z "${CID:-}" ] || docker logs "$CID" 2>&1 | tail -20
}

# boot [DOCKER-RUN-OPTION...] [-- COMMAND...]: a detached container of the test image; CID
boot() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# = 0 ] || shift
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "${opts[@]}" "$TEST_IMAGE" "$@")
}

# up NAME...: each service is "run:" in sv status
up() {
    local out n
    out=$(docker exec "$CID" sh -c 'sv status /etc/service/*' 2>&1) || return 1
    printf 'sv status: %s\n' "$out" > "$BATS_TEST_TMPDIR/last"
    for n; do
        [[ $out =~ (^|$'\n')"run: /etc/service/$n: (pid "[0-9]+") " ]] || return 1
    done
}
logs_have() { docker logs "$CID" 2>&1 | grep -qF -- "$1"; }
healthy() { docker exec "$CID" cinit-health > "$BATS_TEST_TMPDIR/last" 2>&1; }

# the checks every non-root boot passes: UID and GID are the container's user
check_tree() {
    local uid=$1 gid=$2
    wait_for 30 up hello syslog
    wait_for 10 logs_have "hello: uid=$uid gid=$gid"
    run docker exec "$CID" cat /run/startup-uid
    assert_output "$uid"
    # every process of the tree is the user's: cinit, runsvdir, runsv, the services
    run docker exec "$CID" sh -c 'for s in /proc/[0-9]*/status; do awk "/^Uid:/ { print \$2 }" "$s" 2>/dev/null; done | sort -u'
    assert_output "$uid"
    # cron and sshd need root: one line each, and they are down, not restarting
    wait_for 10 logs_have "cron: not running as root (uid $uid): cron service disabled"
    wait_for 10 logs_have "sshd: not running as root (uid $uid): sshd service disabled"
    sleep 2
    run docker logs "$CID"
    assert_equal "$(grep -c 'cron: not running as root' <<< "$output")" 1
    assert_equal "$(grep -c 'sshd: not running as root' <<< "$output")" 1
    # syslog: /dev/log cannot be made; the fallback socket reaches docker logs
    wait_for 10 logs_have "listening on /run/cinit/log instead of /dev/log"
    docker exec "$CID" logger -u /run/cinit/log -t nonroot-test "through the fallback"
    wait_for 10 logs_have "nonroot-test: through the fallback"
    # the environment: exported to the fallback directory, which contenv finds
    run docker exec "$CID" with-contenv printenv NONROOT_VAR
    assert_output nonroot-value
    # cinit-health: healthy (cron and sshd skipped themselves: down, not failing)
    wait_for 15 healthy
    run docker exec "$CID" cinit-health
    assert_success
    assert_line --regexp '^hello up '
    assert_line --regexp "^cron down [0-9]+ skipped: cron needs root \\(uid $uid\\)\$"
    assert_line --regexp "^sshd down [0-9]+ skipped: sshd needs root \\(uid $uid\\)\$"
    # docker stop: exit 0, promptly
    local t0
    t0=$(date +%s)
    docker stop -t 20 "$CID" > /dev/null
    [ $(($(date +%s) - t0)) -lt 10 ]
    assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$CID")" 0
}

@test "--user 1000:1000: the services run as that user, cron and sshd skip themselves, clean stop" {
    boot --user 1000:1000 -e NONROOT_VAR=nonroot-value
    check_tree 1000 1000
    run docker logs "$CID"
    assert_output --partial "Running as uid 1000, gid 1000: the services run as this user"
}

@test "--user 123456:0 (no passwd entry, group 0 as OpenShift gives it): the same" {
    boot --user 123456:0 -e NONROOT_VAR=nonroot-value
    check_tree 123456 0
}

@test "--user 1000 --read-only --tmpfs /run --tmpfs /tmp: the same" {
    boot --user 1000 --read-only --tmpfs /run --tmpfs /tmp -e NONROOT_VAR=nonroot-value
    check_tree 1000 0
    run docker logs "$CID"
    refute_output --partial "ERROR"
}

@test "--user 1000 --wait-for-services with a main command: cron, skipped, is not waited for; the exit code is kept" {
    boot --user 1000 -e NONROOT_VAR=nonroot-value -- /sbin/my_init --wait-for-services=30 -- sh -c \
        'i=0; until sv status /etc/service/hello | grep -q ^run:; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done; exit 7'
    wait_for 30 sh -c "[ \"\$(docker inspect -f '{{.State.Running}}' $CID)\" = false ]"
    assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$CID")" 7
}

@test "the image's /run is world-writable (sticky) for any uid; a root boot narrows it to 0755" {
    run docker run --rm --platform "linux/$ARCH" --network none --label "$LABEL" --entrypoint stat "$TEST_IMAGE" -c %a /run
    assert_output 1777
    run docker run --rm --platform "linux/$ARCH" --network none --label "$LABEL" "$TEST_IMAGE" /sbin/my_init --quiet --skip-startup-files --skip-runit -- stat -c %a /run
    assert_success
    assert_output 755
}
