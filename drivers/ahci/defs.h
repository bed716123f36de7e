/* SPDX-License-Identifier: MIT */
/* Register layouts and protocol constants of the AHCI driver: the HBA's
 * generic host control and per-port registers, the in-memory command list,
 * command table, PRD table and received-FIS area, and the SATA Register
 * FIS. Values only; no code. ATA commands and ATAPI opcodes come from
 * drivers/ata/defs.h. Spec: Serial ATA AHCI 1.3.1 (cited per group);
 * SATA 3.0 §10.3.4 (Register Host to Device FIS). */
#ifndef DRIVERS_AHCI_DEFS_H
#define DRIVERS_AHCI_DEFS_H

/* PCI: class 01:06 prog-if 01 (AHCI 1.3.1 §2.1.2); ABAR is BAR5 (§2.1.11). */
#define AHCI_PCI_CLASS 0x01
#define AHCI_PCI_SUBCLASS 0x06
#define AHCI_PCI_PROGIF 0x01
#define AHCI_BAR_ABAR 5
#define AHCI_MAX_PORTS 32
/* The ABAR spans the generic block plus 32 port blocks (§3: 0x100 + 32 * 0x80). */
#define AHCI_ABAR_BYTES 0x1100u

/* Generic host control (§3.1), offsets from ABAR. */
enum ahci_hba_reg {
    AHCI_CAP = 0x00,
    AHCI_GHC = 0x04,
    AHCI_IS = 0x08,
    AHCI_PI = 0x0C,
    AHCI_VS = 0x10,
    AHCI_CAP2 = 0x24,
    AHCI_BOHC = 0x28,
};

/* CAP (§3.1.1). */
#define AHCI_CAP_S64A (1u << 31)  /* 64-bit addressing */
#define AHCI_CAP_SNCQ (1u << 30)  /* native command queuing */
#define AHCI_CAP_SSS (1u << 27)   /* staggered spin-up */
#define AHCI_CAP_SCLO (1u << 24)  /* command list override */
#define AHCI_CAP_ISS_SHIFT 20     /* interface speed, 4 bits */
#define AHCI_CAP_NCS_SHIFT 8      /* command slots - 1, 5 bits */
#define AHCI_CAP_NP_MASK 0x1Fu    /* ports - 1 */
/* GHC (§3.1.2). */
#define AHCI_GHC_AE (1u << 31)    /* AHCI enable */
#define AHCI_GHC_IE (1u << 1)     /* interrupt enable */
#define AHCI_GHC_HR (1u << 0)     /* HBA reset */
/* CAP2 (§3.1.10) and BOHC (§3.1.11, handoff procedure §10.6.3). */
#define AHCI_CAP2_BOH (1u << 0)
#define AHCI_BOHC_BOS (1u << 0)   /* BIOS owned semaphore */
#define AHCI_BOHC_OOS (1u << 1)   /* OS owned semaphore */
#define AHCI_BOHC_BB (1u << 4)    /* BIOS busy */

/* Port registers (§3.3), offsets from ABAR + 0x100 + port * 0x80. */
#define AHCI_PORT_BASE 0x100u
#define AHCI_PORT_STRIDE 0x80u
enum ahci_port_reg {
    AHCI_PxCLB = 0x00,
    AHCI_PxCLBU = 0x04,
    AHCI_PxFB = 0x08,
    AHCI_PxFBU = 0x0C,
    AHCI_PxIS = 0x10,
    AHCI_PxIE = 0x14,
    AHCI_PxCMD = 0x18,
    AHCI_PxTFD = 0x20,
    AHCI_PxSIG = 0x24,
    AHCI_PxSSTS = 0x28,
    AHCI_PxSCTL = 0x2C,
    AHCI_PxSERR = 0x30,
    AHCI_PxSACT = 0x34,
    AHCI_PxCI = 0x38,
};

/* PxIS / PxIE (§3.3.5, §3.3.6). */
#define AHCI_PxIS_DHRS (1u << 0)  /* D2H register FIS: command done */
#define AHCI_PxIS_PSS (1u << 1)   /* PIO setup FIS */
#define AHCI_PxIS_DSS (1u << 2)   /* DMA setup FIS */
#define AHCI_PxIS_SDBS (1u << 3)  /* set device bits FIS */
#define AHCI_PxIS_UFS (1u << 4)   /* unknown FIS */
#define AHCI_PxIS_DPS (1u << 5)   /* descriptor processed */
#define AHCI_PxIS_PCS (1u << 6)   /* port connect change */
#define AHCI_PxIS_PRCS (1u << 22) /* PhyRdy change */
#define AHCI_PxIS_OFS (1u << 24)  /* overflow */
#define AHCI_PxIS_INFS (1u << 26) /* interface non-fatal */
#define AHCI_PxIS_IFS (1u << 27)  /* interface fatal */
#define AHCI_PxIS_HBDS (1u << 28) /* host bus data error */
#define AHCI_PxIS_HBFS (1u << 29) /* host bus fatal error */
#define AHCI_PxIS_TFES (1u << 30) /* task file error */
/* Bits that end a command with an error (§6.1.2, "fatal" list plus TFES). */
#define AHCI_PxIS_ERRORS (AHCI_PxIS_TFES | AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS | \
                          AHCI_PxIS_OFS | AHCI_PxIS_INFS)
