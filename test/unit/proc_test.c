/* Unit tests (TAP) of the /proc readers (src/lib/proc.c): what a command line looks like
 * natively and under qemu-user's binfmt_misc, and a live "runsv NAME". */
#include "proc.h"
#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static bool same(const char **argv, int argc, const char *const *want, int n)
{
    if (argc != n)
        return false;
    for (int i = 0; i < n; i++)
        if (strcmp(argv[i], want[i]) != 0)
            return false;
    return true;
}

#define STRIP(expect, ...)                                                                           \
    do {                                                                                             \
        const char *in[] = {__VA_ARGS__};                                                            \
        int n = proc_args_strip(in, (int)(sizeof in / sizeof *in));                                  \
        ok(same(in, n, expect, (int)(sizeof expect / sizeof *expect)), "%s", #__VA_ARGS__);           \
    } while (0)

static void test_strip(void)
{
    static const char *const runsv[] = {"runsv", "postgresql"};
    static const char *const runsv_path[] = {"/usr/bin/runsv", "postgresql"};
    static const char *const finish[] = {"/bin/sh", "./finish", "3", "0"};
    static const char *const own[] = {"/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "--help"};
    /* native: untouched */
    STRIP(runsv, "runsv", "postgresql");
    STRIP(finish, "/bin/sh", "./finish", "3", "0");
    /* Debian's qemu-user-binfmt (flag P): INTERPRETER FILE ARGV0 ARGS */
    STRIP(runsv, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/usr/bin/runsv", "runsv", "postgresql");
    STRIP(finish, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "/bin/sh", "/bin/sh", "./finish", "3", "0");
    STRIP(runsv, "/usr/bin/qemu-aarch64-static", "/usr/bin/runsv", "runsv", "postgresql");
    /* without P: INTERPRETER FILE ARGS */
    STRIP(runsv_path, "/usr/bin/qemu-aarch64", "/usr/bin/runsv", "postgresql");
    STRIP(finish, "/usr/bin/qemu-aarch64", "/bin/sh", "./finish", "3", "0");
    /* the emulator run by hand, with no program: left as it is */
    STRIP(own, "/usr/libexec/qemu-binfmt/aarch64-binfmt-P", "--help");
}

static void test_live(void)
{
    char dir[] = "/tmp/proc_test.XXXXXX", link[64];
    if (!mkdtemp(dir)) {
        ok(false, "mkdtemp");
        return;
    }
    snprintf(link, sizeof link, "%s/runsv", dir);
    const char *sleep_bin = access("/usr/bin/sleep", X_OK) == 0 ? "/usr/bin/sleep" : "/bin/sleep";
    ok(symlink(sleep_bin, link) == 0, "a link named runsv to sleep");
    int fds[2];
    ok(pipe(fds) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        /* "runsv 60": sleep takes the name as its seconds; the pipe closes on the exec */
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        execl(link, "runsv", "60", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char c;
    ok(read(fds[0], &c, 1) == 0, "the child has executed its program");
    close(fds[0]);
    pid_t ppid = 0;
    char comm[32] = "", name[NAME_MAX + 1] = "";
    ok(proc_stat(pid, &ppid, comm, sizeof comm) && ppid == getpid(), "proc_stat: its parent is this test");
    ok(strcmp(comm, "runsv") == 0, "proc_stat: its command name is the link's (%s)", comm);
    ok(proc_runsv_name(pid, name) && strcmp(name, "60") == 0, "proc_runsv_name: the name it was started with (%s)", name);
    ok(!proc_runsv_name(getpid(), name), "this test is no runsv");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    const char *argv[PROC_ARGS_MAX];
    char buf[256];
    ok(proc_args(pid, buf, sizeof buf, argv) == -1, "proc_args of a reaped child: gone");
    unlink(link);
    rmdir(dir);
}

int main(void)
{
    test_strip();
    test_live();
    return tap_done();
}
