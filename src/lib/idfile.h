/* /etc/passwd and /etc/group read as files, never through NSS: a static build then finds the
 * same users as a dynamic one (static glibc cannot load NSS modules reliably), a container has
 * no other source of users anyway, and PID 1 does not map NSS modules it never needs. */
#ifndef CINIT_IDFILE_H
#define CINIT_IDFILE_H

#include <stdbool.h>
#include <sys/types.h>

#define PASSWD_FILE "/etc/passwd"
#define GROUP_FILE "/etc/group"

/* A uid or gid in decimal; (uid_t)-1 means "unchanged" to the kernel, so it is no id. */
bool id_parse(const char *s, unsigned long *id);
/* Calls fn with the nfields ':'-separated fields of every well-formed line of path until fn
 * returns true. 1 if it did, 0 if not (a missing file has no records), -1 on a read error. */
int idfile_scan(const char *path, int nfields, bool (*fn)(char **f, void *arg), void *arg);
/* The gid of a group by name: 1 found, 0 not, -1 on a read error (errno set). */
int group_gid(const char *name, gid_t *gid);

#endif
