# The cinit/base image (DESIGN.md §2, README "The image"): what a user of `FROM cinit/base` and of
# `docker run cinit/base` sees.
# image.bats tests cinit/base:$CINIT_SUITE (default trixie), or the image CINIT_IMAGE names (the
# nightly gate passes its candidate); image-SUITE.bats and image-SUITE-ARCH.bats, links to this
# file, test SUITE (for ARCH). An image of a foreign ARCH (run under qemu, tools/ensure-binfmt)
# is built as cinit-test/base:SUITE-ARCH, never under the user's cinit/base tags.
# Without CINIT_IMAGE, setup_file runs `make image SUITE=... ARCH=...` (all cached when nothing
# changed). The tests tagged smoke are the subset that tools/run-tests runs for the suites and
# arches it does not test in full (bats --filter-tags smoke).
# the single-quoted commands are for the shell in the container
# shellcheck disable=SC2016
load ../lib/common
load ../lib/wait
load ../lib/tty

name=$(basename "$BATS_TEST_FILENAME" .bats)
HOST_ARCH=$(dpkg --print-architecture)
case $name in
    image-*)
        SUITE=${name#image-} ARCH=
        case $SUITE in *-*) ARCH=${SUITE#*-} SUITE=${SUITE%%-*} ;; esac
        ARCH=${ARCH:-$HOST_ARCH}
        if [ "$ARCH" = "$HOST_ARCH" ]; then
            IMAGE=cinit/base:$SUITE MAKE_IMAGE=()
        else
            IMAGE=cinit-test/base:$SUITE-$ARCH MAKE_IMAGE=(IMAGE=cinit-test/base TAGS="$SUITE-$ARCH")
        fi ;;
    *) SUITE=${CINIT_SUITE:-trixie} ARCH=${CINIT_ARCH:-$HOST_ARCH} MAKE_IMAGE=()
       IMAGE=${CINIT_IMAGE:-cinit/base:${CINIT_SUITE:-trixie}} ;;
esac
# the containers and images of this run of this file carry this label (and the images this
# name): only they are removed afterwards, never those of other runs or of other suites
run_id=$(basename "$BATS_RUN_TMPDIR" | tr -c 'a-zA-Z0-9\n' - | tr '[:upper:]' '[:lower:]')
LABEL=cinit-test=image-$SUITE-$run_id
TEST_REPO=cinit-test/image-$SUITE-$run_id

setup_file() {
    if [ "$name" != image ] || [ -z "${CINIT_IMAGE:-}" ]; then
        make -s -C "$SRC" image SUITE="$SUITE" ARCH="$ARCH" "${MAKE_IMAGE[@]}" > "$BATS_FILE_TMPDIR/make-image.log" 2>&1 ||
            { cat "$BATS_FILE_TMPDIR/make-image.log" >&2; return 1; }
    fi
    docker image inspect "$IMAGE" > /dev/null
}

teardown() {
    tty_teardown
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f > /dev/null
}

teardown_file() {
    teardown
    docker images -q --filter "label=$LABEL" | sort -u | xargs -r docker rmi -f > /dev/null 2>&1 || :
    docker images -q "$TEST_REPO-sshd" | sort -u | xargs -r docker rmi -f > /dev/null 2>&1 || :
}

# what wait_for shows on a time-out: the last output a test kept, or what its terminal showed
wait_for_context() {
    [ ! -f "$BATS_TEST_TMPDIR/last" ] || cat "$BATS_TEST_TMPDIR/last"
    [ ! -f "$BATS_TEST_TMPDIR/out" ] || { echo "terminal output:"; cat -v "$BATS_TEST_TMPDIR/out"; }
}

# docker run of the image's own platform: for a foreign arch Docker would otherwise print a
# platform warning into the output the tests look at
docker_run() { docker run --platform "linux/$ARCH" "$@"; }

