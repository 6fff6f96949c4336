/* Signal names without glibc's sigabbrev_np, which musl has not. */
#ifndef CINIT_SIGNAME_H
#define CINIT_SIGNAME_H

/* The first real-time signal as users name it (RTMIN = 34, what glibc, bash's kill -l and
 * procps say); musl's own SIGRTMIN is 35, which would shift every RTMIN+n by one. */
#define NAME_SIGRTMIN 34

/* "TERM" for SIGTERM, "RTMIN+3" for a real-time signal; NULL for a number that is no signal. */
const char *sig_name(int sig);

#endif
