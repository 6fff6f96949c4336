# The README's quick start, run as written (issue #27): the code blocks of README.md marked
# <!-- quickstart --> are commands, run one line at a time in a scratch directory, in order;
# those marked <!-- quickstart file=NAME --> are written there as NAME first (the Dockerfile,
# the service's run script, the startup script), as a reader would save them.
# Two things are added to the commands, as the test machine needs them: `docker build` runs
# with --network host (the engine here has no bridge network; apt needs the mirror), and every
# container and image they make carries the label of this suite, so that only those are
# removed afterwards. A `docker exec` that fails is tried again for up to 60 s: the README says
# what it shows once the container has booted, and a freshly started one may still be booting.
# After each `docker stop NAME` the container's exit status must be 0 (no main command, a
# clean signalled shutdown).
load ../lib/common

LABEL=cinit-test=quickstart

setup_file() {
    # the README's `FROM cinit/base`: make image tags it (latest, trixie) on the host's arch
    make -s -C "$SRC" image > "$BATS_FILE_TMPDIR/make-image.log" 2>&1 ||
        { cat "$BATS_FILE_TMPDIR/make-image.log" >&2; return 1; }
    docker image inspect cinit/base:trixie cinit/base > /dev/null
    cleanup
}

teardown_file() {
    cleanup
}

cleanup() {
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f > /dev/null
    docker images -q --filter "label=$LABEL" | sort -u | xargs -r docker rmi -f > /dev/null 2>&1 || :
}

# quickstart DIR: writes the file blocks into DIR and prints the command lines (a line ended by
# a backslash joined to the next)
quickstart() {
    awk -v dir="$1" '
        /^<!-- quickstart( file=[^ ]+)? -->$/ {
            file = ""
            if (match($0, /file=[^ ]+/)) file = substr($0, RSTART + 5, RLENGTH - 5)
            marked = 1; next
        }
        marked && /^```/ && !open { open = 1; next }
        open && /^```/ { open = 0; marked = 0; if (file != "") close(dir "/" file); next }
        open && file != "" { print > (dir "/" file); next }
        open {
            if (sub(/\\$/, "")) { cont = cont $0; next }
            print cont $0; cont = ""
        }
        !open && !/^[[:space:]]*$/ { marked = 0 }' "$SRC/README.md"
}

docker_for_test() {
    case ${1:-} in
        build) shift; command docker build --network host --label "$LABEL" "$@" ;;
        run) shift; command docker run --label "$LABEL" "$@" ;;
        *) command docker "$@" ;;
    esac
}

# run_as_written LINE: in the scratch directory, with docker as above
run_as_written() {
    (cd "$QS" && bash -c "docker() { docker_for_test \"\$@\"; }; $1" < /dev/null)
}

@test "README.md has a quick start: commands, and the files they use" {
    QS=$BATS_TEST_TMPDIR/qs
    mkdir -p "$QS"
    run quickstart "$QS"
    assert_success
    assert_line --regexp '^docker run '
    assert_line --regexp '^docker build '
    assert_file_exists "$QS/Dockerfile"
    # every file the Dockerfile copies is one of the README's blocks
    local src
    while IFS= read -r src; do
        assert_file_exists "$QS/$src"
    done < <(awk '$1 == "COPY" { for (i = 2; i < NF; i++) print $i }' "$QS/Dockerfile")
}

@test "the README's quick-start commands run as written" {
    QS=$BATS_TEST_TMPDIR/qs
    mkdir -p "$QS"
    quickstart "$QS" > "$BATS_TEST_TMPDIR/commands"
    export QS LABEL
    export -f docker_for_test
    local line deadline name
    while IFS= read -r line; do
        echo "\$ $line"
        deadline=$((SECONDS + 60))
        until run_as_written "$line"; do
            case $line in
                "docker exec "*) [ $SECONDS -lt $deadline ] || fail "failed for 60 s: $line" ;;
                *) fail "failed: $line" ;;
            esac
            sleep 1
        done
        case $line in
            "docker stop "*)
                name=${line#docker stop }
                name=${name%% *}
                assert_equal "$(docker inspect -f '{{.State.ExitCode}}' "$name")" 0 ;;
        esac
    done < "$BATS_TEST_TMPDIR/commands"
    [ -s "$BATS_TEST_TMPDIR/commands" ] || fail "no quick-start command in README.md"
}
