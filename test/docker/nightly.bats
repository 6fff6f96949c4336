# make nightly (docs/design.md §4): against a local registry (Debian's docker-registry on 127.0.0.1),
# under its own image name so that the tags other suites use are never touched.
# Each nightly run here is a real one (make rootfs, image build), but its gate is a fast
# part of the image suite (NT_GATE, NT_GATE_FILTER), where plain `make nightly` runs all of it
# (the image suite runs in full on its own in make test). NT_CACHE=yes lets docker reuse layers
# (NIGHTLY_CACHE), for quicker trials. Its build directory is its own (NT_BUILD): it makes
# fresh rootfs tarballs while other suites use those of make image.
load ../lib/common
load ../lib/registry

SUITE=trixie

setup_file() {
    "$SRC/tools/ensure-packages" nightly image
    NT=$BATS_FILE_TMPDIR
    NT_IMAGE=cinit-nightly-test/base
    NT_ARCH=$(dpkg --print-architecture)
    NT_DATE=$(date -u +%Y%m%d)
    NT_REPORTS=$NT/reports
    NT_GATE=${NT_GATE:-test/docker/image.bats}
    NT_GATE_FILTER=${NT_GATE_FILTER-exit code is the container|no perl, no python}
    NT_CACHE=${NT_CACHE:-no}
    NT_BUILD=$NT/build
    mkdir -p "$NT_BUILD"
    # the tarball make image used, and the mirror state it is of: what a fresh debootstrap of
    # that state must give again
    NT_REF_EPOCH=
    if [ -s "$SRC/build/rootfs-$SUITE-$NT_ARCH.tar" ]; then
        ln -f "$SRC/build/rootfs-$SUITE-$NT_ARCH.tar" "$NT/ref.tar" 2> /dev/null ||
            cp "$SRC/build/rootfs-$SUITE-$NT_ARCH.tar" "$NT/ref.tar"
        # (its times are clamped to the mirror's date, so the newest is that date)
        NT_REF_EPOCH=SOURCE_DATE_EPOCH=$(TZ=UTC date -d "$(tar --full-time -tvf "$NT/ref.tar" |
            awk '{ print $4 " " $5 }' | LC_ALL=C sort | tail -n 1)" +%s)
    fi
    NT_ADDR=$(start_registry "$NT/registry")
    NT_REG=$NT_ADDR/nightly-test
    export NT NT_IMAGE NT_ARCH NT_DATE NT_REPORTS NT_GATE NT_GATE_FILTER NT_CACHE NT_BUILD NT_REF_EPOCH NT_ADDR NT_REG
}

teardown_file() {
    stop_registry "$NT/registry"
    buildah images --format '{{.Name}}:{{.Tag}}' | grep '^localhost/cinit-nightly-test/' |
        xargs -r buildah rmi > /dev/null 2>&1 || :
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^(cinit-nightly-test/|$NT_ADDR/)" |
        grep -v ':<none>$' |
        xargs -r docker rmi -f > /dev/null
    # what derive built and no tag holds any more (the seeded "previous builds")
    if [ -f "$NT/built-images" ]; then
        xargs -r docker rmi < "$NT/built-images" > /dev/null 2>&1 || :
    fi
}

# nightly [VAR=VALUE...]: make nightly of one suite into the test's names
nightly() {
    make -s -C "$SRC" nightly SUITES=$SUITE IMAGE="$NT_IMAGE" REGISTRY="$NT_REG" BUILD="$NT_BUILD" \
        REPORTS="$NT_REPORTS" NIGHTLY_DATE="$NT_DATE" NIGHTLY_GATE="$NT_GATE" \
        NIGHTLY_GATE_FILTER="$NT_GATE_FILTER" NIGHTLY_CACHE="$NT_CACHE" "$@"
}

remote_digest() { registry_digest "$NT_ADDR" nightly-test/base "$1"; }