# boot [DOCKER-RUN-OPTION...] [-- COMMAND...]: a detached container of the image; CID is its id
boot() {
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
    [ $# = 0 ] || shift
    CID=$(docker_run -d --label "$LABEL" "${opts[@]}" "$IMAGE" "$@")
}

# up NAME...: each service is "run:" in sv status, since a whole second (not crash-looping)
up() { up_for 1 "$@"; }
# up_for N NAME...: the same, since N whole seconds on sv's clock (which counts seconds
# boundaries crossed: its "1s" may be 0.1 s)
up_for() {
    local out n min=$1
    shift
    out=$(docker exec "$CID" sh -c 'sv status /etc/service/*' 2>&1) || return 1
    printf 'sv status: %s\n' "$out" > "$BATS_TEST_TMPDIR/last"
    for n; do
        [[ $out =~ (^|$'\n')"run: /etc/service/$n: (pid "[0-9]+") "([0-9]+)s ]] || return 1
        [ "${BASH_REMATCH[2]}" -ge "$min" ] || return 1
    done
}

# exit code of the stopped container CID
exit_code() { docker inspect -f '{{.State.ExitCode}}' "$CID"; }

logs_have() { docker logs "$CID" 2>&1 | grep -qF -- "$1"; }

# bats test_tags=smoke
@test "default boot: syslog and cron run, sshd is not there" {
    boot
    wait_for 10 up syslog cron
    run docker exec "$CID" sh -c 'sv status /etc/service/*'
    assert_success
    assert_line --regexp '^run: /etc/service/syslog: \(pid [0-9]+\)'
    assert_line --regexp '^run: /etc/service/cron: \(pid [0-9]+\)'
    refute_output --partial sshd
    assert_equal "${#lines[@]}" 2
    # PID 1 is cinit, started by the image's default command
    run docker exec "$CID" cat /proc/1/cmdline
    assert_output --partial my_init
    run docker inspect -f '{{json .Config.Cmd}}' "$IMAGE"
    assert_output '["/sbin/my_init"]'
}

# bats test_tags=smoke
@test "logger reaches docker logs through cinit-syslogd" {
    boot
    wait_for 10 up syslog
    local msg="cinit-image-test $RANDOM$RANDOM"
    docker exec "$CID" logger -t imagetest -p local3.warning "$msg"
    wait_for 10 logs_have "$msg"
    run docker logs "$CID"
    assert_output --regexp "imagetest.*$msg"
}

# bats test_tags=smoke
@test "docker stop of the default boot: cinit stops the services itself, exit 0" {
    boot
    # booted: the services have run for a second (runsv waits a second after a service that
    # ran less than that, whatever stopped it)
    wait_for 10 up_for 2 syslog cron
    local start end
    start=$(now_ms)
    docker stop -t 10 "$CID"
    end=$(now_ms)
    # 0, not 137: cinit ended by itself on SIGTERM, before docker's SIGKILL of the time-out
    assert_equal "$(exit_code)" 0
    run docker logs "$CID"
    assert_output --partial 'Shutting down runit daemon'
    echo "docker stop took $((end - start)) ms" >&3
}

# a process of container $1 called $2 (its /proc, without procps)
has_proc() {
    docker exec "$1" sh -c 'cat /proc/[0-9]*/comm 2> /dev/null' | grep -qx "$2"
}

# bats test_tags=smoke
@test "docker run -it IMAGE /sbin/my_init -- bash -l: typed commands, ^C of a sleep, exit 3 is the container's status" {
    # shellcheck disable=SC2034 # read by test/lib/tty.bash
    T=$BATS_TEST_TMPDIR
    local name=cinit-image-tty-$run_id-$BATS_TEST_NUMBER
    on_tty docker run --platform "linux/$ARCH" -it --rm --name "$name" --label "$LABEL" --network none \
        "$IMAGE" /sbin/my_init -- bash -l
    # the bounds are for an arch under emulation, several times slower
    wait_for 60 seen 'Running bash -l'
    keys 'echo typed-$((40+2))\n'
    wait_for 60 seen typed-42
    keys 'sleep 1000\n'
    wait_for 60 has_proc "$name" sleep
    keys '\003'
    keys 'echo after-$?\n'
    wait_for 60 seen after-130
    keys 'exit 3\n'
    tty_end
    assert_equal "$status" 3
    assert_output --partial "bash -l exited with status 3."
}

# bats test_tags=smoke
@test "a main command's exit code is the container's" {
    run docker_run --rm --label "$LABEL" "$IMAGE" /sbin/my_init -- sh -c 'exit 3'
    assert_equal "$status" 3
    run docker_run --rm --label "$LABEL" "$IMAGE" /sbin/my_init -- sh -c 'kill -KILL $$'
    assert_equal "$status" 137
    assert_output --partial 'was killed by signal 9'
}

@test "docker stop: a main command's TERM handler decides the exit code" {
    boot -- /sbin/my_init -- sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for 10 logs_have ready
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 42
}

@test "docker stop: a main command that ignores TERM is killed: 137, never 0" {
    boot -e KILL_PROCESS_TIMEOUT=0.5 -- /sbin/my_init -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for 10 logs_have ready
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 137
}

# bats test_tags=smoke
@test "docker run -e: in /etc/container_environment, .sh (0640 root:docker_env), with-contenv" {
    local value="it's a \"value\" with spaces"
    boot -e "CINIT_IMAGE_TEST=$value"
    wait_for 10 up cron
    run docker exec "$CID" cat /etc/container_environment/CINIT_IMAGE_TEST
    assert_output "$value"
    run docker exec "$CID" stat -c '%a %U:%G' /etc/container_environment.sh /etc/container_environment.json
    assert_output $'640 root:docker_env\n640 root:docker_env'
    run docker exec "$CID" sh -c '. /etc/container_environment.sh && printf "%s" "$CINIT_IMAGE_TEST"'
    assert_output "$value"
    # docker exec does not see what is set later in the container environment; with-contenv does
    docker exec "$CID" contenv set CINIT_LATER 'set later'
    run docker exec "$CID" printenv CINIT_LATER
    assert_failure
    run docker exec "$CID" with-contenv sh -c 'printf "%s|%s" "$CINIT_LATER" "$CINIT_IMAGE_TEST"'
    assert_output "set later|$value"
}

@test "zombies are reaped inside the container" {
    # each subshell leaves an orphaned sleep behind, which PID 1 adopts and must reap
    boot -- /sbin/my_init -- sh -c 'for i in 1 2 3 4 5; do (sleep 3 &); done; echo ready; exec tail -f /dev/null'
    wait_for 10 logs_have ready
    # count PATTERN: processes whose "comm/state ppid ..." (from /proc/PID/stat) match PATTERN
    # shellcheck disable=SC2016
    local count='n=0; for f in /proc/[0-9]*/stat; do read -r s < "$f" 2>/dev/null || continue
        c=${s#*\(}; c=${c%%\)*}; case "$c/${s##*) }" in $1) n=$((n+1));; esac; done; echo $n'
    run docker exec "$CID" sh -c "$count" count 'sleep/? 1 *'
    assert_output 5
    orphans_gone() { [ "$(docker exec "$CID" sh -c "$count" count 'sleep/? 1 *')" = 0 ]; }
    wait_for 10 orphans_gone
    run docker exec "$CID" sh -c "$count" count '*/Z *'
    assert_output 0
}

@test "setuser runs a command as another user" {
    run docker_run --rm --label "$LABEL" "$IMAGE" /sbin/my_init --quiet -- \
        setuser nobody sh -c 'echo "$(id -u):$(id -g) $USER $HOME"'
    assert_success
    assert_line '65534:65534 nobody /nonexistent'
}

@test "docker run --user 1000: the main command runs, with its exit code" {
    run docker_run --rm --label "$LABEL" --user 1000 "$IMAGE" /sbin/my_init -- sh -c 'id -u; exit 7'
    assert_equal "$status" 7
    assert_line 1000
    assert_output --partial 'WARNING: not running as root'
}

@test "docker run --read-only --tmpfs /run: services run, with-contenv works, clean stop" {
    boot --read-only --tmpfs /run -e CINIT_RO=read-only
    wait_for 10 up syslog cron
    run docker exec "$CID" with-contenv printenv CINIT_RO
    assert_output read-only
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 0
}

@test "cron runs jobs, and with-contenv gives them the container environment" {
    mkdir -p "$BATS_TEST_TMPDIR/cron"
    # shellcheck disable=SC2016 # expanded by the job's shell
    echo '@reboot root with-contenv sh -c '\''echo "$CINIT_CRON" > /tmp/cron-ran'\' > "$BATS_TEST_TMPDIR/cron/imagetest"
    chmod 0644 "$BATS_TEST_TMPDIR/cron/imagetest"
    boot -e CINIT_CRON=from-cron -v "$BATS_TEST_TMPDIR/cron/imagetest:/etc/cron.d/imagetest:ro"
    ran() { docker exec "$CID" test -s /tmp/cron-ran; }
    wait_for 15 ran
    run docker exec "$CID" cat /tmp/cron-ran
    assert_output from-cron
}

# bats test_tags=smoke
@test "FROM cinit/base: install_clean a package and add a runit service" {
    local d=$BATS_TEST_TMPDIR/downstream
    mkdir -p "$d/web"
    printf '#!/bin/sh\nexec 2>&1\nexec nginx -g "daemon off;"\n' > "$d/web/run"
    chmod 0755 "$d/web/run"
    # shellcheck disable=SC2028 # the \n is nginx's
    echo 'server { listen 127.0.0.1:8080; location / { return 200 "downstream ok\n"; } }' > "$d/test.conf"
    cat > "$d/Dockerfile" <<EOF
FROM $IMAGE
RUN install_clean nginx && rm -f /etc/nginx/sites-enabled/default
COPY test.conf /etc/nginx/conf.d/
COPY web /etc/service/web
EOF
    run docker build --network host --label "$LABEL" -t "$TEST_REPO:downstream" "$d"
    assert_success
    IMAGE=$TEST_REPO:downstream boot
    wait_for 15 up web syslog cron
    # runsv's "up" is nginx started, not yet listening: under qemu that can take seconds more
    served() {
        docker exec "$CID" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3' \
            > "$BATS_TEST_TMPDIR/last" 2>&1
        grep -q 'downstream ok' "$BATS_TEST_TMPDIR/last"
    }
    wait_for 30 served
    # install_clean left no package lists behind
    run docker_run --rm "$TEST_REPO:downstream" find /var/lib/apt/lists -type f ! -name lock
    assert_output ''
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 0
}

@test "WITH_SSHD=yes: sshd is there but down; once enabled it accepts connections" {
    run make -s -C "$SRC" image SUITE="$SUITE" WITH_SSHD=yes IMAGE="$TEST_REPO-sshd" TAGS="$SUITE"
    assert_success
    local sshd_image=$TEST_REPO-sshd:$SUITE
    # no host key is baked into the image: each container makes its own
    run docker_run --rm "$sshd_image" sh -c 'ls /etc/ssh/ssh_host_* 2>/dev/null'
    assert_output ''
    IMAGE=$sshd_image boot
    wait_for 10 up syslog cron
    run docker exec "$CID" sv status /etc/service/sshd
    assert_output --regexp '^down: /etc/service/sshd: [0-9]+s$'
    docker exec "$CID" sh -c 'rm /etc/service/sshd/down && sv up /etc/service/sshd'
    wait_for 20 up sshd
    banner() { docker exec "$CID" bash -c 'exec 3<>/dev/tcp/127.0.0.1/22; head -n 1 <&3' | grep -q '^SSH-2.0-OpenSSH'; }
    wait_for 10 banner
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 0
}

@test "no perl, no python, no systemd" {
    run docker_run --rm "$IMAGE" dpkg-query -W -f '${db:Status-Status} ${Package}\n'
    assert_success
    local installed
    installed=$(awk '$1 == "installed" { print $2 }' <<< "$output")
    # perl-base is Essential (dpkg, debconf and adduser are written in it) and stays
    run grep -E '^(perl|perl-modules-.*|libperl.*|python.*|libpython.*|systemd|systemd-sysv)(:.*)?$' <<< "$installed"
    assert_output ''
    grep -qx perl-base <<< "$installed"
    run docker_run --rm "$IMAGE" sh -c 'ls /usr/bin/python* /usr/share/perl /usr/lib/x86_64-linux-gnu/perl \
        /usr/bin/systemctl /usr/lib/systemd/systemd /lib/systemd/systemd 2>/dev/null'
    assert_output ''
}

@test "image size within the budget (100 MB)" {
    local size
    size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
    echo "$IMAGE: $((size / 1000000)) MB" >&3
    [ "$size" -le 100000000 ]
}

@test "cleaned up: no apt lists, caches, docs, man pages, other locales, logs" {
    run docker_run --rm "$IMAGE" sh -c '
        find /var/lib/apt/lists /var/cache/apt /var/log -type f ! -name lock
        find /usr/share/doc -type f ! -name copyright
        find /usr/share/man /usr/share/info -mindepth 1
        find /usr/share/locale -mindepth 1 ! -name locale.alias
        ls /usr/lib/locale | grep -v -x C.utf8
        find /tmp /var/tmp -mindepth 1
        ls /etc/machine-id 2>/dev/null'
    assert_output ''
    # the copyright files stay, with the binaries they cover
    run docker_run --rm "$IMAGE" test -f /usr/share/doc/cron/copyright
    assert_success
}

@test "UTF-8 locale (C.UTF-8, no locales package), DEBIAN_FRONTEND, OCI labels" {
    run docker_run --rm "$IMAGE" sh -c 'echo "$LANG $LC_ALL $DEBIAN_FRONTEND"; printf "\303\251t\303\251" | wc -m; dpkg -s locales > /dev/null 2>&1 || echo "no locales"'
    assert_line 'C.UTF-8 C.UTF-8 noninteractive'
    assert_line 3
    assert_line 'no locales'
    local key
    for key in title description version ref.name base.name licenses; do
        run docker inspect -f "{{index .Config.Labels \"org.opencontainers.image.$key\"}}" "$IMAGE"
        refute_output ''
        refute_output '<no value>'
    done
    run docker inspect -f '{{index .Config.Labels "org.opencontainers.image.ref.name"}}' "$IMAGE"
    assert_output "$SUITE"
    run docker inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$IMAGE"
    assert_output "$(sed -n '1s/.*(\(.*\)-[^-]*).*/\1/p' "$SRC/debian/changelog")"
}

# bats test_tags=smoke
@test "the image is of its architecture: dpkg's, and the machine of cinit's ELF header" {
    run docker_run --rm --label "$LABEL" "$IMAGE" dpkg --print-architecture
    assert_output "$ARCH"
    local machine
    case $ARCH in amd64) machine=3e00 ;; arm64) machine=b700 ;; *) machine=unknown ;; esac
    # e_machine, at offset 18 of the ELF header, little-endian
    run docker_run --rm --label "$LABEL" "$IMAGE" sh -c 'od -A n -t x1 -j 18 -N 2 /usr/sbin/cinit | tr -d " "'
    assert_output "$machine"
}

