/* Booting as root or as another user (docker run --user UID[:GID], docs/non-root.md): the
 * whole tree runs as cinit's own user; this file holds what differs with who that is. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cinit.h"
#include "runit.h"

#define RUN_DIR "/run"

void nonroot_boot(void)
{
    if (geteuid() != 0) {
        info("Running as uid %ld, gid %ld: the services run as this user", (long)geteuid(), (long)getegid());
        return;
    }
    /* The image makes /run world-writable (sticky, as /tmp) so that any uid can keep its
     * services' runit state there. A container that boots as root needs none of that, and
     * must not have it: a local user could make a service's supervise/ directory (or
     * /run/cinit) before root's runsv (or cinit) does, and root would then write into, or
     * read its environment from, a directory of that user's. So root narrows /run back to
     * Debian's 0755 before anything else runs. A read-only /run is left as it is: nobody
     * can plant anything there. */
    struct stat st;
    if (stat(RUN_DIR, &st) < 0) {
        if (errno != ENOENT)
            warning("cannot look at %s: %s", RUN_DIR, strerror(errno));
        return;
    }
    if (st.st_uid != 0 || !(st.st_mode & S_IWOTH))
        return;
    if (chmod(RUN_DIR, 0755) < 0 && errno != EROFS)
        warning("cannot make %s writable only by root (%s): other users may write there", RUN_DIR, strerror(errno));
}

bool service_skipped_itself(const char *name, const char *dir, const struct runit_status *st)
{
    char why[512];
    if (st->state != RUNIT_DOWN || st->want_up || !runit_skipped(dir, why, sizeof why))
        return false;
    info("Service %s skipped itself: %s", name, why);
    return true;
}
