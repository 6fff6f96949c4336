# shellcheck shell=bash disable=SC2154 # work, build, top and the settings: set by bench/run
# bench/run's report (sourced): bench/RESULTS.md from the results file (its goals: goals.sh),
# and the plot.
# the results file, KEY VALUE... a line, in memory: the report asks for hundreds of values
declare -A RES
load_results() {
    local k v
    RES=()
    while read -r k v; do
        [ -n "${RES[$k]+set}" ] || RES[$k]=$v # the first of a key, as before
    done < "$work/results"
}
get() { echo "${RES[$1]:-}"; }
# field N of a value ("median min max runs noise", "vmrss rssanon rssfile runs noise")
getf() {
    local -a f
    read -r -a f <<< "${RES[$1]:-}"
    echo "${f[$2 - 1]:-}"
}

# cell VALUE SCALE DECIMALS: a number scaled for the table, or why there is none
cell() {
    case $1 in
        '') echo "—" ;;
        FAIL) echo "failed" ;;
        *) awk -v v="$1" -v s="$2" -v d="$3" 'BEGIN {printf "%.*f", d, v / s}' ;;
    esac
}
isnum() { case $1 in '' | FAIL) return 1 ;; *) return 0 ;; esac; }
ratio() {
    if isnum "$1" && isnum "$2"; then
        awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a >= 0) printf "%.2f", a / b; else printf "n/a"}'
    else
        echo "—"
    fi
}
minus() {
    if isnum "$1" && isnum "$2"; then awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f", a - b}'; fi
}

row() {
    local title=$1 fn=$2 v
    printf '| %s |' "$title"
    for v in $VARIANTS; do
        if [ -n "$(get "broken.$v")" ]; then
            printf ' not functional |'
        else
            printf ' %s |' "$("$fn" "$v")"
        fi
    done
    echo
}
# value functions, one per row; "—" where a figure does not apply
na() { echo "—"; }
f_hf() { cell "$(getf "hf.$1" 1)" 1e6 3; }
f_hf_ratio() { ratio "$(getf "hf.$1" 1)" "$(getf hf.bare 1)"; }
f_start() { echo "$(cell "$(getf "start.$1" 1)" 1e3 0) ($(cell "$(getf "start.$1" 2)" 1e3 0))"; }
f_over() {
    echo "$(cell "$(minus "$(getf "start.$1" 1)" "$(getf start.bare 1)")" 1e3 0)" \
        "($(cell "$(minus "$(getf "start.$1" 2)" "$(getf start.bare 2)")" 1e3 0))"
}
f_start_ratio() { ratio "$(getf "start.$1" 1)" "$(getf start.bare 1)"; }
f_main() { cell "$(getf "main.$1" 1)" 1e3 0; }
f_ir() { if [ "$1" = bare ]; then na; else cell "$(get "ir.$1")" 1 0; fi; }
f_rss() { if [ "$1" = bare ]; then na; else cell "$(getf "mem.$1" 1)" 1 0; fi; }
f_anon() { if [ "$1" = bare ]; then na; else cell "$(getf "mem.$1" 2)" 1 0; fi; }
f_file() { if [ "$1" = bare ]; then na; else cell "$(getf "mem.$1" 3)" 1 0; fi; }
f_size() { if [ "$1" = bare ]; then na; else cell "$(get "size.$1")" 1 0; fi; }
f_static() { if [ "$1" = bare ]; then na; else get "static.$1"; fi; }
f_reap() { cell "$(getf "reap.$1" 1)" 1e6 1; }
f_irreap() { if [ "$1" = bare ]; then na; else cell "$(get "irreap.$1")" 1 0; fi; }
f_irper() {
    local a b
    a=$(get "irreap.$1") b=$(get "ir.$1")
    if [ "$1" != bare ] && isnum "$a" && isnum "$b"; then
        awk -v a="$a" -v b="$b" -v n="$CG_ORPHANS" 'BEGIN {printf "%.0f", (a - b) / n}'
    else
        na
    fi
}
f_term() { if [ "$1" = bare ]; then na; else cell "$(getf "term.$1" 1)" 1e3 0; fi; }
f_termsvc() { if [ "$1" = cinit-default ]; then cell "$(getf "termsvc.$1" 1)" 1e6 2; else na; fi; }
f_termsvcnew() { if [ "$1" = cinit-default ]; then cell "$(getf "termsvcnew.$1" 1)" 1e6 0; else na; fi; }
f_sig() { if [ "$1" = bare ]; then na; else cell "$(getf "sig.$1" 1)" 1e3 1; fi; }
# cinit's default mode with ten services, their ./check hanging or none: KEY
f_hang() { if [ "$2" = cinit-default ]; then cell "$(getf "$1.$2" 1)" "$3" "$4"; else na; fi; }
f_sigidle() { f_hang sigidle "$1" 1e3 1; }
f_sighang() { f_hang sighang "$1" 1e3 1; }
f_reapidle() { f_hang reapidle "$1" 1e6 1; }
f_reaphang() { f_hang reaphang "$1" 1e6 1; }

