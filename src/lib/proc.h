/* What /proc says of another process: its parent, its command name, its arguments. One home
 * for the readers that cinit's service code shares (whose run sent a datagram, which service a
 * runsv is for, how a ./finish was called). */
#ifndef CINIT_PROC_H
#define CINIT_PROC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* PID's parent and (when comm is not NULL) its command name, the kernel's: the base name of the
 * file it executed, whatever emulator runs it. false when PID is gone or unreadable. */
bool proc_stat(pid_t pid, pid_t *ppid, char *comm, size_t commlen);

#define PROC_ARGS_MAX 64
/* PID's arguments, split into argv (at most PROC_ARGS_MAX, the strings in buf), as the program
 * was given them: an emulator's own leading arguments are dropped (proc_args_strip). The
 * count, 0 when it has none (a zombie, or between fork and exec), -1 when it is gone. */
int proc_args(pid_t pid, char *buf, size_t len, const char **argv);
/* Under binfmt_misc, a foreign program's /proc/PID/cmdline is the emulator's: qemu-user's
 * "INTERPRETER FILE ARGV0 ARGS..." with the P flag (Debian's qemu-user-binfmt, Docker
 * Desktop's), "INTERPRETER FILE ARGS..." without it. Drops that prefix in place; the new count. */
int proc_args_strip(const char **argv, int argc);
/* The service name a runsv was started with by runsvdir ("runsv NAME"), into out; false when
 * PID is not a runsv or its name is not a plain service name. */
bool proc_runsv_name(pid_t pid, char out[NAME_MAX + 1]);

#endif
