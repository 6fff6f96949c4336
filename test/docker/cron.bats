# Cron in the image (docs/design.md §2, docs/logging.md#cron, docs/environment.md#cron-jobs): a
# job's output reaches docker logs, marked with its user and command, without a mail agent, a
# failing job's too; jobs see the container environment without with-contenv (root's and
# docker_env members' jobs only); a mail agent installed later takes over /usr/sbin/sendmail.
# The image under test: test/lib/image.bash.
# gate: minimal compat
# the single-quoted commands are for the shell in the container or for cron
# shellcheck disable=SC2016
load ../lib/common
load ../lib/wait
load ../lib/image

image_test_label cron
REPO=cinit-test/cron-$SUITE-$FLAVOR-$ARCH-$RUN_ID

setup_file() {
    image_setup_file
}

teardown() { image_teardown; }

teardown_file() { image_teardown_file; }

wait_for_context() {
    [ -z "${CID:-}" ] || { echo "docker logs:"; docker logs "$CID" 2>&1 | tail -n 30; }
}

# crontab LINE...: /etc/cron.d/cinit-test for the next boot (cron wants it root's, not writable
# by others, and ended by a newline)
crontab() {
    mkdir -p "$BATS_TEST_TMPDIR/cron"
    printf '%s\n' "$@" > "$BATS_TEST_TMPDIR/cron/cinit-test"
    chmod 0644 "$BATS_TEST_TMPDIR/cron/cinit-test"
}

# boot [DOCKER-RUN-OPTION...] [-- COMMAND...]: a detached container of the image with the
# crontab above; CID is its id
boot() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# = 0 ] || shift
    CID=$(docker run -d --platform "linux/$ARCH" --network none --label "$LABEL" \
        -v "$BATS_TEST_TMPDIR/cron/cinit-test:/etc/cron.d/cinit-test:ro" "${opts[@]}" "$IMAGE" "$@")
}

logs_have() { docker logs "$CID" 2>&1 | grep -qF -- "$1"; }
in_logs() { docker logs "$CID" 2>&1 | grep -F -- "$1"; }
# written FILE...: each file is in the container and not empty (a job wrote it)
written() {
    local f
    for f; do docker exec "$CID" test -s "$f" || return 1; done
}

# bats test_tags=smoke
@test "a job's output reaches docker logs, each line marked with the user and the command" {
    # = and é: cron sends them quoted-printable on trixie and noble; the long line is cut by
    # a soft line break there
    long=$(printf 'x%.0s' {1..100})
    crontab "@reboot root echo 'out a=b café $long'; echo 'err line' >&2"
    boot
    # (cron's own line for the job has its command: wait for the output's)
    wait_for 20 logs_have ") err line"
    run in_logs " OUT (echo "
    assert_line --regexp "^cron\.info CRON\[[0-9]+\]: \(root\) OUT \(echo 'out a=b café $long'; echo 'err line' >&2\) out a=b café $long\$"
    assert_line --regexp "^cron\.info CRON\[[0-9]+\]: \(root\) OUT \(echo .*\) err line\$"
    # the pid of the lines is the one of cron's own line for the job
    pid=$(in_logs " OUT (echo " | head -n1 | sed -E 's/^[^[]*\[([0-9]+)\].*/\1/')
    run in_logs "CRON[$pid]: (root) CMD ("
    assert_success
    run in_logs "No MTA installed"
    assert_failure
    # the compat flavor's /var/log/syslog has them too, as everything sent to syslog
    if [ "$FLAVOR" = compat ]; then
        run docker exec "$CID" grep -F "(root) OUT (echo " /var/log/syslog
        assert_line --partial ") err line"
    fi
}

# bats test_tags=smoke
@test "a failing job's output is there too, and its failure" {
    crontab '@reboot root echo "about to fail"; exit 3'
    boot
    wait_for 20 logs_have ") about to fail"
    run in_logs ") about to fail"
    assert_output --regexp '^cron\.warning CRON\[[0-9]+\]: \(root\) OUT \(echo "about to fail"; exit 3\) about to fail$'
    pid=$(in_logs ") about to fail" | sed -E 's/^[^[]*\[([0-9]+)\].*/\1/')
    wait_for 10 logs_have "CRON[$pid]: (CRON) error (grandchild #"
    run in_logs "CRON[$pid]: (CRON) error (grandchild #"
    assert_output --partial "failed with exit status 3"
}

