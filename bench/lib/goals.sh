# shellcheck shell=bash disable=SC2154 # work and the settings: set by bench/run
# bench/run's goals (sourced, by report.sh's report): each goal of RESULTS.md with its measured
# figure and verdict, from the results file that report.sh loads (get, getf, cell, ratio).
# goal TEXT VALUE_SHOWN OK(yes/no/unknown)
goal() {
    local verdict
    case $3 in
        yes) verdict="met" ;;
        no) verdict="**NOT met**" ;;
        noisy) verdict="not judged: the median's uncertainty is over half the first step's cost (run again on a quieter machine, or with more BENCH_RUNS_IMAGE)" ;;
        tie) verdict="not met, but not told apart: the medians' 95 % intervals overlap" ;;
        *) verdict="not measured" ;;
    esac
    echo "| $1 | $2 | $verdict |"
}
cmp_lt() { # A < B (yes/no/unknown)
    if isnum "$1" && isnum "$2"; then
        awk -v a="$1" -v b="$2" 'BEGIN {print (a < b) ? "yes" : "no"}'
    else
        echo unknown
    fi
}
# both A and B below LIMIT
both_lt() {
    local a b
    a=$(cmp_lt "$1" "$3") b=$(cmp_lt "$2" "$3")
    if [ "$a" = yes ] && [ "$b" = yes ]; then echo yes
    elif [ "$a" = no ] || [ "$b" = no ]; then echo no
    else echo unknown
    fi
}
cmp_le() {
    if isnum "$1" && isnum "$2"; then
        awk -v a="$1" -v b="$2" 'BEGIN {print (a <= b) ? "yes" : "no"}'
    else
        echo unknown
    fi
}

