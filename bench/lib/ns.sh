# shellcheck shell=bash disable=SC2154 # work, build, top and the settings: set by bench/run
# bench/run's part inside the private mount namespace (sourced): every init as PID 1 of its own
# PID namespace, in rounds, and the instruction counts.
# sample KEY CMD...: append CMD's samples to raw/KEY; a failure marks KEY failed (and says why)
sample() {
    local key=$1
    shift
    : > "$work/ns.log"
    if ! "$@" >> "$work/raw/$key" 2>> "$work/ns.log"; then
        : > "$work/raw/$key.fail"
        say "FAILED: $key ($*)"
        tail -n 5 "$work/ns.log" | sed 's/^/bench:   /' >&2
    fi
}
# sample_retry KEY CMD...: as sample, once more if it failed (a run of 10,000 orphans can meet
# the machine's process limit while something else forks)
sample_retry() {
    local key=$1
    sample "$@"
    if [ -e "$work/raw/$key.fail" ]; then
        rm -f "$work/raw/$key.fail"
        say "once more: $key"
        sample "$@"
    fi
}
# per_round TOTAL: the share of TOTAL runs for one round
per_round() { echo $((($1 + ROUNDS - 1) / ROUNDS)); }
# "median min max count noise lo hi" of numbers, one a line; noise is the interquartile range in
# % of the median, what RESULTS.md reports for how far a figure can be trusted; lo-hi is a 95 %
# confidence interval of the median (order statistics, no assumption about the distribution),
# which tells a difference between two inits from one the samples cannot see
stats() {
    sort -n | awk '{v[NR] = $1} END {if (!NR) exit 1
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        q1 = v[int((NR - 1) / 4) + 1]; q3 = v[NR - int((NR - 1) / 4)]
        j = int(NR / 2 - 0.98 * sqrt(NR)); k = int(NR / 2 + 1 + 0.98 * sqrt(NR) + 0.999)
        if (j < 1) j = 1; if (k > NR) k = NR
        printf "%.0f %.0f %.0f %d %.1f %.0f %.0f\n", m, v[1], v[NR], NR, (m > 0) ? 100 * (q3 - q1) / m : 0, v[j], v[k]}'
}
# record KEY from its pooled samples (COLUMNS > 1: the median of each column, then the count)
summarize() {
    local key=$1 cols=${2:-1} c out=""
    [ -e "$work/raw/$key" ] || return 0
    if [ -e "$work/raw/$key.fail" ] || [ ! -s "$work/raw/$key" ]; then
        record "$key" FAIL
    elif [ "$cols" = 1 ]; then
        record "$key" "$(stats < "$work/raw/$key")"
    else
        for c in $(seq "$cols"); do
            out="$out $(awk -v c="$c" '{print $c}' "$work/raw/$key" | stats | cut -d' ' -f1)"
        done
        record "$key" "$out $(wc -l < "$work/raw/$key") $(awk '{print $1}' "$work/raw/$key" | stats | cut -d' ' -f5)"
    fi
}

