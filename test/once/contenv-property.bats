#!/usr/bin/env bats
# Property: every byte string without NUL (lengths 0-4096) survives, byte for byte,
#   contenv set -> contenv get, -> the .sh dump sourced by dash and by bash, -> the .json dump
#   parsed by python3, -> contenv export --format env as root (the directory) and as a member of
#   docker_env (the JSON dump, through json_parse_env).
# One contenv process per set and per get; everything else is checked in bulk, a batch of
# variables at a time. CONTENV_PROPERTY_SEED=N replays a run; the seed is printed.

load ../lib/common
load ../lib/users

setup() {
    ns_init
    users_init
    T=$BATS_TEST_TMPDIR
    cat > "$T/driver.py" << 'EOF'
import json, os, random, subprocess, sys, time

contenv, setuser, total, batch, seed = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
rng = random.Random(seed)
BASE = "/etc/container_environment"
SPECIAL = [b"'", b'"', b"\\", b"\n", b"\r", b"\t", b"$", b"`", b"!", b"\x7f", b"\x01", b"\x1b",
           b" ", b"=", b"%s", b"\\u0000", b"\\udcff", b"'\\''", b"\xc3\xa9", b"\xe2\x82\xac",
           b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b"\xed\xb2\x80", b"\xc0\x80", b"\xf4\x90\x80\x80",
           b"\x80", b"\xbf", b"\xfe", b"\xff", b"\xe2\x82", b"\xf0\x9f"]
FIXED = [b"", b"\n", b"\n\n", b"'", b"\\", b"\xff", b"x\n", bytes(range(1, 256)) * 16]


def no_nul(b):
    return b.replace(b"\0", bytes([rng.randint(1, 255)]))


def value(i):
    if i < len(FIXED):
        return FIXED[i][:4096]
    r = rng.random()
    n = rng.randint(0, 16) if r < 0.3 else rng.choice([0, 1, 4095, 4096]) if r < 0.35 else rng.randint(0, 4096)
    style = rng.randrange(4)
    if style == 0:  # any bytes
        return no_nul(rng.randbytes(n))
    out = bytearray()
    while len(out) < n:
        if style == 1:  # the bytes that quoting and UTF-8 handling get wrong, and noise
            out += rng.choice(SPECIAL) if rng.random() < 0.7 else no_nul(rng.randbytes(rng.randint(1, 8)))
        elif style == 2:  # valid UTF-8 text of every plane, surrogates excepted
            cp = rng.choice([rng.randint(1, 0x7f), rng.randint(0x80, 0x7ff), rng.randint(0x800, 0xd7ff),
                             rng.randint(0xe000, 0xffff), rng.randint(0x10000, 0x10ffff)])
            out += chr(cp).encode()
        else:  # printable ASCII
            out += bytes([rng.randint(0x20, 0x7e)])
    return bytes(out[:n])  # a cut may split a UTF-8 sequence: also a case


def records(data):
    d = {}
    for rec in data.split(b"\0")[:-1]:
        k, _, v = rec.partition(b"=")
        d[k.decode()] = v
    return d


failures = []


def check(what, name, want, got):
    if want != got:
        pos = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        failures.append(f"{what} {name}: want {len(want)} bytes, got {len(got) if got is not None else None}, "
                        f"first difference at {pos}: want {want[pos:pos + 16]!r} got {(got or b'')[pos:pos + 16]!r}")


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


shenv = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}
start = time.monotonic()
done = 0
while done < total and not failures:
    vals = {f"V{i}": value(done + i) for i in range(min(batch, total - done))}
    names = list(vals)
    for name, v in vals.items():
        p = run([contenv, "set", name, v])
        if p.returncode or p.stderr:
            failures.append(f"set {name}: status {p.returncode}, {p.stderr!r}")
    for name, v in vals.items():
        p = run([contenv, "get", name])
        if p.returncode or p.stderr:
            failures.append(f"get {name}: status {p.returncode}, {p.stderr!r}")
        check("get", name, v, p.stdout)
    script = f". {BASE}.sh\nprintf '%s\\0' " + " ".join(f'"${n}"' for n in names) + "\n"
    for sh in (["dash", "-c"], ["bash", "--norc", "--noprofile", "-c"]):
        p = run(sh + [script], env=shenv)
        if p.returncode or p.stderr:
            failures.append(f"{sh[0]}: status {p.returncode}, {p.stderr[:200]!r}")
        got = p.stdout.split(b"\0")[:-1]
        for i, name in enumerate(names):
            check(sh[0], name, vals[name], got[i] if i < len(got) else None)
    with open(BASE + ".json", "rb") as f:
        d = json.loads(f.read().decode("utf-8"))  # strict: valid UTF-8, valid JSON
    if sorted(d) != sorted(names):
        failures.append(f"json names {sorted(d)[:5]}... != {names[:5]}...")
    for name in names:
        check("json", name, vals[name], d.get(name, "").encode("utf-8", "surrogateescape"))
    for who in ([], [setuser, "member"]):
        p = run(who + [contenv, "export", "--format", "env"])
        if p.returncode or p.stderr:
            failures.append(f"export {who}: status {p.returncode}, {p.stderr!r}")
        got = records(p.stdout)
        for name in names:
            check("export" + (" as member" if who else ""), name, vals[name], got.get(name))
    for name in names:  # the next batch starts from an empty directory
        os.unlink(f"{BASE}/{name}")
    done += len(vals)

print(f"{done} values, seed {seed}, {time.monotonic() - start:.1f} s")
for f in failures[:20]:
    print(f)
sys.exit(1 if failures else 0)
EOF
}

@test "10000 random byte strings round-trip through set/get, .sh (dash, bash), .json, export" {
    local seed=${CONTENV_PROPERTY_SEED:-$RANDOM$RANDOM}
    run in_ns python3 "$T/driver.py" "$BIN/contenv" "$BIN/setuser" 10000 25 "$seed"
    echo "# $output" >&3
    assert_success
    assert_output --regexp '^10000 values, seed [0-9]+'
}
