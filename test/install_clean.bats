#!/usr/bin/env bats
# install_clean against a recording stand-in for apt-get, in a private mount namespace whose
# /var/lib/apt/lists and /var/cache/debconf are scratch directories (the host's stay untouched).
# The real apt-get runs it in test/docker/deb.bats.
# shellcheck disable=SC2016 # the single-quoted scripts are expanded by the shell they run in
load lib/common

setup() {
    T=$BATS_TEST_TMPDIR
    mkdir -p "$T/bin" "$T/lists" "$T/debconf"
    # apt-get: logs "DEBIAN_FRONTEND|args" per call; `update` writes a package list, as apt
    # does; `install` fails (exit 100) as long as fewer than FAIL_INSTALL installs were tried.
    cat > "$T/bin/apt-get" <<'EOF'
#!/bin/sh
printf '%s|%s\n' "${DEBIAN_FRONTEND:-}" "$*" >> "$T/log"
for a do
    case $a in
        update) : > "$T/lists/deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages" ;;
        install)
            n=$(($(cat "$T/installs" 2>/dev/null || echo 0) + 1))
            echo "$n" > "$T/installs"
            [ "$n" -gt "${FAIL_INSTALL:-0}" ] || { echo "E: fake failure $n" >&2; exit 100; }
            ;;
    esac
done
exit 0
EOF
    chmod +x "$T/bin/apt-get"
    export T
    unset DEBIAN_FRONTEND INSTALL_CLEAN_TRIES
    export INSTALL_CLEAN_DELAY=0
}

# ic ARGS...: install_clean ARGS... with the stand-in apt-get and the scratch directories
ic() {
    unshare -m --propagation private -- /bin/sh -c '
        mount --bind "$T/lists" /var/lib/apt/lists
        mount --bind "$T/debconf" /var/cache/debconf
        exec "$@"' ic env PATH="$T/bin:$PATH" "$BIN/install_clean" "$@"
}

@test "--help prints the usage and exits 0" {
    run "$BIN/install_clean" --help
    assert_success
    assert_line --partial "Usage: install_clean [--install-recommends]"
    assert_output --partial "INSTALL_CLEAN_TRIES"
}

@test "--version prints the version of debian/changelog" {
    local v
    v=$(awk -F'[()]' 'NR==1 {print $2; exit}' "$SRC/debian/changelog")
    run "$BIN/install_clean" --version
    assert_success
    assert_output "install_clean (cinit) ${v%-*}"
}

@test "no package: usage error, exit 2, apt not called" {
    run ic
    assert_failure 2
    assert_output --partial "no package given"
    assert_file_not_exist "$T/log"
}

@test "a malformed INSTALL_CLEAN_TRIES or INSTALL_CLEAN_DELAY is a usage error" {
    INSTALL_CLEAN_TRIES=0 run ic foo
    assert_failure 2
    assert_output --partial "INSTALL_CLEAN_TRIES"
    INSTALL_CLEAN_TRIES=x3 run ic foo
    assert_failure 2
    INSTALL_CLEAN_DELAY=-1 run ic foo
    assert_failure 2
    assert_output --partial "INSTALL_CLEAN_DELAY"
    assert_file_not_exist "$T/log"
}

@test "refuses to run as a user other than root" {
    run setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN/install_clean" foo
    assert_failure 1
    assert_output --partial "must run as root"
}

@test "no package lists: update, install without recommends, then clean up everything" {
    echo old > "$T/debconf/templates.dat-old"
    echo keep > "$T/debconf/templates.dat"
    run ic nginx curl
    assert_success
    run cat "$T/log"
    assert_output "noninteractive|-q update
noninteractive|-q -y install --no-install-recommends nginx curl
noninteractive|-q -y autoremove
noninteractive|clean"
    # the list that update wrote is gone, and so are debconf's backups, but nothing else
    run ls -A "$T/lists"
    assert_output ""
    assert_file_not_exist "$T/debconf/templates.dat-old"
    assert_file_exist "$T/debconf/templates.dat"
}

@test "existing package lists: no update; apt options and arguments pass unchanged" {
    : > "$T/lists/host_dists_x_main_binary-amd64_Packages.lz4"
    mkdir "$T/lists/partial"
    DEBIAN_FRONTEND=readline run ic -t 'bookworm-backports' -o 'Dpkg::Options::=--force-confold' 'pkg:amd64'
    assert_success
    run head -n 1 "$T/log"
    assert_output "readline|-q -y install --no-install-recommends -t bookworm-backports -o Dpkg::Options::=--force-confold pkg:amd64"
    run grep -c update "$T/log"
    assert_output 0
    run ls -A "$T/lists"
    assert_output ""
}

@test "--install-recommends is passed instead of --no-install-recommends" {
    : > "$T/lists/x_Packages"
    run ic foo --install-recommends
    assert_success
    run head -n 1 "$T/log"
    assert_output "noninteractive|-q -y install foo --install-recommends"
}

@test "a failed install is retried after an update, and then succeeds" {
    : > "$T/lists/x_Packages"
    FAIL_INSTALL=2 run ic foo
    assert_success
    assert_output --partial "apt-get failed (exit 100); try 2 of 3"
    assert_output --partial "try 3 of 3"
    run cat "$T/log"
    assert_output "noninteractive|-q -y install --no-install-recommends foo
noninteractive|-q update
noninteractive|-q -y install --no-install-recommends foo
noninteractive|-q update
noninteractive|-q -y install --no-install-recommends foo
noninteractive|-q -y autoremove
noninteractive|clean"
}

@test "an install that keeps failing ends with apt's exit status after INSTALL_CLEAN_TRIES tries" {
    : > "$T/lists/x_Packages"
    FAIL_INSTALL=99 INSTALL_CLEAN_TRIES=2 run ic foo
    assert_failure 100
    assert_output --partial "apt-get failed (exit 100) after 2 tries"
    run grep -c -- '-y install' "$T/log"
    assert_output 2
    run grep -c 'clean' "$T/log"
    assert_output 0
}

@test "install_clean is a POSIX shell script that shellcheck accepts" {
    run head -n 1 "$SRC/image/bin/install_clean"
    assert_output "#!/bin/sh"
    run shellcheck "$SRC/image/bin/install_clean"
    assert_success
    # dash is /bin/sh on Debian: it must parse the script
    run dash -n "$SRC/image/bin/install_clean"
    assert_success
}
