# shellcheck shell=bash disable=SC2154 # work, build, top and the settings: set by bench/run
# bench/run's Docker part (sourced, runs outside the namespaces): the image against the bare
# rootfs, and the same image grown to many services and a large environment.
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

# IMG_ARGS: how to run a command in image variant $1 (base: under my_init; rootfs: bare;
# rootfs-init: docker's own init, which is tini; scaleN: the base image grown to N services in
# all, under my_init --wait-for-services: the main command starts once every service is ready,
# as cinit judges it; the environment, SCALE_ENV_ARGS, is each case's own: see docker_bench)
image_args() {
    case $1 in
        base) IMG_ARGS=("$BASE_IMAGE" /sbin/my_init --) ;;
        rootfs) IMG_ARGS=("$ROOTFS_IMAGE") ;;
        rootfs-init) IMG_ARGS=(--init "$ROOTFS_IMAGE") ;;
        scale*) IMG_ARGS=("${SCALE_ENV_ARGS[@]}" "$SCALE_IMAGE:${1#scale}" /sbin/my_init --wait-for-services --) ;;
    esac
}

# timed_run VARIANT KEY CMD...: one `docker run --rm`; samples of docker run -> the mark CMD
# prints (KEY.boot), the mark -> container gone (KEY.end) and the whole (KEY.run); and the CPU
# time of PID 1 up to the mark, when CMD prints it too (KEY.cpu, ns)
timed_run() {
    local v=$1 key=$2 t0 t1 out cpu
    shift 2
    [ ! -e "$work/raw/$key.boot.fail" ] || return 0
    image_args "$v"
    t0=$(now_us)
    # the services of the image write to the same stdout: the marks find our lines
    out=$(docker run --rm --network none "${IMG_ARGS[@]}" "$@" 2> "$work/docker.log" |
        sed -n 's/^bench-\(mark\|cpu\):\([0-9]*\)$/\1 \2/p') || true
    t1=$(now_us)
    cpu=$(sed -n 's/^cpu //p' <<< "$out")
    out=$(sed -n 's/^mark \([0-9]\{16\}\)$/\1/p' <<< "$out")
    [ -z "$cpu" ] || echo "$cpu" >> "$work/raw/$key.cpu"
    if [ -z "$out" ]; then
        say "FAILED: docker run ${IMG_ARGS[*]:0:3}... $*"
        tail -n 5 "$work/docker.log" | sed 's/^/bench:   /' >&2
        : > "$work/raw/$key.boot.fail"
        return
    fi
    echo $((out - t0)) >> "$work/raw/$key.boot"
    echo $((t1 - out)) >> "$work/raw/$key.end"
    echo $((t1 - t0)) >> "$work/raw/$key.run"
}

# docker stop of `sleep infinity` as the main command, RUNS times (samples: stop.KEY, KEY the
# variant unless given)
stop_runs() {
    local v=$1 runs=$2 key=${3:-$1} cid n t0 t1
    image_args "$v"
    for _ in $(seq "$runs"); do
        cid=$(docker run -d --network none "${IMG_ARGS[@]}" sleep infinity)
        n=0 # stop only once the main command runs (bounded wait)
        until docker top "$cid" 2> /dev/null | grep -q ' sleep infinity$'; do
            n=$((n + 1))
            if [ "$n" -gt 600 ]; then
                say "FAILED: sleep never started in $v"
                docker rm -f "$cid" > /dev/null
                : > "$work/raw/stop.$key.fail"
                return
            fi
            sleep 0.05
        done
        sleep 1.5 # as most containers are stopped: well after their services started
        t0=$(now_us)
        docker stop "$cid" > /dev/null
        t1=$(now_us)
        echo $((t1 - t0)) >> "$work/raw/stop.$key"
        docker rm -f "$cid" > /dev/null
    done
}

# the base image grown to N services in all (the new ones a shell that sleeps), built once
scale_image() {
    local n=$1 ctx=$work/scale-$1 i
    mkdir -p "$ctx/service"
    for i in $(seq $((n - BASE_SERVICES))); do
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

# env_bytes VARS BIG: the size of the environment scale_env makes (NAME=VALUE and its NUL)
env_bytes() {
    awk -v n="$1" -v b="$2" 'BEGIN {t = 0
        for (i = 1; i <= n; i++)
            t += (i <= b) ? length("BENCH_BIG_" i "=") + 65536 + 1 : length("BENCH_VAR_" i "=value number " i) + 1
        print t}'
}

