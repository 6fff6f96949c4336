# The documentation is true (issue #27): README.md, docs/*.md and man/* name only make
# variables, cinit options and CINIT_*/KILL_* variables that the code has, and document every
# one the code reads; each man page lists exactly the options its program's --help prints; every
# relative link resolves. No Docker: the programs' --help comes from $CINIT_BUILD.
#
# docs/design.md is the product specification: it names what is still to be built, so it is
# left out of the name checks (not of the link check). Names count where the docs write them
# as code: in `code spans` and code blocks, and in the first column of a table whose header
# says what the column holds ("variable (`make image VAR=…`)", "`my_init` option …").
load lib/common

setup() {
    DOCS=("$SRC/README.md")
    local f
    for f in "$SRC"/docs/*.md; do
        [ "$f" = "$SRC/docs/design.md" ] || DOCS+=("$f")
    done
    MANS=("$SRC"/man/*.[18])
    CODE=("$SRC/Makefile" "$SRC"/mk/*.mk "$SRC/src" "$SRC/tools" "$SRC/image" "$SRC/Dockerfile")
}

# man_text FILE...: a man page's source as plain text (roff escapes for dashes and fonts gone)
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$@"; }

# code_text FILE...: the code of markdown files, one piece a line: every line of a fenced block
# and every `code span`. With TABLE_RE set, instead: the first cell of each row of the tables
# whose header's first cell matches TABLE_RE.
code_text() {
    awk -v table_re="${TABLE_RE:-}" '
        /^[[:space:]]*(```|~~~)/ { fence = !fence; next }
        fence { if (table_re == "") print; next }
        !/^\|/ { intable = 0 }
        /^\|/ && table_re != "" {
            row = $0; gsub(/\\\|/, "", row)
            split(row, cell, "|")
            if (!intable) { intable = 1; first = cell[2]; header = 1; next }
            if (header) { header = 0; next }   # the |---| line
            if (first ~ table_re) print cell[2]
            next
        }
        table_re == "" {
            line = $0
            while (match(line, /`[^`]+`/)) {
                print substr(line, RSTART + 1, RLENGTH - 2)
                line = substr(line, RSTART + RLENGTH)
            }
        }' "$@"
}

# ---- make variables ----

# the make variables the docs name: NAME= after a `make` command, and the names in the first
# column of tables about make variables
doc_make_vars() {
    {
        code_text "${DOCS[@]}"
        man_text "${MANS[@]}"
    } | grep -E '(^|[^A-Za-z0-9_/-])make[[:space:]]' | sed -E 's/.*(^|[^A-Za-z0-9_/-])make[[:space:]]//' |
        grep -oE '(^|[[:space:]])[A-Z][A-Z0-9_]*=' | tr -d ' =\t'
    TABLE_RE='make' code_text "${DOCS[@]}" | grep -oE '^ *`?[A-Z][A-Z0-9_]*' | tr -d ' `'
}

# a make variable exists when the makefiles set or use it, or a tool they run reads it
make_var_exists() {
    grep -qE "^$1[[:space:]]*[:?+]?=|\\\$[({]$1[)}]" "$SRC/Makefile" "$SRC"/mk/*.mk ||
        grep -rqE "\\\$\\{?$1([^A-Za-z0-9_]|$)" "$SRC/tools"
}

# the make variables the code reads: those the makefiles default with ?=, and those they use
# without ever setting them (they come from the command line), but make's own
code_make_vars() {
    local set
    set=$(grep -hoE '^[A-Z_][A-Z0-9_]*[[:space:]]*[:?+]?=' "$SRC/Makefile" "$SRC"/mk/*.mk | grep -oE '^[A-Z_][A-Z0-9_]*' | sort -u)
    grep -hoE '^[A-Z_][A-Z0-9_]*[[:space:]]*\?=' "$SRC/Makefile" "$SRC"/mk/*.mk | grep -oE '^[A-Z_][A-Z0-9_]*'
    grep -hoE '\$\([A-Z_][A-Z0-9_]*\)' "$SRC/Makefile" "$SRC"/mk/*.mk | tr -d '()$' | sort -u |
        grep -vxF -e MAKE -e AR -f <(echo "$set")
}

# documented: written as code (`NAME`, `NAME=…`) in the docs, or in a man page
documented() {
    { code_text "${DOCS[@]}"; man_text "${MANS[@]}"; } | grep -qE "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|$)"
}

@test "every make variable the docs name exists in the code" {
    local v missing=()
    for v in $(doc_make_vars | sort -u); do
        make_var_exists "$v" || missing+=("$v")
    done
    [ ${#missing[@]} = 0 ] || fail "named in the docs, unknown to Makefile, mk/*.mk and tools/: ${missing[*]}"
}

@test "every make variable the code reads is documented" {
    local v missing=()
    for v in $(code_make_vars | sort -u); do
        documented "$v" || missing+=("$v")
    done
    [ ${#missing[@]} = 0 ] || fail "read by Makefile or mk/*.mk, in no doc or man page: ${missing[*]}"
}

# ---- CINIT_* and KILL_* variables ----

@test "every CINIT_* and KILL_* variable the docs name exists in the code" {
    local v missing=()
    while IFS= read -r v; do
        grep -rqw -- "$v" "${CODE[@]}" || missing+=("$v")
    done < <(cat "${DOCS[@]}" <(man_text "${MANS[@]}") | grep -oE '\b(CINIT|KILL)_[A-Z0-9_]*[A-Z0-9]' | sort -u)
    [ ${#missing[@]} = 0 ] || fail "named in the docs, not in the code: ${missing[*]}"
}

@test "every CINIT_* and KILL_* variable the code reads is documented" {
    local v missing=()
    # C asks for them by name ("CINIT_X"), the scripts expand them ($CINIT_X, ${CINIT_X...})
    for v in $( {
        grep -rhoE '"(CINIT|KILL)_[A-Z0-9_]+"' "$SRC/src" | tr -d '"'
        grep -rhoE '\$\{?(CINIT|KILL)_[A-Z0-9_]+' "$SRC/tools" "$SRC/image" "$SRC/Makefile" "$SRC"/mk/*.mk "$SRC/Dockerfile" | tr -d '{$'
    } | sort -u); do
        cat "${DOCS[@]}" <(man_text "${MANS[@]}") | grep -qw -- "$v" || missing+=("$v")
    done
    [ ${#missing[@]} = 0 ] || fail "read by the code, in no doc or man page: ${missing[*]}"
}

# ---- cinit's options ----

# the options cinit knows: its "--name" literals, and the names opt_value() takes a value for
code_cinit_options() {
    grep -rhoE '"--[a-z][a-z-]*' "$SRC/src/cinit" | tr -d '"'
    grep -rhoE 'opt_value\([^"]*"[a-z-]+"' "$SRC/src/cinit" | grep -oE '"[a-z-]+"' | tr -d '"' | sed 's/^/--/'
}

# the cinit options the docs name: in code after `my_init` or `cinit` (up to a lone --), and in
# the first column of tables of my_init's or cinit's options
doc_cinit_options() {
    code_text "${DOCS[@]}" | sed -nE 's/.*(^|[^A-Za-z0-9_.-])(my_init|cinit)([^A-Za-z0-9_/.-]|$)//p' |
        sed -E 's/(^|[[:space:]"'\''])--([[:space:]"'\'']|$).*//' | grep -oE -- '--[a-z][a-z-]*'
    TABLE_RE='(my_init|cinit).*option' code_text "${DOCS[@]}" | sed -E 's/^[ `]+//' | grep -oE -- '^--[a-z][a-z-]*'
}