# bats test_tags=smoke
@test "the package builds in the suite with the suite's own dpkg-buildflags and no warning at all" {
    # what the image build copied out of its deb stage (tools/mkimage): dpkg-buildpackage's
    # output, and the compiler and the suite's CFLAGS for ARCH
    local log=$BIN/deb-$SUITE-$ARCH.log flags=$BIN/deb-$SUITE-$ARCH.flags cc cflags ncc
    [ -s "$log" ] && [ -s "$flags" ]
    cc=$(sed -n 's/^cc //p' "$flags")
    cflags=$(sed -n 's/^cflags //p' "$flags")
    [ -n "$cc" ] && [ -n "$cflags" ]
    echo "$SUITE $ARCH: $cc $(sed -n 's/^version //p' "$flags"), CFLAGS $cflags" >&3
    # the package is for ARCH, whichever the machine that built it
    grep -qE "^dpkg-deb: building package 'cinit-tools' in '[^']*_$ARCH\.deb'" "$log"
    # every compiler run has the suite's flags, and none has the developers' -Werror; the
    # static programs are compiled by the suite's musl-gcc (for ARCH), wrapping the same cc
    ncc=$(grep -cE "^(musl-gcc|$cc) .* -c -o " "$log")
    [ "$ncc" -gt 0 ]
    assert_equal "$(grep -E "^(musl-gcc|$cc) .* -c -o " "$log" | grep -cF -- " $cflags ")" "$ncc"
    run grep -E ' -Werror( |$)' "$log"
    assert_output ''
    run grep -iE 'warning' "$log"
    assert_output ''
}