pkgnames() {
    docker run --rm --network none --entrypoint dpkg-query "$1" -W -f '${db:Status-Status} ${Package}\n' |
        awk '$1 == "installed" { print $2 }' | LC_ALL=C sort
}

# probe_deb VERSION: a tiny package, so that two builds can differ by one package, offline
probe_deb() {
    local d=$NT/probe-$1
    mkdir -p "$d/pkg/DEBIAN" "$d/pkg/usr/share/cinit-nightly-probe"
    echo "$1" > "$d/pkg/usr/share/cinit-nightly-probe/version"
    printf 'Package: cinit-nightly-probe\nVersion: %s\nArchitecture: all\nMaintainer: cinit tests <tests@cinit.invalid>\nDescription: probe package of the nightly tests\n' \
        "$1" > "$d/pkg/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip -b "$d/pkg" "$d/probe.deb" > /dev/null
    echo "$d"
}

# derive FROM TAG PROBE_VERSION: FROM plus the probe package, tagged TAG
derive() {
    local d
    d=$(probe_deb "$3")
    printf 'FROM %s\nCOPY probe.deb /tmp/\nRUN dpkg -i /tmp/probe.deb && rm /tmp/probe.deb\n' "$1" > "$d/Dockerfile"
    docker build -q --network none -t "$2" "$d" >> "$NT/built-images"
}

rootfs_image() {
    local ref
    ref=cinit/rootfs:$SUITE-$(dpkg --print-architecture)
    docker image inspect "$ref" > /dev/null 2>&1 || make -s -C "$SRC" rootfs SUITE=$SUITE BUILD="$NT_BUILD"
    echo "$ref"
}

# the release tags as a previous good build would have left them: here, minbase plus the probe
seed_release() {
    derive "$(rootfs_image)" "$NT_IMAGE:$SUITE" 1.0
    docker tag "$NT_IMAGE:$SUITE" "$NT_IMAGE:latest"
    docker tag "$NT_IMAGE:$SUITE" "$NT_IMAGE:$SUITE-19700101"
}

@test "a fresh debootstrap of the same mirror state gives the same tarball, byte for byte" {
    local tar=$NT_BUILD/rootfs-$SUITE-$NT_ARCH.tar ref=$NT/ref.tar epoch=$NT_REF_EPOCH fresh same=no _
    # against the tarball make image used: the rootfs cache's, of an earlier debootstrap of that
    # mirror state, or a fresh one. Without it, or when the mirror moved since (it does a few
    # times a day: its InRelease date is SOURCE_DATE_EPOCH), against another fresh one.
    for _ in 1 2 3; do
        # ROOTFS_CACHE=none: a real debootstrap, not the cached result of one
        make -s -C "$SRC" rootfs SUITE=$SUITE BUILD="$NT_BUILD" ROOTFS_CACHE=none > "$NT/rootfs.log" 2>&1 ||
            { cat "$NT/rootfs.log"; false; }
        fresh=$(grep -o 'SOURCE_DATE_EPOCH=[0-9]*' "$NT/rootfs.log" | head -n 1)
        if [ -n "$epoch" ] && [ "$fresh" = "$epoch" ]; then same=yes; break; fi
        echo "no tarball of this mirror state yet (${epoch:-none}, now $fresh): this one is, for the next"
        ln -f "$tar" "$ref"
        epoch=$fresh
    done
    # (never the last fresh one against itself)
    [ $same = yes ] || fail "the mirror moved between every two debootstraps"
    if ! cmp -s "$ref" "$tar"; then
        diff <(tar -tvf "$ref") <(tar -tvf "$tar") | head -n 40 || :
        false
    fi
}