# the figure of KEY (FIELD) for INIT, as ratio_row takes it
val() {
    case $1 in
        size | ir | irreap) get "$1.$2" ;;
        # FIELD 6, 7 (the 95 % interval) as well: the same no-init median comes off every init
        over) minus "$(getf "start.$2" "${3:-1}")" "$(getf start.bare 1)" ;;
        *) getf "$1.$2" "$3" ;;
    esac
}
# "VALUE PEER": the smallest figure of KEY among the peers
best_peer() {
    local p v bv="" bp=""
    for p in $PEERS; do
        v=$(val "$1" "$p" "$2")
        isnum "$v" || continue
        if [ -z "$bv" ] || awk -v a="$v" -v b="$bv" 'BEGIN {exit !(a < b)}'; then bv=$v bp=$p; fi
    done
    echo "$bv $bp"
}
# goal_vs_peer TEXT KEY FIELD LIMIT UNIT SCALE: cinit's figure / the best peer's ≤ LIMIT
# A timing over the limit whose 95 % interval still reaches the best peer's (times the limit) is
# a "tie": the samples cannot tell the two apart, and another run may fall either way.
goal_vs_peer() {
    local b bv bp c r v ci="" clo chi plo phi
    b=$(best_peer "$2" "$3") bv=${b% *} bp=${b#* }
    c=$(val "$2" cinit "$3")
    r=$(ratio "$c" "$bv")
    v=$(cmp_le "$r" "$4")
    clo=$(val "$2" cinit 6) chi=$(val "$2" cinit 7) plo=$(val "$2" "$bp" 6) phi=$(val "$2" "$bp" 7)
    if isnum "$clo" && isnum "$chi" && isnum "$plo" && isnum "$phi"; then
        ci=" (95 % intervals of the medians: cinit $(cell "$clo" "$6" 0)–$(cell "$chi" "$6" 0), $bp $(cell "$plo" "$6" 0)–$(cell "$phi" "$6" 0))"
        if [ "$v" = no ] && awk -v a="$clo" -v b="$phi" -v l="$4" 'BEGIN {exit !(a <= b * l)}'; then
            v=tie
        fi
    fi
    goal "$1" "cinit $(cell "$c" "$6" 0) $5, best peer $bp $(cell "$bv" "$6" 0) $5: **$r×**$ci" "$v"
}
# Growth, one dimension at a time: the services (the same small environment) and the size of the
# environment (the smallest image). Between steps the cost per added unit (ms per service, ms per
# MiB) is the slope; growth no faster than linear means the largest step's slope is at most 1.25
# times the one before it (or than 1 ms a unit, when that is more: below it the run's noise
# decides), plus how far the largest case's median can move (the interquartile range of its
# samples over the root of their count, spread over the step), so that a few samples of a loaded
# machine do not make the verdict.
slope() { awk -v a="$1" -v b="$2" -v n="$3" -v m="$4" 'BEGIN {printf "%.2f", (b - a) / (m - n) / 1e3}'; }
# spread KEY UNITS: the IQR of KEY's samples over the root of their count, in ms, per unit of a
# step of UNITS
spread() {
    awk -v m="$(getf "$1" 1)" -v q="$(getf "$1" 5)" -v n="$(getf "$1" 4)" -v u="$2" \
        'BEGIN {printf "%.2f", m * q / 100 / 1e3 / u / sqrt(n > 1 ? n : 1)}'
}
# (when the allowance is more than half the first slope, the samples cannot tell: noisy). Over
# it, the slopes' 95 % intervals (from the medians' intervals of the three sizes they are made
# of) decide between a growth the samples show (no) and one they cannot tell apart (tie).
linear_ok() { # FIRST_SLOPE LAST_SLOPE ALLOWANCE [FIRST_SLOPE_HI LAST_SLOPE_LO]
    awk -v a="$1" -v b="$2" -v s="$3" -v ahi="${4:-}" -v blo="${5:-}" 'BEGIN {m = a > 1 ? a : 1
        if (s > 0.5 * m) print "noisy"
        else if (b <= 1.25 * m + s) print "yes"
        else if (ahi != "" && blo != "" && blo <= 1.25 * (ahi > 1 ? ahi : 1)) print "tie"
        else print "no"}'
}
# slope_ci KEY0 KEY1 KEY2 U0 U1 U2: "FIRST_HI LAST_LO", the ends of the two slopes' 95 %
# intervals that a growth would have to pass (fields 6, 7 of each key; empty if one is missing)
slope_ci() {
    local l0 l1 h1 l2 h2
    l0=$(getf "$1" 6) h1=$(getf "$2" 7) l1=$(getf "$2" 6) h2=$(getf "$3" 7) l2=$(getf "$3" 6)
    isnum "$l0" && isnum "$l1" && isnum "$h1" && isnum "$l2" && isnum "$h2" || return 0
    echo "$(slope "$l0" "$h1" "$4" "$5") $(slope "$h1" "$l2" "$5" "$6")"
}
# grow_goal TITLE UNIT KEYPREFIX "UNITS..." "SUFFIXES...": boot and stop (.boot, .end over the
# bare rootfs) of KEYPREFIX+SUFFIX at UNITS
grow_goal() {
    local title=$1 unit=$2 pre=$3 ok=unknown text="not measured" i
    local -a u sf bl el
    read -r -a u <<< "$4"
    read -r -a sf <<< "$5"
    if [ ${#u[@]} -ge 3 ] && isnum "$(getf img.rootfs.boot 1)"; then
        ok=yes
        local bs="" es="" b e
        for i in "${!u[@]}"; do
            b=$(minus "$(getf "$pre${sf[i]}.boot" 1)" "$(getf img.rootfs.boot 1)")
            e=$(minus "$(getf "$pre${sf[i]}.end" 1)" "$(getf img.rootfs.end 1)")
            isnum "$b" && isnum "$e" || ok=unknown
            bl+=("$b") el+=("$e")
            bs="$bs → $(cell "$b" 1e3 0)" es="$es → $(cell "$e" 1e3 0)"
        done
        if [ "$ok" = yes ]; then
            # the two largest steps are judged: the first one's cost is partly hidden behind
            # the boot's fixed waits (services that start while syslog and cron come up, and
            # the second a service must be up), which made a linear cost look like a growing one
            local l=$((${#u[@]} - 1)) b1 b2 e1 e2 sb se du bsl="" esl=""
            du=$(awk -v a="${u[l - 1]}" -v b="${u[l]}" 'BEGIN {print b - a}')
            for i in $(seq 1 "$l"); do
                bsl="$bsl → $(slope "${bl[i - 1]}" "${bl[i]}" "${u[i - 1]}" "${u[i]}")"
                esl="$esl → $(slope "${el[i - 1]}" "${el[i]}" "${u[i - 1]}" "${u[i]}")"
            done
            b1=$(slope "${bl[l - 2]}" "${bl[l - 1]}" "${u[l - 2]}" "${u[l - 1]}") b2=$(slope "${bl[l - 1]}" "${bl[l]}" "${u[l - 1]}" "${u[l]}")
            e1=$(slope "${el[l - 2]}" "${el[l - 1]}" "${u[l - 2]}" "${u[l - 1]}") e2=$(slope "${el[l - 1]}" "${el[l]}" "${u[l - 1]}" "${u[l]}")
            sb=$(spread "$pre${sf[l]}.boot" "$du") se=$(spread "$pre${sf[l]}.end" "$du")
            local vb ve ks=("$pre${sf[l - 2]}" "$pre${sf[l - 1]}" "$pre${sf[l]}") us=("${u[l - 2]}" "${u[l - 1]}" "${u[l]}")
            # shellcheck disable=SC2046 # two numbers, or none
            vb=$(linear_ok "$b1" "$b2" "$sb" $(slope_ci "${ks[0]}.boot" "${ks[1]}.boot" "${ks[2]}.boot" "${us[@]}"))
            # shellcheck disable=SC2046
            ve=$(linear_ok "$e1" "$e2" "$se" $(slope_ci "${ks[0]}.end" "${ks[1]}.end" "${ks[2]}.end" "${us[@]}"))
            if [ "$vb" = no ] || [ "$ve" = no ]; then ok=no
            elif [ "$vb" = noisy ] || [ "$ve" = noisy ]; then ok=noisy
            elif [ "$vb" = tie ] || [ "$ve" = tie ]; then ok=tie
            else ok=yes
            fi
            cpu_goal "$pre" "$unit" "$4" "$5"
            text="over the bare rootfs, boot to every service ready ${bs# → } ms (**${bsl# → } ms per $unit**, the last two judged, noise ±$sb), stop ${es# → } ms (**${esl# → } ms per $unit**, noise ±$se)"
            # for combo_text
            GROW_LAST_BOOT=${bl[l]} GROW_FIRST_BOOT=${bl[0]}
        fi
    fi
    goal "$title" "$text" "$ok"
    [ -z "${CPU_ROW:-}" ] || echo "$CPU_ROW"
    CPU_ROW=""
}
# cpu_goal KEYPREFIX UNIT "UNITS..." "SUFFIXES...": CPU_ROW, the goal row of cinit's own CPU time
# up to every service ready (KEY.cpu, ns; the wall clock's row comes first, so it is kept)
cpu_goal() {
    local pre=$1 unit=$2 i c cs="" csl="" ok l sc
    local -a u sf cl
    read -r -a u <<< "$3"
    read -r -a sf <<< "$4"
    CPU_ROW=""
    for i in "${!u[@]}"; do
        c=$(getf "$pre${sf[i]}.cpu" 1)
        isnum "$c" || return 0
        cl+=("$(awk -v c="$c" 'BEGIN {printf "%.0f", c / 1e3}')") # µs, as slope takes them
        cs="$cs → $(cell "${cl[i]}" 1e3 1)"
    done
    l=$((${#u[@]} - 1))
    for i in $(seq 1 "$l"); do csl="$csl → $(slope "${cl[i - 1]}" "${cl[i]}" "${u[i - 1]}" "${u[i]}")"; done
    sc=$(awk -v m="$(getf "$pre${sf[l]}.cpu" 1)" -v q="$(getf "$pre${sf[l]}.cpu" 5)" -v n="$(getf "$pre${sf[l]}.cpu" 4)" \
        -v d="$(awk -v a="${u[l - 1]}" -v b="${u[l]}" 'BEGIN {print b - a}')" \
        'BEGIN {printf "%.3f", m * q / 100 / 1e6 / d / sqrt(n > 1 ? n : 1)}')
    # the allowance's 1 ms floor is the wall clock's noise; CPU time is read to the nanosecond
    ok=$(awk -v a="$(slope "${cl[l - 2]}" "${cl[l - 1]}" "${u[l - 2]}" "${u[l - 1]}")" \
        -v b="$(slope "${cl[l - 1]}" "${cl[l]}" "${u[l - 1]}" "${u[l]}")" -v s="$sc" \
        'BEGIN {print (s > 0.5 * a) ? "noisy" : (b <= 1.25 * a + s) ? "yes" : "no"}')
    CPU_ROW=$(goal "… cinit's own CPU time up to every service ready (PID 1's schedstat), the same cases" \
        "${cs# → } ms (**${csl# → } ms per $unit**, the last two judged, noise ±$sc)" "$ok")
}
goal_linear() {
    local -a sz es
    read -r -a sz <<< "$(get image.sizes)"
    read -r -a es <<< "$(get image.env_steps)"
    local list="${sz[*]}" mibs="" e
    for e in "${es[@]}"; do mibs="$mibs $(get "env.mib.$e")"; done
    GROW_LAST_BOOT="" GROW_FIRST_BOOT=""
    grow_goal "image: boot and stop grow no faster than linearly with the services (${list// / → } services, $ENV_VARS0 short variables)" \
        "added service" svc.scale "${sz[*]}" "${sz[*]}"
    SVC_LAST_BOOT=$GROW_LAST_BOOT BASE_BOOT=$GROW_FIRST_BOOT GROW_LAST_BOOT=""
    # shellcheck disable=SC2001 # a list
    grow_goal "image: … and with the size of the environment (${sz[0]:-?} services, $(echo "${mibs# }" | sed 's/ / → /g') MiB)" \
        "added MiB" env.big "${mibs# }" "${es[*]}"
    ENV_LAST_BOOT=$GROW_LAST_BOOT
}
# the combined case against the sum of the two dimensions' growth: what is left is the product
# N services x E MiB, the environment copied into each exec of runsv, ./run and what it runs
combo_text() {
    local c n=${1:-} mib=${2:-}
    c=$(minus "$(getf combo.boot 1)" "$(getf img.rootfs.boot 1)")
    isnum "$c" && isnum "${SVC_LAST_BOOT:-}" && isnum "${ENV_LAST_BOOT:-}" && isnum "${BASE_BOOT:-}" || return 0
    local add excess per
    add=$(awk -v s="$SVC_LAST_BOOT" -v e="$ENV_LAST_BOOT" -v b="$BASE_BOOT" 'BEGIN {printf "%.0f", s + e - b}')
    excess=$(minus "$c" "$add")
    per=$(awk -v x="$excess" -v n="$n" -v m="$mib" -v s="$SMALL_N" 'BEGIN {d = (n - s) * m; printf "%.2f", (d > 0) ? x / d / 1e3 : 0}')
    echo "Combined case, $n services with $mib MiB of environment: boot to every service ready"
    echo "$(cell "$c" 1e3 0) ms over the bare rootfs, against $(cell "$add" 1e3 0) ms if the two dimensions only added"
    echo "up (stop $(cell "$(getf stop.combo 1)" 1e3 0) ms): $(cell "$excess" 1e3 0) ms more, $per ms per added service and MiB."
    echo "What the combined case has beyond the sum is the product of the two: the kernel copies the"
    echo "whole environment into every exec of every runsv, ./run and what ./run execs (about 3 N execs),"
    echo "work that grows as"
    echo "N × E by its nature and that no init can save. cinit's environment list is hashed; its"
    echo "readiness watch reads a service's status only at that service's own supervise events (about"
    echo "11 reads per added service at boot: test/cinit-services.bats checks that it stays bounded)."
}