/* What the driver enables: completion FISes and every error. */
#define AHCI_PxIE_DEFAULT (AHCI_PxIS_DHRS | AHCI_PxIS_PSS | AHCI_PxIS_DSS | AHCI_PxIS_SDBS | \
                           AHCI_PxIS_ERRORS)

/* PxCMD (§3.3.7). */
#define AHCI_PxCMD_ST (1u << 0)   /* start: process the command list */
#define AHCI_PxCMD_SUD (1u << 1)  /* spin-up device */
#define AHCI_PxCMD_POD (1u << 2)  /* power on device */
#define AHCI_PxCMD_CLO (1u << 3)  /* command list override */
#define AHCI_PxCMD_FRE (1u << 4)  /* FIS receive enable */
#define AHCI_PxCMD_FR (1u << 14)  /* FIS receive running */
#define AHCI_PxCMD_CR (1u << 15)  /* command list running */
#define AHCI_PxCMD_ATAPI (1u << 24)
#define AHCI_PxCMD_ICC_SHIFT 28
#define AHCI_PxCMD_ICC_ACTIVE 1u

/* PxTFD (§3.3.8): status in 7:0, error in 15:8. */
#define AHCI_TFD_STS_BSY 0x80u
#define AHCI_TFD_STS_DRQ 0x08u
#define AHCI_TFD_STS_ERR 0x01u
#define AHCI_TFD_ERR_SHIFT 8

/* PxSSTS / PxSCTL (§3.3.10, §3.3.11). */
#define AHCI_SSTS_DET_MASK 0xFu
#define AHCI_SSTS_DET_PRESENT 3u  /* device present, phy communication up */
#define AHCI_SSTS_SPD_SHIFT 4
#define AHCI_SSTS_IPM_SHIFT 8
#define AHCI_SCTL_DET_COMRESET 1u
#define AHCI_SCTL_IPM_NO_PARTIAL_SLUMBER (3u << 8)

/* Signatures in PxSIG after the first D2H FIS (§3.3.9; SATA 3.0 §11.3). */
#define AHCI_SIG_ATA 0x00000101u
#define AHCI_SIG_ATAPI 0xEB140101u
#define AHCI_SIG_SEMB 0xC33C0101u
#define AHCI_SIG_PM 0x96690101u

/* Command header, 32 bytes per slot in the command list (§4.2.2). */
#define AHCI_CMD_HEADER_BYTES 32u
#define AHCI_CMD_SLOTS 32u
#define AHCI_CMD_LIST_BYTES (AHCI_CMD_HEADER_BYTES * AHCI_CMD_SLOTS)
#define AHCI_CMD_LIST_ALIGN 1024u
#define AHCI_HDR_CFL_MASK 0x1Fu   /* command FIS length in dwords (2..16) */
#define AHCI_HDR_ATAPI (1u << 5)
#define AHCI_HDR_WRITE (1u << 6)  /* host to device data */
#define AHCI_HDR_PREFETCH (1u << 7)
#define AHCI_HDR_CLEAR_BUSY (1u << 10)
#define AHCI_HDR_PRDTL_SHIFT 16
/* Received FIS area (§4.2.1): 256 bytes, 256-byte aligned; the D2H
 * register FIS lands at 0x40. */
#define AHCI_RFIS_BYTES 256u
#define AHCI_RFIS_ALIGN 256u
#define AHCI_RFIS_D2H 0x40u
/* Command table (§4.2.3): CFIS at 0, ATAPI command at 0x40, PRDT at 0x80;
 * 128-byte aligned. */
#define AHCI_CT_CFIS 0x00u
#define AHCI_CT_ACMD 0x40u
#define AHCI_CT_ACMD_BYTES 16u
#define AHCI_CT_PRDT 0x80u
#define AHCI_CT_ALIGN 128u
/* PRD entry (§4.2.3.3): DBA (bit 0 reserved: word aligned), DBAU,
 * reserved, DW3 = byte count - 1 in 21:0 (bit 0 always 1: even counts)
 * and I (interrupt on completion) in bit 31. At most 4 MiB per entry. */
#define AHCI_PRD_ENTRY_BYTES 16u
#define AHCI_PRD_MAX_BYTES (4u * 1024 * 1024)
#define AHCI_PRD_DBC_MASK 0x3FFFFFu
#define AHCI_PRD_IRQ (1u << 31)
#define AHCI_PRDTL_MAX 65535u

/* Register Host to Device FIS (SATA 3.0 §10.3.4), 20 bytes = 5 dwords. */
#define AHCI_FIS_TYPE_H2D 0x27u
#define AHCI_FIS_TYPE_D2H 0x34u
#define AHCI_FIS_H2D_BYTES 20u
#define AHCI_FIS_H2D_DWORDS 5u
#define AHCI_FIS_C_COMMAND 0x80u  /* byte 1: the FIS carries a command */
#define AHCI_FIS_DEV_LBA 0x40u    /* device byte: LBA addressing */

#endif
