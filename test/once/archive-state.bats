#!/usr/bin/env bats
# tools/mkimage archive-state (docs/image.md "Reproducibility"): the digest of the signed index
# of every archive the rootfs' apt reads, a build argument of each step that runs apt, so that a
# cached layer of an older archive state is never reused. Two archives served on 127.0.0.1.
export CINIT_SRC=${CINIT_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../lib/common
load ../lib/http

setup_file() {
    local d=$BATS_FILE_TMPDIR
    mkdir -p "$d/www/a/dists/s/" "$d/www/a/dists/s-updates/" "$d/www/b/dists/s-security/"
    echo one > "$d/www/a/dists/s/InRelease"
    echo two > "$d/www/a/dists/s-updates/InRelease"
    echo three > "$d/www/b/dists/s-security/InRelease"
    start_http "$d/www" "$d/http" > "$d/url"
}

teardown_file() {
    stop_http "$BATS_FILE_TMPDIR/http"
}

setup() {
    D=$BATS_FILE_TMPDIR
    URL=$(cat "$D/url")
}

# rootfs TAR LINES...: a rootfs tarball whose etc/apt/sources.list has LINES
rootfs() {
    local tar=$1 r=$BATS_TEST_TMPDIR/root-$RANDOM
    shift
    mkdir -p "$r/etc/apt"
    printf '%s\n' "$@" > "$r/etc/apt/sources.list"
    tar -C "$r" -cf "$tar" .
}

state() { "$SRC/tools/mkimage" archive-state "$@"; }

@test "the same archives give the same state; any of them changed, another one" {
    local t=$BATS_TEST_TMPDIR/r.tar s1 s2
    rootfs "$t" "deb $URL/a s main" "deb $URL/a s-updates main" "deb $URL/b s-security main"
    s1=$(state "$t")
    [[ $s1 =~ ^[0-9a-f]{32}$ ]]
    assert_equal "$(state "$t")" "$s1"
    echo two-and-a-fix > "$D/www/a/dists/s-updates/InRelease"
    s2=$(state "$t")
    [ "$s2" != "$s1" ]
    echo two > "$D/www/a/dists/s-updates/InRelease"
    assert_equal "$(state "$t")" "$s1"
    echo three-and-a-fix > "$D/www/b/dists/s-security/InRelease"
    [ "$(state "$t")" != "$s1" ]
    echo three > "$D/www/b/dists/s-security/InRelease"
}

@test "the order of the lines, their options and the second rootfs of a cross build" {
    local a=$BATS_TEST_TMPDIR/a.tar b=$BATS_TEST_TMPDIR/b.tar c=$BATS_TEST_TMPDIR/c.tar
    rootfs "$a" "deb $URL/a s main" "deb $URL/b s-security main"
    rootfs "$b" "deb $URL/b s-security main" "# a comment" "deb [arch=arm64] $URL/a s main contrib"
    assert_equal "$(state "$b")" "$(state "$a")"
    # the same archive named by both rootfs counts once; another one counts
    assert_equal "$(state "$a" "$b")" "$(state "$a")"
    rootfs "$c" "deb $URL/a s-updates main"
    [ "$(state "$a" "$c")" != "$(state "$a")" ]
}

@test "an archive that cannot be read stops it, naming the index" {
    local t=$BATS_TEST_TMPDIR/r.tar
    rootfs "$t" "deb $URL/a s main" "deb $URL/a nosuch main"
    run state "$t"
    assert_failure
    assert_output --partial "cannot read $URL/a/dists/nosuch/InRelease"
}
