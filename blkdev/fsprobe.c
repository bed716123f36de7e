// SPDX-License-Identifier: MIT
/* The file-system probe table (see fsprobe.h). Registration happens at init,
 * before any media is scanned, so the table needs no lock afterwards. */
#include "blkdev/fsprobe.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

static struct {
    const struct fsprobe *probes[FSPROBE_MAX]; /* written at init only */
    unsigned count;
} fsprobe_state;

int fsprobe_register(const struct fsprobe *probe)
{
    for (unsigned i = 0; i < fsprobe_state.count; i++)
        if (fsprobe_state.probes[i] == probe)
            return 0; /* registered already (kdisk and tests init twice) */
    if (fsprobe_state.count == FSPROBE_MAX) {
        pr_err("fsprobe: table full; %s volumes will not be mounted", probe->name);
        return ERR_NOSPC;
    }
    fsprobe_state.probes[fsprobe_state.count++] = probe;
    return 0;
}

const struct fsprobe *fsprobe_run(const struct part_reader *part, char *name_out,
                                  size_t name_len)
{
    for (unsigned i = 0; i < fsprobe_state.count; i++) {
        int rc = fsprobe_state.probes[i]->probe(part, name_out, name_len);
        if (rc == 0)
            return fsprobe_state.probes[i];
        if (rc != ERR_NOENT)
            pr_warn("fsprobe: %s: %s probe failed (%s)", part->disk_name ? part->disk_name : "?",
                    fsprobe_state.probes[i]->name, err_name(rc));
    }
    kstrlcpy(name_out, "none", name_len);
    return NULL;
}
