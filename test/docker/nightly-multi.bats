# make nightly of suites × arches (DESIGN.md §4: one multi-platform tag per suite), against a
# local registry (Debian's docker-registry on 127.0.0.1), under its own image name
# (cinit-nightly-multi/) and build directory. Apart from nightly.bats because it needs the
# images of every arch of IMAGE_ARCHES built first (tools/run-tests runs it once the arch lanes
# are done), where nightly.bats needs only the host's.
# Default: trixie × the arches of IMAGE_ARCHES (the host's, and arm64 on an amd64 host), whose
# rootfs tarballs and image layers make test built already, so that only the nightly's own work
# is added; NT_MULTI_SUITES="trixie bookworm" runs the 2 × 2 (bookworm arm64 is not built
# elsewhere in make test: its debootstrap and system stage under emulation cost more than its
# budget), NT_MULTI_ARCHES other arches. The gate is one test: image.bats runs in full elsewhere.
load ../lib/common
load ../lib/registry

setup_file() {
    "$SRC/tools/ensure-packages" nightly image
    NM=$BATS_FILE_TMPDIR
    NM_IMAGE=cinit-nightly-multi/multi
    NM_DATE=$(date -u +%Y%m%d)
    NM_ADDR=$(start_registry "$NM/registry")
    export NM NM_IMAGE NM_DATE NM_ADDR
}

teardown_file() {
    stop_registry "$NM/registry"
    buildah images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/cinit-nightly-multi/' |
        xargs -r buildah rmi > /dev/null 2>&1 || :
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^(cinit-nightly-multi/|$NM_ADDR/)" |
        grep -v ':<none>$' | xargs -r docker rmi -f > /dev/null
}

@test "a nightly of suites × arches leaves one multi-platform tag per suite in the registry" {
    local suites=${NT_MULTI_SUITES:-trixie} s a raw ref host
    local arches=${NT_MULTI_ARCHES:-${IMAGE_ARCHES:-$(dpkg --print-architecture)}}
    host=$(dpkg --print-architecture)
    # the lanes' rootfs tarballs, as NIGHTLY_ROOTFS=keep takes them: a suite × arch make test did
    # not build is bootstrapped by the nightly
    mkdir -p "$NM/build"
    for s in $suites; do
        for a in $arches; do
            [ -s "$SRC/build/rootfs-$s-$a.tar" ] || continue
            ln -f "$SRC/build/rootfs-$s-$a.tar" "$NM/build/" 2> /dev/null ||
                cp "$SRC/build/rootfs-$s-$a.tar" "$NM/build/"
        done
    done
    run make -s -C "$SRC" nightly SUITES="$suites" ARCHES="$arches" IMAGE="$NM_IMAGE" BUILD="$NM/build" \
        REGISTRY="$NM_ADDR/multi" REPORTS="$NM/reports" NIGHTLY_DATE="$NM_DATE" \
        NIGHTLY_GATE=test/docker/image.bats NIGHTLY_GATE_FILTER='exit code is the container' \
        NIGHTLY_ROOTFS=keep NIGHTLY_CACHE=yes
    echo "$output"
    assert_success
    for s in $suites; do
        ref=$NM_ADDR/multi/multi:$s  # the registry repository is the last part of IMAGE
        raw=$(skopeo inspect --tls-verify=false --raw "docker://$ref")
        jq -e --arg want "$(for a in $arches; do echo "linux/$a"; done | sort | jq -R . | jq -sc .)" \
            '.mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
             and ([.manifests[].platform | "\(.os)/\(.architecture)"] | sort | tojson) == $want' <<< "$raw"
        [ "$(registry_digest "$NM_ADDR" multi/multi "$s-$NM_DATE")" = "$(registry_digest "$NM_ADDR" multi/multi "$s")" ]
        for a in $arches; do
            [ "$("$SRC/tools/registry" config "$ref" "$a")" = "$(id_of "$NM_IMAGE:$s-$a")" ]
            [ "$(docker image inspect -f '{{.Architecture}}' "$NM_IMAGE:$s-$a")" = "$a" ]
            # what a user on that platform pulls
            docker pull -q --platform "linux/$a" "$ref"
            [ "$(docker image inspect -f '{{.Architecture}}' "$ref")" = "$a" ]
            docker rmi "$ref" > /dev/null
        done
        docker pull -q "$ref"
        [ "$(docker image inspect -f '{{.Architecture}}' "$ref")" = "$host" ]
        docker rmi "$ref" > /dev/null
    done
}