# cinit (the fair mode) against each peer: KEY FIELD (a smaller figure is better throughout)
ratio_row() {
    local title=$1 key=$2 field=$3 p c b
    printf '| %s |' "$title"
    c=$(val "$key" cinit "$field")
    for p in $PEERS; do
        printf ' %s |' "$(ratio "$c" "$(val "$key" "$p" "$field")")"
    done
    b=$(best_peer "$key" "$field")
    printf ' **%s** (%s) |\n' "$(ratio "$c" "${b% *}")" "${b#* }"
}

# how far each figure can be trusted: the interquartile range of its samples in % of the median
noise_table() {
    local key v n lo hi
    echo "## Noise"
    echo
    echo "Interquartile range of the samples in % of the median (lowest – highest over the inits) and"
    echo "samples per init; instruction counts (callgrind) do not depend on the load and were taken once."
    echo
    echo "| figure | noise (IQR / median) | samples |"
    echo "|---|---:|---:|"
    for key in hf:"whole command (hyperfine)" start:"exec → namespace empty (nsrun)" main:"exec → main command" \
        mem:"idle VmRSS" reap:"$ORPHANS orphans" term:"SIGTERM → exit" sig:"SIGUSR1 → main command" \
        termsvc:"SIGTERM with 3 services" img:"docker run → main command" svc:"docker run → every service ready" \
        env:"… with a larger environment" combo:"… the combined case" stop:"docker stop"; do
        lo="" hi="" n=""
        # shellcheck disable=SC2046 # lists of names
        for v in $VARIANTS syslogd base rootfs rootfs-init $(printf 'scale%s ' $(get image.sizes)) $(printf 'big%s ' $(get image.env_steps)) combo; do
            k=${key%%:*}.$v
            [ "${key%%:*}" != combo ] || k=combo
            [ "$v" != combo ] || [ "${key%%:*}" = stop ] || [ "${key%%:*}" = combo ] || continue
            case ${key%%:*} in img | svc | env | combo) k=$k.boot ;; esac
            isnum "$(getf "$k" 5)" || continue
            lo=$(awk -v a="$(getf "$k" 5)" -v b="${lo:-1e9}" 'BEGIN {print (a < b) ? a : b}')
            hi=$(awk -v a="$(getf "$k" 5)" -v b="${hi:--1}" 'BEGIN {print (a > b) ? a : b}')
            n=$(getf "$k" 4)
        done
        [ -n "$lo" ] || continue
        # from fewer than 3 samples an interquartile range says little: shown, but marked
        if [ "$n" -lt 3 ]; then
            echo "| ${key#*:} | $lo – $hi % (range of $n: little to go by) | $n |"
        else
            echo "| ${key#*:} | $lo – $hi % | $n |"
        fi
    done
}