docker_bench() {
    local v img n mark round t0=$SECONDS s0 sizes=""
    s0=$(steal_now)
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
    BASE_SERVICES=$(docker run --rm --network none --entrypoint /bin/sh "$BASE_IMAGE" -c 'ls /etc/service | wc -l')
    record image.base_services "$BASE_SERVICES"
    say "image: $SCALE_IMAGE with $SCALE_SIZES services ($BASE_IMAGE has $BASE_SERVICES)"
    for n in $SCALE_SIZES; do
        if [ "$n" -lt "$BASE_SERVICES" ]; then
            say "$n services: fewer than $BASE_IMAGE has, left out"
        elif ! scale_image "$n"; then
            say "FAILED: docker build of $SCALE_IMAGE:$n"
            tail -n 5 "$work/docker.log" | sed 's/^/bench:   /' >&2
        else
            sizes="$sizes $n"
        fi
    done
    record image.sizes "$sizes"
    local -a all
    read -r -a all <<< "$sizes"
    # the environment's dimension: the smallest image, ENV_STEPS values of 64 KiB (and 60 short
    # variables more for each), and the combined case: the largest image with the largest
    # environment. The services' dimension keeps the small environment of the smallest step.
    local small=${all[0]:-} large=${all[-1]:-} e estep ebig=0
    for estep in $ENV_STEPS; do
        ebig=$estep
        record "env.mib.$estep" "$(env_bytes $((ENV_VARS0 + 60 * estep)) "$estep" | awk '{printf "%.3f", $1 / 1048576}')"
    done
    record image.env_steps "$ENV_STEPS"
    mark='date +bench-mark:%s%6N'
    # under cinit, also the CPU time PID 1 has used so far (the first field of schedstat, ns):
    # cinit's own share of the boot, which the wall clock hides among runsv's and the services'
    # execs. The shell costs one exec more than the plain mark, the same at every size.
    # shellcheck disable=SC2016 # the container's shell expands it
    local -a cpumark=(sh -c 'read -r t _ < /proc/1/schedstat; echo "bench-cpu:$t"; exec date +bench-mark:%s%6N')
    for round in $(seq "$RUNS_IMAGE"); do
        say "image round $round/$RUNS_IMAGE: docker run to main command / every service ready"
        for v in rootfs rootfs-init base; do
            # shellcheck disable=SC2086 # the mark is one command, split on purpose
            timed_run "$v" "img.$v" $mark
        done
        [ -n "$small" ] || continue
        # in subshells: the megabytes of variables stay out of everything that follows
        for n in $sizes; do
            (scale_env "$ENV_VARS0" 0 && timed_run "scale$n" "svc.scale$n" "${cpumark[@]}")
        done
        for e in $ENV_STEPS; do
            [ "$e" != 0 ] || continue # the services' smallest case is this one's as well
            (scale_env $((ENV_VARS0 + 60 * e)) "$e" && timed_run "scale$small" "env.big$e" "${cpumark[@]}")
        done
        (scale_env $((ENV_VARS0 + 60 * ebig)) "$ebig" && timed_run "scale$large" "combo" "${cpumark[@]}")
    done
    # the environment's first step is the services' smallest case
    if [ -e "$work/raw/svc.scale$small.boot" ]; then
        for k in boot end run cpu; do
            [ -e "$work/raw/svc.scale$small.$k" ] || continue
            cp "$work/raw/svc.scale$small.$k" "$work/raw/env.big0.$k"
        done
    fi
    say "image: docker stop"
    stop_runs rootfs-init "$RUNS_STOP"
    stop_runs rootfs 1 # always the 10 s grace: `sleep` as PID 1 ignores SIGTERM
    # the smallest image and the combined case, the largest realistic one (the stop of every
    # service of every case is in .end above too, which is what the growth is judged on)
    if [ -n "$small" ]; then
        (scale_env "$ENV_VARS0" 0 && stop_runs "scale$small" "$RUNS_STOP")
        (scale_env $((ENV_VARS0 + 60 * ebig)) "$ebig" && stop_runs "scale$large" "$RUNS_STOP" combo)
    fi
    for n in $sizes; do docker image rm "$SCALE_IMAGE:$n" > /dev/null 2>&1 || true; done
    # shellcheck disable=SC2086 # a list of sizes
    for v in img.base img.rootfs img.rootfs-init $(printf 'svc.scale%s ' $sizes) $(printf 'env.big%s ' $ENV_STEPS) combo; do
        summarize "$v.boot"
        summarize "$v.end"
        summarize "$v.run"
        summarize "$v.cpu"
    done
    # shellcheck disable=SC2086
    for v in rootfs rootfs-init $(printf 'scale%s ' $sizes) combo; do summarize "stop.$v"; done
    record_part docker "$t0" "$s0"
}
