/* One line of a service's output as cinit writes it to the container's output with
 * CINIT_SERVICE_LOGS=prefixed or json (docs/logging.md, "Service output"). No I/O here. */
#ifndef CINIT_LOGLINE_H
#define CINIT_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum logline_mode { LOGLINE_RAW, LOGLINE_PREFIXED, LOGLINE_JSON };

/* "raw", "prefixed", "json"; -1 for anything else */
int logline_mode_parse(const char *s);

/* Appends the line (its bytes without the newline) as one output line, newline included:
 * prefixed: "NAME | " and the bytes unchanged; json: {"service":NAME,"stream":"stdout" or
 * "stderr","line":...}, where each byte that is not part of valid UTF-8 becomes U+FFFD
 * (JSON must be UTF-8) and control characters are escaped. */
void logline_format(struct buf *out, enum logline_mode mode, const char *name, bool err, const char *line, size_t n);

#endif
