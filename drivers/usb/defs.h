/* SPDX-License-Identifier: MIT */
/* EHCI, UHCI, OHCI and xHCI register and data-structure layouts, and the
 * USB 2.0 protocol constants the core uses. Spec: Enhanced Host Controller
 * Interface 1.0 (EHCI), UHCI Design Guide 1.1 (UHCI), Open Host Controller
 * Interface 1.0a (OHCI), eXtensible Host Controller Interface 1.2 (xHCI),
 * USB 2.0 (USB). Section numbers beside each group. */
#ifndef DRIVERS_USB_DEFS_H
#define DRIVERS_USB_DEFS_H

/* ---- PCI (EHCI §2.1) ---------------------------------------------------------------- */
#define EHCI_PCI_CLASS 0x0C    /* serial bus controller */
#define EHCI_PCI_SUBCLASS 0x03 /* USB */
#define EHCI_PCI_PROGIF 0x20   /* EHCI */
#define EHCI_PCI_BAR 0         /* memory-mapped registers */

/* Legacy support extended capability in PCI config space (EHCI §5.1):
 * found at HCCPARAMS.EECP; ID 1. */
#define EHCI_LEGSUP_ID 0x01
#define EHCI_LEGSUP_BIOS_OWNED (1u << 16)
#define EHCI_LEGSUP_OS_OWNED (1u << 24)
#define EHCI_LEGCTLSTS_OFFSET 4 /* USBLEGCTLSTS: SMI enables, cleared by us */

/* ---- Capability registers (EHCI §2.2), offsets from BAR0 ---------------------------- */
#define EHCI_CAPLENGTH 0x00 /* byte: offset of the operational registers */
#define EHCI_HCSPARAMS 0x04
#define EHCI_HCCPARAMS 0x08
#define EHCI_HCS_N_PORTS(x) ((x) & 0xF)
#define EHCI_HCS_PPC (1u << 4)     /* port power control present */
#define EHCI_HCS_N_CC(x) (((x) >> 12) & 0xF) /* companion controllers */
#define EHCI_HCC_64BIT (1u << 0)   /* 64-bit data structures (extended qTD/QH) */
#define EHCI_HCC_EECP(x) (((x) >> 8) & 0xFF)

/* ---- Operational registers (EHCI §2.3), offsets from CAPLENGTH ---------------------- */
#define EHCI_USBCMD 0x00
#define EHCI_USBSTS 0x04
#define EHCI_USBINTR 0x08
#define EHCI_FRINDEX 0x0C
#define EHCI_CTRLDSSEGMENT 0x10
#define EHCI_PERIODICLISTBASE 0x14
#define EHCI_ASYNCLISTADDR 0x18
#define EHCI_CONFIGFLAG 0x40
#define EHCI_PORTSC(n) (0x44 + 4 * (n))

/* USBCMD (§2.3.1) */
#define EHCI_CMD_RS (1u << 0)
#define EHCI_CMD_HCRESET (1u << 1)
#define EHCI_CMD_PSE (1u << 4)
#define EHCI_CMD_ASE (1u << 5)
#define EHCI_CMD_IAAD (1u << 6)     /* interrupt on async advance doorbell */
#define EHCI_CMD_ITC_SHIFT 16       /* interrupt threshold, micro-frames */

/* USBSTS (§2.3.2); bits 0-5 are write-1-to-clear, USBINTR uses 0-5 too. */
#define EHCI_STS_USBINT (1u << 0)
#define EHCI_STS_USBERRINT (1u << 1)
#define EHCI_STS_PCD (1u << 2)      /* port change detect */
#define EHCI_STS_FLR (1u << 3)
#define EHCI_STS_HSE (1u << 4)      /* host system error: the HC halted */
#define EHCI_STS_IAA (1u << 5)      /* interrupt on async advance */
#define EHCI_STS_ACK_MASK 0x3Fu
#define EHCI_STS_HALTED (1u << 12)
#define EHCI_STS_ASS (1u << 15)     /* async schedule status */

/* PORTSC (§2.3.9); CSC, PEDC, OCC are write-1-to-clear. */
#define EHCI_PORT_CCS (1u << 0)
#define EHCI_PORT_CSC (1u << 1)
#define EHCI_PORT_PED (1u << 2)
#define EHCI_PORT_PEDC (1u << 3)
#define EHCI_PORT_OCC (1u << 5)
#define EHCI_PORT_PR (1u << 8)
#define EHCI_PORT_LS_MASK (3u << 10) /* line status, valid while not enabled */
#define EHCI_PORT_LS_K (1u << 10)    /* K-state: a low-speed device */
#define EHCI_PORT_PP (1u << 12)
#define EHCI_PORT_OWNER (1u << 13)   /* 1: the port belongs to a companion */
#define EHCI_PORT_W1C (EHCI_PORT_CSC | EHCI_PORT_PEDC | EHCI_PORT_OCC)

