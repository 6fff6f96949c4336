#!/bin/sh
# Startup script (/etc/my_init.d): every container makes its own SSH host keys; the image has
# none. Runs at each boot: makes the missing keys when sshd is enabled (no /etc/service/sshd/down);
# with -f, makes new keys in any case (the old ones are removed first). As baseimage-docker's
# script of the same path, which users call by hand after a `docker commit`.
set -eu
force=no
case ${1:-} in
    -f) force=yes ;;
    "") ;;
    *) echo "00_regen_ssh_host_keys.sh: unknown argument '$1' (-f: new keys in any case)" >&2; exit 2 ;;
esac
command -v ssh-keygen > /dev/null || exit 0
if [ $force = yes ]; then
    rm -f /etc/ssh/ssh_host_*
elif [ -e /etc/service/sshd/down ] || ls /etc/ssh/ssh_host_*_key > /dev/null 2>&1; then
    exit 0
fi
# without root (docker run --user) nothing in /etc/ssh can be written: sshd needs root anyway
if [ ! -w /etc/ssh ]; then
    echo "SSH host keys: /etc/ssh is not writable for uid $(id -u): none made (sshd needs root)"
    exit 0
fi
echo "No SSH host key available. Generating one..."
ssh-keygen -A
echo "SSH host keys regenerated."
