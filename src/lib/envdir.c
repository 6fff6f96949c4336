/* A directory's entries without opendir: getdents64 into a buffer on the stack. PID 1 reads
 * the container environment and three script directories at every boot, and libc's DIR costs
 * an allocation of its own each time (cenv.h). */
#include "cenv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* the kernel's record (libc's struct dirent differs between glibc and musl) */
struct kdirent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

long dir_names(int dfd, struct buf *out)
{
    char chunk[4096] __attribute__((aligned(8)));
    long n = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, dfd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return n;
        bool reserved = false;
        for (long off = 0; off < r;) {
            const struct kdirent *d = (const struct kdirent *)(chunk + off);
            off += d->reclen;
            if (d->name[0] == '.' && (d->name[1] == '\0' || (d->name[1] == '.' && d->name[2] == '\0')))
                continue;
            /* about what the names of these records take; nothing for an empty directory (the
             * script directories nearly always are) */
            if (!reserved)
                buf_reserve(out, (size_t)r / 2), reserved = true;
            buf_addc(out, (char)d->type);
            buf_add(out, d->name, strlen(d->name) + 1);
            n++;
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **dir_names_sorted(const struct buf *names, size_t n)
{
    char **v = xmalloc((n + 1) * sizeof *v);
    for (size_t i = 0, off = 0; i < n; i++) {
        v[i] = names->p + off + 1;
        off += strlen(v[i]) + 2;
    }
    v[n] = NULL;
    if (n > 32) {
        qsort(v, n, sizeof *v, cmp_str);
        return v;
    }
    for (size_t i = 1; i < n; i++) { /* a few names: cheaper than qsort's set-up */
        char *t = v[i];
        size_t j = i;
        for (; j > 0 && strcmp(v[j - 1], t) > 0; j--)
            v[j] = v[j - 1];
        v[j] = t;
    }
    return v;
}
