# Downstream images as baseimage-docker's users write them (docs/migrating.md): each Dockerfile
# is built FROM the image under test unchanged and used the way its author would: ssh in with a
# copy of the insecure key, `docker exec … bash -l`, `sv status /etc/service/*`, docker ps
# health, docker logs, `docker stop`. Both flavors pass it (the compat flavor's own additions
# are compat.bats'); the image under test: test/lib/image.bash.
# gate: minimal compat
# Containers run with --network none; the host reaches a container's sshd inside the
# container's network namespace (nsenter -n), as baseimage-docker documents for nsenter.
# shellcheck disable=SC2016 # the single-quoted commands are for the shell in the container
load ../lib/common
load ../lib/wait
load ../lib/tty
load ../lib/image

image_test_label downstream
REPO=cinit-test/downstream-$SUITE-$FLAVOR-$ARCH-$RUN_ID
FIX=$SRC/test/fixtures/downstream

setup_file() {
    image_setup_file
}

teardown() {
    tty_teardown
    image_teardown
}

teardown_file() { image_teardown_file; }

wait_for_context() {
    [ ! -f "$BATS_TEST_TMPDIR/last" ] || cat "$BATS_TEST_TMPDIR/last"
    [ ! -f "$BATS_TEST_TMPDIR/out" ] || { echo "terminal output:"; cat -v "$BATS_TEST_TMPDIR/out"; }
}

# build NAME: the Dockerfile (and its files) in $BATS_TEST_TMPDIR/NAME, FROM the image under test
# as "FROM @IMAGE@"; the image is $REPO:NAME
build() {
    local d=$BATS_TEST_TMPDIR/$1
    sed -i "s|@IMAGE@|$IMAGE|" "$d/Dockerfile"
    image_build "$REPO:$1" "$d" > "$d.log" 2>&1 ||
        { cat "$d.log" >&2; return 1; }
}

# boot NAME [DOCKER-RUN-OPTION...] [-- COMMAND...]: a detached container of $REPO:NAME; CID
boot() {
    local img=$REPO:$1 opts=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# = 0 ] || shift
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "${opts[@]}" "$img" "$@")
}

# services_are "run: NAME"...: sv status of every service in /etc/service is exactly these
# lines (their states and names), in that order
services_are() {
    local want got
    want=$(printf '%s\n' "$@")
    got=$(docker exec "$CID" sh -c 'sv status /etc/service/*' 2>&1 | sed -E 's|^([a-z]+): /etc/service/([^:]+):.*|\1: \2|')
    printf 'sv status:\n%s\n' "$got" > "$BATS_TEST_TMPDIR/last"
    [ "$got" = "$want" ]
}

health_is() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$CID")" = "$1" ]; }
exit_code() { docker inspect -f '{{.State.ExitCode}}' "$CID"; }
stop_exits_0() {
    docker stop -t 20 "$CID" > /dev/null
    assert_equal "$(exit_code)" 0
}

# ssh_in ARGS...: the host's ssh client, with a copy of the image's insecure key, to root in the
# container's network namespace
ssh_in() {
    local pid
    pid=$(docker inspect -f '{{.State.Pid}}' "$CID")
    nsenter -t "$pid" -n ssh -i "$BATS_TEST_TMPDIR/insecure_key" -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o ConnectTimeout=20 root@127.0.0.1 "$@"
}

@test "sshd enabled as baseimage-docker's README says: my_init --enable-insecure-key, ssh in with the insecure key, nothing down" {
    local d=$BATS_TEST_TMPDIR/sshd
    mkdir -p "$d"
    cat > "$d/Dockerfile" <<'EOF'
FROM @IMAGE@
# Enabling SSH: it is installed but off
RUN rm -f /etc/service/sshd/down
# Regenerate SSH host keys. baseimage-docker does not contain any, so you have to do that yourself.
RUN /etc/my_init.d/00_regen_ssh_host_keys.sh
RUN echo -n "from the Dockerfile" > /etc/container_environment/DOWNSTREAM_VAR
CMD ["/sbin/my_init", "--enable-insecure-key"]
EOF
    build sshd
    # the user's copy of the insecure key, from the image
    docker run --rm --platform "linux/$ARCH" --network none "$REPO:sshd" cat /etc/insecure_key > "$BATS_TEST_TMPDIR/insecure_key"
    chmod 0600 "$BATS_TEST_TMPDIR/insecure_key"
    boot sshd -e RUN_VAR=from-docker-run
    wait_for 60 services_are "run: cron" "run: sshd" "run: syslog"
    wait_for 60 ssh_in true
    run ssh_in 'id -un; hostname'
    assert_success
    assert_line root
    # an interactive login (no command: sshd starts a login shell) gets the container environment
    run ssh_in -T <<< 'echo "[$DOWNSTREAM_VAR] [$RUN_VAR]"; exit'
    assert_success
    assert_output --partial '[from the Dockerfile] [from-docker-run]'
    run docker logs "$CID"
    assert_output --partial 'Insecure SSH key installed'
    stop_exits_0
}

