#!/usr/bin/env bats
# cinit as PID 1: startup files, the container environment directory and its dumps, runit,
# shutdown hooks. (Command line, signals, reaping, timeouts: cinit.bats)
# The sh -c scripts are single-quoted on purpose (they expand in the sandbox), and each test
# runs in its own subshell, so that exporting a variable there is meant to be local.
# shellcheck disable=SC2016,SC2030,SC2031
load lib/common
load lib/cinit
bats_require_minimum_version 1.5.0

setup_file() { cinit_setup_file; }
setup() {
    cinit_setup
    CE=$ETC/container_environment
}
teardown() { cinit_teardown; }

# the byte strings a container environment must carry unchanged (names of $T/expected/*)
hostile_values() {
    local d=$T/expected
    mkdir -p "$d"
    printf '%s' "it's 'single' quoted" > "$d/SQ"
    printf '%s' 'say "hi" \"there\"' > "$d/DQ"
    printf '%s' "\$(touch $T/canary)" > "$d/SUBST"
    printf '%s' "\`touch $T/canary\`" > "$d/BACKTICK"
    printf 'line1\nline2\n' > "$d/NEWLINES"
    printf '' > "$d/EMPTY"
    # shellcheck disable=SC1003 # a value ending in a backslash
    printf '%s' 'back\slash\\ \n \' > "$d/BACKSLASH"
    printf '%s' "a; touch $T/canary && b || c | d & e" > "$d/CHAIN"
    printf '%s' '$HOME ${HOME} $((1+1)) $0 !x' > "$d/DOLLAR"
    printf '%s' '* ? [a-z] ~' > "$d/GLOB"
    printf '\377\376 \303( \355\240\200 \300\257 end\200' > "$d/BADUTF8"
    printf '\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020' > "$d/CTRL"
    printf '\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037\177x' >> "$d/CTRL"
    printf 'caf\303\251 \342\202\254 \360\237\230\200' > "$d/UTF8"
    local f
    for f in "$d"/*; do
        # the directory's files end with the one newline that import strips
        { cat "$f"; echo; } > "$CE/${f##*/}"
    done
}

# every $T/expected/NAME equals $1/NAME byte for byte
assert_values() {
    local f
    for f in "$T"/expected/*; do
        cmp "$f" "$1/${f##*/}" || {
            echo "${f##*/} differs in $1: $(od -c "$1/${f##*/}" 2>&1 | head -5)" >&2
            return 1
        }
    done
}

# ---- startup files ----

@test "startup files: byte order, executable regular files only, then rc.local, then main" {
    local n
    for n in 10-b 2-a B _x a; do
        script "$ETC/my_init.d/$n" "echo $n >> '$T/log'"
    done
    printf '#!/bin/sh\necho noexec >> %s\n' "$T/log" > "$ETC/my_init.d/05-noexec"
    chmod 0644 "$ETC/my_init.d/05-noexec"
    mkdir -m 0755 "$ETC/my_init.d/07-dir"
    script "$T/target" "echo 30-link >> '$T/log'"
    ln -s "$T/target" "$ETC/my_init.d/30-link"
    script "$ETC/rc.local" "echo rc.local >> '$T/log'"
    run cinit --skip-runit -- sh -c 'echo main >> "$1/log"' sh "$T"
    assert_success
    assert_equal "$(paste -sd' ' "$T/log")" "10-b 2-a 30-link B _x a rc.local main"
    assert_output --partial "*** Running /etc/my_init.d/10-b..."
}

@test "a non-executable rc.local is skipped" {
    script "$ETC/my_init.d/10-x" "echo 10-x >> '$T/log'"
    printf '#!/bin/sh\necho rc.local >> %s\n' "$T/log" > "$ETC/rc.local"
    chmod 0644 "$ETC/rc.local"
    run cinit --skip-runit -- sh -c 'echo main >> "$1/log"' sh "$T"
    assert_success
    assert_equal "$(paste -sd' ' "$T/log")" "10-x main"
}

