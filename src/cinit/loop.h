/* The event loop. It knows nobody above it: modules register what they wait for (an fd, a
 * time, a child's exit, the signals) with a function to call, and the loop calls it. One loop,
 * one place that reaps and spawns; nothing that may take time runs on it. */
#ifndef CINIT_LOOP_H
#define CINIT_LOOP_H

#include <stdbool.h>
#include <sys/types.h>

/* A timer belongs to its module (inside a struct of its own); the loop keeps the armed ones. */
struct loop_timer {
    long long due; /* now_ms() clock */
    void (*fn)(void *arg);
    void *arg;
    bool armed;
};
/* (Re)arm t to fire once at due. */
void loop_timer_at(struct loop_timer *t, long long due);
void loop_timer_stop(struct loop_timer *t);

/* fn(arg, revents) when fd has one of events (POLLIN, POLLOUT); a second call for the same fd
 * changes what is waited for. false: no memory (said). */
typedef void loop_fd_fn(void *arg, short revents);
bool loop_watch(int fd, short events, loop_fd_fn *fn, void *arg);
void loop_unwatch(int fd);

/* fn(arg, pid, status) once pid has exited or died (with stops, at each stop and continue too);
 * the loop reaps every child and orphan itself. false: no memory (said). */
typedef void loop_exit_fn(void *arg, pid_t pid, int status);
bool loop_on_exit(pid_t pid, bool stops, loop_exit_fn *fn, void *arg);
void loop_forget(pid_t pid);

/* The signalfd (every signal blocked) and what to do with each signal read from it: code is
 * the signal's si_code. */
void loop_signals(int fd, void (*on)(int sig, int code));

/* Reap every child that is gone; false once none is left (ECHILD). */
bool reap_all(void);
/* Are there children? (what the last reap found, or a spawn since) */
bool loop_children(void);
/* Run the loop until cond() holds or the deadline (now_ms() clock, -1: none) passes. */
bool wait_until(bool (*cond)(void), long long deadline);

/* How spawn starts a command: with the container environment, default dispositions and an
 * empty mask, no fd of cinit's. */
struct spawn_how {
    bool foreground; /* its own process group, and the terminal's foreground one */
    bool group;      /* its own process group */
    const char *dir; /* chdir there first (NULL: stay) */
    int out;         /* stdout and stderr (-1: cinit's) */
    bool null_in;    /* stdin from /dev/null */
};
pid_t spawn_with(char *const argv[], const struct spawn_how *how);

#endif