inside() {
    local d v cg round key
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$work/etc,workdir=$work/etc-work" /etc
    for d in service my_init.d my_init.pre_shutdown.d my_init.post_shutdown.d container_environment; do
        mount --bind "$work/etc/$d" "/etc/$d"
    done
    local nsrun=("${CONTAINER_ENV[@]}" "$NSRUN" -a -l "$work/ns.log")
    local TERM_CPU=$(($(nproc) - 1))
    mkdir -p "$work/raw"

    # an init that cannot run a main command gets no figure at all (a stub that exits at once
    # would otherwise look fast)
    local ok=""
    for v in $VARIANTS; do
        prefix "$v"
        : > "$work/ns.log"
        if "${nsrun[@]}" main 1 "${P[@]}" "$KID" stamp > /dev/null 2>> "$work/ns.log"; then
            ok="$ok $v"
        else
            say "$v cannot run a main command: no figures for it"
            tail -n 5 "$work/ns.log" | sed 's/^/bench:   /' >&2
            record "broken.$v" 1
        fi
    done

    # the three runit services of the services figure (used only when runsvdir runs there)
    local svc=$work/services
    for d in one two three; do
        mkdir -p "$svc/$d"
        printf '#!/bin/sh\nexec %s wait\n' "$KID" > "$svc/$d/run"
        chmod +x "$svc/$d/run"
    done

    # ten runit services and an eleventh that depends on them all (so that cinit follows their
    # readiness): in hang, each has a ./check that hangs (every try killed at its 1 s deadline);
    # in idle, none. A service writes nothing: its output would reach nsrun with the main
    # command's.
    local set i
    for set in idle hang; do
        for i in $(seq 10) app; do
            [ "$i" = app ] || i=s$i
            mkdir -p "$work/$set/$i"
            printf '#!/bin/sh\nexec sleep 100000\n' > "$work/$set/$i/run"
            chmod +x "$work/$set/$i/run"
        done
        seq 10 | sed 's/^/s/' > "$work/$set/app/depends"
    done
    for i in $(seq 10); do
        printf '#!/bin/sh\nexec sleep 30\n' > "$work/hang/s$i/check"
        chmod +x "$work/hang/s$i/check"
    done

    # rounds: every init in turn, many times with few runs each, so that a change in the
    # machine's load during the run spreads over all of them instead of falling on one
    local t0=$SECONDS s0
    s0=$(steal_now)
    for round in $(seq "$ROUNDS"); do
        say "round $round/$ROUNDS: every init, start-up, memory, signals"
        for v in $ok; do
            prefix "$v"
            sample "hf.$v" hyperfine_samples "unshare -p -f --mount-proc ${P[*]} /bin/true"
            sample "start.$v" "${nsrun[@]}" start "$(per_round "$RUNS_START")" "${P[@]}" /bin/true
            sample "main.$v" "${nsrun[@]}" main "$(per_round "$RUNS_START")" "${P[@]}" "$KID" stamp
            [ "$v" != bare ] || continue
            sample "mem.$v" "${nsrun[@]}" mem "$(per_round "$RUNS_MEM")" 1 "${P[@]}" "$KID" wait
            # on one CPU: with two, each of the three wake-ups (PID 1, the main command, PID 1
            # again) may or may not cross to the other CPU, whose wake-up from idle costs this
            # virtual machine 50-150 us; which it was, not the init's own work, made the
            # samples bimodal and the medians of equal inits differ by 2x
            sample "term.$v" taskset -c "$TERM_CPU" "${nsrun[@]}" term "$(per_round "$RUNS_TERM")" 1 "${P[@]}" "$KID" wait
            sample "sig.$v" "${nsrun[@]}" sig "$(per_round "$RUNS_SIG")" "${P[@]}" "$KID" sigecho
        done
    done
    record_part fast "$t0" "$s0"
    # the orphans cost the kernel seconds a run (10,000 clones and exits; as forks they cost
    # half a minute): fewer rounds, one run of each init a round, and cinit's default mode (the
    # same reaping code) left out
    t0=$SECONDS s0=$(steal_now)
    for round in $(seq "$REAP_ROUNDS"); do
        for v in $ok; do
            [ "$v" != cinit-default ] || continue
            prefix "$v"
            say "orphans $round/$REAP_ROUNDS: $v"
            sample_retry "reap.$v" "${nsrun[@]}" reap 1 "${P[@]}" "$KID" orphans "$ORPHANS"
        done
    done
    record_part reap "$t0" "$s0"
    # cinit's default mode with three runit services that stop at once on TERM, no main
    # command. runsv sleeps a second after a service that ran for less than one (its restart
    # guard); cinit stops such a runsv once its service is down. The services get to run
    # 1.2 s first, as in most containers ...
    t0=$SECONDS s0=$(steal_now)
    case " $ok " in
        *" cinit-default "*)
            say "cinit-default: SIGTERM with 3 services"
            mount --bind "$svc" /etc/service
            sample termsvc.cinit-default "${nsrun[@]}" -w 1200 term "$RUNS_TERMSVC" 3 "$CINIT"
            # ... and what a container stopped right after its start meets (runsv's guard)
            sample termsvcnew.cinit-default "${nsrun[@]}" -w 20 term 1 3 "$CINIT"
            umount /etc/service
            # PID 1 never waits on a service: signals and orphans with ten services whose
            # ./check hangs, against the same ten without one
            for set in idle hang; do
                say "cinit-default: signals and orphans, 10 services ($set)"
                mount --bind "$work/$set" /etc/service
                sample "sig$set.cinit-default" "${nsrun[@]}" sig "$RUNS_SIG" "$CINIT" "$KID" sigecho
                sample_retry "reap$set.cinit-default" "${nsrun[@]}" reap 1 "$CINIT" "$KID" orphans "$ORPHANS"
                umount /etc/service
            done
            ;;
    esac
    record_part services "$t0" "$s0"
    for v in $ok; do
        for key in hf start main reap term sig termsvc termsvcnew sigidle sighang reapidle reaphang; do
            summarize "$key.$v"
        done
        summarize "mem.$v" 3
    done

    # instruction counts do not depend on the load: once is enough, and CG_ORPHANS orphans
    # (1,000) give the count per orphan as well as 10,000 would, in a tenth of valgrind's time
    t0=$SECONDS s0=$(steal_now)
    # the directory as the container environment alone leaves it: hyperfine gives the inits a
    # variable of random length (HYPERFINE_RANDOMIZED_ENVIRONMENT_OFFSET, up to kilobytes),
    # which cinit exported like any other and would import again at every counted boot
    find /etc/container_environment -mindepth 1 -delete
    rm -f /etc/container_environment.sh /etc/container_environment.json
    for v in $ok; do
        [ "$v" != bare ] || continue
        prefix "$v"
        say "$v: instructions (callgrind)"
        cg=$work/cg
        rm -rf "$cg" && mkdir "$cg"
        : > "$work/ns.log"
        # a first run under valgrind, not counted: valgrind adds variables of its own, which
        # cinit would export anew; the counted run finds its directory as a restarted
        # container does (cinit's first boot, with nothing there yet, is counted below)
        if "${CONTAINER_ENV[@]}" unshare -p -f --mount-proc valgrind -q --tool=callgrind \
                --callgrind-out-file="$cg/warm.%p" "${P[@]}" /bin/true 2>> "$work/ns.log" &&
            "${CONTAINER_ENV[@]}" unshare -p -f --mount-proc valgrind -q --tool=callgrind \
                --callgrind-out-file="$cg/start.%p" "${P[@]}" /bin/true 2>> "$work/ns.log" &&
            "${CONTAINER_ENV[@]}" unshare -p -f --mount-proc valgrind -q --tool=callgrind \
                --callgrind-out-file="$cg/reap.%p" "${P[@]}" "$KID" orphans "$CG_ORPHANS" \
                > /dev/null 2>> "$work/ns.log"; then
            record "ir.$v" "$(awk '$1 == "totals:" {print $2}' "$cg/start.1")"
            record "irreap.$v" "$(awk '$1 == "totals:" {print $2}' "$cg/reap.1")"
        else
            record "ir.$v" FAIL
            record "irreap.$v" FAIL
            say "FAILED: callgrind for $v"
            tail -n 5 "$work/ns.log" | sed 's/^/bench:   /' >&2
        fi
    done
    # cinit's first boot: an empty directory, every variable and both dumps written
    case " $ok " in
        *" cinit "*)
            prefix cinit
            rm -rf "$cg" && mkdir "$cg"
            find /etc/container_environment -mindepth 1 -delete
            rm -f /etc/container_environment.sh /etc/container_environment.json
            if "${CONTAINER_ENV[@]}" unshare -p -f --mount-proc valgrind -q --tool=callgrind \
                    --callgrind-out-file="$cg/fresh.%p" "${P[@]}" /bin/true 2>> "$work/ns.log"; then
                record irfresh.cinit "$(awk '$1 == "totals:" {print $2}' "$cg/fresh.1")"
            else
                record irfresh.cinit FAIL
            fi
            ;;
    esac
    record_part callgrind "$t0" "$s0"
    syslogd_bench
}

