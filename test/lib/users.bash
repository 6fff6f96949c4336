# Users and groups of the sandbox's private /etc (test/setuser.bats, test/contenv.bats).
# shellcheck shell=bash

# users_init: after ns_init, a passwd/group/shadow of our own in $ETC, so that the results
# do not depend on the host's users:
#   tuser  2001, primary group 2001, member of tg1 (3001) and tg2 (3002), not of tg3 (3003)
#   member 2002, member of docker_env (8377)      outsider 2003, member of nothing
users_init() {
    cat > "$ETC/passwd" << 'EOF'
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
tuser:x:2001:2001:Test User:/home/tuser:/bin/sh
member:x:2002:2002::/home/member:/bin/sh
outsider:x:2003:2003::/home/outsider:
EOF
    cat > "$ETC/group" << 'EOF'
root:x:0:
nogroup:x:65534:
tuser:x:2001:
member:x:2002:
outsider:x:2003:
tg1:x:3001:tuser
tg2:x:3002:other,tuser,more
tg3:x:3003:other
docker_env:x:8377:member
EOF
    cat > "$ETC/shadow" << 'EOF'
root:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
tuser:*:19000:0:99999:7:::
member:*:19000:0:99999:7:::
outsider:*:19000:0:99999:7:::
EOF
    chmod 0644 "$ETC/passwd" "$ETC/group"
    chmod 0640 "$ETC/shadow"
}

# a scratch directory that every user may enter (bats' own are private to root)
public_dir() {
    PUB=$(mktemp -d /tmp/cinit-pub.XXXXXX)
    chmod 0755 "$PUB"
    export PUB
}
