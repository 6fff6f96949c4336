# The cinit/base image (docs/design.md §2, docs/image.md): what a user of `FROM cinit/base` and of
# `docker run cinit/base` sees. Which image, suite, arch and flavor: test/lib/image.bash (links
# image-SUITE[-compat][-ARCH].bats to this file test those). The tests tagged smoke are the
# subset that tools/run-tests runs for the suites and arches it does not test in full
# (bats --filter-tags smoke).
# gate: minimal compat
# the single-quoted commands are for the shell in the container
# shellcheck disable=SC2016
load ../lib/common
load ../lib/wait
load ../lib/tty
load ../lib/image

image_test_label image
TEST_REPO=cinit-test/image-$SUITE-$RUN_ID

setup_file() {
    image_setup_file
}

teardown() {
    tty_teardown
    image_teardown
}

teardown_file() { image_teardown_file; }

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
@test "default boot: syslog and cron run, sshd is there but down, nothing else" {
    boot
    wait_for 10 up syslog cron
    run docker exec "$CID" sh -c 'sv status /etc/service/*'
    assert_success
    assert_line --regexp '^run: /etc/service/syslog: \(pid [0-9]+\)'
    assert_line --regexp '^run: /etc/service/cron: \(pid [0-9]+\)'
    # installed but off, as in baseimage-docker: rm /etc/service/sshd/down turns it on
    assert_line --regexp '^down: /etc/service/sshd: [0-9]+s$'
    assert_equal "${#lines[@]}" 3
    # PID 1 is cinit, started by the image's default command
    run docker exec "$CID" cat /proc/1/cmdline
    assert_output --partial my_init
    run docker inspect -f '{{json .Config.Cmd}}' "$IMAGE"
    assert_output '["/sbin/my_init"]'
}

# bats test_tags=smoke
@test "installing packages enables no service: trixie's runit trigger, a package's own runit service" {
    local d=$BATS_TEST_TMPDIR/pkgs
    mkdir -p "$d"
    # less touches /usr/bin (runit's dpkg trigger); cron is there already: reinstalling it runs
    # the postinst of a package of the image again
    printf 'FROM %s\nRUN install_clean less && install_clean --reinstall cron\n' "$IMAGE" > "$d/Dockerfile"
    run image_build "$TEST_REPO:pkgs" "$d"
    assert_success
    run docker_run --rm --label "$LABEL" "$TEST_REPO:pkgs" sh -c 'ls -A /etc/service'
    assert_output $'cron\nsshd\nsyslog'
    IMAGE=$TEST_REPO:pkgs boot --health-interval=1s --health-start-period=0s --health-retries=1
    health_is() { [ "$(docker inspect -f '{{.State.Health.Status}}' "$CID")" = "$1" ]; }
    wait_for 90 health_is healthy
    run docker_run --rm --label "$LABEL" "$TEST_REPO:pkgs" /sbin/my_init --wait-for-services=60 -- echo ready
    assert_success
    assert_line ready
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
    local name=cinit-image-tty-$RUN_ID-$BATS_TEST_NUMBER
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

# under_qemu_settle: on an arch run under qemu-user (arm64 here), a shell that set a trap or
# ignored TERM can still die of a TERM that comes within a fraction of a second of its start
# (seen with the image of before this round too, 1 time in 3; never on amd64): an artefact of
# the emulation, which users on arm64 hardware do not run under. The stop waits a moment there.
under_qemu_settle() { [ "$ARCH" = "$HOST_ARCH" ] || sleep 2; }

@test "docker stop: a main command's TERM handler decides the exit code" {
    boot -- /sbin/my_init -- sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for 10 logs_have ready
    under_qemu_settle
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 42
}

@test "docker stop: a main command that ignores TERM is killed: 137, never 0" {
    boot -e KILL_PROCESS_TIMEOUT=0.5 -- /sbin/my_init -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
    wait_for 10 logs_have ready
    under_qemu_settle
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
    # each subshell leaves an orphaned sleep behind, which PID 1 adopts; they live until killed
    # (a machine under load may take seconds to get to the first look: no sleep may end before)
    boot -- /sbin/my_init -- sh -c 'for i in 1 2 3 4 5; do (sleep 1000 &); done; echo ready; exec tail -f /dev/null'
    wait_for 10 logs_have ready
    # count PATTERN: processes whose "comm/state ppid ..." (from /proc/PID/stat) match PATTERN
    # (a process may be gone between the glob and the read)
    # shellcheck disable=SC2016
    local count='n=0; for f in /proc/[0-9]*/stat; do read -r s 2>/dev/null < "$f" || continue
        c=${s#*\(}; c=${c%%\)*}; case "$c/${s##*) }" in $1) n=$((n+1));; esac; done; echo $n'
    run docker exec "$CID" sh -c "$count" count 'sleep/? 1 *'
    assert_output 5
    # they end: PID 1 must reap each of them, no zombie stays
    docker exec "$CID" sh -c 'for f in /proc/[0-9]*; do [ "$(cat "$f/comm" 2>/dev/null)" = sleep ] && kill "${f#/proc/}"; done; true'
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

@test "docker run --user 1000: the services and the main command run as that user, with its exit code" {
    run docker_run --rm --label "$LABEL" --user 1000 "$IMAGE" /sbin/my_init -- sh -c '
        i=0; until sv status /etc/service/syslog | grep -q "^run:"; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done
        id -u; exit 7'
    assert_equal "$status" 7
    assert_line 1000
    assert_output --partial 'Running as uid 1000, gid 0: the services run as this user'
    refute_output --partial 'not starting runit services'
}

@test "docker run --read-only --tmpfs /run: services run, with-contenv works, clean stop" {
    boot --read-only --tmpfs /run -e CINIT_RO=read-only
    wait_for 10 up syslog cron
    run docker exec "$CID" with-contenv printenv CINIT_RO
    assert_output read-only
    docker stop -t 10 "$CID"
    assert_equal "$(exit_code)" 0
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
    run docker build --platform "linux/$ARCH" --network host --label "$LABEL" -t "$TEST_REPO:downstream" "$d"
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

@test "no perl; minimal: no python, no systemd either" {
    run docker_run --rm "$IMAGE" dpkg-query -W -f '${db:Status-Status} ${Package}\n'
    assert_success
    local installed forbidden='perl|perl-modules-.*|libperl.*'
    installed=$(awk '$1 == "installed" { print $2 }' <<< "$output")
    # the compat flavor has software-properties-common (add-apt-repository) where the suite has
    # it, as baseimage-docker's image has, and with it python3 and, on Ubuntu, packagekit's
    # systemd (installed, never run: PID 1 is cinit)
    [ "$FLAVOR" = compat ] || forbidden="$forbidden|python.*|libpython.*|systemd|systemd-sysv"
    # perl-base is Essential (dpkg, debconf and adduser are written in it) and stays
    run grep -E "^($forbidden)(:.*)?\$" <<< "$installed"
    assert_output ''
    grep -qx perl-base <<< "$installed"
    run docker_run --rm "$IMAGE" sh -c 'ls /usr/share/perl /usr/lib/*-linux-gnu/perl 2>/dev/null'
    assert_output ''
    if [ "$FLAVOR" = minimal ]; then
        run docker_run --rm "$IMAGE" sh -c 'ls /usr/bin/python* /usr/bin/systemctl /usr/lib/systemd/systemd /lib/systemd/systemd 2>/dev/null'
        assert_output ''
    fi
}

# The budgets, in MB (10^6 bytes, as docker images shows them), by flavor and arch. arm64's
# are larger for the same packages: Debian links arm64 ELF files for 64 KiB pages
# (-z max-page-size=65536), so each shared object and module carries padding up to its next
# 64 KiB boundary: trixie's ~250 gconv modules take 19.7 MB there against 8.4 MB on amd64, /usr/bin
# 33.5 MB against 26.8 (with sshd: trixie 91.9 MB amd64, 116.0 arm64; bookworm, the largest,
# 93.2 and 118.0; the budgets leave the nightly's updates some room). The compat flavor
# adds its tools, the locales and, where the suite has it, software-properties-common, which
# brings python3 and, on Ubuntu, packagekit with systemd, dbus and libicu: most of its weight
# (noble amd64: 86 -> 229 MB).
size_budget() {
    case $FLAVOR-$ARCH in
        minimal-amd64) echo 100 ;;
        minimal-arm64) echo 125 ;;
        compat-amd64) echo 250 ;;
        compat-arm64) echo 300 ;;
        *) echo 0 ;;
    esac
}

