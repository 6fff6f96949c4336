# /etc/profile.d/container_environment.sh: login shells (`docker exec -it CONTAINER bash -l`, ssh)
# get the container environment that cinit exported at boot, as in baseimage-docker, which links
# /etc/container_environment.sh here. The dump is 0640 root:docker_env: root and the members of
# docker_env read it; for everybody else this file does nothing and says nothing. Under
# `docker run --read-only` cinit writes the dump under /run/cinit instead (contenv(1)).
for cinit_env in /run/cinit/container_environment.sh /etc/container_environment.sh; do
    if [ -r "$cinit_env" ]; then
        . "$cinit_env"
        break
    fi
done
unset cinit_env
