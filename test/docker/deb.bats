# cinit-tools as a user gets it (docs/design.md §3): `make deb` in a fresh copy of the tree, `make repo`,
# then `apt-get install cinit-tools` from that signed repository into a plain debootstrapped
# container of the suite (cinit/rootfs:SUITE-ARCH, which has no cinit inside).
# The containers have no network: the test repository also holds runit and what it pulls in
# (fetched once per rootfs image into build/deb-test/) and a tiny package for install_clean.
# shellcheck disable=SC2016 # the single-quoted scripts are expanded by the shell they run in
load ../lib/common

SUITE=${SUITE:-trixie}

setup_file() {
    "$SRC/tools/ensure-packages" deb
    D=$BATS_FILE_TMPDIR
    ROOTFS=cinit/rootfs:$SUITE-$(dpkg --print-architecture)
    export D ROOTFS
    if ! docker image inspect "$ROOTFS" > /dev/null 2>&1; then
        make -s -C "$SRC" rootfs SUITE="$SUITE" >&2
    fi
    docker image inspect "$ROOTFS" > /dev/null

    # the package, built as from a fresh checkout
    copy_tree "$D/a/cinit"
    make -C "$D/a/cinit" deb > "$D/build-a.log" 2>&1 || { cat "$D/build-a.log" >&2; return 1; }
    DEB=$(echo "$D"/a/cinit/dist/cinit-tools_*.deb)
    export DEB
    [ -f "$DEB" ]

    fetch_runit
    make_dummy "$D/dist"
    cp "$DEB" "$RUNIT_DEBS"/*.deb "$D/dist/"
    make -C "$SRC" repo DIST="$D/dist" REPO_SUITE="$SUITE" > "$D/repo.log" 2>&1 ||
        { cat "$D/repo.log" >&2; return 1; }
    REPO=$D/dist/repo
    export REPO
}

# copy_tree DIR: the source tree without version control and build outputs, like a checkout
copy_tree() {
    mkdir -p "$1"
    tar -C "$SRC" -c --exclude=./.git --exclude=./build --exclude=./dist . | tar -C "$1" -x
}

# runit and everything it pulls in on this rootfs (recommends included, as `apt install` does
# by default): downloaded once per rootfs image, the only step that needs the network.
fetch_runit() {
    local id
    id=$(docker image inspect -f '{{.Id}}' "$ROOTFS")
    id=${id#sha256:}
    RUNIT_DEBS=$SRC/build/deb-test/runit-$SUITE-${id:0:16}
    export RUNIT_DEBS
    [ -d "$RUNIT_DEBS" ] && return 0
    rm -rf "$RUNIT_DEBS.tmp"
    mkdir -p "$RUNIT_DEBS.tmp"
    docker run --rm --network host -v "$RUNIT_DEBS.tmp:/out" "$ROOTFS" sh -c '
        set -e
        apt-get update -qq
        apt-get install -qq -y --download-only runit > /dev/null
        cp /var/cache/apt/archives/*.deb /out/' >&2
    # the packages of earlier rootfs images are of no more use
    local old
    for old in "$SRC/build/deb-test/runit-$SUITE-"*; do
        [ "$old" = "$RUNIT_DEBS.tmp" ] || rm -rf "$old"
    done
    mv "$RUNIT_DEBS.tmp" "$RUNIT_DEBS"
}

# make_dummy DIR: cinit-test-dummy, a package without dependencies, for install_clean to install
make_dummy() {
    local p=$D/dummy
    mkdir -p "$p/DEBIAN" "$p/usr/share/cinit-test-dummy" "$1"
    cat > "$p/DEBIAN/control" <<EOF
Package: cinit-test-dummy
Version: 1.0
Architecture: all
Maintainer: cinit developers <cinit@example.org>
Description: test package of the cinit test suite
EOF
    echo hello > "$p/usr/share/cinit-test-dummy/hello"
    dpkg-deb --root-owner-group -b "$p" "$1/cinit-test-dummy_1.0_all.deb" > /dev/null
}

# in_plain SCRIPT [REPO_DIR]: SCRIPT (sh) in a fresh plain container whose only apt source is
# the repository REPO_DIR (default: the one made by setup_file) at /repo, set up as docs/image.md
# tells users to.
in_plain() {
    docker run --rm -v "${2:-$REPO}:/repo:ro" -e SUITE="$SUITE" "$ROOTFS" sh -c "
        set -e
        rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
        mkdir -p /etc/apt/keyrings
        cp /repo/cinit-archive-keyring.gpg /etc/apt/keyrings/
        echo \"deb [signed-by=/etc/apt/keyrings/cinit-archive-keyring.gpg] file:/repo \$SUITE main\" \\
            > /etc/apt/sources.list.d/cinit.list
        export DEBIAN_FRONTEND=noninteractive
        $1"
}

@test "make deb: every program of DESIGN §1 at its path, with its man page" {
    local x=$D/contents
    rm -rf "$x"
    dpkg-deb -x "$DEB" "$x"
    local p
    for p in usr/sbin/cinit usr/sbin/setuser usr/bin/contenv usr/sbin/cinit-syslogd \
        usr/bin/cinit-health usr/sbin/install_clean; do
        assert_file_executable "$x/$p"
        assert [ ! -L "$x/$p" ]
    done
    run readlink "$x/usr/sbin/my_init"
    assert_output cinit
    run readlink "$x/usr/bin/with-contenv"
    assert_output contenv
    for p in cinit my_init setuser contenv with-contenv cinit-syslogd cinit-health install_clean; do
        run compgen -G "$x/usr/share/man/man[1-8]/$p.[1-8].gz"
        assert_success
    done
    # nothing else than these programs, their man pages and the package's documentation
    run sh -c "cd '$x' && find . ! -type d | sort"
    refute_line --regexp '^\./(etc|var|lib|bin|sbin|opt)/'
    refute_line --regexp '^\./usr/(lib|libexec|local)/'
}

@test "make deb: version from debian/changelog, Depends on runit, file name in dist/" {
    local v arch
    v=$(awk -F'[()]' 'NR==1 {print $2; exit}' "$SRC/debian/changelog")
    arch=$(dpkg --print-architecture)
    assert_equal "$(basename "$DEB")" "cinit-tools_${v}_$arch.deb"
    run dpkg-deb -f "$DEB" Version
    assert_output "$v"
    run dpkg-deb -f "$DEB" Depends
    assert_output --regexp '(^|, )runit(,|$)'
    # the programs say the upstream part of the same version
    local x=$D/contents
    rm -rf "$x"
    dpkg-deb -x "$DEB" "$x"
    run "$x/usr/sbin/install_clean" --version
    assert_output --partial "${v%-*}"
}

@test "lintian: no errors, no warnings; every override says why" {
    run lintian --fail-on error,warning --display-level '>=warning' "$D"/a/cinit/dist/.build/*.changes
    assert_success
    refute_line --regexp '^[EW]: '
    # an override line needs a comment (its reason) right above it
    local f
    for f in "$SRC"/debian/*lintian-overrides; do
        run awk '/^#/ { c = 1; next } /^[^[:space:]]/ && !c { print FILENAME ": " $0 } { c = 0 }' "$f"
        assert_output ""
    done
}

@test "reproducible: a build of the same tree from another directory gives the same bytes" {
    copy_tree "$D/b/another/place/src"
    (cd "$D/b/another/place/src" && umask 027 && TZ=Asia/Tokyo make deb) > "$D/build-b.log" 2>&1 ||
        { cat "$D/build-b.log"; false; }
    local name
    for name in "$(basename "$DEB")" .build/"$(cd "$D/a/cinit/dist/.build" && echo cinit-tools-dbgsym_*.deb)"; do
        cmp "$D/a/cinit/dist/$name" "$D/b/another/place/src/dist/$name"
    done
    # every file is dated from debian/changelog (SOURCE_DATE_EPOCH), not from the build
    local sde
    sde=$(cd "$SRC" && dpkg-parsechangelog -STimestamp)
    run sh -c "dpkg-deb --fsys-tarfile '$DEB' | tar -t -v --full-time | awk '{ print \$4, \$5 }' | sort -u"
    assert_output "$(TZ=UTC date -d "@$sde" '+%Y-%m-%d %H:%M:%S')"
}

@test "make repo: pool, indexes, Release signed inline and detached, binary public keyring" {
    local s=$REPO/dists/$SUITE
    assert_file_exist "$REPO/pool/main/c/cinit/$(basename "$DEB")"
    assert_file_exist "$s/main/binary-$(dpkg --print-architecture)/Packages"
    assert_file_exist "$s/main/binary-$(dpkg --print-architecture)/Packages.gz"
    run zcat "$s/main/binary-$(dpkg --print-architecture)/Packages.gz"
    assert_line "Package: cinit-tools"
    assert_line "Filename: pool/main/c/cinit/$(basename "$DEB")"
    run grep -E '^(Suite|Codename|Components):' "$s/Release"
    assert_output "Codename: $SUITE
Components: main
Suite: $SUITE"
    # a binary OpenPGP keyring (not armored) that verifies both signatures
    run head -c 5 "$REPO/cinit-archive-keyring.gpg"
    refute_output "-----"
    gpgv --keyring "$REPO/cinit-archive-keyring.gpg" "$s/InRelease"
    gpgv --keyring "$REPO/cinit-archive-keyring.gpg" "$s/Release.gpg" "$s/Release"
    # no key was given: the build says that it signed with a throwaway key kept in dist/
    run cat "$D/repo.log"
    assert_output --partial "making a throwaway signing key, $D/dist/cinit-throwaway-key.asc"
    run stat -c %a "$D/dist/cinit-throwaway-key.asc"
    assert_output 600
}

@test "make repo: reuses the throwaway key; signs with GPG_KEY_FILE or GPG_KEY when given" {
    local fpr_of='gpg --with-colons --show-keys | awk -F: '\''$1 == "fpr" { print $10; exit }'\'
    local before after
    before=$(sh -c "$fpr_of" < "$REPO/cinit-archive-keyring.gpg")
    mkdir -p "$D/dist-again"
    cp "$DEB" "$D/dist-again/"
    cp "$D/dist/cinit-throwaway-key.asc" "$D/dist-again/"
    run make -s -C "$SRC" repo DIST="$D/dist-again" REPO_SUITE="$SUITE"
    assert_success
    assert_output --partial "signing with the throwaway key"
    after=$(sh -c "$fpr_of" < "$D/dist-again/repo/cinit-archive-keyring.gpg")
    assert_equal "$after" "$before"

    # a user's key (short GNUPGHOME: gpg-agent's socket path is limited)
    local home fpr
    home=$(mktemp -d /tmp/cinit-test-gpg.XXXXXX)
    GNUPGHOME=$home gpg --batch --quiet --passphrase '' --quick-gen-key "deb test <t@example.org>" ed25519 sign never
    fpr=$(GNUPGHOME=$home gpg --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
    GNUPGHOME=$home gpg --batch --armor --export-secret-keys > "$D/user-key.asc"
    mkdir -p "$D/dist-file" "$D/dist-id"
    cp "$DEB" "$D/dist-file/"
    cp "$DEB" "$D/dist-id/"
    run make -s -C "$SRC" repo DIST="$D/dist-file" REPO_SUITE="$SUITE" GPG_KEY_FILE="$D/user-key.asc"
    assert_success
    refute_output --partial throwaway
    assert_file_not_exist "$D/dist-file/cinit-throwaway-key.asc"
    assert_equal "$(sh -c "$fpr_of" < "$D/dist-file/repo/cinit-archive-keyring.gpg")" "$fpr"
    GNUPGHOME=$home run make -s -C "$SRC" repo DIST="$D/dist-id" REPO_SUITE="$SUITE" GPG_KEY="$fpr"
    GNUPGHOME=$home gpgconf --kill all
    rm -rf "$home"
    assert_success
    assert_file_not_exist "$D/dist-id/cinit-throwaway-key.asc"
    assert_equal "$(sh -c "$fpr_of" < "$D/dist-id/repo/cinit-archive-keyring.gpg")" "$fpr"
    gpgv --keyring "$D/dist-id/repo/cinit-archive-keyring.gpg" "$D/dist-id/repo/dists/$SUITE/InRelease"
}

@test "apt-get install cinit-tools into a plain container: group, directories, my_init boots" {
    run in_plain '
        apt-get update -q > /dev/null
        apt-get install -q -y cinit-tools > /tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 90; }
        getent group docker_env
        for d in /etc/my_init.d /etc/my_init.pre_shutdown.d /etc/my_init.post_shutdown.d \
            /etc/container_environment; do
            stat -c "%n %F %a %U %G" "$d"
        done
        test -d /etc/service && echo "/etc/service is a directory"
        for p in runsvdir sv; do command -v "$p" > /dev/null && echo "$p found"; done
        for p in cinit my_init setuser contenv with-contenv cinit-syslogd cinit-health install_clean; do
            "$p" --version > /dev/null && echo "$p --version ok"
        done
        exec /sbin/my_init -- sh -c "echo main command runs; exit 7"'
    assert_failure 7
    assert_line "docker_env:x:8377:"
    assert_line "/etc/my_init.d directory 755 root root"
    assert_line "/etc/my_init.pre_shutdown.d directory 755 root root"
    assert_line "/etc/my_init.post_shutdown.d directory 755 root root"
    assert_line "/etc/container_environment directory 700 root root"
    assert_line "/etc/service is a directory"
    assert_line "runsvdir found"
    assert_line "sv found"
    local p
    for p in cinit my_init setuser contenv with-contenv cinit-syslogd cinit-health install_clean; do
        assert_line "$p --version ok"
    done
    assert_line "main command runs"
}

@test "install_clean installs a package from the repository and leaves no lists or caches" {
    run in_plain '
        apt-get update -q > /dev/null
        apt-get install -q -y --no-install-recommends cinit-tools > /dev/null 2>&1
        rm -rf /var/lib/apt/lists/*
        install_clean cinit-test-dummy > /tmp/ic.log 2>&1 || { cat /tmp/ic.log; exit 90; }
        cat /usr/share/cinit-test-dummy/hello
        dpkg-query -W -f "\${Package} \${Status}\n" cinit-test-dummy
        echo "lists: $(ls -A /var/lib/apt/lists | wc -l)"
        echo "archives: $(find /var/cache/apt -name "*.deb" | wc -l)"
        echo "caches: $(find /var/cache/apt -name "*.bin" | wc -l)"'
    assert_success
    assert_line "hello"
    assert_line "cinit-test-dummy install ok installed"
    assert_line "lists: 0"
    assert_line "archives: 0"
    assert_line "caches: 0"
}

@test "apt-get purge cinit-tools leaves nothing behind" {
    run in_plain '
        # the file system, users and groups, but not apt/dpkg bookkeeping, logs and caches;
        # the shadow tools back up /etc/group and friends to NAME- on every change
        snapshot() {
            find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
                -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log \
                -o -path "/etc/*-" \) -prune -o -printf "%p %M %u %g\n" | sort
            getent group; getent passwd
        }
        apt-get update -q > /dev/null
        apt-get install -q -y --no-install-recommends runit > /dev/null 2>&1
        snapshot > /tmp/before
        apt-get install -q -y --no-install-recommends cinit-tools > /dev/null 2>&1
        echo "created: $(cat /var/lib/cinit-tools/created | tr "\n" ",")"
        apt-get purge -q -y cinit-tools > /tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 90; }
        snapshot > /tmp/after
        diff /tmp/before /tmp/after && echo "no difference"
        dpkg-query -W -f "\${Status}\n" cinit-tools 2>&1 || :'
    assert_success
    assert_line "created: group docker_env,dir /etc/my_init.d,dir /etc/my_init.pre_shutdown.d,dir /etc/my_init.post_shutdown.d,dir /etc/container_environment,"
    assert_line "no difference"
    refute_line --partial "install ok"
}

@test "purge keeps what is not only the package's: files put there, members, an existing group" {
    # gid 8377 taken; the administrator adds a startup script and a member of docker_env
    run in_plain '
        groupadd --gid 8377 squatter
        apt-get update -q > /dev/null
        apt-get install -q -y --no-install-recommends cinit-tools > /dev/null 2>&1
        getent group docker_env | awk -F: "{ print (\$3 != 8377 && \$3 < 1000) ? \"system gid\" : \$3 }"
        printf "#!/bin/sh\n" > /etc/my_init.d/10-mine
        useradd --no-create-home --groups docker_env alice
        # (apt runs dpkg on a terminal: its lines end in CR LF)
        apt-get purge -q -y cinit-tools 2>&1 | tr -d "\r" | grep "^cinit-tools:" || :
        ls -A /etc/my_init.d
        for d in /etc/my_init.pre_shutdown.d /etc/my_init.post_shutdown.d /etc/container_environment \
            /var/lib/cinit-tools; do test -e "$d" && echo "left: $d"; done
        getent group squatter docker_env | cut -d: -f1,3'
    assert_success
    assert_line "system gid"
    assert_line "cinit-tools: keeping /etc/my_init.d: not empty"
    assert_line "cinit-tools: keeping group docker_env: it has members"
    assert_line "10-mine"
    refute_line --partial "left:"
    assert_line "squatter:8377"
    assert_line --regexp "^docker_env:"

    # docker_env and /etc/container_environment existed before: kept as they were
    run in_plain '
        groupadd --gid 1234 docker_env
        mkdir -m 0755 /etc/container_environment
        apt-get update -q > /dev/null
        apt-get install -q -y --no-install-recommends cinit-tools > /dev/null 2>&1
        getent group docker_env | cut -d: -f1,3
        stat -c "%n %a" /etc/container_environment
        apt-get purge -q -y cinit-tools > /dev/null 2>&1
        getent group docker_env | cut -d: -f1,3
        stat -c "%n %a" /etc/container_environment'
    assert_success
    assert_output "docker_env:1234
/etc/container_environment 755
docker_env:1234
/etc/container_environment 755"
}

@test "apt refuses a tampered InRelease, a tampered index and an unknown signing key" {
    local t=$D/tampered
    rm -rf "$t"
    cp -a "$REPO" "$t"
    # one byte of the signed text changed
    sed -i 's/^Label: cinit$/Label: cinjt/' "$t/dists/$SUITE/InRelease"
    rm "$t/dists/$SUITE/Release" "$t/dists/$SUITE/Release.gpg"
    run in_plain '
        apt-get update -q 2>&1 && echo "update: accepted" || echo "update: refused"
        apt-get install -q -y cinit-tools > /dev/null 2>&1 && echo "install: done" || echo "install: refused"' "$t"
    assert_line "update: refused"
    assert_line "install: refused"
    assert_output --regexp 'BADSIG|[Bb]ad signature|invalid|not signed'

    # a valid signature, but an index that is not the one signed
    rm -rf "$t"
    cp -a "$REPO" "$t"
    local p
    p=$t/dists/$SUITE/main/binary-$(dpkg --print-architecture)/Packages
    sed -i 's/^Version: /Version: 9/' "$p"
    gzip -9n < "$p" > "$p.gz"
    run in_plain '
        apt-get update -q 2>&1 && echo "update: accepted" || echo "update: refused"
        apt-get install -q -y cinit-tools > /dev/null 2>&1 && echo "install: done" || echo "install: refused"' "$t"
    assert_line "update: refused"
    assert_line "install: refused"
    assert_output --regexp '[Hh]ash [Ss]um mismatch|unexpected size'

    # signed-by names a key that did not sign the repository
    rm -rf "$t"
    cp -a "$REPO" "$t"
    local home
    home=$(mktemp -d /tmp/cinit-test-gpg.XXXXXX)
    GNUPGHOME=$home gpg --batch --quiet --passphrase '' --quick-gen-key "other <o@example.org>" ed25519 sign never
    GNUPGHOME=$home gpg --batch --export > "$t/cinit-archive-keyring.gpg"
    GNUPGHOME=$home gpgconf --kill all
    rm -rf "$home"
    run in_plain '
        apt-get update -q 2>&1 && echo "update: accepted" || echo "update: refused"' "$t"
    assert_line "update: refused"
}