/* ---- Link pointers (§3.1) -------------------------------------------------------------- */
#define EHCI_LINK_T 1u          /* terminate */
#define EHCI_LINK_TYPE_QH (1u << 1)

/* ---- qTD (§3.5): 8 dwords, 5 more with 64-bit addressing; 32-byte aligned ---------- */
#define EHCI_QTD_NEXT 0
#define EHCI_QTD_ALT 1
#define EHCI_QTD_TOKEN 2
#define EHCI_QTD_BUF0 3 /* buffer page pointers 0-4 at dwords 3-7 */
#define EHCI_QTD_EXT0 8 /* high halves 0-4 at dwords 8-12 (64-bit HCs) */
#define EHCI_QTD_SLOT_BYTES 64 /* 52 rounded up to keep 32-byte alignment */

/* qTD token (§3.5.3) */
#define EHCI_TOK_ACTIVE (1u << 7)
#define EHCI_TOK_HALTED (1u << 6)
#define EHCI_TOK_DBERR (1u << 5)    /* data buffer error */
#define EHCI_TOK_BABBLE (1u << 4)
#define EHCI_TOK_XACTERR (1u << 3)  /* transaction error (timeout, CRC, bad PID) */
#define EHCI_TOK_MMF (1u << 2)      /* missed micro-frame */
#define EHCI_TOK_ERRORS (EHCI_TOK_HALTED | EHCI_TOK_DBERR | EHCI_TOK_BABBLE | EHCI_TOK_XACTERR)
#define EHCI_TOK_PID_OUT (0u << 8)
#define EHCI_TOK_PID_IN (1u << 8)
#define EHCI_TOK_PID_SETUP (2u << 8)
#define EHCI_TOK_CERR_3 (3u << 10)  /* three retries on transaction errors */
#define EHCI_TOK_IOC (1u << 15)
#define EHCI_TOK_BYTES_SHIFT 16
#define EHCI_TOK_BYTES_MASK 0x7FFFu
#define EHCI_TOK_TOGGLE (1u << 31)
/* One qTD moves at most 5 pages (§3.5.4): 20 KiB when the buffer starts
 * page-aligned, at least 16 KiB otherwise. */
#define EHCI_QTD_PAGES 5
#define EHCI_PAGE_BYTES 4096u

/* ---- QH (§3.6): 12 dwords, 17 with 64-bit addressing; 32-byte aligned ----------------- */
#define EHCI_QH_LINK 0
#define EHCI_QH_CHAR 1     /* endpoint characteristics */
#define EHCI_QH_CAPS 2     /* endpoint capabilities */
#define EHCI_QH_CUR 3      /* current qTD (HC-owned) */
#define EHCI_QH_OVERLAY 4  /* transfer overlay: a qTD image at dwords 4-11 (+12-16) */
#define EHCI_QH_SLOT_BYTES 128 /* 68 rounded up; QHs sit in one page pool */

/* QH endpoint characteristics (§3.6.2) */
#define EHCI_QH_ADDR(a) ((uint32_t)(a) & 0x7F)
#define EHCI_QH_EP(e) (((uint32_t)(e) & 0xF) << 8)
#define EHCI_QH_EPS_FULL (0u << 12)
#define EHCI_QH_EPS_LOW (1u << 12)
#define EHCI_QH_EPS_HIGH (2u << 12)
#define EHCI_QH_DTC (1u << 14)      /* data toggle from the qTD (control pipes) */
#define EHCI_QH_HEAD (1u << 15)     /* head of the reclamation list */
#define EHCI_QH_MPS(m) (((uint32_t)(m) & 0x7FF) << 16)
#define EHCI_QH_CTRL_EP (1u << 27)  /* control endpoint of a full/low-speed device */
#define EHCI_QH_RL(n) (((uint32_t)(n) & 0xF) << 28)
/* QH capabilities (§3.6.2): Mult = 1 transaction per micro-frame; for a
 * low/full-speed endpoint behind a high-speed hub, the address of that hub
 * and the port of its TT (§4.12: split transactions on the async list). */
