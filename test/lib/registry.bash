# A throwaway registry for the docker suites: Debian's docker-registry on 127.0.0.1, on a port
# the kernel picks, its storage in DIR. Used by nightly.bats and repro.bats.
# shellcheck shell=bash

# start_registry DIR: starts it, prints its address (127.0.0.1:PORT); DIR/registry.pid its pid
start_registry() {
    local dir=$1 _ addr=""
    mkdir -p "$dir/storage"
    # port 0: the kernel picks a free port, and the registry's log says which
    cat > "$dir/registry.yml" <<YML
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
YML
    docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 3>&- &
    echo $! > "$dir/registry.pid"
    for _ in $(seq 150); do
        addr=$(sed -n 's/.*msg="listening on \(127\.0\.0\.1:[0-9]*\)".*/\1/p' "$dir/registry.log")
        [ -z "$addr" ] || break
        kill -0 "$(cat "$dir/registry.pid")" || break
        sleep 0.1
    done
    [ -n "$addr" ] || { cat "$dir/registry.log" >&2; return 1; }
    curl -fsS "http://$addr/v2/" > /dev/null
    echo "$addr"
}

stop_registry() {
    [ ! -f "$1/registry.pid" ] || kill "$(cat "$1/registry.pid")" 2> /dev/null || :
}

# what the registry in DIR stores: every blob and manifest revision, by digest (tags left out)
registry_contents() {
    find "$1/storage" -path '*/blobs/sha256/*/data' | sed 's|.*/\([0-9a-f]*\)/data$|\1|' | LC_ALL=C sort
}

# registry_digest ADDR REPO TAG: the digest the registry at ADDR serves for REPO:TAG (empty if
# it has none): an image's or an index's
registry_digest() {
    curl -fsS -o /dev/null -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
        "http://$1/v2/$2/manifests/$3" 2> /dev/null |
        tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

id_of() { docker image inspect -f '{{.Id}}' "$1"; }
