# A static HTTP server on 127.0.0.1 for the suites that need an archive or a mirror.
# start_http DIR STATE: serve DIR; STATE is a directory for the server's port and pid.
# Prints the URL.
start_http() {
    local dir=$1 st=$2 _
    mkdir -p "$st"
    python3 "$BATS_TEST_DIRNAME/../lib/serve.py" "$dir" > "$st/port" 2> /dev/null 3>&- &
    echo $! > "$st/server.pid"
    for _ in $(seq 100); do [ -s "$st/port" ] && break; sleep 0.1; done
    [ -s "$st/port" ] || { echo "the HTTP server for $dir did not start" >&2; return 1; }
    echo "http://127.0.0.1:$(cat "$st/port")"
}
# stop_http STATE
stop_http() {
    [ ! -s "$1/server.pid" ] || kill "$(cat "$1/server.pid")" 2> /dev/null || :
}