#define EHCI_QH_MULT1 (1u << 30)
#define EHCI_QH_HUB_ADDR(a) (((uint32_t)(a) & 0x7F) << 16)
#define EHCI_QH_HUB_PORT(p) (((uint32_t)(p) & 0x7F) << 23)

/* ---- USB 2.0 chapter 9 -------------------------------------------------------------------- */
/* Standard requests (USB Table 9-4) */
#define USB_REQ_CLEAR_FEATURE 0x01
#define USB_REQ_SET_ADDRESS 0x05
#define USB_REQ_GET_DESCRIPTOR 0x06
#define USB_REQ_SET_CONFIGURATION 0x09
/* bmRequestType (USB Table 9-2) */
#define USB_RT_IN 0x80
#define USB_RT_CLASS 0x20
#define USB_RT_INTERFACE 0x01
#define USB_RT_ENDPOINT 0x02
#define USB_FEATURE_ENDPOINT_HALT 0
/* Timing (USB §7.1.7.5, §9.2.6.3): reset held 50 ms at the root port,
 * 10 ms recovery after it, 2 ms after SET_ADDRESS. */
#define USB_PORT_RESET_MS 50
#define USB_RESET_RECOVERY_MS 10
#define USB_SET_ADDRESS_RECOVERY_MS 2

/* ---- USB 2.0 chapter 11: hubs ---------------------------------------------------------- */
#define USB_CLASS_HUB 0x09            /* bDeviceClass / bInterfaceClass (Table 11-13) */
#define USB_DT_HUB 0x29               /* hub descriptor type (Table 11-13) */
/* bmRequestType of hub class requests (Table 11-15): to the hub, to a port. */
#define USB_RT_HUB_OUT (USB_RT_CLASS)
#define USB_RT_HUB_IN (USB_RT_IN | USB_RT_CLASS)
#define USB_RT_PORT_OUT (USB_RT_CLASS | 0x03)
#define USB_RT_PORT_IN (USB_RT_IN | USB_RT_CLASS | 0x03)
/* Hub class requests (Table 11-16). */
#define USB_HUB_REQ_GET_STATUS 0x00
#define USB_HUB_REQ_CLEAR_FEATURE 0x01
#define USB_HUB_REQ_SET_FEATURE 0x03
/* Port feature selectors (Table 11-17); C_PORT_x = PORT_x + 16 for x < 5. */
#define USB_PORT_FEAT_ENABLE 1
#define USB_PORT_FEAT_RESET 4
#define USB_PORT_FEAT_POWER 8
#define USB_PORT_FEAT_C_CONNECTION 16
#define USB_PORT_FEAT_C_ENABLE 17
#define USB_PORT_FEAT_C_SUSPEND 18
#define USB_PORT_FEAT_C_OVER_CURRENT 19
#define USB_PORT_FEAT_C_RESET 20
/* wPortStatus (Table 11-21) */
#define USB_PORT_STAT_CONNECTION (1u << 0)
#define USB_PORT_STAT_ENABLE (1u << 1)
#define USB_PORT_STAT_SUSPEND (1u << 2)
#define USB_PORT_STAT_OVER_CURRENT (1u << 3)
#define USB_PORT_STAT_RESET (1u << 4)
#define USB_PORT_STAT_POWER (1u << 8)
#define USB_PORT_STAT_LOW_SPEED (1u << 9)
#define USB_PORT_STAT_HIGH_SPEED (1u << 10)
/* wPortChange (Table 11-22): bit n is cleared with feature 16 + n. */
#define USB_PORT_C_CONNECTION (1u << 0)
#define USB_PORT_C_ENABLE (1u << 1)
#define USB_PORT_C_SUSPEND (1u << 2)
#define USB_PORT_C_OVER_CURRENT (1u << 3)
#define USB_PORT_C_RESET (1u << 4)
#define USB_PORT_C_ALL 0x1Fu
/* Timing: a connection must be stable for 100 ms before reset (§7.1.7.3,
 * TATTDB); bDeviceProtocol of a high-speed hub (§11.23.1). */
#define USB_DEBOUNCE_MS 100
#define USB_HUB_PROTO_FS 0
#define USB_HUB_PROTO_HS_SINGLE_TT 1
#define USB_HUB_PROTO_HS_MULTI_TT 2