image_report() {
    echo "## Image (Docker, \`$BASE_IMAGE\` against \`$ROOTFS_IMAGE\`)"
    echo
    if [ -n "$(get image.missing)" ]; then
        echo "No image figures: $(get image.missing)."
        return
    fi
    local -a sz
    read -r -a sz <<< "$(get image.sizes)"
    local r="$ROOTFS_IMAGE" ms='1e3 0' n row
    # shellcheck disable=SC2016 # backquotes of markdown
    printf '| figure (ms) | %s, no init | %s, `--init` | %s (my_init, %s services) |' "$r" "$r" "$BASE_IMAGE" "$(get image.base_services)"
    local -a es=()
    local e
    for e in $(get image.env_steps); do [ "$e" = 0 ] || es+=("$e"); done
    for n in "${sz[@]}"; do printf ' %s services |' "$n"; done
    for e in "${es[@]}"; do printf ' %s services, %s MiB env |' "${sz[0]:-?}" "$(get "env.mib.$e")"; done
    [ ${#sz[@]} -eq 0 ] || printf ' combined: %s services, %s MiB env |' "${sz[-1]}" "$(get "env.mib.${es[-1]:-0}")"
    echo
    printf '|---|---:|---:|---:|'
    for n in "${sz[@]}" "${es[@]}" ${sz[0]:+combo}; do printf -- '---:|'; done
    echo
    # shellcheck disable=SC2086
    for row in "boot:\`docker run\` → main command runs (with --wait-for-services: every service ready)" \
        "end:main command ends → container gone (services stopped)" "run:whole \`docker run --rm\`" \
        "stop:\`docker stop\`, \`sleep infinity\` as main command" \
        "cpu:cinit's own CPU time up to the main command (PID 1's schedstat)"; do
        local k=${row%%:*}
        printf '| %s |' "${row#*:}"
        if [ "$k" = cpu ]; then
            printf ' — | — | — |'
            for n in "${sz[@]}"; do printf ' %s |' "$(cell "$(getf "svc.scale$n.cpu" 1)" 1e6 1)"; done
            for e in "${es[@]}"; do printf ' %s |' "$(cell "$(getf "env.big$e.cpu" 1)" 1e6 1)"; done
            [ ${#sz[@]} -eq 0 ] || printf ' %s |' "$(cell "$(getf combo.cpu 1)" 1e6 1)"
        elif [ "$k" = stop ]; then
            printf ' %s | %s | — |' "$(cell "$(getf stop.rootfs 1)" $ms)" "$(cell "$(getf stop.rootfs-init 1)" $ms)"
            for n in "${sz[@]}"; do printf ' %s |' "$(cell "$(getf "stop.scale$n" 1)" $ms)"; done
            for e in "${es[@]}"; do printf ' — |'; done
            [ ${#sz[@]} -eq 0 ] || printf ' %s |' "$(cell "$(getf stop.combo 1)" $ms)"
        else
            printf ' %s | %s | %s |' "$(cell "$(getf "img.rootfs.$k" 1)" $ms)" "$(cell "$(getf "img.rootfs-init.$k" 1)" $ms)" \
                "$(cell "$(getf "img.base.$k" 1)" $ms)"
            for n in "${sz[@]}"; do printf ' %s |' "$(cell "$(getf "svc.scale$n.$k" 1)" $ms)"; done
            for e in "${es[@]}"; do printf ' %s |' "$(cell "$(getf "env.big$e.$k" 1)" $ms)"; done
            [ ${#sz[@]} -eq 0 ] || printf ' %s |' "$(cell "$(getf "combo.$k" 1)" $ms)"
        fi
        echo
    done
    echo
    echo "Image size: $(cell "$(get imgsize.base)" 1e6 1) MB ($ROOTFS_IMAGE: $(cell "$(get imgsize.rootfs)" 1e6 1) MB)."
    echo "\`docker run --rm --network none IMAGE [/sbin/my_init [--wait-for-services] --] date\`, median of"
    echo "$RUNS_IMAGE rounds in which every variant runs once: the clock \`date\` prints against the clock"
    echo "before \`docker run\`, and the clock when \`docker run\` returns. The N-service images are the base"
    echo "image with services added (\`exec sleep infinity\`) up to N in all, run with $ENV_VARS0 short variables"
    echo "passed with \`-e\`; the environment's columns are the smallest of them with values of 64 KiB"
    echo "added (and 60 short variables more for each), the combined case the largest with the largest"
    echo "environment, about 1,000 variables (1,000 values of 64 KiB do not fit: Linux limits a program's"
    echo "environment and arguments to a quarter of the stack limit, 2 MiB under Docker's default 8 MiB);"
    echo "their main command starts once cinit sees every service ready (\`--wait-for-services\`: a service"
    echo "without a probe is ready once it has been up for a second, runit's own rule, which sets the"
    echo "floor of that row). \`docker stop\` (10 s grace, sent 1.5 s after \`sleep\` started), median of"
    echo "$RUNS_STOP (once without an init: \`sleep\` as PID 1 ignores SIGTERM, so Docker waits the whole grace"
    echo "time); for the smallest N-service image and the combined case. In the N-service runs the main"
    echo "command is a shell that reads /proc/1/schedstat (the CPU time PID 1 has had, to the nanosecond)"
    echo "before it execs \`date\`: cinit's own share of the boot, which the wall clock, mostly the execs"
    echo "of runsv, ./run and the services on two cores, hides; that shell is one exec more, the same at"
    echo "every size."
}

report() {
    local cpu mem v
    cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
    echo "# cinit benchmarks"
    echo
    echo "Generated by \`make bench\` (bench/run) on $(date -u '+%Y-%m-%d %H:%M UTC'). Every figure"
    echo "is the median of repeated runs measured in this one run; nothing is carried over."
    echo
    echo "| machine | |"
    echo "|---|---|"
    echo "| CPU | $cpu, $(nproc) cores, $mem |"
    echo "| system | $(sed -n 's/^PRETTY_NAME="*\([^"]*\)"*$/\1/p' /etc/os-release), Linux $(uname -r) |"
    echo "| cinit | $(get version.cinit) |"
    for v in tini dumb-init catatonit; do
        echo "| $v | $(get "version.$v") |"
    done
    echo "| tools | $(hyperfine --version), $(valgrind --version), $(gcc --version | head -n 1) |"
    echo "| host's load | $(get steal.all) % of this VM's CPU time went to other guests during the run (steal; 0–2 % on a quiet host) |"
    echo
    echo "Modes: **cinit** = \`cinit --skip-runit --skip-startup-files -- CMD\` (what the peers do:"
    echo "run one command; still imports and exports the container environment). **cinit-default** ="
    echo "\`cinit -- CMD\` in its default mode with a private /etc (overlay): environment import and"
    echo "export, startup files (none), \`runsvdir -P /etc/service\` (no services), shutdown of runit."
    echo "Peers: \`tini -- CMD\`, \`tini-static -- CMD\` (same package), \`dumb-init CMD\`,"
    echo "\`catatonit -- CMD\`. **no init** = CMD itself as PID 1. Every init runs as PID 1 of a fresh"
    echo "PID namespace with /proc mounted (\`unshare -p -f --mount-proc\`, or bench/nsrun.c which does"
    echo "the same and reads CLOCK_MONOTONIC itself); stdin is /dev/null, stderr a pipe, as under Docker"
    echo "(nsrun empties it into a file once the run is over; \`unshare\` under hyperfine: /dev/null)."
    echo "nsrun keeps the namespace's mount namespace open until its clock has stopped: the kernel"
    echo "tears a mount namespace down (unmounting its copy of every mount, which waits for an RCU"
    echo "grace period) when its last user goes, and inside PID 1's exit that took milliseconds, the"
    echo "same for every init, over a floor of 0.1–0.2 ms; it was most of the start-up and SIGTERM"
    echo "figures and of their noise. The whole-command figure (hyperfine) still contains it."
    echo
    echo "## Per init"
    echo
    printf '| figure |'
    for v in $VARIANTS; do
        case $v in bare) printf ' no init |' ;; *) printf ' %s |' "$v" ;; esac
    done
    echo
    printf '|---|'
    for v in $VARIANTS; do printf -- '---:|'; done
    echo
    row "1. \`unshare -p -f --mount-proc INIT /bin/true\`, whole command (hyperfine, ms)" f_hf
    row "1. … ratio to no init" f_hf_ratio
    row "1. exec of PID 1 → namespace empty, \`INIT /bin/true\` (nsrun, µs; median (min))" f_start
    row "1. … overhead over no init (µs; median (min))" f_over
    row "1. … ratio to no init" f_start_ratio
    row "1. exec of PID 1 → main command's first instruction (µs)" f_main
    row "8. instructions of PID 1 for \`INIT /bin/true\` (callgrind, user space)" f_ir
    row "2. idle VmRSS of PID 1 (kB)" f_rss
    row "2. idle RssAnon of PID 1 (kB)" f_anon
    row "2. idle RssFile of PID 1 (kB)" f_file
    row "3. binary size, stripped (bytes)" f_size
    row "3. static" f_static
    row "4. $ORPHANS orphans: release → all reaped (ms)" f_reap
    row "4. … with 10 runit services, no ./check (ms)" f_reapidle
    row "4. … the same 10, each ./check hanging (killed at its 1 s deadline; ms)" f_reaphang
    row "8. instructions of PID 1 for a $CG_ORPHANS-orphan run (callgrind)" f_irreap
    row "8. … per orphan, over \`INIT /bin/true\`" f_irper
    row "5. SIGTERM to PID 1 → namespace empty, main command dies on TERM (µs)" f_term
    row "5. … with 3 runit services (up for 1.2 s), no main command (ms)" f_termsvc
    row "5. … the same, services up for only 20 ms (runsv's 1 s restart guard; ms)" f_termsvcnew
    row "6. SIGUSR1 to PID 1 → seen by the main command (µs)" f_sig
    row "6. … with 10 runit services, no ./check (µs)" f_sigidle
    row "6. … the same 10, each ./check hanging (killed at its 1 s deadline; µs)" f_sighang
    echo
    echo "Samples per figure (pooled from $ROUNDS rounds, in each of which every init takes its turn, so"
    echo "that a change of the machine's load falls on all of them): hyperfine $(getf hf.tini 4)"
    echo "(+2 warm-up a round), nsrun start-up $(getf start.tini 4), memory $(getf mem.tini 4) (read 200 ms"
    echo "after the main command said it is ready), SIGTERM $(getf term.tini 4), SIGUSR1 $(getf sig.tini 4)"
    echo "signals (one after the other, each waited for); orphans $(getf reap.tini 4) ($REAP_ROUNDS round$([ "$REAP_ROUNDS" = 1 ] || echo s) of one run;"
    echo "cinit's default mode, the same reaping code, is left out),"
    echo "services $(getf termsvc.cinit-default 4) ($(getf termsvcnew.cinit-default 4) for the 20 ms case), callgrind 1 (its orphan run"
    echo "with $CG_ORPHANS orphans: the count per orphan does not depend on how many)."
    echo "The inits get the environment \`docker run\` gives (PATH, HOSTNAME, HOME), not the caller's."
    echo "A SIGTERM is sent 20 ms after the main command said it is ready (1.2 s for services; the"
    echo "20 ms row shows that runsv's 1 s sleep after a service that ran for less than a second"
    echo "does not reach the shutdown: cinit stops a runsv once its service is down)."
    echo "The SIGTERM samples run on one CPU (taskset): with two, each of the three wake-ups on the"
    echo "way (PID 1, the main command, PID 1 again) may or may not cross to the other CPU, whose"
    echo "wake-up from idle costs this virtual machine 50–150 µs; which it was, not the init's own"
    echo "work, made those samples bimodal and the medians of equal inits differ by up to 2×."
    echo "The orphans are made by build/bench/benchkid: a middle process makes them with"
    echo "clone(CLONE_VM) (processes of their own that share its memory, so that making 10,000 costs"
    echo "seconds, not the half minute of fork; the figures are not comparable with runs before that),"
    echo "all blocked on a"
    echo "pipe, and exits, so they become PID 1's children; closing the pipe releases them at once,"
    echo "and the clock stops when the last one has been reaped (kill(pid, 0) fails). The time includes"
    echo "the kernel's work to end $ORPHANS processes, which is most of it: **no init** is the reference"
    echo "(benchkid itself, as PID 1, reaps them with blocking waitpid calls). Instruction counts are"
    echo "callgrind's, of PID 1 alone (user space only, so the"
    echo "kernel's share of a syscall is not in them; \`perf stat\` has no hardware counters on this"
    echo "virtual machine) and include the dynamic loader for dynamically linked inits."
    echo
    echo "## cinit / peer (below 1.00: cinit is smaller or faster)"
    echo
    printf '| figure |'
    for v in $PEERS; do printf ' cinit / %s |' "$v"; done
    echo ' cinit / best peer |'
    printf '|---|'
    for v in $PEERS; do printf -- '---:|'; done
    printf -- '---:|\n'

    ratio_row "start-up overhead over no init" over 1
    ratio_row "\`INIT /bin/true\` exec → exit" start 1
    ratio_row "instructions for \`INIT /bin/true\`" ir 1
    ratio_row "idle VmRSS" mem 1
    ratio_row "idle RssAnon" mem 2
    ratio_row "binary size" size 1
    ratio_row "reaping $ORPHANS orphans" reap 1
    ratio_row "SIGTERM → exit" term 1
    ratio_row "SIGUSR1 → main command" sig 1
    echo
    echo "## Goals (ratios to the best peer of this run)"
    echo
    echo "| goal | measured | verdict |"
    echo "|---|---|---|"
    goal_vs_peer "idle VmRSS of PID 1 ≤ 0.5× the best peer" mem 1 0.5 kB 1
    goal "… and under 200 kB" "$(f_rss cinit) kB" "$(cmp_lt "$(getf mem.cinit 1)" 200)"
    goal "cinit-syslogd idle VmRSS under 300 kB" "$(cell "$(getf mem.syslogd 1)" 1 0) kB (RssAnon $(cell "$(getf mem.syslogd 2)" 1 0) kB)" \
        "$(cmp_lt "$(getf mem.syslogd 1)" 300)"
    goal "cinit-syslogd binary under 128 KiB (stripped)" "$(cell "$(get size.syslogd)" 1024 1) KiB" \
        "$(cmp_lt "$(get size.syslogd)" 131072)"
    goal_vs_peer "start-up overhead over no init ≤ 1.0× the best peer" over 1 1.0 µs 1e3
    goal_vs_peer "SIGTERM → exit ≤ 1.0× the best peer" term 1 1.0 µs 1e3
    goal_vs_peer "reaping $ORPHANS orphans ≤ 1.0× the best peer" reap 1 1.0 ms 1e6
    goal "instructions for \`INIT /bin/true\` within 2× catatonit's" \
        "cinit $(f_ir cinit), catatonit $(f_ir catatonit): **$(ratio "$(get ir.cinit)" "$(get ir.catatonit)")×** (cinit's first boot, writing its directory: $(cell "$(get irfresh.cinit)" 1 0), $(ratio "$(get irfresh.cinit)" "$(get ir.catatonit)")×)" \
        "$(cmp_le "$(ratio "$(get ir.cinit)" "$(get ir.catatonit)")" 2)"
    goal_linear
    goal "\`make bench\` within 10 minutes" "$(awk -v s="$(get elapsed)" 'BEGIN {printf "%d min %02d s", s / 60, s % 60}') (from \`make bench\` on: build, image, every figure)" \
        "$(cmp_le "$(get elapsed)" 600)"
    echo
    echo "Time of the run's parts (s): start-up, memory and signal rounds $(get time.fast), orphans"
    echo "$(get time.reap), services $(get time.services), callgrind $(get time.callgrind), Docker $(get time.docker);"
    echo "everything, from \`make bench\` on: $(get elapsed)."
    echo "CPU time the host gave to other guests meanwhile (steal, % of each part's CPU time):"
    echo "rounds $(get steal.fast), orphans $(get steal.reap), services $(get steal.services), callgrind $(get steal.callgrind),"
    echo "Docker $(get steal.docker); in all $(get steal.all). A quiet host steals 0–2 %; with more, every init"
    echo "slows alike and the 95 % intervals widen: compare such a run's ratios, not its figures, with a quiet one's."
    local -a csz ces
    read -r -a csz <<< "$(get image.sizes)"
    read -r -a ces <<< "$(get image.env_steps)"
    if [ ${#csz[@]} -gt 0 ] && [ ${#ces[@]} -gt 0 ]; then
        # shellcheck disable=SC2034 # combo_text (goals.sh) reads it
        SMALL_N=${csz[0]}
        echo
        combo_text "${csz[-1]}" "$(get "env.mib.${ces[-1]}")"
    fi
    echo
    noise_table
    echo
    image_report
    echo
    echo "Reproduce: \`make bench\` as root (installs the peers and tools of tools/deps/bench, builds"
    echo "cinit, the helpers and the image as cinit-bench/base, runs everything; \`BENCH_IMAGE=no\` uses"
    echo "the images already there). The plot is bench/results.png."
}

# num VALUE SCALE DECIMALS: as cell, but NaN (a gap in the plot) where there is no figure
num() { if isnum "$1"; then cell "$@"; else echo NaN; fi; }
plot() {
    local v data=$work/plot.dat
    : > "$data"
    for v in $INITS; do
        [ -z "$(get "broken.$v")" ] || continue
        printf '%s %s %s %s %s %s %s\n' "$v" \
            "$(num "$(minus "$(getf "start.$v" 1)" "$(getf start.bare 1)")" 1e3 0)" \
            "$(num "$(getf "mem.$v" 1)" 1 0)" "$(num "$(get "size.$v")" 1024 1)" \
            "$(num "$(getf "reap.$v" 1)" 1e6 1)" "$(num "$(getf "term.$v" 1)" 1e3 0)" \
            "$(num "$(getf "sig.$v" 1)" 1e3 1)" >> "$data"
    done
    [ -s "$data" ] || return 0
    gnuplot <<EOF 2> "$work/gnuplot.log" || say "gnuplot failed: $(cat "$work/gnuplot.log")"
set terminal pngcairo size 1200,700 font "sans,9"
set output "$top/bench/results.png"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set xtics rotate by -30
set grid ytics
unset key
set multiplot layout 2,3 title "cinit vs peers, $(date -u +%Y-%m-%d) (smaller is better)"
set title "start-up overhead over no init (µs)"
plot "$data" using 0:2:xtic(1) with boxes lc rgb "#4477aa"
set title "idle VmRSS of PID 1 (kB)"
plot "$data" using 0:3:xtic(1) with boxes lc rgb "#228833"
set title "binary size, stripped (KiB)"
plot "$data" using 0:4:xtic(1) with boxes lc rgb "#ccbb44"
set title "reaping $ORPHANS orphans (ms)"
plot "$data" using 0:5:xtic(1) with boxes lc rgb "#ee6677"
set title "SIGTERM to exit (µs)"
plot "$data" using 0:6:xtic(1) with boxes lc rgb "#aa3377"
set title "SIGUSR1 to main command (µs)"
plot "$data" using 0:7:xtic(1) with boxes lc rgb "#66ccee"
unset multiplot
EOF
}