@test "a failing startup script aborts the boot: exit 1, named, main command not run" {
    script "$ETC/my_init.d/10-ok" "echo 10-ok >> '$T/log'"
    script "$ETC/my_init.d/20-fail" "echo 20-fail >> '$T/log'; exit 3"
    script "$ETC/my_init.d/30-after" "echo 30-after >> '$T/log'"
    run cinit --skip-runit -- touch "$T/main-ran"
    assert_equal "$status" 1
    assert_output --regexp '\*\*\* ERROR: /etc/my_init.d/20-fail failed.* status 3\.'
    assert_equal "$(paste -sd' ' "$T/log")" "10-ok 20-fail"
    assert_file_not_exists "$T/main-ran"
}

@test "--skip-startup-files skips my_init.d and rc.local" {
    script "$ETC/my_init.d/10-x" "echo 10-x >> '$T/log'"
    script "$ETC/rc.local" "echo rc.local >> '$T/log'"
    run cinit --skip-startup-files --skip-runit -- sh -c 'echo main >> "$1/log"' sh "$T"
    assert_success
    assert_equal "$(cat "$T/log")" main
}

@test "ENV_INIT_DIRECTORY chooses the startup directory" {
    script "$ETC/my_init.d/10-default" "echo default >> '$T/log'"
    script "$T/init.d/10-custom" "echo custom >> '$T/log'"
    export ENV_INIT_DIRECTORY=$T/init.d
    run cinit --skip-runit -- sh -c 'echo main >> "$1/log"' sh "$T"
    assert_success
    assert_equal "$(paste -sd' ' "$T/log")" "custom main"
}

@test "zombies are reaped while startup scripts run" {
    script "$ETC/my_init.d/10-orphans" \
        "\"\$HELPER\" orphans 50 && \"\$HELPER\" zombies 5 && echo ok > '$T/script-reaped'"
    run cinit --skip-runit -- true
    assert_success
    assert_file_exists "$T/script-reaped"
}

# ---- the environment directory ----

@test "environment files: exactly one trailing newline is stripped" {
    printf 'x\n' > "$CE/ONE"
    printf 'y\n\n' > "$CE/TWO"
    printf 'z' > "$CE/NONE"
    printf '\n' > "$CE/NL_ONLY"
    mkdir "$T/v"
    run cinit --skip-runit -- "$FIX/dumpvars.sh" "$T/v" ONE TWO NONE NL_ONLY
    assert_success
    assert_equal "$(od -An -c "$T/v/ONE")" "$(printf x | od -An -c)"
    assert_equal "$(od -An -c "$T/v/TWO")" "$(printf 'y\n' | od -An -c)"
    assert_equal "$(od -An -c "$T/v/NONE")" "$(printf z | od -An -c)"
    assert_file_exists "$T/v/NL_ONLY"
    assert_file_empty "$T/v/NL_ONLY"
}

@test "dot files and subdirectories of the environment directory are not imported" {
    printf 'hidden\n' > "$CE/.HIDDEN"
    mkdir "$CE/SUBDIR"
    printf 'shown\n' > "$CE/SHOWN"
    run cinit --skip-runit -- true
    assert_success
    run python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d.get("SHOWN"), ".HIDDEN" in d, "SUBDIR" in d)' "$ETC/container_environment.json"
    assert_output "shown False False"
}

@test "a variable in cinit's environment wins over the directory's file" {
    printf 'fromdir\n' > "$CE/WINNER"
    printf 'imported\n' > "$CE/OTHER"
    export WINNER=fromenv
    mkdir "$T/v"
    run cinit --skip-runit -- "$FIX/dumpvars.sh" "$T/v" WINNER OTHER
    assert_success
    assert_equal "$(cat "$T/v/WINNER")" fromenv
    assert_equal "$(cat "$T/v/OTHER")" imported
}