@test "sshd switched on in a running container, its host keys made there, not in the image" {
    mkdir -p "$BATS_TEST_TMPDIR/plain"
    echo 'FROM @IMAGE@' > "$BATS_TEST_TMPDIR/plain/Dockerfile"
    build plain
    run docker run --rm --platform "linux/$ARCH" --network none "$REPO:plain" sh -c 'ls /etc/ssh/ssh_host_* 2> /dev/null; cat /etc/insecure_key.pub; test -x /usr/sbin/enable_insecure_key && echo enable_insecure_key'
    assert_success
    assert_line --regexp '^ssh-ed25519 [A-Za-z0-9+/]+ cinit-insecure-key$'
    assert_line enable_insecure_key
    refute_output --partial ssh_host_
    boot plain
    wait_for 60 services_are "run: cron" "down: sshd" "run: syslog"
    docker cp "$CID:/etc/insecure_key" "$BATS_TEST_TMPDIR/insecure_key"
    chmod 0600 "$BATS_TEST_TMPDIR/insecure_key"
    run docker exec "$CID" enable_insecure_key
    assert_success
    assert_output --partial 'Success: insecure key has been added to /root/.ssh/authorized_keys'
    run docker exec "$CID" enable_insecure_key
    assert_output --partial 'has already been added'
    docker exec "$CID" sh -c 'rm /etc/service/sshd/down && sv up sshd'
    wait_for 60 services_are "run: cron" "run: sshd" "run: syslog"
    wait_for 60 ssh_in true
    run ssh_in 'ls /etc/ssh/ssh_host_ed25519_key'
    assert_success
    # the keys are the container's own: another container of the image makes others
    local first
    first=$(docker exec "$CID" ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)
    docker exec "$CID" /etc/my_init.d/00_regen_ssh_host_keys.sh -f > /dev/null
    [ "$(docker exec "$CID" ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)" != "$first" ]
    stop_exits_0
}

@test "docker exec … bash -l: login shells see /etc/container_environment, other users' stay silent" {
    local d=$BATS_TEST_TMPDIR/env
    mkdir -p "$d"
    cat > "$d/Dockerfile" <<'EOF'
FROM @IMAGE@
RUN echo -n "Apachai Hopachai" > /etc/container_environment/MY_NAME
EOF
    build env
    boot env -e RUN_VAR=from-docker-run
    wait_for 60 services_are "run: cron" "down: sshd" "run: syslog"
    run docker exec "$CID" bash -lc 'echo "[$MY_NAME] [$RUN_VAR]"'
    assert_success
    assert_output '[Apachai Hopachai] [from-docker-run]'
    # a user outside docker_env cannot read the environment: nothing is said about it
    run docker exec -u nobody "$CID" bash -lc 'echo "[${MY_NAME:-}] ok"'
    assert_success
    assert_output '[] ok'
    # an interactive shell on a terminal, as a user types it
    # shellcheck disable=SC2034 # read by test/lib/tty.bash
    T=$BATS_TEST_TMPDIR
    on_tty docker exec -it "$CID" bash -l
    keys 'echo "typed:[$MY_NAME]"\n'
    wait_for 60 seen 'typed:\[Apachai Hopachai\]'
    keys 'exit 0\n'
    tty_end
    assert_equal "$status" 0
    stop_exits_0
}

@test "apt-get install of a daemon and a runit service of one's own: only the user's services run, healthy, --wait-for-services" {
    local d=$BATS_TEST_TMPDIR/memcached
    mkdir -p "$d"
    cp "$FIX/memcached.sh" "$d/"
    cat > "$d/Dockerfile" <<'EOF'
FROM @IMAGE@
RUN apt-get update && apt-get install -y memcached && apt-get clean && rm -rf /var/lib/apt/lists/*
RUN install_clean less
RUN mkdir /etc/service/memcached
COPY memcached.sh /etc/service/memcached/run
RUN chmod +x /etc/service/memcached/run
EOF
    build memcached
    boot memcached --health-interval=1s --health-start-period=0s --health-retries=1
    # the packages' own runit services (trixie: runit's default-syslog) are not enabled
    wait_for 60 services_are "run: cron" "run: memcached" "down: sshd" "run: syslog"
    wait_for 120 health_is healthy
    answers() {
        docker exec "$CID" bash -c 'exec 3<>/dev/tcp/127.0.0.1/11211; printf "version\r\n" >&3; head -n 1 <&3' \
            > "$BATS_TEST_TMPDIR/last" 2>&1
        grep -q '^VERSION ' "$BATS_TEST_TMPDIR/last"
    }
    wait_for 60 answers
    # as the user memcache, through setuser
    run docker exec "$CID" sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" = memcached ] && stat -c %U $p; done'
    assert_output memcache
    local msg="downstream $RANDOM$RANDOM"
    docker exec "$CID" logger -t downstream "$msg"
    logs_have() { docker logs "$CID" 2>&1 | grep -qF -- "$msg"; }
    wait_for 30 logs_have
    stop_exits_0
    # the main command starts once every enabled service is ready
    run docker run --rm --platform "linux/$ARCH" --network none --label "$LABEL" "$REPO:memcached" \
        /sbin/my_init --wait-for-services=120 -- sh -c 'echo main command ran'
    assert_success
    assert_line 'main command ran'
}
