/* A service's own stop signal (a `stop-signal` file, #30.2), the runit way. runsv stops a
 * service with SIGTERM (on `d`, `x`, and its own TERM), but first runs the service's
 * control/t if there is one, and sends no TERM when that exits 0 (runsv(8), "customize
 * control"). So a service whose stop-signal is not TERM gets cinit's control/t, a link to
 * cinit's executable, which, started as control/t in the service directory, sends the run
 * that signal. Every stop then obeys it: the shutdown's, `sv down`, a critical service's end.
 * The link (and control/, if cinit made it) goes again at the end of the shutdown; a control/t
 * of the service's own is left alone and decides. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cinit.h"
#include "runit.h"
#include "services.h"

bool stop_hook_invoked(int argc, char **argv)
{
    const char *slash = strrchr(argv[0], '/');
    return argc == 1 && strcmp(slash ? slash + 1 : argv[0], "t") == 0;
}

int stop_hook_main(void)
{
    progname = "cinit (control/t)";
    char **w = runit_read_list("stop-signal");
    int sig = w && w[0] ? signal_parse(w[0]) : -1;
    runit_free_list(w);
    struct runit_status st;
    /* exit 1: runsv sends its TERM after all, as it would without this link */
    if (sig <= 0 || runit_read_status(".", &st) < 0 || st.pid <= 0)
        return 1;
    if (kill(st.pid, sig) < 0) {
        fprintf(stderr, "%s: cannot send signal %d to %ld: %s\n", progname, sig, (long)st.pid, strerror(errno));
        return 1;
    }
    /* runsv marks the status "got TERM" only for its own TERM: this tells cinit that the run got
     * its stop signal (its stop-timeout runs from now) */
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)st.pid);
    if (atomic_write(STOP_HOOK_SENT_FILE, text, (size_t)n, 0644, (uid_t)-1, (gid_t)-1) < 0)
        fprintf(stderr, "%s: cannot write %s: %s: the stop-timeout does not run\n", progname, STOP_HOOK_SENT_FILE, strerror(errno));
    return 0; /* runsv sends SIGCONT after it, as after its own TERM */
}

bool stop_hook_sent(const struct svc *s, pid_t pid)
{
    if (!s->stop_hook_made || pid <= 0)
        return false;
    char path[PATH_MAX + 32], text[32];
    snprintf(path, sizeof path, "%s/%s", s->dir, STOP_HOOK_SENT_FILE);
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    return strtol(text, NULL, 10) == (long)pid;
}

void stop_hook_install(struct svc *s)
{
    if (s->stop_sig == SIGTERM)
        return;
    char dir[PATH_MAX + 16], path[PATH_MAX + 16], self[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/control", s->dir);
    snprintf(path, sizeof path, "%s/control/t", s->dir);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!is_cinit_link(path))
            warning("service %s has a control/t of its own: it, not stop-signal, says how the service stops", s->name);
        return;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        warning("service %s: cannot find cinit's own executable: it stops with SIGTERM, not its stop-signal", s->name);
        return;
    }
    self[n] = '\0';
    if (mkdir(dir, 0755) == 0)
        s->control_made = true;
    else if (errno != EEXIST) {
        warning("service %s: cannot make %s (%s): it stops with SIGTERM, not its stop-signal; see cinit(8)", s->name, dir,
                strerror(errno));
        return;
    }
    if (symlink(self, path) < 0) {
        warning("service %s: cannot add cinit's control/t (%s: %s): it stops with SIGTERM, not its stop-signal; see cinit(8)",
                s->name, path, strerror(errno));
        if (s->control_made && rmdir(dir) < 0)
            debug("rmdir %s: %s", dir, strerror(errno));
        s->control_made = false;
        return;
    }
    s->stop_hook_made = true;
}

void stop_hook_remove(struct svc *s)
{
    char path[PATH_MAX + 16];
    if (s->stop_hook_made) {
        snprintf(path, sizeof path, "%s/control/t", s->dir);
        if (is_cinit_link(path) && unlink(path) < 0 && errno != ENOENT)
            warning("cannot remove %s: %s", path, strerror(errno));
        s->stop_hook_made = false;
    }
    if (s->control_made) {
        snprintf(path, sizeof path, "%s/control", s->dir);
        if (rmdir(path) < 0 && errno != ENOENT && errno != ENOTEMPTY)
            warning("cannot remove %s: %s", path, strerror(errno));
        s->control_made = false;
    }
}