@test "startup scripts set and delete variables for later scripts and the main command" {
    printf 'old\n' > "$CE/DELME"
    script "$ETC/my_init.d/10-set" \
        "printf 'hello\n' > /etc/container_environment/SET_BY_SCRIPT; rm /etc/container_environment/DELME"
    mkdir "$T/script" "$T/main"
    script "$ETC/my_init.d/20-see" "'$FIX/dumpvars.sh' '$T/script' SET_BY_SCRIPT DELME"
    run cinit --skip-runit -- "$FIX/dumpvars.sh" "$T/main" SET_BY_SCRIPT DELME
    assert_success
    assert_equal "$(cat "$T/script/SET_BY_SCRIPT")" hello
    assert_equal "$(cat "$T/main/SET_BY_SCRIPT")" hello
    assert_file_not_exists "$T/script/DELME"
    assert_file_not_exists "$T/main/DELME"
}

@test "HOME and USER survive startup scripts" {
    script "$ETC/my_init.d/10-x" "echo 10-x >> '$T/log'"
    script "$ETC/my_init.d/20-y" "echo 20-y >> '$T/log'"
    mkdir "$T/v"
    run in_ns env HOME=/home/tester USER=tester "$BIN/cinit" --skip-runit -- \
        "$FIX/dumpvars.sh" "$T/v" HOME USER
    assert_success
    assert_equal "$(cat "$T/v/HOME")" /home/tester
    assert_equal "$(cat "$T/v/USER")" tester
    assert_equal "$(paste -sd' ' "$T/log")" "10-x 20-y"
}

@test "HOME USER GROUP UID GID SHELL are not written to the directory or the dumps" {
    run in_ns env HOME=/home/t USER=t GROUP=g UID=5 GID=6 SHELL=/bin/dash KEEP_ME=1 \
        "$BIN/cinit" --skip-runit -- true
    assert_success
    assert_equal "$(cat "$CE/KEEP_ME")" 1
    grep -qsx "export KEEP_ME='1'" "$ETC/container_environment.sh"
    local n
    for n in HOME USER GROUP UID GID SHELL; do
        assert_file_not_exists "$CE/$n"
        run grep -E "^export $n=" "$ETC/container_environment.sh"
        assert_failure
    done
    run python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["KEEP_ME"] == "1"
print(" ".join(n for n in ("HOME", "USER", "GROUP", "UID", "GID", "SHELL") if n in d))' \
        "$ETC/container_environment.json"
    assert_success
    assert_output ""
}

@test ".sh dump: hostile values source back identically in dash and bash, executing nothing" {
    hostile_values
    mkdir "$T/main"
    local names sh
    names=$(ls "$T/expected")
    # shellcheck disable=SC2086 # a list of names
    run cinit --skip-runit -- "$FIX/dumpvars.sh" "$T/main" $names
    assert_success
    assert_values "$T/main"
    for sh in dash bash; do
        mkdir "$T/$sh"
        # shellcheck disable=SC2086
        env -i PATH=/usr/bin:/bin "$sh" -c '. "$1"; shift; exec "$@"' "$sh" \
            "$ETC/container_environment.sh" "$FIX/dumpvars.sh" "$T/$sh" $names
        assert_values "$T/$sh"
    done
    assert_file_not_exists "$T/canary"
}

@test ".json dump: valid JSON, exact for control bytes and invalid UTF-8" {
    hostile_values
    run cinit --skip-runit -- true
    assert_success
    run python3 - "$ETC/container_environment.json" "$T/expected" <<'EOF'
import json, os, sys
text = open(sys.argv[1], 'rb').read().decode('utf-8')  # strict: the file itself is UTF-8
data = json.loads(text)                                # strict: no raw control characters
for name in sorted(os.listdir(sys.argv[2])):
    want = open(os.path.join(sys.argv[2], name), 'rb').read()
    got = data[name].encode('utf-8', 'surrogateescape')
    if got != want:
        print(f'{name}: {got!r} != {want!r}')
        sys.exit(1)
EOF
    assert_success
    assert_file_not_exists "$T/canary"
}