@test "a nightly run whose gate passes tags, pushes the arch's image and the multi-platform tags, and reports the changes" {
    local prev new t digest section expected size prev_size list r
    # the previous good build is only in the registry, as on a fresh CI machine
    seed_release
    prev=$(id_of "$NT_IMAGE:$SUITE")
    docker tag "$NT_IMAGE:$SUITE" "$NT_REG/base:$SUITE-$NT_ARCH"
    docker push -q "$NT_REG/base:$SUITE-$NT_ARCH"
    docker rmi "$NT_IMAGE:$SUITE" "$NT_IMAGE:latest" "$NT_IMAGE:$SUITE-19700101" "$NT_REG/base:$SUITE-$NT_ARCH" > /dev/null

    # from the layer cache (keyed by the archive's state: a cached step is what a fresh one
    # would give, which the next test's --no-cache run checks)
    run nightly NIGHTLY_CACHE=yes
    echo "$output"
    assert_success

    # tagged: the new build under the suite's tags and the arch's; the candidate tag is gone
    new=$(id_of "$NT_IMAGE:$SUITE")
    [ "$new" != "$prev" ]
    for t in "$SUITE-$NT_DATE" latest "$SUITE-$NT_ARCH" "$SUITE-$NT_ARCH-$NT_DATE"; do
        [ "$(id_of "$NT_IMAGE:$t")" = "$new" ]
    done
    run docker image inspect "$NT_IMAGE:$SUITE-$NT_ARCH-candidate"
    assert_failure

    # pushed: the arch's tags, and the suite's as one multi-platform index of that image
    run curl -fsS "http://$NT_ADDR/v2/nightly-test/base/tags/list"
    assert_success
    [ "$(jq -r '.tags[]' <<< "$output" | sort | tr '\n' ' ')" = \
        "$(printf '%s\n' latest "$SUITE" "$SUITE-$NT_DATE" "$SUITE-$NT_ARCH" "$SUITE-$NT_ARCH-$NT_DATE" | sort | tr '\n' ' ')" ]
    list=$(remote_digest "$SUITE")
    for t in "$SUITE" "$SUITE-$NT_DATE" latest; do
        [ "$(remote_digest "$t")" = "$list" ]
        [ "$("$SRC/tools/registry" config "$NT_REG/base:$t" "$NT_ARCH")" = "$new" ]
    done
    skopeo inspect --tls-verify=false --raw "docker://$NT_REG/base:$SUITE" |
        jq -e --arg a "$NT_ARCH" '.mediaType == "application/vnd.docker.distribution.manifest.list.v2+json"
            and ([.manifests[].platform | "\(.os)/\(.architecture)"] == ["linux/" + $a])'
    for t in "$SUITE-$NT_ARCH" "$SUITE-$NT_ARCH-$NT_DATE"; do
        [ "$("$SRC/tools/registry" config "$NT_REG/base:$t")" = "$new" ]
    done
    docker pull -q "$NT_REG/base:$SUITE"
    [ "$(id_of "$NT_REG/base:$SUITE")" = "$new" ]

    # the report of the arch: the previous build's extra package is gone, what the image adds is new
    r=$NT_REPORTS/$SUITE-$NT_ARCH-$NT_DATE
    assert_file_exists "$r.md"
    cat "$r.md"
    digest=$(sha256sum "$NT_BUILD/rootfs-$SUITE-$NT_ARCH.tar" | cut -d' ' -f1)
    grep -F "| rootfs sha256 | \`$digest\` |" "$r.md"
    grep -F "| previous good build | \`$NT_REG/base:$SUITE-$NT_ARCH\` (\`$prev\`) |" "$r.md"
    size=$(docker image inspect -f '{{.Size}}' "$NT_IMAGE:$SUITE")
    prev_size=$(docker image inspect -f '{{.Size}}' "$prev")
    grep -E "^\| image size \| .*\($size bytes\); previous build .*\($prev_size bytes\); change .*\($((size - prev_size)) bytes\) \|\$" "$r.md"
    section=$(sed -n '/^### Removed/,/^### /p' "$r.md")
    grep -E '^\| cinit-nightly-probe \| 1\.0 \|$' <<< "$section"
    pkgnames "$NT_IMAGE:$SUITE" > "$NT/new.names"
    pkgnames "$(rootfs_image)" > "$NT/old.names"
    expected=$(LC_ALL=C comm -13 "$NT/old.names" "$NT/new.names")
    [ -n "$expected" ]
    section=$(sed -n '/^### Added/,/^### Removed/p' "$r.md")
    [ "$(awk -F' [|] ' '/^\| [a-z0-9]/ { sub(/^\| /, ""); if ($1 != "package") print $1 }' <<< "$section" | sed 's/:.*//' | LC_ALL=C sort)" = "$expected" ]
    # the suite's report: changed, the index's digest, the arch's report in it
    grep -F "**changed**: \`$NT_REG/base:$SUITE\` is now \`$list\`" "$NT_REPORTS/$SUITE-$NT_DATE.md"
    grep -F "| previous good build | \`$NT_REG/base:$SUITE-$NT_ARCH\` (\`$prev\`) |" "$NT_REPORTS/$SUITE-$NT_DATE.md"

    # the package list kept with it: the image's installed packages, as an SBOM
    [ "$(cut -f1 "$r.packages.tsv" | sed 's/:.*//' | LC_ALL=C sort)" = "$(cat "$NT/new.names")" ]
    jq -e --arg n "$(wc -l < "$NT/new.names")" \
        '.bomFormat == "CycloneDX" and (.components | length) == ($n | tonumber)
         and all(.components[]; .purl | startswith("pkg:deb/debian/") and endswith("&distro='"$SUITE"'"))' \
        "$r.sbom.json"
    jq -e --arg d "$digest" '.metadata.component.hashes[0].content == $d' "$r.sbom.json"
}

