// SPDX-License-Identifier: MIT
/* Path arithmetic (see path.h): one folding routine that walks the
 * components of up to two strings (a folder, then a name) and keeps a stack
 * of kept components in the output buffer itself. */
#include "kernel/lib/path.h"
#include "kernel/err.h"
#include "kernel/lib/kstring.h"

const char *path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Append the components of s[0..len) to out (pos = its length now), folding
 * "." and "..". `root`: out is absolute ("/" at 0 is never popped). `floor`:
 * length below which ".." may not pop (leading ".." of a relative path). */
static int path_fold(char *out, size_t size, size_t *pos, size_t *floor, bool root,
                     const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t start, n;
        while (i < len && s[i] == '/')
            i++;
        start = i;
        while (i < len && s[i] != '/')
            i++;
        n = i - start;
        if (n == 0 || (n == 1 && s[start] == '.'))
            continue;
        if (n == 2 && s[start] == '.' && s[start + 1] == '.') {
            if (*pos > *floor) {
                /* Pop the last kept component and the '/' before it. */
                size_t p = *pos;
                while (p > *floor && out[p - 1] != '/')
                    p--;
                if (p > 0 && out[p - 1] == '/')
                    p--;
                if (root && p == 0)
                    p = 1; /* keep "/" */
                *pos = MAX(p, root ? (size_t)1 : *floor);
                continue;
            }
            if (root)
                continue; /* ".." above "/" is "/" */
            /* Relative path already at its floor: keep the "..". */
        }
        bool sep = *pos > 0 && out[*pos - 1] != '/';
        if (*pos + (sep ? 1 : 0) + n + 1 > size)
            return ERR_NAMETOOLONG;
        if (sep)
            out[(*pos)++] = '/';
        memcpy(out + *pos, s + start, n);
        *pos += n;
        if (n == 2 && s[start] == '.' && s[start + 1] == '.')
            *floor = *pos;
    }
    return 0;
}

int path_resolve(const char *base_file, const char *name, char *out, size_t size)
{
    bool root;
    size_t pos = 0, floor = 0;
    int rc;

    if (!name || !name[0])
        return ERR_INVAL;
    if (size < 2)
        return ERR_NAMETOOLONG;
    root = name[0] == '/' || (base_file && base_file[0] == '/');
    if (root) {
        out[pos++] = '/';
        floor = 1;
    }
    /* The folder of base_file: everything before its last '/'. */
    if (name[0] != '/' && base_file) {
        const char *last = strrchr(base_file, '/');
        if (last) {
            rc = path_fold(out, size, &pos, &floor, root, base_file, (size_t)(last - base_file));
            if (rc < 0)
                return rc;
        }
    }
    rc = path_fold(out, size, &pos, &floor, root, name, strlen(name));
    if (rc < 0)
        return rc;
    if (pos == 0)
        out[pos++] = '.';
    out[pos] = '\0';
    return 0;
}

int path_link_name(const char *from_file, const char *to_file, char *out, size_t size)
{
    char from[256];
    const char *from_base, *to_base;
    int rc;

    /* 1. Fold both so "a/./b" and "a/b" compare equal. */
    rc = path_resolve(NULL, to_file, out, size);
    if (rc < 0)
        return rc;
    if (path_resolve(NULL, from_file, from, sizeof(from)) < 0)
        return 0; /* cannot compare: the full name always works */
    /* 2. Same folder (equal text before the basenames): the basename will do. */
    from_base = path_basename(from);
    to_base = path_basename(out);
    if (from_base - from == to_base - out &&
        strncmp(from, out, (size_t)(from_base - from)) == 0)
        memmove(out, to_base, strlen(to_base) + 1);
    return 0;
}
