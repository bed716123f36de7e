// SPDX-License-Identifier: MIT
/* Locating, building and hashing the vdisk test images; contract in
 * vd_images.h. Hosted only (readlink, system, stdio). */
#include "tests/fakes/vd_images.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/err.h"
#include "kernel/lib/kstring.h"

#define VD_IMAGES_SUBDIR "build/host/images/vdisk"
#define VD_IMAGES_SCRIPT "tests/images/make-vdisk-images.sh"
#define VD_IMAGES_CHUNK (1u << 20)

static struct {
    char root[1024];    /* repository root, "" until found */
    char path[1400];    /* vd_image_path result */
    char scratch[1400]; /* vd_image_scratch result */
} vd_images_state;

/* The tests run as <root>/build/host/tests/<name>; fall back to the cwd. */
static const char *vd_images_root(void)
{
    char *root = vd_images_state.root;
    ssize_t n;

    if (root[0])
        return root;
    n = readlink("/proc/self/exe", root, sizeof(vd_images_state.root) - 1);
    if (n > 0) {
        char script[1200];
        root[n] = '\0';
        for (int up = 0; up < 4; up++) {
            char *slash = strrchr(root, '/');
            if (slash)
                *slash = '\0';
        }
        snprintf(script, sizeof(script), "%s/%s", root, VD_IMAGES_SCRIPT);
        if (access(script, F_OK) == 0)
            return root;
    }
    kstrlcpy(root, ".", sizeof(vd_images_state.root));
    return root;
}

int vd_images_prepare(void)
{
    char cmd[3000];
    const char *root = vd_images_root();

    snprintf(cmd, sizeof(cmd), "'%s/%s' '%s/%s' >/dev/null", root, VD_IMAGES_SCRIPT, root,
             VD_IMAGES_SUBDIR);
    return system(cmd) == 0 ? 0 : -1;
}

const char *vd_image_path(const char *name)
{
    snprintf(vd_images_state.path, sizeof(vd_images_state.path), "%s/%s/%s", vd_images_root(),
             VD_IMAGES_SUBDIR, name);
    return vd_images_state.path;
}

const char *vd_image_scratch(const char *name)
{
    char dir[1300];

    snprintf(dir, sizeof(dir), "%s/%s/tmp", vd_images_root(), VD_IMAGES_SUBDIR);
    mkdir(dir, 0755);
    snprintf(vd_images_state.scratch, sizeof(vd_images_state.scratch), "%s/%s", dir, name);
    return vd_images_state.scratch;
}

int vd_image_expect(const char *name, uint64_t *bytes, char sha_hex[SHA256_HEX_CHARS])
{
    FILE *fp = fopen(vd_image_path("expect.txt"), "r");
    char line[512], n[200], sha[80];
    unsigned long long size;
    int rc = ERR_NOENT;

    if (!fp)
        return ERR_NOENT;
    while (fgets(line, sizeof(line), fp)) {
        if (sscanf(line, "%199s %llu %79s", n, &size, sha) == 3 && strcmp(n, name) == 0) {
            *bytes = size;
            kstrlcpy(sha_hex, sha, SHA256_HEX_CHARS);
            rc = 0;
            break;
        }
    }
    fclose(fp);
    return rc;
}

int vd_image_load(struct mem_vd_fs *fs, const char *name)
{
    char inner[300];

    snprintf(inner, sizeof(inner), "/img/%s", name);
    return mem_vd_fs_load(fs, inner, vd_image_path(name));
}

int vd_chain_sha256(struct vd_chain *c, char hex[SHA256_HEX_CHARS])
{
    uint64_t size = vd_chain_size(c), off = 0;
    uint8_t digest[SHA256_DIGEST_BYTES];
    struct sha256 s;
    uint8_t *buf = malloc(VD_IMAGES_CHUNK);
    int rc = 0;

    if (!buf)
        return ERR_NOMEM;
    sha256_init(&s);
    while (off < size) {
        size_t n = (size_t)MIN((uint64_t)VD_IMAGES_CHUNK, size - off);
        rc = vd_chain_read(c, off, buf, n);
        if (rc < 0)
            break;
        sha256_update(&s, buf, n);
        off += n;
    }
    free(buf);
    if (rc == 0) {
        sha256_final(&s, digest);
        sha256_hex(digest, hex);
    }
    return rc;
}