@test "a nightly run on an unchanged archive pushes nothing: the date tag only, on the same digest, and says no change" {
    local list next id
    list=$(remote_digest "$SUITE")
    [ -n "$list" ]
    id=$(id_of "$NT_IMAGE:$SUITE")
    next=$(date -u -d "$NT_DATE + 1 day" +%Y%m%d)
    registry_contents "$NT/registry" > "$NT/before"
    # the same rootfs, and a build that runs every step again against the same archive: the
    # same image as the cached one, so nothing is pushed (and trixie's build is reproducible)
    run nightly NIGHTLY_DATE="$next" NIGHTLY_ROOTFS=keep NIGHTLY_CACHE=no
    echo "$output"
    assert_success
    assert_output --partial "$SUITE/$NT_ARCH: no change: $id"
    assert_output --partial "$SUITE: no change: date tag $NT_REG/base:$SUITE-$next on $list; nothing pushed"
    registry_contents "$NT/registry" > "$NT/after"
    diff "$NT/before" "$NT/after"
    [ "$(remote_digest "$SUITE-$next")" = "$list" ]
    [ "$(remote_digest "$SUITE")" = "$list" ]
    [ "$(id_of "$NT_IMAGE:$SUITE-$next")" = "$id" ]
    [ "$(id_of "$NT_IMAGE:$SUITE")" = "$id" ]
    grep -F "**no change**" "$NT_REPORTS/$SUITE-$next.md"
    grep -F "\`$list\`" "$NT_REPORTS/$SUITE-$next.md"
}

