#!/usr/bin/env bats
# tools/ubuntu-keyring step 3 (docs/image.md, "Suites"): Ubuntu's keyring taken from a Debian
# archive is trusted only through the Debian archive key. Here the archive is a small one served
# on 127.0.0.1, signed with a throwaway key that stands in for Debian's; every link of the chain
# (InRelease signature and expiry, the index's SHA256, the .deb's SHA256) is broken once.
# And tools/mkrootfs's Ubuntu mirror: debootstrap's own default for the suite and arch.
export CINIT_SRC=${CINIT_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../lib/common
load ../lib/http

setup_file() {
    local d=$BATS_FILE_TMPDIR
    export GNUPGHOME=$d/gnupg
    mkdir -m 0700 "$GNUPGHOME"
    gpg --batch -q --passphrase '' --quick-gen-key 'cinit test archive <archive@test.invalid>' ed25519 sign never
    gpg --batch -q --export archive@test.invalid > "$d/archive.gpg"
    gpg --batch -q --passphrase '' --quick-gen-key 'someone else <other@test.invalid>' ed25519 sign never
    gpg --batch -q --export other@test.invalid > "$d/other.gpg"
    # the "Ubuntu keyring" the package carries: any keyring will do
    mkdir -p "$d/pkg/DEBIAN" "$d/pkg/usr/share/keyrings"
    cp "$d/other.gpg" "$d/pkg/usr/share/keyrings/ubuntu-archive-keyring.gpg"
    printf 'Package: ubuntu-keyring\nVersion: 2099.01.01-1\nArchitecture: all\nMaintainer: t <t@test.invalid>\nDescription: test\n' > "$d/pkg/DEBIAN/control"
    mkdir -p "$d/www/pool/main/u/ubuntu-keyring"
    dpkg-deb --root-owner-group -b "$d/pkg" "$d/www/pool/main/u/ubuntu-keyring/ubuntu-keyring_2099.01.01-1_all.deb" > /dev/null
    start_http "$d/www" "$d/http" > "$d/url"
}

teardown_file() {
    stop_http "$BATS_FILE_TMPDIR/http"
}

setup() {
    D=$BATS_FILE_TMPDIR
    export GNUPGHOME=$D/gnupg
    WWW=$D/www
    DEBIAN_MIRROR=$(cat "$D/url")
    export DEBIAN_MIRROR DEBIAN_KEYRING=$D/archive.gpg
    export KEYRING_CACHE=$BATS_TEST_TMPDIR/cache KEYRING_SUITES=trixie
    DEB=pool/main/u/ubuntu-keyring/ubuntu-keyring_2099.01.01-1_all.deb
    ARCH=$(dpkg --print-architecture)
}

# archive [VALID_UNTIL [DEB_SHA256]]: (re)write dists/trixie with a signed InRelease
archive() {
    local until=${1:-$(date -u -d '+7 days' '+%a, %d %b %Y %H:%M:%S UTC')} sum=${2:-}
    local dir=$WWW/dists/trixie idx=main/binary-$ARCH/Packages.xz
    [ -n "$sum" ] || sum=$(sha256sum < "$WWW/$DEB" | cut -d' ' -f1)
    mkdir -p "$dir/main/binary-$ARCH"
    printf 'Package: ubuntu-keyring\nVersion: 2099.01.01-1\nArchitecture: all\nFilename: %s\nSize: %s\nSHA256: %s\n\n' \
        "$DEB" "$(stat -c %s "$WWW/$DEB")" "$sum" | xz -c > "$dir/$idx"
    {
        printf 'Origin: Debian\nSuite: stable\nCodename: trixie\nDate: %s\nValid-Until: %s\nSHA256:\n' \
            "$(date -u '+%a, %d %b %Y %H:%M:%S UTC')" "$until"
        printf ' %s %s %s\n' "$(sha256sum < "$dir/$idx" | cut -d' ' -f1)" "$(stat -c %s "$dir/$idx")" "$idx"
    } > "$dir/Release"
    rm -f "$dir/InRelease"
    gpg --batch -q --local-user archive@test.invalid --clearsign -o "$dir/InRelease" "$dir/Release"
}

@test "a verified chain: the keyring is extracted into the cache, then found there offline" {
    archive
    run "$SRC/tools/ubuntu-keyring"
    assert_success
    assert_line --index 0 --partial 'looking for ubuntu-keyring in'
    local path=${lines[-1]}
    assert_equal "$path" "$KEYRING_CACHE/ubuntu-keyring_2099.01.01-1/usr/share/keyrings/ubuntu-archive-keyring.gpg"
    cmp "$path" "$D/other.gpg"
    # the next call needs no archive: it finds the cache
    DEBIAN_MIRROR=http://127.0.0.1:9 run "$SRC/tools/ubuntu-keyring"
    assert_success
    assert_output "$path"
}

@test "an InRelease not signed by the trusted key is refused" {
    archive
    DEBIAN_KEYRING=$D/other.gpg run "$SRC/tools/ubuntu-keyring"
    assert_failure
    assert_output --partial 'is not signed by a key of'
    assert [ ! -e "$KEYRING_CACHE" ]
}

@test "a changed InRelease (signature no longer matches) is refused" {
    archive
    sed -i 's/^Codename: trixie/Codename: trixiE/' "$WWW/dists/trixie/InRelease"
    run "$SRC/tools/ubuntu-keyring"
    assert_failure
    assert_output --partial 'is not signed by a key of'
}

@test "an expired InRelease is refused" {
    archive 'Mon, 01 Jan 2001 00:00:00 UTC'
    run "$SRC/tools/ubuntu-keyring"
    assert_failure
    assert_output --partial 'expired on Mon, 01 Jan 2001'
}

@test "an index whose SHA256 is not the signed one is refused" {
    archive
    printf 'Package: ubuntu-keyring\n' | xz -c > "$WWW/dists/trixie/main/binary-$ARCH/Packages.xz"
    run "$SRC/tools/ubuntu-keyring"
    assert_failure
    assert_output --partial 'does not have the SHA256 its signed InRelease gives'
}

@test "a .deb whose SHA256 is not the index's is refused, and nothing is extracted" {
    archive '' "$(printf x | sha256sum | cut -d' ' -f1)"
    run "$SRC/tools/ubuntu-keyring"
    assert_failure
    assert_output --partial "does not have the SHA256 of trixie's signed index"
    assert [ ! -e "$KEYRING_CACHE" ]
}

@test "mkrootfs: an Ubuntu suite's mirror is debootstrap's default for its arch; an unreachable one stops it at once" {
    [ "$(id -u)" = 0 ]
    local script=/usr/share/debootstrap/scripts/noble want
    [ -e "$script" ] || script=/usr/share/debootstrap/scripts/gutsy
    # what debootstrap's script names for a non-x86 arch (the ports archive)
    want=$(awk '/^  \*\)/ { o = 1 } o && /default_mirror/ { print $2; exit }' "$script")
    [ -n "$want" ]
    # the keyring is given, the mirror is not: an unroutable proxy makes the fetch fail at once
    KEYRING=$D/other.gpg ARCH=arm64 http_proxy=http://127.0.0.1:9 ROOTFS_CACHE=none \
        CACHE_DIR=$BATS_TEST_TMPDIR/c run timeout 120 "$SRC/tools/mkrootfs" noble "$BATS_TEST_TMPDIR/r.tar"
    assert_failure 1
    assert_output --partial "[rootfs] checking $want/dists/noble/InRelease"
    assert_output --partial "mirror $want is not reachable or has no suite noble"
    assert_output --partial 'set MIRROR=<archive URL that serves noble for arm64>'
    assert [ ! -e "$BATS_TEST_TMPDIR/r.tar" ]
}