/* ==== UHCI (Universal Host Controller Interface Design Guide 1.1, "UHCI") ============ */
#define UHCI_PCI_PROGIF 0x00
#define UHCI_PCI_BAR 4           /* I/O registers (§2.1.4: USBBASE) */
#define UHCI_PCI_LEGSUP 0xC0     /* 16-bit legacy support register (PIIX4 §2.3.17) */
#define UHCI_LEGSUP_RWC 0x8F00   /* write-1-to-clear SMI/trap status bits */
#define UHCI_LEGSUP_PIRQ 0x2000  /* route the USB interrupt to PIRQD (INTx) */

/* I/O registers (§2.1) */
#define UHCI_USBCMD 0x00
#define UHCI_USBSTS 0x02
#define UHCI_USBINTR 0x04
#define UHCI_FRNUM 0x06
#define UHCI_FLBASEADD 0x08
#define UHCI_SOFMOD 0x0C
#define UHCI_PORTSC(n) (0x10 + 2 * (n))
#define UHCI_MAX_PORTS 8         /* ports are probed until one reads as absent */

#define UHCI_CMD_RS (1u << 0)
#define UHCI_CMD_HCRESET (1u << 1)
#define UHCI_CMD_GRESET (1u << 2)
#define UHCI_CMD_CF (1u << 6)
#define UHCI_CMD_MAXP (1u << 7)  /* 64-byte reclamation packets */
#define UHCI_STS_USBINT (1u << 0)
#define UHCI_STS_ERRINT (1u << 1)
#define UHCI_STS_HSE (1u << 3)
#define UHCI_STS_HCPE (1u << 4)
#define UHCI_STS_HALTED (1u << 5)
#define UHCI_STS_ACK_MASK 0x3Fu
#define UHCI_INTR_TIMEOUT_CRC (1u << 0)
#define UHCI_INTR_IOC (1u << 2)
#define UHCI_INTR_SP (1u << 3)

/* PORTSC (§2.1.7); CSC and PEC are write-1-to-clear. */
#define UHCI_PORT_CCS (1u << 0)
#define UHCI_PORT_CSC (1u << 1)
#define UHCI_PORT_PE (1u << 2)
#define UHCI_PORT_PEC (1u << 3)
#define UHCI_PORT_ALWAYS1 (1u << 7) /* reads 1 on an implemented port */
#define UHCI_PORT_LSDA (1u << 8)    /* low-speed device attached */
#define UHCI_PORT_PR (1u << 9)
#define UHCI_PORT_W1C (UHCI_PORT_CSC | UHCI_PORT_PEC)

/* Frame list and link pointers (§3.1, §3.2) */
#define UHCI_FRAMES 1024
#define UHCI_LINK_T 1u
#define UHCI_LINK_QH (1u << 1)
#define UHCI_LINK_VF (1u << 2)      /* depth first */

/* TD (§3.2): 4 dwords, 16-byte aligned; we keep 32-byte slots. */
#define UHCI_TD_LINK 0
#define UHCI_TD_CTRL 1
#define UHCI_TD_TOKEN 2
#define UHCI_TD_BUF 3
#define UHCI_TD_SLOT_BYTES 32
#define UHCI_TD_ACTLEN(x) (((x) + 1) & 0x7FF) /* n-1 encoded; 0x7FF = 0 bytes */
#define UHCI_TD_BITSTUFF (1u << 17)
#define UHCI_TD_CRCTO (1u << 18)
#define UHCI_TD_NAK (1u << 19)
#define UHCI_TD_BABBLE (1u << 20)
#define UHCI_TD_DBERR (1u << 21)
#define UHCI_TD_STALLED (1u << 22)
#define UHCI_TD_ACTIVE (1u << 23)
#define UHCI_TD_IOC (1u << 24)
#define UHCI_TD_LS (1u << 26)
#define UHCI_TD_CERR3 (3u << 27)
#define UHCI_TD_SPD (1u << 29)
#define UHCI_TD_ERRORS (UHCI_TD_BITSTUFF | UHCI_TD_CRCTO | UHCI_TD_BABBLE | UHCI_TD_DBERR | \
                        UHCI_TD_STALLED)
#define UHCI_PID_SETUP 0x2D
#define UHCI_PID_IN 0x69
#define UHCI_PID_OUT 0xE1
#define UHCI_TOKEN(pid, addr, ep, toggle, len) \
    ((uint32_t)(pid) | ((uint32_t)(addr) & 0x7F) << 8 | ((uint32_t)(ep) & 0xF) << 15 | \
     ((uint32_t)(toggle) & 1) << 19 | ((((uint32_t)(len) - 1) & 0x7FF) << 21))

