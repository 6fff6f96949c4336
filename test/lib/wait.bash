# Waiting without sleeping longer than needed, for the Docker suites.
# shellcheck shell=bash

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS CMD...: CMD until it succeeds, at most SECONDS. On a time-out it says what it
# waited for and runs wait_for_context (when the suite defines one) to show what it saw.
# The tries are 0.1 s apart at first, then up to 0.5 s: a docker CLI call costs a tenth of a
# second of CPU, and the suites run side by side on 2 cores.
wait_for() {
    local end=$(($(now_ms) + $1 * 1000)) ms=100
    shift
    until "$@"; do
        if [ "$(now_ms)" -ge "$end" ]; then
            echo "timed out waiting for: $*" >&2
            if declare -F wait_for_context > /dev/null; then wait_for_context >&2; fi
            return 1
        fi
        sleep "0.$(printf %03d $ms)"
        [ $ms -ge 500 ] || ms=$((ms * 3 / 2))
    done
}
