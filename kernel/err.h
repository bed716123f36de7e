/* SPDX-License-Identifier: MIT */
/* The one error enum of the kernel (STYLE §5). 0 is success, every error is a
 * negative ERR_* value. DISK_STATUS_*, syscall and shell codes are converted
 * to and from these exactly once, at their own boundary. err_name() gives the
 * symbolic name ("ERR_IO") for logs; an unknown value gives "ERR_?". */
#ifndef KERNEL_ERR_H
#define KERNEL_ERR_H

enum err {
    ERR_OK = 0,
    ERR_IO = -1,           /* device reported an error */
    ERR_NOMEDIA = -2,      /* no media, or media removed */
    ERR_EOM = -3,          /* request runs past the end of the media */
    ERR_NOMEM = -4,        /* out of memory */
    ERR_INVAL = -5,        /* bad argument from the caller */
    ERR_CORRUPT = -6,      /* on-disk or in-image structure is invalid */
    ERR_RANGE = -7,        /* value out of the allowed range */
    ERR_ROFS = -8,         /* write to read-only media or file system */
    ERR_NOSPC = -9,        /* no space left */
    ERR_NOENT = -10,       /* no such object */
    ERR_BUSY = -11,        /* object in use */
    ERR_TIMEOUT = -12,     /* device or wait timed out */
    ERR_NOTSUP = -13,      /* operation not supported */
    ERR_EXIST = -14,       /* object already exists */
    ERR_NOTDIR = -15,      /* path component is not a directory */
    ERR_ISDIR = -16,       /* object is a directory */
    ERR_NOTEMPTY = -17,    /* directory not empty */
    ERR_NAMETOOLONG = -18, /* name longer than allowed */
    ERR_ACCESS = -19,      /* access denied */
    ERR_FBIG = -20,        /* file too big */
    ERR_NODEV = -21,       /* no such device */
    ERR_OVERFLOW = -22,    /* arithmetic overflow in a size computation */
    ERR_LOOP = -23,        /* too many levels of symbolic links */
    ERR_LAST_ = -24
};

/* Symbolic name of an error code, e.g. "ERR_IO"; "ERR_OK" for 0, "ERR_?" for
 * anything unknown. Never NULL. Context: any. */
const char *err_name(int code);

#endif