/* QH (§3.3): head (horizontal) and element (vertical) link. */
#define UHCI_QH_HEAD 0
#define UHCI_QH_ELEM 1

/* ==== OHCI (Open Host Controller Interface 1.0a, "OHCI") =========================== */
#define OHCI_PCI_PROGIF 0x10
#define OHCI_PCI_BAR 0           /* memory-mapped registers (§7: 4 KiB window) */
#define OHCI_REGS_BYTES 0x100    /* operational registers up to 15 ports */

/* Operational registers (§7.1-§7.4), offsets from BAR0 */
#define OHCI_REVISION 0x00
#define OHCI_CONTROL 0x04
#define OHCI_CMDSTATUS 0x08
#define OHCI_INTRSTATUS 0x0C
#define OHCI_INTRENABLE 0x10
#define OHCI_INTRDISABLE 0x14
#define OHCI_HCCA 0x18
#define OHCI_CTRLHEAD 0x20
#define OHCI_CTRLCUR 0x24
#define OHCI_BULKHEAD 0x28
#define OHCI_BULKCUR 0x2C
#define OHCI_DONEHEAD 0x30
#define OHCI_FMINTERVAL 0x34
#define OHCI_PERIODICSTART 0x40
#define OHCI_LSTHRESHOLD 0x44
#define OHCI_RHDESCA 0x48
#define OHCI_RHDESCB 0x4C
#define OHCI_RHSTATUS 0x50
#define OHCI_RHPORT(n) (0x54 + 4 * (n))

#define OHCI_REV_MASK 0xFFu      /* BCD, 0x10 for 1.0 */

/* HcControl (§7.1.2) */
#define OHCI_CTL_CBSR_4_1 3u     /* control/bulk service ratio 4:1 */
#define OHCI_CTL_PLE (1u << 2)
#define OHCI_CTL_IE (1u << 3)
#define OHCI_CTL_CLE (1u << 4)   /* control list enable */
#define OHCI_CTL_BLE (1u << 5)   /* bulk list enable */
#define OHCI_CTL_HCFS_MASK (3u << 6)
#define OHCI_CTL_HCFS_RESET (0u << 6)
#define OHCI_CTL_HCFS_RESUME (1u << 6)
#define OHCI_CTL_HCFS_OPER (2u << 6)
#define OHCI_CTL_HCFS_SUSPEND (3u << 6)
#define OHCI_CTL_IR (1u << 8)    /* interrupts routed to SMI: firmware owns the HC */
#define OHCI_CTL_RWC (1u << 9)   /* remote wakeup connected: kept as firmware set it */

/* HcCommandStatus (§7.1.3): writing 0 to a bit has no effect. */
#define OHCI_CMD_HCR (1u << 0)   /* host controller reset */
#define OHCI_CMD_CLF (1u << 1)   /* control list filled */
#define OHCI_CMD_BLF (1u << 2)   /* bulk list filled */
#define OHCI_CMD_OCR (1u << 3)   /* ownership change request (§5.1.1.3.3) */

/* HcInterruptStatus/Enable/Disable (§7.1.4-§7.1.6); status bits are W1C. */
#define OHCI_INT_SO (1u << 0)    /* scheduling overrun */
#define OHCI_INT_WDH (1u << 1)   /* HccaDoneHead written back */
#define OHCI_INT_SF (1u << 2)    /* start of frame */
#define OHCI_INT_RD (1u << 3)
#define OHCI_INT_UE (1u << 4)    /* unrecoverable error: the HC stopped */
#define OHCI_INT_FNO (1u << 5)
#define OHCI_INT_RHSC (1u << 6)
#define OHCI_INT_OC (1u << 30)   /* ownership change */
#define OHCI_INT_MIE (1u << 31)  /* master interrupt enable */
#define OHCI_INT_ALL 0xC000007Fu

/* HcFmInterval (§7.3.1): 12000 bit times per frame; the largest full-speed
 * packet that fits after the SOF overhead (the spec's example value). */
#define OHCI_FI_DEFAULT 0x2EDFu
#define OHCI_FI_MASK 0x3FFFu
#define OHCI_FSMPS(fi) ((((fi) - 210) * 6 / 7) << 16)
#define OHCI_FIT (1u << 31)
#define OHCI_PERIODIC_START(fi) ((fi) * 9 / 10) /* §7.3.4: 90 % of the frame */

