# Reproducible images (docs/image.md "Reproducibility"): the same rootfs, mirror state, sources
# and SOURCE_DATE_EPOCH give the same image ID, layers and registry digest, with or without the
# build cache; a changed input changes them. Works under its own image name (cinit-repro-test/)
# and on the rootfs tarball make image uses (built once, shared with the image suites).
# It builds noble, an Ubuntu suite: trixie's cached and no-cache builds are nightly.bats's (a
# nightly, then one --no-cache on the unchanged archive that must give the same ID and push
# nothing).
# Cost (2 cores): one no-cache build, ~2 min; one of the compat flavor, ~1 min; one build of a
# changed copy, from the cache.
load ../lib/common
load ../lib/registry

# REPRO_SUITE, REPRO_ARCH: another suite or arch than noble on the host's (by hand)
SUITE=${REPRO_SUITE:-noble}

setup_file() {
    "$SRC/tools/ensure-packages" nightly image
    RT=$BATS_FILE_TMPDIR
    RT_IMAGE=cinit-repro-test/base
    RT_ARCH=${REPRO_ARCH:-$(dpkg --print-architecture)}
    RT_TAR=$SRC/build/rootfs-$SUITE-$RT_ARCH.tar
    [ -s "$RT_TAR" ] || make -s -C "$SRC" rootfs SUITE="$SUITE" ARCH="$RT_ARCH" > "$RT/rootfs.log" 2>&1 ||
        { cat "$RT/rootfs.log" >&2; return 1; }
    # two registries: the second one's storage is empty when the second build is pushed, so
    # that its digest cannot come from blobs the first push left (skopeo reuses those)
    RT_REG1=$(start_registry "$RT/reg1")
    RT_REG2=$(start_registry "$RT/reg2")
    export RT RT_IMAGE RT_ARCH RT_TAR RT_REG1 RT_REG2
}

teardown_file() {
    stop_registry "$RT/reg1"
    stop_registry "$RT/reg2"
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^(cinit-repro-test/|127\.0\.0\.1:)" |
        grep -E "^(cinit-repro-test/|$RT_REG1/|$RT_REG2/)" | xargs -r docker rmi -f > /dev/null 2>&1 || :
    buildah images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/cinit-repro-test/' |
        xargs -r buildah rmi > /dev/null 2>&1 || :
}

# build TAG [MAKE ARGS...]: make image of the checkout (or of SRC=DIR) as RT_IMAGE:TAG
build() {
    local tag=$1 src=${SRC_DIR:-$SRC}
    shift
    make -s -C "$src" image SUITE="$SUITE" ARCH="$RT_ARCH" IMAGE="$RT_IMAGE" TAGS="$tag" "$@" > "$RT/build-$tag.log" 2>&1 ||
        { tail -n 40 "$RT/build-$tag.log"; return 1; }
}

layers_of() { docker image inspect -f '{{json .RootFS.Layers}}' "$1"; }