@test "image size within its flavor's and arch's budget" {
    local size budget
    size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
    budget=$(size_budget)
    echo "$IMAGE ($FLAVOR, $ARCH): $((size / 1000000)) MB, budget $budget MB" >&3
    [ "$budget" -gt 0 ]
    [ "$size" -le $((budget * 1000000)) ]
}

@test "cleaned up: no apt lists, caches, docs, man pages, other locales, logs" {
    # the compat flavor keeps the locales it generated (en_US.UTF-8, in locale-archive)
    local locales=C.utf8
    [ "$FLAVOR" = minimal ] || locales='C.utf8\|locale-archive'
    run docker_run --rm "$IMAGE" sh -c '
        find /var/lib/apt/lists /var/cache/apt /var/log -type f ! -name lock
        find /usr/share/doc -type f ! -name copyright
        find /usr/share/man /usr/share/info -mindepth 1
        find /usr/share/locale -mindepth 1 ! -name locale.alias
        ls /usr/lib/locale | grep -v -x "$1"
        find /tmp /var/tmp -mindepth 1
        ls /etc/machine-id 2>/dev/null' sh "$locales"
    assert_output ''
    # the copyright files stay, with the binaries they cover
    run docker_run --rm "$IMAGE" test -f /usr/share/doc/cron/copyright
    assert_success
}

@test "UTF-8 locale (minimal: C.UTF-8, no locales package; compat: en_US.UTF-8), DEBIAN_FRONTEND, OCI labels" {
    run docker_run --rm "$IMAGE" sh -c 'echo "$LANG $LC_ALL $DEBIAN_FRONTEND"; printf "\303\251t\303\251" | wc -m; dpkg -s locales > /dev/null 2>&1 || echo "no locales"'
    assert_line 3
    if [ "$FLAVOR" = minimal ]; then
        assert_line 'C.UTF-8 C.UTF-8 noninteractive'
        assert_line 'no locales'
    else
        assert_line 'en_US.UTF-8 en_US.UTF-8 noninteractive'
        refute_line 'no locales'
    fi
    local key
    for key in title description version ref.name base.name licenses; do
        run docker inspect -f "{{index .Config.Labels \"org.opencontainers.image.$key\"}}" "$IMAGE"
        refute_output ''
        refute_output '<no value>'
    done
    run docker inspect -f '{{index .Config.Labels "org.opencontainers.image.ref.name"}}' "$IMAGE"
    if [ "$FLAVOR" = minimal ]; then assert_output "$SUITE"; else assert_output "$SUITE-compat"; fi
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