/* HcRhDescriptorA (§7.4.1), HcRhStatus (§7.4.3) */
#define OHCI_RHA_NDP(x) ((x) & 0xFFu)
#define OHCI_RHA_NPS (1u << 9)   /* no power switching: ports always powered */
#define OHCI_RHA_POTPGT(x) (((x) >> 24) & 0xFFu) /* power-on to power-good, 2 ms units */
#define OHCI_RHS_LPSC (1u << 16) /* write: set global power */

/* HcRhPortStatus (§7.4.4). A read returns the state bits; a write of 1
 * runs the command named in the second column; bits 16-20 are W1C. */
#define OHCI_PORT_CCS (1u << 0)  /* write: clear port enable */
#define OHCI_PORT_PES (1u << 1)  /* write: set port enable */
#define OHCI_PORT_PSS (1u << 2)
#define OHCI_PORT_PRS (1u << 4)  /* write: set port reset */
#define OHCI_PORT_PPS (1u << 8)  /* write: set port power */
#define OHCI_PORT_LSDA (1u << 9) /* low-speed device attached */
#define OHCI_PORT_CSC (1u << 16)
#define OHCI_PORT_PESC (1u << 17)
#define OHCI_PORT_PSSC (1u << 18)
#define OHCI_PORT_OCIC (1u << 19)
#define OHCI_PORT_PRSC (1u << 20) /* reset complete */
#define OHCI_PORT_CHANGES (0x1Fu << 16)

/* HCCA (§4.4): 256 bytes, 256-byte aligned; interrupt table, frame number,
 * done head. */
#define OHCI_HCCA_BYTES 256u
#define OHCI_HCCA_DONEHEAD 0x84  /* byte offset; bit 0: other interrupts pending too */

/* Endpoint descriptor (§4.2): 4 dwords, 16-byte aligned. */
#define OHCI_ED_CTRL 0
#define OHCI_ED_TAILP 1
#define OHCI_ED_HEADP 2
#define OHCI_ED_NEXT 3
#define OHCI_ED_BYTES 16u
#define OHCI_ED_FA(a) ((uint32_t)(a) & 0x7F)
#define OHCI_ED_EN(e) (((uint32_t)(e) & 0xF) << 7)
#define OHCI_ED_DIR_TD (0u << 11) /* direction from each TD (control) */
#define OHCI_ED_DIR_OUT (1u << 11)
#define OHCI_ED_DIR_IN (2u << 11)
#define OHCI_ED_LOWSPEED (1u << 13)
#define OHCI_ED_SKIP (1u << 14)
#define OHCI_ED_MPS(m) (((uint32_t)(m) & 0x7FF) << 16)
#define OHCI_ED_HALTED (1u << 0)  /* in HeadP */
#define OHCI_ED_TOGGLE (1u << 1)  /* in HeadP: toggle carry */
#define OHCI_ED_PTR_MASK 0xFFFFFFF0u

/* General transfer descriptor (§4.3.1): 4 dwords, 16-byte aligned. The
 * buffer [CBP, BE] may touch at most two 4 KiB pages: crossing a page
 * boundary, the HC takes the upper 20 bits of the address from BE. */
#define OHCI_TD_CTRL 0
#define OHCI_TD_CBP 1
#define OHCI_TD_NEXT 2
#define OHCI_TD_BE 3
#define OHCI_TD_BYTES 16u
#define OHCI_TD_R (1u << 18)      /* buffer rounding: a short packet is no error */
#define OHCI_TD_DP_SETUP (0u << 19)
#define OHCI_TD_DP_OUT (1u << 19)
#define OHCI_TD_DP_IN (2u << 19)
#define OHCI_TD_DI(n) (((uint32_t)(n) & 7) << 21) /* frames until the done interrupt */
#define OHCI_TD_DI_NONE OHCI_TD_DI(7)
#define OHCI_TD_T_CARRY (0u << 24) /* toggle from the ED's carry */
#define OHCI_TD_T_DATA0 (2u << 24)
#define OHCI_TD_T_DATA1 (3u << 24)
#define OHCI_TD_EC(x) (((x) >> 26) & 3)
#define OHCI_TD_CC(x) ((x) >> 28)
#define OHCI_TD_CC_SET(c) ((uint32_t)(c) << 28)
#define OHCI_PAGE_BYTES 4096u
#define OHCI_TD_MAX_BYTES (2 * OHCI_PAGE_BYTES) /* two pages when CBP is page-aligned */

