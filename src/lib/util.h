/* Small helpers shared by every cinit program: messages, buffers, numbers, atomic files. */
#ifndef CINIT_UTIL_H
#define CINIT_UTIL_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#ifndef CINIT_VERSION
#define CINIT_VERSION "0.0.0"
#endif

/* The program name used in messages; each main() sets it first. */
extern const char *progname;

void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; on allocation failure the program exits (nothing sensible to do). */
struct buf {
    char *p;
    size_t len, cap;
};
void buf_add(struct buf *b, const void *data, size_t n);
/* room for more bytes without another allocation (when the size is known ahead) */
void buf_reserve(struct buf *b, size_t more);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A decimal number: what buf_addf would give, without printf's cost on a hot path. */
void buf_addu(struct buf *b, unsigned long v);
/* The same at out (room for 20 characters), not terminated; returns the end. */
char *put_decimal(char *out, unsigned long v);
/* NUL-terminates without counting the NUL in len. */
const char *buf_cstr(struct buf *b);
void buf_free(struct buf *b);

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Parse a whole decimal number in [min, max]; false on anything else (sign junk, overflow). */
bool parse_long(const char *s, long min, long max, long *out);
/* Parse a duration in seconds ("30", "0.5", "2.25"): returns milliseconds, false if malformed. */
bool parse_seconds_ms(const char *s, long max_seconds, long *ms);

/* Write data to path atomically: a temporary file beside it, fchmod/fchown, rename.
 * owner/group of (uid_t)-1/(gid_t)-1 leave them unchanged. 0 or -1 with errno set. */
int atomic_write(const char *path, const void *data, size_t len, mode_t mode, uid_t uid, gid_t gid);

/* open(2) and openat(2) straight to the kernel, with the flags as given (O_CLOEXEC among them):
 * musl's open follows every O_CLOEXEC with an fcntl(F_SETFD), for kernels before 2.6.23, which
 * is one more system call for each file cinit reads (every variable of the environment, each
 * status of a service, the shutdown directories). An fd, or -1 with errno set. */
int open_fd(const char *path, int flags);
int openat_fd(int dfd, const char *name, int flags);

/* Read a whole file (at most max bytes, else EFBIG); 0 or -1 with errno set. */
int read_file(const char *path, struct buf *out, size_t max);

/* write(2) all of it, retrying on EINTR and short writes. */
int write_all(int fd, const void *data, size_t len);

/* The exit status a shell gives when execvp(cmd) failed with err: 127 when no such command
 * exists (also when execvp says EACCES only because a directory of PATH cannot be searched),
 * 126 when it exists but cannot be executed. */
int exec_failure_status(const char *cmd, int err);

#endif