@test "two builds, one without any cache, give the same image ID, layers and pushed digest" {
    local a b da db
    # the first one may come from the cache of an earlier make image of the same inputs
    build cached
    build nocache BUILD_FLAGS=--no-cache
    # (every step ran: buildah says "Using cache" for each one it did not)
    grep -qE 'STEP [0-9]+/[0-9]+: RUN sh /tmp/cinit/deb-stage build' "$SRC/build/image-$SUITE-$RT_ARCH.log"
    run grep 'Using cache' "$SRC/build/image-$SUITE-$RT_ARCH.log"
    assert_failure
    a=$(id_of "$RT_IMAGE:cached")
    b=$(id_of "$RT_IMAGE:nocache")
    echo "cached: $a $(layers_of "$RT_IMAGE:cached")"
    echo "no cache: $b $(layers_of "$RT_IMAGE:nocache")"
    [ "$a" = "$b" ]
    [ "$(layers_of "$RT_IMAGE:cached")" = "$(layers_of "$RT_IMAGE:nocache")" ]
    # every time in it is SOURCE_DATE_EPOCH, not the time of the build
    [ "$(docker image inspect -f '{{.Created}}' "$b")" = \
        "$(date -u -d "@$("$SRC/tools/mkimage" epoch "$RT_TAR")" +%Y-%m-%dT%H:%M:%SZ)" ]
    [ "$(docker image inspect -f '{{.Architecture}}' "$b")" = "$RT_ARCH" ]
    # and so is the day of every user's last password change, also of the users that the
    # packages' scripts created during the build (they wrote the day of the build); useradd's
    # backups of the files are not kept
    run docker run --rm --network none "$b" sh -c 'cut -d: -f3 /etc/shadow | sort -u; ls /etc/*- 2> /dev/null || :'
    assert_output "$(( $("$SRC/tools/mkimage" epoch "$RT_TAR") / 86400 ))"

    # pushed into two registries (each from another store): the same manifest digest
    run "$SRC/tools/registry" push "docker-daemon:$RT_IMAGE:cached" "$RT_REG1/repro/base:$SUITE"
    assert_success
    da=${output##* }
    run "$SRC/tools/registry" push "containers-storage:localhost/$RT_IMAGE:nocache" "$RT_REG2/repro/base:$SUITE"
    assert_success
    db=${output##* }
    echo "digests: $da $db"
    [[ $da = sha256:* ]]
    [ "$da" = "$db" ]
    # and what the registry serves is that image: a pull gives the same ID back
    docker pull -q "$RT_REG2/repro/base:$SUITE"
    [ "$(id_of "$RT_REG2/repro/base:$SUITE")" = "$a" ]
    # pushed again: nothing new in the registry, the same digest
    registry_contents "$RT/reg2" > "$RT/before"
    run "$SRC/tools/registry" push "docker-daemon:$RT_IMAGE:nocache" "$RT_REG2/repro/base:$SUITE"
    assert_success
    [ "${output##* }" = "$db" ]
    registry_contents "$RT/reg2" > "$RT/after"
    diff "$RT/before" "$RT/after"
}

@test "the compat flavor: two builds on the same minimal image, one without any cache, give the same image ID and layers" {
    local a b base
    build cached
    build compat-cached FLAVOR=compat BASE_IMAGE="$RT_IMAGE:cached"
    build compat-nocache FLAVOR=compat BASE_IMAGE="$RT_IMAGE:cached" BUILD_FLAGS=--no-cache
    # (its step ran again: buildah says "Using cache" for each one it did not)
    run grep 'Using cache' "$SRC/build/image-$SUITE-compat-$RT_ARCH.log"
    assert_failure
    a=$(id_of "$RT_IMAGE:compat-cached")
    b=$(id_of "$RT_IMAGE:compat-nocache")
    echo "cached: $a $(layers_of "$RT_IMAGE:compat-cached")"
    echo "no cache: $b $(layers_of "$RT_IMAGE:compat-nocache")"
    # on a difference, which files differ (what to make reproducible next)
    if [ "$a" != "$b" ]; then
        local t c
        for t in cached nocache; do
            mkdir -p "$RT/fs-$t"
            c=$(docker create "$RT_IMAGE:compat-$t" /bin/true)
            docker export "$c" | tar -x -C "$RT/fs-$t" --exclude='dev/*' 2> /dev/null || :
            docker rm "$c" > /dev/null
        done
        diff -rq --no-dereference "$RT/fs-cached" "$RT/fs-nocache" | head -n 40 || :
    fi
    [ "$a" = "$b" ]
    [ "$(layers_of "$RT_IMAGE:compat-cached")" = "$(layers_of "$RT_IMAGE:compat-nocache")" ]
    # one layer on the minimal image, whose layers it shares
    base=$(layers_of "$RT_IMAGE:cached")
    [[ $(layers_of "$RT_IMAGE:compat-cached") = "${base%]}",* ]]
    [ "$(docker image inspect -f '{{.Created}}' "$RT_IMAGE:compat-cached")" = "$(docker image inspect -f '{{.Created}}' "$RT_IMAGE:cached")" ]
}

@test "one more file in image/ changes the image ID, and the change report names the file" {
    local copy=$RT/src a b r
    mkdir -p "$copy/build"
    tar -C "$SRC" --exclude=./build --exclude=./dist --exclude=./.git -cf - . | tar -C "$copy" -xf -
    local t
    # (and, for another arch, the host's rootfs, where its package is cross-compiled)
    for t in "$RT_TAR" "$SRC/build/rootfs-$SUITE-$(dpkg --print-architecture).tar"; do
        ln -f "$t" "$copy/build/" 2> /dev/null || cp "$t" "$copy/build/"
    done
    echo "one more file" > "$copy/image/services/syslog/repro-test-extra"
    SRC_DIR=$copy build changed
    docker image inspect "$RT_IMAGE:cached" > /dev/null 2>&1 || build cached
    a=$(id_of "$RT_IMAGE:cached")
    b=$(id_of "$RT_IMAGE:changed")
    [ "$a" != "$b" ]
    run docker run --rm --network none --entrypoint cat "$RT_IMAGE:changed" /etc/service/syslog/repro-test-extra
    assert_success
    assert_output "one more file"

    # same packages, another image: the report says which files differ (/etc/service is a link
    # into /etc/runit/runsvdir, where the file really is)
    REPORTS=$RT/reports NIGHTLY_DATE=19700101 IMAGE=$RT_IMAGE \
        "$SRC/tools/nightly" report "$SUITE" "$RT_IMAGE:cached" "$RT_IMAGE:changed"
    r=$RT/reports/$SUITE-19700101.md
    cat "$r"
    grep -E '^Packages: [0-9]+ installed; 0 added, 0 removed, 0 upgraded, 0 downgraded\.$' "$r"
    sed -n '/^## File changes/,$p' "$r" | grep -E '^\+[0-9a-f]{64}  etc/(service|runit/runsvdir/default)/syslog/repro-test-extra$'
    sed -n '/^## File changes/,$p' "$r" | grep -E '^\+-rw-r--r-- 0/0 14 +etc/(service|runit/runsvdir/default)/syslog/repro-test-extra$'
}