/* Condition codes (§4.3.3, Table 4-7) */
enum ohci_cc {
    OHCI_CC_NOERROR = 0,
    OHCI_CC_CRC = 1,
    OHCI_CC_BITSTUFFING = 2,
    OHCI_CC_TOGGLE_MISMATCH = 3,
    OHCI_CC_STALL = 4,
    OHCI_CC_NOT_RESPONDING = 5,
    OHCI_CC_PID_CHECK = 6,
    OHCI_CC_UNEXPECTED_PID = 7,
    OHCI_CC_DATA_OVERRUN = 8,
    OHCI_CC_DATA_UNDERRUN = 9,
    OHCI_CC_BUFFER_OVERRUN = 12,
    OHCI_CC_BUFFER_UNDERRUN = 13,
    OHCI_CC_NOT_ACCESSED = 15, /* 14 and 15: set by software before queueing */
};

/* ==== xHCI (eXtensible Host Controller Interface 1.2, "xHCI") ====================== */
#define XHCI_PCI_PROGIF 0x30
#define XHCI_PCI_BAR 0

/* Capability registers (§5.3) */
#define XHCI_CAPLENGTH 0x00
#define XHCI_HCSPARAMS1 0x04
#define XHCI_HCSPARAMS2 0x08
#define XHCI_HCCPARAMS1 0x10
#define XHCI_DBOFF 0x14
#define XHCI_RTSOFF 0x18
#define XHCI_HCS1_SLOTS(x) ((x) & 0xFF)
#define XHCI_HCS1_PORTS(x) (((x) >> 24) & 0xFF)
#define XHCI_HCS2_SCRATCH(x) ((((x) >> 21) & 0x1F) << 5 | (((x) >> 27) & 0x1F))
#define XHCI_HCC1_CSZ (1u << 2)       /* 64-byte contexts */
#define XHCI_HCC1_PPC (1u << 3)
#define XHCI_HCC1_XECP(x) (((x) >> 16) & 0xFFFF) /* in dwords */
#define XHCI_XCAP_LEGACY 1            /* USB Legacy Support (§7.1) */
#define XHCI_LEGACY_BIOS_OWNED (1u << 16)
#define XHCI_LEGACY_OS_OWNED (1u << 24)

/* Operational registers (§5.4) */
#define XHCI_USBCMD 0x00
#define XHCI_USBSTS 0x04
#define XHCI_CRCR 0x18
#define XHCI_DCBAAP 0x30
#define XHCI_CONFIG 0x38
#define XHCI_PORTSC(n) (0x400 + 0x10 * (n))
#define XHCI_CMD_RS (1u << 0)
#define XHCI_CMD_HCRST (1u << 1)
#define XHCI_CMD_INTE (1u << 2)
#define XHCI_STS_HCH (1u << 0)
#define XHCI_STS_HSE (1u << 2)
#define XHCI_STS_EINT (1u << 3)
#define XHCI_STS_PCD (1u << 4)
#define XHCI_STS_CNR (1u << 11)
#define XHCI_CRCR_RCS 1u

/* PORTSC (§5.4.8). Writing 1 to PED disables the port and to bits 17-23
 * clears them, so a write starts from the "neutral" bits only. */
#define XHCI_PORT_CCS (1u << 0)
#define XHCI_PORT_PED (1u << 1)
#define XHCI_PORT_PR (1u << 4)
#define XHCI_PORT_PP (1u << 9)
#define XHCI_PORT_SPEED(x) (((x) >> 10) & 0xF) /* 1 full, 2 low, 3 high, 4 super */
#define XHCI_PORT_CSC (1u << 17)
#define XHCI_PORT_PRC (1u << 21)
#define XHCI_PORT_CHANGES (0x7Fu << 17)
#define XHCI_PORT_NEUTRAL ((1u << 0) | (1u << 3) | (0xFu << 10) | (1u << 30) | \
                           (0xFu << 5) | (1u << 9) | (3u << 14) | (7u << 25))

/* Runtime registers (§5.5): interrupter 0 at +0x20 */
#define XHCI_IR0 0x20
#define XHCI_IMAN 0x00
#define XHCI_IMOD 0x04
#define XHCI_ERSTSZ 0x08
#define XHCI_ERSTBA 0x10
#define XHCI_ERDP 0x18
#define XHCI_IMAN_IP (1u << 0)
#define XHCI_IMAN_IE (1u << 1)
#define XHCI_ERDP_EHB (1u << 3)

