# `make image WITH_SSHD=no`: an image without openssh-server and everything that comes with it
# in the default image (docs/image.md). A build option, tested on the host's arch (the nightly
# gate tests the images it publishes, which have sshd: image.bats, downstream.bats).
load ../lib/common

run_id=$(basename "$BATS_RUN_TMPDIR" | tr -c 'a-zA-Z0-9\n' - | tr '[:upper:]' '[:lower:]')
SUITE=${CINIT_SUITE:-trixie}
REPO=cinit-test/sshd-off-$run_id
IMAGE=$REPO:$SUITE

setup_file() {
    # the default image too, for the sizes' comparison (all cached when nothing changed)
    if ! make -s -C "$SRC" image SUITE="$SUITE" > "$BATS_FILE_TMPDIR/make-image.log" 2>&1 ||
        ! make -s -C "$SRC" image SUITE="$SUITE" WITH_SSHD=no IMAGE="$REPO" TAGS="$SUITE" > "$BATS_FILE_TMPDIR/make-image.log" 2>&1; then
        cat "$BATS_FILE_TMPDIR/make-image.log" >&2
        return 1
    fi
}

teardown_file() {
    docker rmi -f "$IMAGE" > /dev/null 2>&1 || :
    # tools/mkimage keeps each build in buildah's storage too
    buildah rmi "localhost/$IMAGE" > /dev/null 2>&1 || :
}

@test "WITH_SSHD=no: no openssh-server, no sshd service, no insecure key, no host-key script" {
    run docker run --rm --network none "$IMAGE" sh -c '
        dpkg -s openssh-server > /dev/null 2>&1 && echo "openssh-server installed"
        ls -d /etc/service/sshd /etc/insecure_key /etc/insecure_key.pub /usr/sbin/enable_insecure_key \
            /etc/my_init.d/00_regen_ssh_host_keys.sh 2> /dev/null
        ls -A /etc/service'
    assert_success
    assert_output $'cron\nsyslog'
}

@test "WITH_SSHD=no: my_init --enable-insecure-key ends the boot with a message that says why" {
    run docker run --rm --network none "$IMAGE" /sbin/my_init --enable-insecure-key -- true
    assert_failure 1
    assert_output --partial 'enable_insecure_key is not installed (the image was built without sshd)'
}

@test "WITH_SSHD=no: what sshd costs, the difference of the two images" {
    local with without
    with=$(docker image inspect -f '{{.Size}}' "cinit/base:$SUITE")
    without=$(docker image inspect -f '{{.Size}}' "$IMAGE")
    echo "$SUITE: $((with / 100000))e5 B with sshd, $((without / 100000))e5 B without" >&3
    [ "$without" -lt "$with" ]
}
