/* /proc readers (proc.h). */
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* one read: a stat line, or a command line cut at the buffer, is all that is asked here */
static ssize_t read_proc(const char *path, char *buf, size_t len)
{
    int fd = open_fd(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    ssize_t n;
    while ((n = read(fd, buf, len)) < 0 && errno == EINTR)
        ;
    int e = errno;
    close(fd);
    errno = e;
    return n;
}

bool proc_stat(pid_t pid, pid_t *ppid, char *comm, size_t commlen)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    ssize_t n = read_proc(path, text, sizeof text - 1);
    if (n <= 0)
        return false;
    text[n] = '\0';
    /* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, the last ')' ends it */
    char *open_p = strchr(text, '('), *close_p = strrchr(text, ')');
    long pp;
    if (!open_p || !close_p || close_p < open_p || sscanf(close_p + 1, " %*c %ld", &pp) != 1)
        return false;
    if (comm && commlen) {
        size_t l = (size_t)(close_p - open_p - 1);
        if (l >= commlen)
            l = commlen - 1;
        memcpy(comm, open_p + 1, l);
        comm[l] = '\0';
    }
    *ppid = (pid_t)pp;
    return true;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* qemu-user's interpreters as binfmt_misc registers them: qemu-ARCH(-static) (qemu-user-static,
 * Docker Desktop, tonistiigi/binfmt) or Debian's /usr/libexec/qemu-binfmt/ARCH-binfmt-P */
static bool is_emulator(const char *path)
{
    const char *b = base(path);
    return path[0] == '/' && (strncmp(b, "qemu-", 5) == 0 || strstr(path, "/qemu-binfmt/") != NULL);
}

int proc_args_strip(const char **argv, int argc)
{
    if (argc < 2 || !is_emulator(argv[0]) || argv[1][0] != '/')
        return argc;
    /* FILE is the full path of what was executed (the script's interpreter for a script); with
     * the P flag ARGV0 follows, naming the same program */
    int drop = argc >= 3 && strcmp(base(argv[1]), base(argv[2])) == 0 ? 2 : 1;
    memmove(argv, argv + drop, (size_t)(argc - drop) * sizeof *argv);
    return argc - drop;
}

int proc_args(pid_t pid, char *buf, size_t len, const char **argv)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
    ssize_t n = len ? read_proc(path, buf, len - 1) : -1;
    if (n < 0)
        return -1;
    buf[n] = '\0';
    int argc = 0;
    for (char *p = buf; p < buf + n && argc < PROC_ARGS_MAX; p += strlen(p) + 1)
        argv[argc++] = p;
    return proc_args_strip(argv, argc);
}

bool proc_runsv_name(pid_t pid, char out[NAME_MAX + 1])
{
    char buf[2 * PATH_MAX];
    const char *argv[PROC_ARGS_MAX];
    int argc = proc_args(pid, buf, sizeof buf, argv);
    if (argc != 2 || strcmp(base(argv[0]), "runsv") != 0)
        return false;
    const char *name = argv[1];
    size_t l = strlen(name);
    if (!l || l > NAME_MAX || strchr(name, '/') || name[0] == '.')
        return false;
    memcpy(out, name, l + 1);
    return true;
}