@test "a nightly run whose gate fails moves no tag, here or in the registry, and names the suite and the test" {
    local t before after
    # the release as a previous good run left it, here and in the registry
    docker image inspect "$NT_IMAGE:$SUITE" > /dev/null 2>&1 || seed_release
    for t in "$SUITE-$NT_DATE" latest "$SUITE-$NT_ARCH"; do
        docker image inspect "$NT_IMAGE:$t" > /dev/null 2>&1 || docker tag "$NT_IMAGE:$SUITE" "$NT_IMAGE:$t"
    done
    for t in "$SUITE" "$SUITE-$NT_DATE" latest "$SUITE-$NT_ARCH"; do
        if [ -z "$(remote_digest "$t")" ]; then
            docker tag "$NT_IMAGE:$t" "$NT_REG/base:$t"
            docker push -q "$NT_REG/base:$t"
        fi
    done
    snapshot() {
        for t in "$SUITE" "$SUITE-$NT_DATE" latest "$SUITE-$NT_ARCH"; do
            echo "$t $(id_of "$NT_IMAGE:$t") $(remote_digest "$t")"
        done
        # the good build's report and package lists (the gate's log is that of the last run)
        sha256sum "$NT_REPORTS"/*.md "$NT_REPORTS"/*.json "$NT_REPORTS"/*.tsv 2> /dev/null || :
    }
    before=$(snapshot)
    # every tag is there to be moved, locally and in the registry
    [ "$(grep -c ' sha256:[0-9a-f]* sha256:[0-9a-f]*$' <<< "$before")" = 4 ]

    # (the build may reuse the layers of the run before: what is tested here is the gate)
    run nightly NIGHTLY_FAIL_TEST=1 NIGHTLY_CACHE=yes NIGHTLY_ROOTFS=keep
    echo "$output"
    assert_failure
    assert_output --regexp "nightly: $SUITE: FAILED: not ok [0-9]+ injected failure \(NIGHTLY_FAIL_TEST=1\)"
    assert_output --partial "nightly: $SUITE: the image test gate failed"
    assert_output --partial "nightly: $SUITE: $NT_ARCH failed; no tag of $SUITE moved"
    assert_output --partial "nightly: FAILED: $SUITE (their tags were not moved)"

    after=$(snapshot)
    [ "$after" = "$before" ]
    # the failed candidate stays for inspection, under its own name only
    docker image inspect "$NT_IMAGE:$SUITE-$NT_ARCH-candidate" > /dev/null
    docker rmi "$NT_IMAGE:$SUITE-$NT_ARCH-candidate" > /dev/null
}

@test "the change report lists the packages added, upgraded and downgraded between two builds" {
    local base r
    base=$(rootfs_image)
    derive "$base" cinit-nightly-test/one:v1 1.0
    derive "$base" cinit-nightly-test/one:v2 2.0~rc1
    r=$NT/report-test/$SUITE-$NT_DATE.md

    REPORTS=$NT/report-test NIGHTLY_DATE=$NT_DATE IMAGE=$NT_IMAGE \
        "$SRC/tools/nightly" report $SUITE "$base" cinit-nightly-test/one:v1
    cat "$r"
    sed -n '/^### Added/,/^### Removed/p' "$r" | grep -E '^\| cinit-nightly-probe \| 1\.0 \|$'
    grep -E '^Packages: [0-9]+ installed; 1 added, 0 removed, 0 upgraded, 0 downgraded\.$' "$r"

    REPORTS=$NT/report-test NIGHTLY_DATE=$NT_DATE IMAGE=$NT_IMAGE \
        "$SRC/tools/nightly" report $SUITE cinit-nightly-test/one:v1 cinit-nightly-test/one:v2
    cat "$r"
    sed -n '/^### Upgraded/,/^### Downgraded/p' "$r" | grep -E '^\| cinit-nightly-probe \| 1\.0 \| 2\.0~rc1 \|$'
    grep -E '^Packages: [0-9]+ installed; 0 added, 0 removed, 1 upgraded, 0 downgraded\.$' "$r"

    # 2.0~rc1 sorts before 2.0 as dpkg sorts it: going back from 2.0 to 2.0~rc1 is a downgrade
    derive "$base" cinit-nightly-test/one:v3 2.0
    REPORTS=$NT/report-test NIGHTLY_DATE=$NT_DATE IMAGE=$NT_IMAGE \
        "$SRC/tools/nightly" report $SUITE cinit-nightly-test/one:v3 cinit-nightly-test/one:v2
    cat "$r"
    sed -n '/^### Downgraded/,$p' "$r" | grep -E '^\| cinit-nightly-probe \| 2\.0 \| 2\.0~rc1 \|$'
    grep -E '^Packages: [0-9]+ installed; 0 added, 0 removed, 0 upgraded, 1 downgraded\.$' "$r"
}