# cinit-syslogd idle: its memory after one message has gone through, and its binary
syslogd_bench() {
    local sd=$build/cinit-syslogd sock=$work/syslog.sock pid n _
    say "cinit-syslogd: idle memory"
    strip -o "$work/sd.stripped" "$sd"
    record size.syslogd "$(stat -c %s "$work/sd.stripped")"
    for _ in $(seq "$RUNS_MEM"); do
        rm -f "$sock"
        "$sd" --socket "$sock" --output /dev/null 2>> "$work/ns.log" &
        pid=$!
        n=0
        until [ -S "$sock" ] || [ "$n" -gt 200 ]; do n=$((n + 1)); sleep 0.01; done
        if ! logger -u "$sock" -t bench "bench message" 2>> "$work/ns.log"; then
            : > "$work/raw/mem.syslogd.fail"
        fi
        sleep 0.2
        awk '/^VmRSS:/ {r = $2} /^RssAnon:/ {a = $2} /^RssFile:/ {f = $2} END {print r, a, f}' \
            "/proc/$pid/status" >> "$work/raw/mem.syslogd"
        kill "$pid"
        wait "$pid" || true # killed by TERM: not a failure
    done
    summarize mem.syslogd 3
}

# hyperfine_samples COMMAND: the whole command timed by hyperfine; its samples in ns
hyperfine_samples() {
    "${CONTAINER_ENV[@]}" hyperfine -N --style none --warmup 2 --runs "$(per_round "$RUNS_HF")" \
        --export-json "$work/hf.json" "$1" > /dev/null &&
        jq -r '.results[0].times[] | . * 1e9 | floor' "$work/hf.json"
}

