/* Signal names without glibc's sigabbrev_np, which musl has not. */
#ifndef CINIT_SIGNAME_H
#define CINIT_SIGNAME_H

/* "TERM" for SIGTERM, "RTMIN+3" for a real-time signal; NULL for a number that is no signal. */
const char *sig_name(int sig);

#endif
