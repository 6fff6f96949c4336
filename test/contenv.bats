#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154 # code in single quotes runs in the sandbox; bats sets $stderr
# contenv and with-contenv on the sandbox's /etc/container_environment: what set/unset write
# (files, dumps, modes), exact reads, refused names, exec's environment, non-root readers, the
# read-only fallback, concurrent writers.

load lib/common
load lib/users
bats_require_minimum_version 1.5.0

setup() {
    ns_init
    users_init
    T=$BATS_TEST_TMPDIR
    D=$ETC/container_environment
    ln -s "$BIN/contenv" "$ETC/with-contenv"
    export T
}

# ce ARGS...: contenv in the sandbox; ns 'shell code': code in the sandbox ($BIN, $T known)
ce() {
    in_ns "$BIN/contenv" "$@"
}
ns() {
    in_ns sh -c "$1"
}

# the bytes of a value, for cmp
bytes() {
    printf '%s' "$1" > "$2"
}

@test "--help and --version, also as with-contenv" {
    run "$BIN/contenv" --help
    assert_success
    assert_output --partial "contenv set NAME VALUE"
    run "$BIN/contenv" --version
    assert_success
    assert_output --regexp '^contenv [0-9]+\.[0-9]+'
    run "$ETC/with-contenv" --version
    assert_success
    assert_output --regexp '^contenv [0-9]+\.[0-9]+'
    run "$ETC/with-contenv" --help
    assert_success
    assert_output --partial "with-contenv COMMAND"
}

@test "usage errors exit 2" {
    run -2 "$BIN/contenv"
    run -2 ce frobnicate
    assert_output --partial "unknown command 'frobnicate'"
    run -2 ce get
    run -2 ce get A B
    run -2 ce set A
    run -2 ce unset
    run -2 ce list x
    run -2 ce export --format xml
    assert_output --partial "unknown format 'xml'"
    run -2 ce export --format
    run -2 ce exec
    run -2 in_ns /etc/with-contenv
}

