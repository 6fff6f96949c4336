# The compat flavor (cinit/base:SUITE-compat, image/compat): what baseimage-docker's image gives
# the Dockerfiles and shells of its users, used as they use it: tools called without installing
# them, `curl … | sh`, `locale-gen`, add-apt-repository, the en_US.UTF-8 locale,
# /var/log/syslog besides docker logs, rotated. The image under test: test/lib/image.bash.
# gate: compat
# shellcheck disable=SC2016 # the single-quoted commands are for the shell in the container
load ../lib/common
load ../lib/wait
load ../lib/image

image_test_label compat
REPO=cinit-test/compat-$SUITE-$ARCH-$RUN_ID

setup_file() {
    [ "$FLAVOR" = compat ] || { echo "compat.bats tests the compat flavor, not $FLAVOR (CINIT_FLAVOR)" >&2; return 1; }
    image_setup_file
}

teardown() { image_teardown; }

teardown_file() { image_teardown_file; }

wait_for_context() { [ ! -f "$BATS_TEST_TMPDIR/last" ] || cat "$BATS_TEST_TMPDIR/last"; }

# has FILE TEXT, logs_have TEXT: in container CID's FILE, in its docker logs
has() { docker exec "$CID" grep -qF -- "$2" "$1" 2> /dev/null; }
logs_have() { docker logs "$CID" 2>&1 | grep -qF -- "$1"; }
syslog_runs() { docker exec "$CID" sh -c 'sv status /etc/service/syslog | grep -q "^run:"'; }

in_image() { docker run --rm --platform "linux/$ARCH" --network none --label "$LABEL" "$IMAGE" "$@"; }

# does the suite have add-apt-repository (software-properties-common)? Debian dropped it after
# bookworm.
has_add_apt_repository() { [ "$SUITE" != trixie ]; }

@test "the tools baseimage-docker's users call without installing them" {
    run in_image sh -c 'for c in curl less vim.tiny vi killall pstree gpg-agent dirmngr apt-extracttemplates locale-gen update-ca-certificates logrotate; do
        command -v "$c" > /dev/null || echo "missing: $c"; done; ls /etc/ssl/certs/ca-certificates.crt'
    assert_success
    refute_output --partial missing
    if has_add_apt_repository; then
        run in_image sh -c 'command -v add-apt-repository'
        assert_success
    fi
}

@test "a Dockerfile in baseimage-docker's style builds unchanged: locale-gen, curl … | sh, add-apt-repository, apt-get" {
    local d=$BATS_TEST_TMPDIR/app
    mkdir -p "$d"
    cp "$SRC/test/fixtures/downstream/install.sh" "$d/"
    {
        echo "FROM $IMAGE"
        echo 'COPY install.sh /tmp/install.sh'
        echo 'RUN locale-gen en_US.UTF-8'
        # the usual one-line installer, here from a file: no network is needed for the pipe
        echo 'RUN curl -fsSL file:///tmp/install.sh | sh'
        if has_add_apt_repository; then
            case $SUITE in
                noble|jammy) echo 'RUN add-apt-repository -y multiverse' ;;
                *) echo 'RUN add-apt-repository -y contrib' ;;
            esac
        fi
        echo 'RUN apt-get update && apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*'
    } > "$d/Dockerfile"
    run image_build "$REPO:app" "$d"
    assert_success
    run docker run --rm --platform "linux/$ARCH" --network none "$REPO:app" sh -c 'cat /usr/local/share/curl-installed; jq -n 1+1'
    assert_success
    assert_line 'installed by curl | sh'
    assert_line 2
}

@test "the en_US.UTF-8 locale, set as baseimage-docker sets it" {
    run in_image sh -c 'locale 2>&1; locale -a'
    assert_success
    assert_line 'LANG=en_US.UTF-8'
    assert_line 'LANGUAGE=en_US:en'
    assert_line 'LC_ALL=en_US.UTF-8'
    assert_line --regexp '^en_US\.utf8$'
    refute_output --partial 'Cannot set'
    # the C library takes it: a multibyte character is one character
    run in_image sh -c 'printf "\303\251t\303\251" | wc -m'
    assert_output 3
    run docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE"
    assert_line 'LANG=en_US.UTF-8'
}

@test "Ubuntu: universe and multiverse are enabled" {
    run in_image cat /etc/apt/sources.list
    case $SUITE in
        noble|jammy)
            assert_line --regexp "^deb [^ ]+ $SUITE main restricted universe multiverse\$"
            assert_line --regexp "^deb [^ ]+ $SUITE-security main restricted universe multiverse\$" ;;
        *)  # Debian: its own components, as the minimal image has them
            assert_line --regexp "^deb [^ ]+ $SUITE main\$" ;;
    esac
}

@test "/var/log/syslog besides docker logs, rotated by logrotate without losing a line" {
    local msg="compat-syslog $RANDOM$RANDOM"
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" "$IMAGE")
    wait_for 60 syslog_runs
    docker exec "$CID" logger -t compattest "$msg"
    wait_for 30 has /var/log/syslog "$msg"
    wait_for 30 logs_have "$msg"
    # rotation: the old file moves aside, the daemon reopens a new one (sv hup), nothing is lost
    run docker exec "$CID" logrotate -f /etc/logrotate.d/cinit-syslogd
    assert_success
    docker exec "$CID" logger -t compattest "$msg after rotation"
    wait_for 30 has /var/log/syslog "$msg after rotation"
    run docker exec "$CID" sh -c 'ls /var/log/syslog*; grep -c compattest /var/log/syslog.1'
    assert_line /var/log/syslog.1
    assert_line 1
    # the size bound is checked every hour, not only daily
    run docker exec "$CID" sh -c 'grep -E "^[[:space:]]*maxsize" /etc/logrotate.d/cinit-syslogd; test -x /etc/cron.hourly/cinit-logrotate && echo hourly'
    assert_line --regexp 'maxsize [0-9]+M'
    assert_line hourly
    docker stop -t 20 "$CID" > /dev/null
    assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$CID")" 0
}

@test "read-only root filesystem: no /var/log/syslog, docker logs still gets every line" {
    local msg="compat-ro $RANDOM$RANDOM"
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" --read-only --tmpfs /run --tmpfs /tmp "$IMAGE")
    wait_for 60 syslog_runs
    docker exec "$CID" logger -t compattest "$msg"
    wait_for 30 logs_have "$msg"
    docker stop -t 20 "$CID" > /dev/null
    assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$CID")" 0
}
