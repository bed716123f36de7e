/* SPDX-License-Identifier: MIT */
/* Every image backend of drivers/vdisk/lib/, one `struct vd_backend` each
 * (interface in vd_backend.h). Callers look backends up by name or by
 * content through vd_chain.h (vd_backend_by_name, vd_probe) rather than
 * naming these directly; tests may name them.
 *   raw, iso  raw.c   plain sector images (raw with a byte offset; iso read-only,
 *                     2048-byte sectors)
 *   vdi       vdi.c   VirtualBox VDI 1.1, fixed, dynamic, differencing
 *   vhd       vhd.c   Virtual PC / Hyper-V VHD, fixed, dynamic, differencing
 *   vmdk      vmdk.c  VMware VMDK (sparse, flat, streamOptimized)
 *   qcow2     qcow2.c QEMU QCOW2 v2/v3 */
#ifndef DRIVERS_VDISK_LIB_VD_FORMATS_H
#define DRIVERS_VDISK_LIB_VD_FORMATS_H

#include "drivers/vdisk/lib/vd_backend.h"

extern const struct vd_backend vd_backend_raw;
extern const struct vd_backend vd_backend_iso;
extern const struct vd_backend vd_backend_vdi;
extern const struct vd_backend vd_backend_vhd;
extern const struct vd_backend vd_backend_vmdk;
extern const struct vd_backend vd_backend_qcow2;

#endif