# bats test_tags=smoke
@test "a job reads a docker run -e variable without with-contenv" {
    crontab '@reboot root echo "[$CINIT_CRON] [$CINIT_ODD]" > /tmp/job-env'
    boot -e CINIT_CRON=from-docker-run -e "CINIT_ODD=it's \"quoted\" \$HOME \\ @{x} ünï"
    wait_for 20 written /tmp/job-env
    run docker exec "$CID" cat /tmp/job-env
    assert_output "[from-docker-run] [it's \"quoted\" \$HOME \\ @{x} ünï]"
}

@test "values pam_env cannot carry are left out and named in docker logs; with-contenv has them exactly" {
    # with-contenv, as baseimage-docker's users write their jobs
    crontab '@reboot root echo "[$CINIT_LINES] [$CINIT_HASH] [$CINIT_PLAIN]" > /tmp/plain' \
        '@reboot root with-contenv sh -c '\''printf "%s|%s" "$CINIT_LINES" "$CINIT_HASH" > /tmp/exact'\'
    # (cron reads % as a newline: the second job is written with \%)
    sed -i 's/printf "%s|%s"/printf "\\%s|\\%s"/' "$BATS_TEST_TMPDIR/cron/cinit-test"
    boot -e $'CINIT_LINES=one\ntwo' -e 'CINIT_HASH=a#b' -e CINIT_PLAIN=plain
    wait_for 20 written /tmp/plain /tmp/exact
    run docker exec "$CID" cat /tmp/plain
    assert_output "[] [] [plain]"
    run docker exec "$CID" cat /tmp/exact
    assert_output $'one\ntwo|a#b'
    run in_logs "cron: left out of cron jobs' environment"
    assert_output --partial "CINIT_HASH CINIT_LINES"
    refute_output --partial "a#b"
}

@test "other users' jobs: their output is logged; the environment only for members of docker_env" {
    crontab '@reboot cinitin echo "in [$CINIT_SECRET]"' '@reboot cinitout echo "out [$CINIT_SECRET]"'
    boot -e CINIT_SECRET=s3cret -- sh -c 'useradd -M -G docker_env cinitin && useradd -M cinitout && exec /sbin/my_init'
    wait_for 20 logs_have "(cinitout) OUT ("
    wait_for 20 logs_have "(cinitin) OUT ("
    run in_logs "(cinitin) OUT ("
    assert_output --partial "in [s3cret]"
    run in_logs "(cinitout) OUT ("
    assert_output --partial "out []"
    # nor does cron itself keep it, for the mailer it starts as that user to inherit
    run docker exec "$CID" sh -c 'for p in /proc/[0-9]*; do [ "$(cat "$p/comm")" != cron ] || tr "\0" "\n" < "$p/environ"; done'
    assert_success
    assert_line --regexp '^PATH='
    refute_output --partial s3cret
}

@test "with the syslog service down, a job's output still reaches docker logs" {
    crontab '@reboot root echo "no syslog here"'
    boot -- sh -c 'touch /etc/service/syslog/down && exec /sbin/my_init'
    wait_for 20 logs_have ") no syslog here"
    run in_logs ") no syslog here"
    assert_output --regexp '^cron\.info CRON\[[0-9]+\]: \(root\) OUT \(echo "no syslog here"\) no syslog here$'
}

@test "a mail agent installed later replaces the logging sendmail; dpkg does not complain" {
    local d=$BATS_TEST_TMPDIR/mta
    mkdir -p "$d"
    run docker run --rm --network none "$IMAGE" sh -c 'readlink /usr/sbin/sendmail; dpkg -S /usr/sbin/sendmail'
    assert_line /usr/libexec/cinit-cron/sendmail
    assert_line --partial "no path found matching pattern"
    printf 'FROM %s\nRUN install_clean msmtp-mta\n' "$IMAGE" > "$d/Dockerfile"
    run docker build --platform "linux/$ARCH" --network host --label "$LABEL" -t "$REPO:mta" "$d"
    assert_success
    refute_output --partial "trying to overwrite"
    run docker run --rm --network none "$REPO:mta" sh -c 'dpkg -S /usr/sbin/sendmail; readlink -f /usr/sbin/sendmail'
    assert_line "msmtp-mta: /usr/sbin/sendmail"
    refute_output --partial cinit-cron
}

@test "docker run --read-only --tmpfs /run --tmpfs /tmp: jobs get the container environment and log" {
    crontab '@reboot root echo "ro [$CINIT_RO]"'
    # cron keeps a job's output in a file under /tmp (without one it runs no job: "create tmpfile")
    boot --read-only --tmpfs /run --tmpfs /tmp -e CINIT_RO=read-only
    wait_for 20 logs_have ") ro ["
    run in_logs ") ro ["
    assert_output --regexp '^cron\.info CRON\[[0-9]+\]: \(root\) OUT \(echo "ro \[\$CINIT_RO\]"\) ro \[read-only\]$'
}
