// SPDX-License-Identifier: MIT
/* Names of the error codes of kernel/err.h, for log lines and shell errors. */
#include "kernel/err.h"

static const char *const err_names[] = {
    "ERR_OK",     "ERR_IO",     "ERR_NOMEDIA", "ERR_EOM",    "ERR_NOMEM",       "ERR_INVAL",
    "ERR_CORRUPT", "ERR_RANGE", "ERR_ROFS",    "ERR_NOSPC",  "ERR_NOENT",       "ERR_BUSY",
    "ERR_TIMEOUT", "ERR_NOTSUP", "ERR_EXIST",  "ERR_NOTDIR", "ERR_ISDIR",       "ERR_NOTEMPTY",
    "ERR_NAMETOOLONG", "ERR_ACCESS", "ERR_FBIG", "ERR_NODEV", "ERR_OVERFLOW", "ERR_LOOP",
};

_Static_assert(sizeof(err_names) / sizeof(err_names[0]) == -ERR_LAST_,
               "every enum err value needs a name");

const char *err_name(int code)
{
    if (code > 0 || code <= ERR_LAST_)
        return "ERR_?";
    return err_names[-code];
}