@test ".sh dump: names that are not shell identifiers are sanitized" {
    printf 'dotted\n' > "$CE/A.B"
    printf 'dashed\n' > "$CE/my-var"
    printf 'digit\n' > "$CE/1X"
    run cinit --skip-runit -- true
    assert_success
    mkdir "$T/v"
    env -i PATH=/usr/bin:/bin dash -c 'set -e; . "$1"; shift; exec "$@"' dash \
        "$ETC/container_environment.sh" "$FIX/dumpvars.sh" "$T/v" A_B my_var
    assert_equal "$(cat "$T/v/A_B")" dotted
    assert_equal "$(cat "$T/v/my_var")" dashed
}

@test "dumps are 0640 root:docker_env, the directory 0700" {
    { cat /etc/group; echo 'docker_env:x:8377:'; } > "$ETC/group"
    run cinit --skip-runit -- true
    assert_success
    assert_equal "$(stat -c '%a %u %g' "$ETC/container_environment.sh")" "640 0 8377"
    assert_equal "$(stat -c '%a %u %g' "$ETC/container_environment.json")" "640 0 8377"
    assert_equal "$(stat -c '%a %u' "$CE")" "700 0"
}

@test "docker_env is found by its whole name among groups that share its prefix" {
    { echo 'docker_envx:x:9001:'; echo 'docker:x:9002:'; cat /etc/group; echo 'docker_env:x:8377:'; } > "$ETC/group"
    run cinit --skip-runit -- true
    assert_success
    assert_equal "$(stat -c '%g' "$ETC/container_environment.sh")" 8377
}

@test "a boot with an unchanged environment rewrites none of its files (inode and mtime kept)" {
    printf 'from the directory\n' > "$CE/FROM_DIR"
    printf 'ends in a newline\n\n' > "$CE/NL"
    run cinit --skip-runit -- true
    assert_success
    local files=(container_environment/FROM_DIR container_environment/NL container_environment/PATH
        container_environment.sh container_environment.json)
    before=$(cd "$ETC" && stat -c '%n %i %y' "${files[@]}")
    run cinit --skip-runit -- true
    assert_success
    assert_equal "$(cd "$ETC" && stat -c '%n %i %y' "${files[@]}")" "$before"
    # and a changed value is written
    printf 'changed\n' > "$CE/FROM_DIR"
    rm "$ETC/container_environment.sh"
    run cinit --skip-runit -- true
    assert_success
    assert grep -qx "export FROM_DIR='changed'" "$ETC/container_environment.sh"
}

@test "the dumps skipped on an unchanged boot are still remade after every kind of change" {
    # what tells cinit that its dumps are current must never hide a change made behind its back
    { cat /etc/group; echo 'docker_env:x:8377:'; } > "$ETC/group"
    printf 'one\n' > "$CE/A"
    run cinit --skip-runit -- true
    assert_success
    # a file rewritten in place, same length, without contenv
    printf 'two\n' > "$CE/A"
    run cinit --skip-runit -- true
    assert grep -qx "export A='two'" "$ETC/container_environment.sh"
    assert grep -q '"A": *"two"' "$ETC/container_environment.json"
    # a new file, and one removed
    printf 'b\n' > "$CE/B"
    run cinit --skip-runit -- true
    assert grep -qx "export B='b'" "$ETC/container_environment.sh"
    rm "$CE/B"
    run cinit --skip-runit -- true
    refute grep -q "B=" "$ETC/container_environment.sh"
    # a dump edited by hand, or chmod'ed, or deleted
    echo "export EVIL='1'" >> "$ETC/container_environment.sh"
    run cinit --skip-runit -- true
    refute grep -q EVIL "$ETC/container_environment.sh"
    chmod 0644 "$ETC/container_environment.json"
    run cinit --skip-runit -- true
    assert_equal "$(stat -c '%a' "$ETC/container_environment.json")" 640
    rm "$ETC/container_environment.json"
    run cinit --skip-runit -- true
    assert grep -q '"A": *"two"' "$ETC/container_environment.json"
    # docker_env's gid changed in /etc/group
    sed -i 's/^docker_env:x:8377:/docker_env:x:8378:/' "$ETC/group"
    run cinit --skip-runit -- true
    assert_equal "$(stat -c '%g' "$ETC/container_environment.sh")" 8378
    # a value from docker run -e
    A=fromenv run cinit --skip-runit -- true
    assert grep -qx "export A='fromenv'" "$ETC/container_environment.sh"
    # and the stamp itself is no variable
    run cinit --skip-runit -- sh -c 'env | grep -c cinit-dumps'
    assert_line 0
}

