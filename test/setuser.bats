#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2154 # code in single quotes runs in the sandbox; bats sets $stderr
# setuser: user lookup in a private /etc, the order and completeness of the privilege drop, the
# environment it sets, exec in place and the exit statuses.

load lib/common
load lib/users
bats_require_minimum_version 1.5.0

setup() {
    ns_init
    users_init
    PUB=
}

teardown() {
    if [ -n "${PUB:-}" ]; then rm -rf "$PUB"; fi
}

# the value of a /proc/self/status field, tabs squeezed: "Uid" -> "2001 2001 2001 2001"
field() {
    printf '%s\n' "$output" | awk -v f="$1:" '$1 == f { $1 = ""; sub(/^ /, ""); print }'
}

@test "--help and --version" {
    run "$BIN/setuser" --help
    assert_success
    assert_output --partial "Usage: setuser USER[:GROUP] COMMAND"
    run "$BIN/setuser" --version
    assert_success
    assert_output --regexp '^setuser [0-9]+\.[0-9]+'
}

@test "usage errors: no arguments, no command, unknown option" {
    run --separate-stderr "$BIN/setuser"
    assert_failure 1
    assert_output ""
    [[ $stderr == *"Usage: setuser"* ]]
    run --separate-stderr "$BIN/setuser" nobody
    assert_failure 1
    [[ $stderr == *"Usage: setuser"* ]]
    run "$BIN/setuser" -x nobody true
    assert_failure 1
    assert_output --partial "unknown option '-x'"
}

@test "a user with two supplementary groups gets exactly them, and its environment" {
    run in_ns "$BIN/setuser" tuser sh -c 'cat /proc/self/status; printenv HOME USER LOGNAME UID SHELL'
    assert_success
    [ "$(field Uid)" = "2001 2001 2001 2001" ]
    [ "$(field Gid)" = "2001 2001 2001 2001" ]
    [ "$(field Groups)" = "2001 3001 3002" ]
    [ "$(field CapEff)" = 0000000000000000 ]
    [ "$(field CapPrm)" = 0000000000000000 ]
    printf '%s\n' "$output" | tail -n 5 | {
        read -r home && [ "$home" = /home/tuser ]
        read -r user && [ "$user" = tuser ]
        read -r logname && [ "$logname" = tuser ]
        read -r uid && [ "$uid" = 2001 ]
        read -r shell && [ "$shell" = /bin/sh ]
    }
}

@test "a known user given by uid is looked up: same groups and HOME" {
    run in_ns "$BIN/setuser" 2001 sh -c 'grep -E "^(Uid|Groups):" /proc/self/status; echo "$HOME $USER"'
    assert_success
    [ "$(field Uid)" = "2001 2001 2001 2001" ]
    [ "$(field Groups)" = "2001 3001 3002" ]
    assert_line "/home/tuser tuser"
}

@test "USER:GROUP by name sets that gid, with the user's groups (as initgroups)" {
    run in_ns "$BIN/setuser" tuser:tg3 grep -E '^(Gid|Groups):' /proc/self/status
    assert_success
    [ "$(field Gid)" = "3003 3003 3003 3003" ]
    [ "$(field Groups)" = "3001 3002 3003" ]
}

@test "the same works from a static build (files are read without NSS)" {
    local st=$BATS_TEST_TMPDIR/setuser-static
    cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$SRC/src/lib" -O2 -static \
        -o "$st" "$SRC/src/setuser.c" "$SRC"/src/lib/*.c
    run readelf -l "$st"
    refute_output --partial INTERP
    cp "$st" "$ETC/setuser-static"
    run in_ns /etc/setuser-static tuser sh -c 'cat /proc/self/status; echo "$HOME"'
    assert_success
    [ "$(field Uid)" = "2001 2001 2001 2001" ]
    [ "$(field Groups)" = "2001 3001 3002" ]
    assert_line /home/tuser
}

@test "nobody: root's supplementary groups and every capability are dropped" {
    # give root supplementary groups and inheritable+ambient capabilities first: the kernel
    # keeps the inheritable set across setuid, so setuser has to clear it itself
    run in_ns setpriv --groups 4,27 --inh-caps +net_raw,+sys_admin --ambient-caps +net_raw -- \
        "$BIN/setuser" nobody cat /proc/self/status
    assert_success
    [ "$(field Uid)" = "65534 65534 65534 65534" ]
    [ "$(field Gid)" = "65534 65534 65534 65534" ]
    [ "$(field Groups)" = 65534 ]
    [ "$(field CapEff)" = 0000000000000000 ]
    [ "$(field CapPrm)" = 0000000000000000 ]
    [ "$(field CapInh)" = 0000000000000000 ]
    [ "$(field CapAmb)" = 0000000000000000 ]
}

