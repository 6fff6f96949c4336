#!/usr/bin/env bats
# make bench on a fresh machine: every command bench/run runs is installed by tools/deps/bench,
# and a missing one stops the run by name rather than skewing a figure (a clean-machine run once
# timed cinit's default mode with no runsvdir, runit being missing from the list).
load ../lib/common

@test "every command bench/run needs comes from a package of tools/deps/bench" {
    run "$SRC/bench/run" --needs
    assert_success
    assert_line "runsvdir runit"
    local cmd pkg missing=""
    while read -r cmd pkg; do
        awk '{print $1}' "$SRC/tools/deps/bench" | grep -qx "$pkg" || missing="$missing $cmd:$pkg"
    done <<< "$output"
    [ -z "$missing" ] || fail "not in tools/deps/bench:$missing"
}

@test "bench/run stops, naming the command and its package, when runsvdir is missing" {
    command -v runsvdir > /dev/null || fail "runit (tools/deps/test) is not installed"
    # a PATH with everything of /usr/bin but runsvdir, as on a machine without runit
    local b=$BATS_TEST_TMPDIR/bin f
    mkdir "$b"
    for f in /usr/bin/*; do [ "$f" = /usr/bin/runsvdir ] || ln -s "$f" "$b/"; done
    run env PATH="$b:/usr/sbin" "$SRC/bench/run"
    assert_failure 1
    assert_output --partial "runsvdir (package runit)"
    assert_output --partial "make bench installs them"
    refute_output --partial "bench: ["
}