@test "set writes the variable's file and both dumps, 0640 root:docker_env; get reads it" {
    run ce set FOO 'bar baz'
    assert_success
    assert_output ""
    [ "$(cat "$D/FOO")" = "bar baz" ]
    [ "$(stat -c '%a %u' "$D/FOO")" = "600 0" ]
    [ "$(cat "$ETC/container_environment.sh")" = "export FOO='bar baz'" ]
    [ "$(cat "$ETC/container_environment.json")" = '{"FOO": "bar baz"}' ]
    [ "$(stat -c '%a %u %g' "$ETC/container_environment.sh")" = "640 0 8377" ]
    [ "$(stat -c '%a %u %g' "$ETC/container_environment.json")" = "640 0 8377" ]
    run ce get FOO
    assert_success
    assert_output "bar baz"
    # a second set rewrites the dumps and keeps their mode and owner
    ce set BAR 2
    [ "$(cat "$ETC/container_environment.sh")" = "export BAR='2'
export FOO='bar baz'" ]
    [ "$(stat -c '%a %u %g' "$ETC/container_environment.sh")" = "640 0 8377" ]
    [ "$(stat -c '%a %u %g' "$ETC/container_environment.json")" = "640 0 8377" ]
    # nothing of atomic_write's temporary files is left
    run ls -A "$ETC"
    refute_output --partial .tmp
    refute_output --regexp '^\.container_environment'
}

@test "get prints the exact bytes (no newline added when not on a terminal)" {
    local v i=0
    for v in $'a\n\n' $'\n' '' ' lead and trail ' $'x\'y"z\\' $'\xff\xfe bytes \x01\x7f' '$(id) `id` ${X}'; do
        i=$((i + 1))
        ce set "V$i" "$v"
        in_ns sh -c '"$BIN/contenv" get "$0" > "$T/got"' "V$i"
        bytes "$v" "$T/want"
        cmp "$T/want" "$T/got"
    done
}

@test "get on a terminal ends the value with a newline" {
    ce set FOO bar
    run in_ns script -qec "$BIN/contenv get FOO" /dev/null
    assert_success
    [ "$output" = $'bar\r' ]
}

@test "a value's trailing newline survives the file (the reader strips one)" {
    ce set A $'x\n'
    printf 'x\n\n' > "$T/want"
    cmp "$T/want" "$D/A"
    in_ns sh -c '"$BIN/contenv" get A > "$T/got"'
    bytes $'x\n' "$T/want"
    cmp "$T/want" "$T/got"
}

@test "get of an unset name: exit 1, nothing printed" {
    ce set OTHER 1
    run --separate-stderr ce get NOPE
    assert_failure 1
    assert_output ""
    [ -z "$stderr" ]
    # also when there is no directory at all
    rm -rf "$D"
    mkdir -m 0700 "$D"
    run -1 ce get NOPE
    assert_output ""
}

@test "invalid names are refused with exit 2 and nothing is written" {
    local n long
    long=$(printf 'a%.0s' {1..256})
    for n in '' a/b /abs a=b =a . .. .hidden "$long"; do
        run -2 ce set "$n" value
        assert_output --partial "invalid variable name"
        run -2 ce get "$n"
        run -2 ce unset "$n"
    done
    run ls -A "$D"
    assert_output ""
    assert_file_not_exists "$ETC/container_environment.sh"
    assert_file_not_exists "$ETC/container_environment.json"
    assert_file_not_exists "$ETC/b"
    # 255 bytes is fine, and so are bytes that are no shell identifier
    ce set "${long:1}" ok
    ce set 'my var-1' ok
    [ "$(cat "$D/my var-1")" = ok ]
}

@test "per-user names (HOME USER GROUP UID GID SHELL) are refused by set" {
    local n
    for n in HOME USER GROUP UID GID SHELL; do
        run -2 ce set "$n" x
        assert_output --partial "per-user"
    done
    run ls -A "$D"
    assert_output ""
    assert_file_not_exists "$ETC/container_environment.sh"
}

@test "unset removes the file and the variable from both dumps" {
    ce set A 1
    ce set B 2
    run ce unset A
    assert_success
    assert_file_not_exists "$D/A"
    run -1 ce get A
    [ "$(cat "$ETC/container_environment.sh")" = "export B='2'" ]
    [ "$(cat "$ETC/container_environment.json")" = '{"B": "2"}' ]
    [ "$(stat -c '%a %u %g' "$ETC/container_environment.json")" = "640 0 8377" ]
    # unsetting what is not set is fine
    run ce unset A
    assert_success
    run ce unset NEVER
    assert_success
    run ce get B
    assert_output 2
}

@test "list: sorted NAME=VALUE lines, control bytes escaped" {
    ce set B $'two\nlines'
    ce set A 'back\slash'
    ce set C $'tab\there\x01'
    ce set 'D E' plain
    run ce list
    assert_success
    assert_output 'A=back\\slash
B=two\nlines
C=tab\there\x01
D E=plain'
}

@test "export: sh and json are the dumps' text, env is NUL-terminated records" {
    ce set A $'multi\nline \'q\''
    ce set 'b-c' "$(printf 'x\xffy')"
    in_ns sh -c '"$BIN/contenv" export > "$T/sh"; "$BIN/contenv" export --format sh > "$T/sh2";
        "$BIN/contenv" export --format json > "$T/json"; "$BIN/contenv" export --format=env > "$T/env"'
    cmp "$ETC/container_environment.sh" "$T/sh"
    cmp "$ETC/container_environment.sh" "$T/sh2"
    cmp "$ETC/container_environment.json" "$T/json"
    printf 'A=multi\nline '\''q'\''\0b-c=x\377y\0' > "$T/want"
    cmp "$T/want" "$T/env"
    # the name that is no shell identifier is sanitized in the .sh dump only
    grep -q "^export b_c='" "$T/sh"
    grep -q '"b-c": "x\\udcffy"' "$T/json"
}

@test "the directory is what is read (files written there by hand count)" {
    printf 'direct\n' > "$D/DIRECT"
    run ce get DIRECT
    assert_output direct
}

@test "with-contenv and contenv exec run the command with exactly the directory's variables" {
    ce set A 'x y'
    ce set 'weird name' $'v\n'
    ce set EMPTY ''
    # everything of the caller is dropped but its per-user variables; PATH is the default
    # since neither the directory nor the caller has one
    in_ns env -i FOO=caller HOME=/h USER=u ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        /etc/with-contenv env -0 > "$T/got"
    printf '%s\0' 'A=x y' $'weird name=v\n' 'EMPTY=' HOME=/h USER=u \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin | sort -z > "$T/want"
    sort -z "$T/got" > "$T/got.sorted"
    cmp "$T/want" "$T/got.sorted"

    # contenv exec is the same; the caller's PATH is used when the directory has none
    in_ns env -i FOO=caller PATH=/usr/bin:/bin ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
        "$BIN/contenv" exec -- env -0 > "$T/got"
    printf '%s\0' 'A=x y' $'weird name=v\n' 'EMPTY=' PATH=/usr/bin:/bin | sort -z > "$T/want"
    sort -z "$T/got" > "$T/got.sorted"
    cmp "$T/want" "$T/got.sorted"

    # the directory's PATH wins
    ce set PATH /opt/x:/usr/bin:/bin
    run in_ns env PATH=/usr/bin:/bin /etc/with-contenv printenv PATH
    assert_output /opt/x:/usr/bin:/bin
}

@test "with-contenv: the command's exit status, 127 and 126" {
    run -42 in_ns /etc/with-contenv sh -c 'exit 42'
    run -127 in_ns /etc/with-contenv no-such-command-here
    assert_output --partial "no-such-command-here: command not found"
    run -126 in_ns /etc/with-contenv /etc/passwd
    # not as PID 1, which the kernel protects from its own signals
    run in_ns sh -c '/etc/with-contenv sh -c "kill -TERM \$\$; sleep 5"; echo "status $?"'
    assert_line "status 143"
}

@test "a member of docker_env reads through the JSON dump; others get a clear error" {
    ce set A 'a value'
    ce set B $'two\nlines \xff'
    run in_ns "$BIN/setuser" member "$BIN/contenv" get A
    assert_success
    assert_output 'a value'
    in_ns sh -c '"$BIN/contenv" export --format env > "$T/root";
        "$BIN/setuser" member "$BIN/contenv" export --format env > "$T/member"'
    cmp "$T/root" "$T/member"
    run in_ns "$BIN/setuser" member /etc/with-contenv printenv B
    assert_success
    assert_output $'two\nlines \xff'
    run -1 in_ns "$BIN/setuser" member "$BIN/contenv" get NOPE
    # not a member
    run -1 in_ns "$BIN/setuser" outsider "$BIN/contenv" get A
    assert_output --partial "needs root or membership of group docker_env"
    run -1 in_ns "$BIN/setuser" outsider /etc/with-contenv true
    assert_output --partial "docker_env"
    # changing needs root
    run -1 in_ns "$BIN/setuser" member "$BIN/contenv" set A other
    assert_output --partial "needs root"
    run ce get A
    assert_output 'a value'
}

@test "works on the /run fallback when /etc is read-only" {
    run in_ns sh -c '
        mkdir -p /run/cinit/container_environment
        chmod 0700 /run/cinit/container_environment
        : > /run/cinit/container_environment.sh
        mount -o remount,bind,ro /etc/container_environment
        mount -o remount,ro /etc
        "$BIN/contenv" set X "y z"
        "$BIN/contenv" get X; echo
        cat /run/cinit/container_environment/X; echo
        cat /run/cinit/container_environment.sh
        stat -c "%a" /run/cinit/container_environment.json
        "$BIN/contenv" unset X
        cat /run/cinit/container_environment.json'
    assert_success
    assert_output "y z
y z
export X='y z'
640
{}"
    assert_file_not_exists "$D/X"
    assert_file_not_exists "$ETC/container_environment.sh"
}

@test "read-only /etc without the fallback: a clear error, exit 1" {
    run -1 in_ns sh -c 'mount -o remount,bind,ro /etc/container_environment
        exec "$BIN/contenv" set X y'
    assert_output --partial "Read-only file system"
}

@test "concurrent set calls lose nothing" {
    ns 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do "$BIN/contenv" set "V$i" "$i" & done; wait'
    [ "$(wc -l < "$ETC/container_environment.sh")" = 16 ]
    run python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d), sorted(d.values(), key=int)[-1])' \
        "$ETC/container_environment.json"
    assert_output "16 16"
}
