# Which image a Docker suite tests, shared by the image suites (image, health, tty, downstream).
# shellcheck shell=bash
#
# A suite file NAME.bats tests cinit/base:$CINIT_SUITE (default trixie) of the host's arch, or
# the image CINIT_IMAGE names (the nightly gate and tools/run-tests pass their candidate, with
# CINIT_SUITE, CINIT_ARCH and CINIT_FLAVOR). A link NAME-SUITE[-compat][-ARCH].bats to it tests
# that suite, flavor and arch: image-noble.bats, image-noble-compat.bats, image-trixie-arm64.bats.
# An image of a foreign ARCH (run under qemu, tools/ensure-binfmt) is built as
# cinit-test/base:TAG-ARCH, never under the user's cinit/base tags.
# Sets SUITE ARCH FLAVOR IMAGE HOST_ARCH, and image_setup_file makes the image when the suite
# was not given one (`make image`, all cached when nothing changed).

HOST_ARCH=$(dpkg --print-architecture)
image_name=$(basename "$BATS_TEST_FILENAME" .bats)
case $image_name in
    *-*)
        image_spec=${image_name#*-}
        SUITE=${image_spec%%-*} image_rest=${image_spec#"$SUITE"} FLAVOR=minimal
        image_rest=${image_rest#-}
        case $image_rest in compat|compat-*) FLAVOR=compat image_rest=${image_rest#compat} image_rest=${image_rest#-} ;; esac
        ARCH=${image_rest:-$HOST_ARCH}
        image_tag=$SUITE
        [ "$FLAVOR" = minimal ] || image_tag=$SUITE-$FLAVOR
        if [ "$ARCH" = "$HOST_ARCH" ]; then
            IMAGE=cinit/base:$image_tag MAKE_IMAGE=(FLAVOR="$FLAVOR")
        else
            IMAGE=cinit-test/base:$image_tag-$ARCH
            MAKE_IMAGE=(FLAVOR="$FLAVOR" IMAGE=cinit-test/base TAGS="$image_tag-$ARCH")
        fi ;;
    *)
        SUITE=${CINIT_SUITE:-trixie} ARCH=${CINIT_ARCH:-$HOST_ARCH} FLAVOR=${CINIT_FLAVOR:-minimal}
        image_tag=$SUITE
        [ "$FLAVOR" = minimal ] || image_tag=$SUITE-$FLAVOR
        IMAGE=${CINIT_IMAGE:-cinit/base:$image_tag}
        MAKE_IMAGE=(FLAVOR="$FLAVOR") ;;
esac
case $FLAVOR in minimal|compat) ;; *) echo "unknown flavor '$FLAVOR' (CINIT_FLAVOR: minimal or compat)" >&2; exit 1 ;; esac

# image_setup_file: the image is there (made, unless CINIT_IMAGE gave it to an unlinked suite)
image_setup_file() {
    if [ "$image_name" = "${image_name%%-*}" ] && [ -n "${CINIT_IMAGE:-}" ]; then
        docker image inspect "$IMAGE" > /dev/null
        return
    fi
    make -s -C "$SRC" image SUITE="$SUITE" ARCH="$ARCH" "${MAKE_IMAGE[@]}" > "$BATS_FILE_TMPDIR/make-image.log" 2>&1 ||
        { cat "$BATS_FILE_TMPDIR/make-image.log" >&2; return 1; }
    docker image inspect "$IMAGE" > /dev/null
}

# The containers and images of one run of one suite carry the label LABEL, set by
# image_test_label NAME (cinit-test=NAME-SUITE-RUN_ID), and names with RUN_ID in them: only they
# are removed afterwards, never those of other runs or of other suites.
RUN_ID=$(basename "$BATS_RUN_TMPDIR" | tr -c 'a-zA-Z0-9\n' - | tr '[:upper:]' '[:lower:]')
image_test_label() { LABEL=cinit-test=$1-$SUITE-$RUN_ID; }
# image_build NAME DIR [OPTION...]: DIR's Dockerfile built for ARCH as NAME, with LABEL (only its
# id on stdout)
image_build() {
    local name=$1 dir=$2
    shift 2
    docker build -q --platform "linux/$ARCH" --network host --label "$LABEL" "$@" -t "$name" "$dir"
}
# image_teardown: the test's containers; image_teardown_file: and the suite's images
image_teardown() { docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f > /dev/null; }
image_teardown_file() {
    image_teardown
    docker images -q --filter "label=$LABEL" | sort -u | xargs -r docker rmi -f > /dev/null 2>&1 || :
}