/* TRBs (§6.4): 16 bytes: parameter (64), status, control. */
#define XHCI_TRB_BYTES 16
#define XHCI_TRB_CYCLE (1u << 0)
#define XHCI_TRB_TC (1u << 1)         /* Link: toggle cycle */
#define XHCI_TRB_ISP (1u << 2)        /* interrupt on short packet */
#define XHCI_TRB_CH (1u << 4)         /* chain */
#define XHCI_TRB_IOC (1u << 5)
#define XHCI_TRB_IDT (1u << 6)        /* immediate data (setup stage) */
#define XHCI_TRB_BSR (1u << 9)        /* Address Device: block SET_ADDRESS */
#define XHCI_TRB_DIR_IN (1u << 16)    /* data/status stage direction */
#define XHCI_TRB_TYPE(t) ((uint32_t)(t) << 10)
#define XHCI_TRB_GET_TYPE(c) (((c) >> 10) & 0x3F)
#define XHCI_TRB_SLOT(s) ((uint32_t)(s) << 24)
#define XHCI_TRB_EP(e) ((uint32_t)(e) << 16)
#define XHCI_TRT_NONE 0u
#define XHCI_TRT_OUT (2u << 16)
#define XHCI_TRT_IN (3u << 16)
enum xhci_trb_type {
    XHCI_TRB_NORMAL = 1,
    XHCI_TRB_SETUP = 2,
    XHCI_TRB_DATA = 3,
    XHCI_TRB_STATUS = 4,
    XHCI_TRB_LINK = 6,
    XHCI_TRB_ENABLE_SLOT = 9,
    XHCI_TRB_DISABLE_SLOT = 10,
    XHCI_TRB_ADDRESS_DEVICE = 11,
    XHCI_TRB_CONFIGURE_EP = 12,
    XHCI_TRB_RESET_EP = 14,
    XHCI_TRB_STOP_EP = 15,
    XHCI_TRB_SET_TR_DEQUEUE = 16,
    XHCI_TRB_TRANSFER_EVENT = 32,
    XHCI_TRB_COMMAND_DONE = 33,
    XHCI_TRB_PORT_CHANGE = 34,
};
/* Completion codes (§6.4.5) */
#define XHCI_CC_SUCCESS 1
#define XHCI_CC_STALL 6
#define XHCI_CC_SHORT_PACKET 13
#define XHCI_CC(status) ((status) >> 24)
#define XHCI_EVT_LEN(status) ((status) & 0xFFFFFF)

/* Contexts (§6.2): 32 bytes each, 64 with HCCPARAMS1.CSZ. */
#define XHCI_EP_TYPE_BULK_OUT 2u
#define XHCI_EP_TYPE_CONTROL 4u
#define XHCI_EP_TYPE_BULK_IN 6u
#define XHCI_SLOT_SPEED(s) ((uint32_t)(s) << 20)
#define XHCI_SLOT_ENTRIES(n) ((uint32_t)(n) << 27)
#define XHCI_SLOT_ROUTE(r) ((uint32_t)(r) & 0xFFFFFu) /* dword 0, 4 bits per tier (§8.9) */
#define XHCI_SLOT_MTT (1u << 25)      /* dword 0: multi-TT hub */
#define XHCI_SLOT_HUB (1u << 26)      /* dword 0: the device is a hub */
#define XHCI_SLOT_PORT(p) ((uint32_t)(p) << 16)
#define XHCI_SLOT_NUM_PORTS(n) ((uint32_t)(n) << 24) /* dword 1: a hub's ports */
#define XHCI_SLOT_TT_SLOT(s) ((uint32_t)(s) & 0xFF)     /* dword 2: TT hub slot ID */
#define XHCI_SLOT_TT_PORT(p) (((uint32_t)(p) & 0xFF) << 8)
#define XHCI_SLOT_TTT(t) (((uint32_t)(t) & 3) << 16)     /* dword 2: TT think time */
/* Default speed IDs (§7.2.2.1.1), as in PORTSC and the slot context. */
#define XHCI_SPEED_FULL 1
#define XHCI_SPEED_LOW 2
#define XHCI_SPEED_HIGH 3
#define XHCI_SPEED_SUPER 4
#define XHCI_EP_CERR3 (3u << 1)
#define XHCI_EP_TYPE(t) ((uint32_t)(t) << 3)
#define XHCI_EP_MPS(m) ((uint32_t)(m) << 16)
#define XHCI_EP_STATE(x) ((x) & 7)
#define XHCI_EP_STATE_HALTED 2

#endif