@test "the directory ends in the form cinit writes: a lone trailing newline dropped, -e's value over the file's" {
    # what the import read is not looked at again by the export unless the bytes differ from
    # what it would write: these two must still be rewritten
    printf 'x\n' > "$CE/ONE"
    printf 'y\n\n' > "$CE/TWO"
    printf 'fromdir\n' > "$CE/WINNER"
    printf 'z' > "$CE/SAME"
    export WINNER=fromenv SAME=z
    run cinit --skip-runit -- true
    assert_success
    assert_equal "$(od -An -c "$CE/ONE")" "$(printf x | od -An -c)"
    assert_equal "$(od -An -c "$CE/TWO")" "$(printf 'y\n\n' | od -An -c)"
    assert_equal "$(od -An -c "$CE/WINNER")" "$(printf fromenv | od -An -c)"
    assert_equal "$(od -An -c "$CE/SAME")" "$(printf z | od -An -c)"
    assert grep -qx "export WINNER='fromenv'" "$ETC/container_environment.sh"
}

@test "a startup script whose name starts with a dot runs too, in byte order" {
    script "$ETC/my_init.d/.early" "echo .early >> '$T/log'"
    script "$ETC/my_init.d/a" "echo a >> '$T/log'"
    run cinit --skip-runit -- true
    assert_success
    assert_equal "$(paste -sd' ' "$T/log")" ".early a"
}

@test "without a docker_env group the dumps are 0640 root:root" {
    # the sandbox's /etc/group is the host's
    if grep -q '^docker_env:' /etc/group; then fail "the host has a docker_env group"; fi
    run cinit --skip-runit -- true
    assert_success
    assert_equal "$(stat -c '%a %u %g' "$ETC/container_environment.sh")" "640 0 0"
    assert_equal "$(stat -c '%a %u %g' "$ETC/container_environment.json")" "640 0 0"
}

# ---- runit ----

@test "runit: services start with the container environment and stop on TERM, exit 0" {
    printf 'from-env-dir\n' > "$CE/SVC_VAR"
    add_service svc "exec '$FIX/service.sh' svc '$T'"
    ns_start "$HELPER" exec -- "$BIN/cinit"
    wait_until 10 grep -qsx svc-up "$T/events"
    cinit_kill TERM
    cinit_wait 10
    assert_success
    assert_equal "$(cat "$T/svc.env")" from-env-dir
    assert_equal "$(paste -sd' ' "$T/events")" "svc-up svc-down"
    assert_output --partial "*** Booting runit daemon..."
}

# (Behaviour, not speed: the timeouts are made long, and the shutdown must not wait for them.)
@test "runit: shutdown with three services that stop promptly on TERM waits for no timeout" {
    local s
    export KILL_PROCESS_TIMEOUT=30 KILL_ALL_PROCESSES_TIMEOUT=30
    for s in a b c; do add_service "$s" "exec '$FIX/service.sh' $s '$T'"; done
    ns_start "$HELPER" exec -- "$BIN/cinit"
    for s in a b c; do wait_until 10 grep -qsx "$s-up" "$T/events"; done
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 25
    assert_success
    assert_took "$start" 0 15000
    assert_equal "$(sort "$T/events" | paste -sd' ')" "a-down a-up b-down b-up c-down c-up"
}

@test "runit: a service ignoring TERM is killed after KILL_PROCESS_TIMEOUT" {
    export KILL_PROCESS_TIMEOUT=1
    add_service stubborn "trap '' TERM; echo up > '$T/stubborn'; exec sleep 1000"
    ns_start "$HELPER" exec -- "$BIN/cinit"
    wait_file "$T/stubborn"
    local start
    start=$(now_ms)
    cinit_kill TERM
    cinit_wait 10
    assert_success
    assert_took "$start" 800 9000
}

