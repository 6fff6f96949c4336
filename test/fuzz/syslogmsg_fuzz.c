/* libFuzzer harness for the syslog parser and formatter: any datagram must give one clean
 * line in every format (see syslogmsg_check.h); a violation aborts, which libFuzzer reports
 * with the input that caused it. */
#include <stdint.h>
#include <stdlib.h>

#include "syslogmsg.h"
#include "syslogmsg_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct syslog_ctx ctx = {{1700000000, 5000}, "fuzzhost"};
    size_t len = size < SYSLOG_MAX_MSG ? size : SYSLOG_MAX_MSG;
    /* an input ending in '~' also stands for a datagram cut by the daemon's buffer */
    size_t wire = size && data[size - 1] == '~' ? SYSLOG_MAX_MSG + size : size;
    if (!syslog_line_ok((const char *)data, len, wire, &ctx))
        abort();
    return 0;
}