@test "securebits that keep capabilities across setuid do not leave any" {
    run in_ns setpriv --securebits +no_setuid_fixup -- "$BIN/setuser" nobody cat /proc/self/status
    assert_success
    [ "$(field Uid)" = "65534 65534 65534 65534" ]
    [ "$(field CapEff)" = 0000000000000000 ]
    [ "$(field CapPrm)" = 0000000000000000 ]
}

@test "numeric 1234:1234 needs no passwd entry" {
    run in_ns "$BIN/setuser" 1234:1234 sh -c 'cat /proc/self/status; echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME"; printenv UID'
    assert_success
    [ "$(field Uid)" = "1234 1234 1234 1234" ]
    [ "$(field Gid)" = "1234 1234 1234 1234" ]
    [ "$(field Groups)" = 1234 ]
    [ "$(field CapEff)" = 0000000000000000 ]
    assert_line "HOME=/ USER=1234 LOGNAME=1234"
    assert_line 1234
}

@test "an unknown numeric uid alone never gets the root group" {
    run in_ns "$BIN/setuser" 4321 grep -E '^(Gid|Groups):' /proc/self/status
    assert_success
    [ "$(field Gid)" = "4321 4321 4321 4321" ]
    [ "$(field Groups)" = 4321 ]
}

@test "unknown user or group: message naming it, exit 1, command not run" {
    run in_ns "$BIN/setuser" nosuchuser touch /etc/ran
    assert_failure 1
    assert_output --partial "nosuchuser"
    assert_output --partial "not found"
    assert_file_not_exists "$ETC/ran"
    run in_ns "$BIN/setuser" tuser:nosuchgroup touch /etc/ran
    assert_failure 1
    assert_output --partial "group 'nosuchgroup' not found"
    assert_file_not_exists "$ETC/ran"
    run in_ns "$BIN/setuser" tuser: true
    assert_failure 1
}

@test "root cannot be regained by the command" {
    # setpriv exits 127 when the kernel refuses
    run -127 in_ns "$BIN/setuser" nobody setpriv --reuid 0 --regid 0 --clear-groups true
    assert_output --partial "not permitted"
    run -127 in_ns "$BIN/setuser" tuser setpriv --clear-groups true
    assert_output --partial "not permitted"
}

@test "a drop that fails (not root) exits 1 without running the command" {
    public_dir
    run setpriv --reuid 2001 --regid 2001 --clear-groups -- "$BIN/setuser" nobody touch "$PUB/ran"
    assert_failure 1
    assert_output --partial "supplementary groups"
    assert_file_not_exists "$PUB/ran"
}

@test "setuser root keeps root" {
    run in_ns "$BIN/setuser" root sh -c 'id -u; echo "$HOME"'
    assert_success
    assert_output "0
/root"
}

@test "the command replaces setuser (exec in place): \$\$ is 1 as PID 1" {
    run in_ns "$BIN/setuser" nobody sh -c 'echo $$'
    assert_success
    assert_output 1
}

@test "exit status is the command's, 143 when it kills itself with TERM" {
    run "$BIN/setuser" nobody sh -c 'exit 42'
    assert_failure 42
    run "$BIN/setuser" nobody sh -c 'kill -TERM $$'
    assert_failure 143
}

@test "command not found 127, not executable 126 (as the target user)" {
    public_dir
    run -127 "$BIN/setuser" nobody no-such-command-here
    assert_output --partial "no-such-command-here: command not found"
    run -127 "$BIN/setuser" nobody "$PUB/missing"
    printf '#!/bin/sh\necho ran\n' > "$PUB/noexec"
    chmod 0644 "$PUB/noexec"
    run "$BIN/setuser" nobody "$PUB/noexec"
    assert_failure 126
    # executable for root only: nobody may not run it
    printf '#!/bin/sh\necho ran\n' > "$PUB/rootonly"
    chmod 0700 "$PUB/rootonly"
    run "$BIN/setuser" nobody "$PUB/rootonly"
    assert_failure 126
    refute_output --partial ran
    # found through PATH but not executable: 126 too
    run env PATH="$PUB:/usr/bin:/bin" "$BIN/setuser" nobody noexec
    assert_failure 126
}

@test "the rest of the environment is passed through, PATH search uses it" {
    public_dir
    printf '#!/bin/sh\necho "mine $FOO|$BAR"\n' > "$PUB/mycmd"
    chmod 0755 "$PUB/mycmd"
    run env FOO='a b' BAR=$'x\ny' PATH="$PUB:/usr/bin:/bin" "$BIN/setuser" nobody mycmd
    assert_success
    assert_output "mine a b|x
y"
}

@test "arguments reach the command unchanged" {
    run "$BIN/setuser" nobody printf '[%s]' -- --help '' 'a b'
    assert_success
    assert_output "[--][--help][][a b]"
}
