#!/usr/bin/env bats
# The syslog parser and formatter of cinit-syslogd under libFuzzer with ASan+UBSan, for a
# bounded time, starting from the checked-in corpus (test/fuzz/corpus). Every input must give
# one clean line in every format (test/fuzz/syslogmsg_check.h), else the harness aborts.
export CINIT_SRC=${CINIT_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../lib/common

FUZZ_SECONDS=20

setup_file() {
    "$SRC/tools/ensure-packages" fuzz
    make -C "$SRC" -s fuzz-syslogmsg
}

setup() {
    FUZZER=$SRC/build/fuzz/syslogmsg_fuzz
    CORPUS=$SRC/test/fuzz/corpus
}

@test "the checked-in corpus is a few dozen small seeds, and each passes" {
    n=$(find "$CORPUS" -type f | wc -l)
    [ "$n" -ge 24 ] && [ "$n" -le 100 ]
    [ "$(du -sk "$CORPUS" | cut -f1)" -lt 512 ]
    run "$FUZZER" "$CORPUS"/*
    assert_success
    assert_output --partial "Executed $CORPUS/seed-00"
}

@test "${FUZZ_SECONDS} s of libFuzzer: no crash, no sanitizer report, no broken line" {
    mkdir "$BATS_TEST_TMPDIR/new"
    # new inputs go to the scratch directory first named; the checked-in corpus is only read
    run "$FUZZER" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -dict="$SRC/test/fuzz/syslog.dict" -artifact_prefix="$BATS_TEST_TMPDIR/" \
        -print_final_stats=1 "$BATS_TEST_TMPDIR/new" "$CORPUS"
    assert_success
    runs=$(printf '%s\n' "$output" | sed -n 's/^stat::number_of_executed_units: *//p')
    echo "executed $runs inputs"
    [ "$runs" -gt 10000 ]
    run find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'oom-*' -o -maxdepth 1 -name 'timeout-*'
    assert_output ""
}