@test "every cinit option the docs name exists in the code" {
    local o missing=() known
    known=$(code_cinit_options | sort -u)
    for o in $(doc_cinit_options | sort -u); do
        grep -qxF -- "$o" <<< "$known" || missing+=("$o")
    done
    [ ${#missing[@]} = 0 ] || fail "named in the docs, unknown to src/cinit: ${missing[*]}"
}

# ---- man pages against --help ----

# the options a man page lists: in its SYNOPSIS, and in the tags (.TP) of OPTIONS and COMMANDS
man_options() {
    man_text "$1" | awk '
        /^\.SH/ { sec = $0; sub(/^\.SH +"?/, "", sec); sub(/"$/, "", sec); tag = 0; next }
        sec == "SYNOPSIS" { print; next }
        sec == "OPTIONS" || sec == "COMMANDS" {
            if (tag) { print; tag = 0 }
            if (/^\.TP/) tag = 1
        }' | grep -oE -- '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' | grep -oE -- '--?[A-Za-z][A-Za-z0-9-]*'
}

# the options --help prints: in its usage lines, and in the first column of its option lines
help_options() {
    local prog=$1
    shift
    "$@" --help | awk -v prog="$prog" '
        $0 ~ "^(Usage:)?[[:space:]]*(" prog "|with-contenv)([[:space:]]|$)" { print; next }
        /^[[:space:]]+--?[A-Za-z]/ { sub(/^[[:space:]]+/, ""); sub(/[[:space:]][[:space:]].*/, ""); print }' |
        grep -oE -- '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' | grep -oE -- '--?[A-Za-z][A-Za-z0-9-]*'
}

# same_options PROGRAM MANPAGE COMMAND...
same_options() {
    local man help
    man=$(man_options "$SRC/man/$2" | sort -u)
    help=$(help_options "$1" "${@:3}" | sort -u)
    [ -n "$help" ] || fail "$1 --help printed no option"
    [ "$man" = "$help" ] || fail "$(printf 'man/%s and %s --help differ in their options:\n%s' "$2" "$1" \
        "$(diff <(echo "$man") <(echo "$help") | grep '^[<>]' | sed 's/^</  only in the man page:/; s/^>/  only in --help:/')")"
}

@test "man/cinit.8 lists exactly the options of cinit --help" {
    same_options cinit cinit.8 "$BIN/cinit"
}

@test "man/setuser.8 lists exactly the options of setuser --help" {
    same_options setuser setuser.8 "$BIN/setuser"
}

@test "man/contenv.1 lists exactly the options of contenv --help" {
    same_options contenv contenv.1 "$BIN/contenv"
}

@test "man/cinit-syslogd.8 lists exactly the options of cinit-syslogd --help" {
    same_options cinit-syslogd cinit-syslogd.8 "$BIN/cinit-syslogd"
}

@test "man/cinit-health.8 lists exactly the options of cinit-health --help" {
    same_options cinit-health cinit-health.8 "$BIN/cinit-health"
}

@test "man/install_clean.8 lists exactly the options of install_clean --help" {
    same_options install_clean install_clean.8 "$SRC/image/bin/install_clean"
}

@test "every program has a man page" {
    local p missing=()
    for p in cinit setuser contenv cinit-syslogd cinit-health install_clean; do
        compgen -G "$SRC/man/$p.[18]" > /dev/null || missing+=("$p")
    done
    [ ${#missing[@]} = 0 ] || fail "no man page: ${missing[*]}"
}

# ---- links ----

# anchors FILE: the GitHub anchors of a markdown file's headings (those outside code blocks)
anchors() {
    awk '
        /^[[:space:]]*(```|~~~)/ { fence = !fence; next }
        !fence && /^#+ / {
            h = tolower($0); sub(/^#+ +/, "", h)
            gsub(/[^a-z0-9 _-]/, "", h); gsub(/ /, "-", h)
            print h
        }' "$1"
}

# links FILE: the targets of its inline links (outside code blocks and code spans)
links() {
    awk '
        /^[[:space:]]*(```|~~~)/ { fence = !fence; next }
        fence { next }
        {
            line = $0; gsub(/`[^`]*`/, "", line)
            while (match(line, /\]\([^) ]+\)/)) {
                print substr(line, RSTART + 2, RLENGTH - 3)
                line = substr(line, RSTART + RLENGTH)
            }
        }' "$1"
}

@test "every relative link in README.md and docs/*.md resolves, anchors included" {
    local f link path anchor target bad=()
    for f in "$SRC/README.md" "$SRC"/docs/*.md; do
        while IFS= read -r link; do
            case $link in *://* | mailto:*) continue ;; esac
            path=${link%%#*} anchor=
            [ "$path" = "$link" ] || anchor=${link#*#}
            if [ -z "$path" ]; then target=$f; else target=$(dirname "$f")/$path; fi
            if [ ! -e "$target" ]; then
                bad+=("${f#"$SRC"/}: $link (no such file)")
            elif [ -n "$anchor" ] && ! anchors "$target" | grep -qxF -- "$anchor"; then
                bad+=("${f#"$SRC"/}: $link (no such heading)")
            fi
        done < <(links "$f")
    done
    [ ${#bad[@]} = 0 ] || fail "$(printf 'broken links:\n'; printf '  %s\n' "${bad[@]}")"
}

@test "README.md is at most 12 KB and opens with make image and make test" {
    local size
    size=$(wc -c < "$SRC/README.md")
    [ "$size" -le 12288 ] || fail "README.md is $size bytes"
    # the first code block, right under the title
    run awk '/^```/ { if (open) exit; open = 1; next } open' "$SRC/README.md"
    assert_output "$(printf 'make image\nmake test')"
    run sed -n 3p "$SRC/README.md"
    assert_output --regexp "^\`\`\`"
}

@test "performance figures live in bench/RESULTS.md only" {
    # a figure of a run: a time in µs or ms next to a peer's name
    run grep -lE '(tini|dumb-init|catatonit).*[0-9][0-9,.]* ?(µs|ms)' "$SRC/README.md" "$SRC"/docs/*.md
    assert_output ''
}
