# shellcheck shell=bash disable=SC2154 # work, build, top and the settings: set by bench/run
# bench/run's Docker part (sourced, runs outside the namespaces): the image against the bare
# rootfs, and the same image grown to many services and a large environment.
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

# IMG_ARGS: how to run a command in image variant $1 (base: under my_init; rootfs: bare;
# rootfs-init: docker's own init, which is tini; scaleN: the base image with N more services)
image_args() {
    case $1 in
        base) IMG_ARGS=("$BASE_IMAGE" /sbin/my_init --) ;;
        rootfs) IMG_ARGS=("$ROOTFS_IMAGE") ;;
        rootfs-init) IMG_ARGS=(--init "$ROOTFS_IMAGE") ;;
        scale*) IMG_ARGS=("${SCALE_ENV_ARGS[@]}" "$SCALE_IMAGE:${1#scale}" /sbin/my_init --) ;;
    esac
}

# timed_run VARIANT KEY CMD...: RUNS_IMAGE times `docker run --rm`; samples of
# docker run -> the mark CMD prints (KEY.boot) and the mark -> container gone (KEY.end)
timed_run() {
    local v=$1 key=$2 t0 t1 out
    shift 2
    image_args "$v"
    for _ in $(seq "$RUNS_IMAGE"); do
        t0=$(now_us)
        # the services of the image write to the same stdout: the mark finds our line
        out=$(docker run --rm --network none "${IMG_ARGS[@]}" "$@" 2> "$work/docker.log" |
            sed -n 's/^bench-mark:\([0-9]\{16\}\)$/\1/p') || true
        t1=$(now_us)
        if [ -z "$out" ]; then
            say "FAILED: docker run ${IMG_ARGS[*]:0:3}... $*"
            tail -n 5 "$work/docker.log" | sed 's/^/bench:   /' >&2
            : > "$work/raw/$key.boot.fail"
            return
        fi
        echo $((out - t0)) >> "$work/raw/$key.boot"
        echo $((t1 - out)) >> "$work/raw/$key.end"
        echo $((t1 - t0)) >> "$work/raw/$key.run"
    done
}

# docker stop of `sleep infinity` as the main command, RUNS times
stop_runs() {
    local v=$1 runs=$2 cid n t0 t1
    image_args "$v"
    for _ in $(seq "$runs"); do
        cid=$(docker run -d --network none "${IMG_ARGS[@]}" sleep infinity)
        n=0 # stop only once the main command runs (bounded wait)
        until docker top "$cid" 2> /dev/null | grep -q ' sleep infinity$'; do
            n=$((n + 1))
            if [ "$n" -gt 600 ]; then
                say "FAILED: sleep never started in $v"
                docker rm -f "$cid" > /dev/null
                : > "$work/raw/stop.$v.fail"
                return
            fi
            sleep 0.05
        done
        sleep 1.5 # as most containers are stopped: well after their services started
        t0=$(now_us)
        docker stop "$cid" > /dev/null
        t1=$(now_us)
        echo $((t1 - t0)) >> "$work/raw/stop.$v"
        docker rm -f "$cid" > /dev/null
    done
}

# the base image with N more runit services (a shell that sleeps), built once per N
scale_image() {
    local n=$1 ctx=$work/scale-$1 i
    mkdir -p "$ctx/service"
    for i in $(seq "$n"); do
        mkdir -p "$ctx/service/bench$i"
        printf '#!/bin/sh\nexec sleep infinity\n' > "$ctx/service/bench$i/run"
        chmod +x "$ctx/service/bench$i/run"
    done
    printf 'FROM %s\nCOPY service/ /etc/service/\n' "$BASE_IMAGE" > "$ctx/Dockerfile"
    docker build -q -t "$SCALE_IMAGE:$n" "$ctx" > /dev/null 2> "$work/docker.log"
}

# SCALE_ENV_ARGS: `-e NAME` for VARS variables, BIG of them 64 KiB long, the rest short;
# the values go through docker's environment, as a CI job's would
scale_env() {
    local vars=$1 big=$2 i v
    SCALE_ENV_ARGS=()
    v=$(head -c 49152 /dev/urandom | base64 -w 0)
    for i in $(seq "$vars"); do
        if [ "$i" -le "$big" ]; then
            export "BENCH_BIG_$i=$v"
            SCALE_ENV_ARGS+=(-e "BENCH_BIG_$i")
        else
            export "BENCH_VAR_$i=value number $i"
            SCALE_ENV_ARGS+=(-e "BENCH_VAR_$i")
        fi
    done
}

docker_bench() {
    local v img n mark ready
    if ! command -v docker > /dev/null || ! docker info > /dev/null 2>&1; then
        say "no Docker engine answers: no image figures"
        record image.missing "no Docker engine"
        return
    fi
    for v in base rootfs; do
        img=$BASE_IMAGE
        [ "$v" = base ] || img=$ROOTFS_IMAGE
        if ! docker image inspect "$img" > /dev/null 2>&1; then
            say "$img is not built (make image): no image figures"
            record image.missing "$img not built (make image, or make bench BENCH_IMAGE=yes)"
            return
        fi
        record "imgsize.$v" "$(docker image inspect -f '{{.Size}}' "$img")"
    done
    mkdir -p "$work/raw"
    mark='date +bench-mark:%s%6N'
    # every service up (runit's own check), then the mark; the container then stops them all
    ready="sv -w 60 check /etc/service/* > /dev/null && $mark"
    say "image: boot to main command, services ready, docker stop"
    for v in base rootfs rootfs-init; do
        # shellcheck disable=SC2086 # the mark is one command, split on purpose
        timed_run "$v" "img.$v" $mark
    done
    timed_run base "svc.base" sh -c "$ready"
    stop_runs base "$RUNS_STOP"
    stop_runs rootfs-init "$RUNS_STOP"
    stop_runs rootfs 1 # always the 10 s grace: `sleep` as PID 1 ignores SIGTERM
    for n in $SCALE_SIZES; do
        say "image with $n more services and $((n * 10)) variables ($((n / 6)) of 64 KiB)"
        if ! scale_image "$n"; then
            say "FAILED: docker build of $SCALE_IMAGE:$n"
            tail -n 5 "$work/docker.log" | sed 's/^/bench:   /' >&2
            : > "$work/raw/svc.scale$n.boot.fail"
            continue
        fi
        # in a subshell: the megabyte of variables stays out of everything that follows
        (scale_env $((n * 10)) $((n / 6)) && timed_run "scale$n" "svc.scale$n" sh -c "$ready")
        docker image rm "$SCALE_IMAGE:$n" > /dev/null 2>&1 || true
    done
    # shellcheck disable=SC2086 # a list of sizes
    for v in img.base img.rootfs img.rootfs-init svc.base $(printf 'svc.scale%s ' $SCALE_SIZES); do
        summarize "$v.boot"
        summarize "$v.end"
        summarize "$v.run"
    done
    for v in base rootfs rootfs-init; do summarize "stop.$v"; done
}
