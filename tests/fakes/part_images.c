// SPDX-License-Identifier: MIT
/* Locating, building and reading the partition test images; contract in
 * part_images.h. Hosted only (readlink, system, stdio). */
#include "tests/fakes/part_images.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kernel/err.h"
#include "kernel/lib/kstring.h"

#define PART_IMAGES_SUBDIR "build/host/images/part"
#define PART_IMAGES_SCRIPT "tests/images/make-part-images.sh"

static struct {
    char root[1024]; /* repository root, "" until found */
    char path[1200]; /* part_image_path result */
} part_images_state;

/* The tests run as <root>/build/host/tests/<name>; fall back to the cwd. */
static const char *part_images_root(void)
{
    char *root = part_images_state.root;
    ssize_t n;

    if (root[0])
        return root;
    n = readlink("/proc/self/exe", root, sizeof(part_images_state.root) - 1);
    if (n > 0) {
        root[n] = '\0';
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(root, '/');
            if (!slash)
                break;
            *slash = '\0';
        }
    }
    if (n > 0) {
        char script[1200];
        snprintf(script, sizeof(script), "%s/%s", root, PART_IMAGES_SCRIPT);
        if (access(script, F_OK) == 0)
            return root;
    }
    kstrlcpy(root, ".", sizeof(part_images_state.root));
    return root;
}

int part_images_prepare(void)
{
    char cmd[3000];
    const char *root = part_images_root();

    snprintf(cmd, sizeof(cmd), "'%s/%s' '%s/%s' >/dev/null", root, PART_IMAGES_SCRIPT, root,
             PART_IMAGES_SUBDIR);
    return system(cmd) == 0 ? 0 : -1;
}

const char *part_image_path(const char *name, const char *ext)
{
    snprintf(part_images_state.path, sizeof(part_images_state.path), "%s/%s/%s%s",
             part_images_root(), PART_IMAGES_SUBDIR, name, ext);
    return part_images_state.path;
}

static int part_expect_row(struct part_expect *e, const char *line)
{
    struct part_expect_row *r;
    unsigned long long start, size, attrs;
    int used = 0;

    if (e->count >= PART_EXPECT_MAX_ROWS)
        return ERR_CORRUPT;
    r = &e->rows[e->count];
    if (sscanf(line, "part %u %llu %llu %47s %39s %llx %n", &r->index, &start, &size, r->type,
               r->uuid, &attrs, &used) != 6)
        return ERR_CORRUPT;
    r->start = start;
    r->size = size;
    r->attrs = attrs;
    kstrlcpy(r->name, line + used, sizeof(r->name));
    r->name[strcspn(r->name, "\n")] = '\0';
    e->count++;
    return 0;
}

int part_expect_load(const char *name, struct part_expect *e)
{
    char line[512];
    unsigned long long cap;
    int err = 0;
    FILE *f = fopen(part_image_path(name, ".expect"), "r");

    if (!f)
        return ERR_NOENT;
    memset(e, 0, sizeof(*e));
    while (!err && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "part ", 5) == 0)
            err = part_expect_row(e, line);
        else if (sscanf(line, "capacity %llu", &cap) == 1)
            e->capacity = cap;
        else if (sscanf(line, "sector %" SCNu32, &e->sector) == 1 ||
                 sscanf(line, "label %7s", e->label) == 1 || sscanf(line, "id %39s", e->id) == 1)
            continue;
        else
            err = ERR_CORRUPT;
    }
    fclose(f);
    return err;
}
