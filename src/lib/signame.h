/* Signal names without glibc's sigabbrev_np (musl has none) and the kernel's real-time range. */
#ifndef CINIT_SIGNAME_H
#define CINIT_SIGNAME_H

/* The kernel's first real-time signal. libc's SIGRTMIN is above it: glibc keeps 32-33 for
 * itself, musl 32-34, and each hides them from signal()/sigaction(). */
#define KERNEL_SIGRTMIN 32

/* "TERM" for SIGTERM, "RTMIN+3" for a real-time signal; NULL for a number that is no signal. */
const char *sig_name(int sig);

#endif