@test "runit: HUP without a main command makes every service reload" {
    local s
    for s in a b; do add_service "$s" "exec '$FIX/service.sh' $s '$T'"; done
    ns_start "$HELPER" exec -- "$BIN/cinit"
    for s in a b; do wait_until 10 grep -qsx "$s-up" "$T/events"; done
    cinit_kill HUP
    for s in a b; do wait_until 10 grep -qsx "$s-hup" "$T/events"; done
    job_running
    cinit_kill TERM
    cinit_wait 10
    assert_success
}

@test "runit: without a main command, cinit exits 1 when runsvdir ends by itself" {
    add_service svc "exec '$FIX/service.sh' svc '$T'"
    ns_start "$HELPER" exec -- "$BIN/cinit"
    wait_until 10 grep -qsx svc-up "$T/events"
    local runsvdir
    runsvdir=$(pgrep -P "$(ns_pid1)" -x runsvdir)
    kill -TERM "$runsvdir"
    cinit_wait 10
    assert_equal "$status" 1
}

# ---- shutdown hooks ----

@test "shutdown order: main command, pre_shutdown, services, post_shutdown" {
    add_service svc "exec '$FIX/service.sh' svc '$T'"
    script "$ETC/my_init.pre_shutdown.d/10-pre" "echo pre >> '$T/events'"
    script "$ETC/my_init.post_shutdown.d/10-post" "echo post >> '$T/events'"
    run cinit -- sh -c '"$2/await.sh" svc-up "$1/events" && echo main-exit >> "$1/events"' sh "$T" "$FIX"
    assert_success
    assert_equal "$(paste -sd' ' "$T/events")" "svc-up main-exit pre svc-down post"
    assert_output --partial "*** Running /etc/my_init.pre_shutdown.d/10-pre..."
    assert_output --partial "*** Running /etc/my_init.post_shutdown.d/10-post..."
}

@test "a failing pre_shutdown script stops neither the service shutdown nor post_shutdown" {
    add_service svc "exec '$FIX/service.sh' svc '$T'"
    script "$ETC/my_init.pre_shutdown.d/10-fail" "echo pre-fail >> '$T/events'; exit 1"
    script "$ETC/my_init.pre_shutdown.d/20-pre" "echo pre >> '$T/events'"
    script "$ETC/my_init.post_shutdown.d/10-post" "echo post >> '$T/events'"
    run cinit -- sh -c '"$2/await.sh" svc-up "$1/events" && echo main-exit >> "$1/events"' sh "$T" "$FIX"
    assert_success
    assert_equal "$(paste -sd' ' "$T/events")" "svc-up main-exit pre-fail pre svc-down post"
    assert_output --partial "*** WARNING"
    assert_output --partial "10-fail"
}

@test "zombies are reaped while shutdown scripts run" {
    script "$ETC/my_init.pre_shutdown.d/10-orphans" \
        "\"\$HELPER\" orphans 50 && \"\$HELPER\" zombies 5 && echo ok > '$T/pre-reaped'"
    run cinit -- true
    assert_success
    assert_file_exists "$T/pre-reaped"
}

@test "--skip-runit runs no shutdown script (as my_init: they frame the services' stop)" {
    script "$ETC/my_init.pre_shutdown.d/10-pre" "echo pre >> '$T/events'"
    script "$ETC/my_init.post_shutdown.d/10-post" "echo post >> '$T/events'"
    run cinit --skip-runit -- sh -c 'sleep 1000 & echo main-exit >> "$1/events"' sh "$T"
    assert_success
    assert_equal "$(paste -sd' ' "$T/events")" "main-exit"
    refute_output --partial "shutdown.d"
    # the last step still comes: the sleep left behind is gone with the namespace
    assert_output --partial "*** Killing all processes..."
}
