/* SPDX-License-Identifier: MIT */
/* Register layouts and protocol constants of the IDE driver: the ATA task
 * file, the bus-master IDE engine and the ATAPI packet commands. Values only;
 * no code. */
#ifndef DRIVERS_ATA_DEFS_H
#define DRIVERS_ATA_DEFS_H

/* Legacy ("compatibility mode") resources, PCI IDE Controller Spec 1.0 §2.1. */
#define ATA_PRI_CMD_PORT 0x1F0
#define ATA_PRI_CTL_PORT 0x3F6
#define ATA_PRI_IRQ 14
#define ATA_SEC_CMD_PORT 0x170
#define ATA_SEC_CTL_PORT 0x376
#define ATA_SEC_IRQ 15
/* Programming interface bits (PCI IDE §2.1): channel n runs in native mode
 * when bit 2n is set. */
#define ATA_PROGIF_NATIVE(ch) (1u << (2 * (ch)))
#define ATA_PROGIF_BUS_MASTER 0x80u
/* In native mode the control block BAR points at a 4-byte block whose
 * device control / alternate status register is at offset 2 (PCI IDE §2.3). */
#define ATA_NATIVE_CTL_OFFSET 2

/* Command block registers, offsets from the command port (ATA/ATAPI-7 vol. 1 §7). */
enum ata_reg {
    ATA_REG_DATA = 0,
    ATA_REG_ERROR = 1,    /* read */
    ATA_REG_FEATURES = 1, /* write */
    ATA_REG_COUNT = 2,
    ATA_REG_LBA_LOW = 3,
    ATA_REG_LBA_MID = 4,  /* ATAPI: byte count low */
    ATA_REG_LBA_HIGH = 5, /* ATAPI: byte count high */
    ATA_REG_DEVICE = 6,
    ATA_REG_STATUS = 7,   /* read; reading it clears the pending interrupt */
    ATA_REG_COMMAND = 7,  /* write */
};

/* Status register (ATA/ATAPI-7 vol. 1 §7.15). */
#define ATA_SR_BSY 0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF 0x20
#define ATA_SR_DRQ 0x08
#define ATA_SR_ERR 0x01
/* A status of all ones: no device drives the bus (pull-ups only). */
#define ATA_STATUS_FLOATING 0xFF

/* Error register (§7.11): the bits the driver decodes. */
#define ATA_ER_ICRC 0x80
#define ATA_ER_UNC 0x40
#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04
/* ATAPI: the sense key is in bits 7:4 of the error register. */
#define ATAPI_ER_SENSE_SHIFT 4

/* Device register (§7.10): bits 7 and 5 are obsolete but set by tradition. */
#define ATA_DEV_OBS 0xA0
#define ATA_DEV_LBA 0x40
#define ATA_DEV_SLAVE 0x10

/* Device control register (§7.9). */
#define ATA_DC_NIEN 0x02 /* interrupts masked */
#define ATA_DC_SRST 0x04 /* software reset of both devices */
#define ATA_DC_HOB 0x80

/* Signatures in LBA mid/high after reset (ATA/ATAPI-7 vol. 2 §9.12). */
#define ATA_SIG_ATA_MID 0x00
#define ATA_SIG_ATA_HIGH 0x00
#define ATA_SIG_ATAPI_MID 0x14
#define ATA_SIG_ATAPI_HIGH 0xEB
/* QEMU reports an empty position with 0xFF/0xFF (hw/ide/core.c,
 * ide_set_signature), as does a floating bus. */
#define ATA_SIG_ABSENT 0xFF

/* Commands (ATA/ATAPI-7 vol. 1 §6). */
enum ata_cmd {
    ATA_CMD_READ_PIO = 0x20,
    ATA_CMD_READ_PIO_EXT = 0x24,
    ATA_CMD_READ_DMA_EXT = 0x25,
    ATA_CMD_READ_MULTIPLE_EXT = 0x29,
    ATA_CMD_WRITE_PIO = 0x30,
    ATA_CMD_WRITE_PIO_EXT = 0x34,
    ATA_CMD_WRITE_DMA_EXT = 0x35,
    ATA_CMD_WRITE_MULTIPLE_EXT = 0x39,
    ATA_CMD_PACKET = 0xA0,
    ATA_CMD_IDENTIFY_PACKET = 0xA1,
    ATA_CMD_READ_MULTIPLE = 0xC4,
    ATA_CMD_WRITE_MULTIPLE = 0xC5,
    ATA_CMD_SET_MULTIPLE = 0xC6,
    ATA_CMD_READ_DMA = 0xC8,
    ATA_CMD_WRITE_DMA = 0xCA,
    ATA_CMD_FLUSH = 0xE7,
    ATA_CMD_IDENTIFY = 0xEC,
    ATA_CMD_FLUSH_EXT = 0xEA,
};

/* PACKET features bit 0: data by DMA (ATA/ATAPI-7 vol. 1 §6.26). */
#define ATA_PACKET_FEAT_DMA 0x01

/* Bus-master IDE registers, offsets from BAR4 plus 8 for the secondary
 * channel (SFF-8038i rev 1.0 §2; Intel PIIX3/4 datasheet "BMIC/BMIS/BMIDTP"). */
#define ATA_BM_CHANNEL_STRIDE 8
#define ATA_BM_CMD 0
#define ATA_BM_STATUS 2
#define ATA_BM_PRDT 4
#define ATA_BM_CMD_START 0x01
#define ATA_BM_CMD_TO_MEMORY 0x08 /* set for device reads */
#define ATA_BM_ST_ACTIVE 0x01
#define ATA_BM_ST_ERROR 0x02   /* write 1 to clear */
#define ATA_BM_ST_IRQ 0x04     /* write 1 to clear; set by the device's INTRQ */
#define ATA_BM_ST_KEEP 0x60    /* drive-DMA-capable bits, written back unchanged */

/* ATAPI packet commands (SPC-3, MMC-5, SBC-2): the opcodes. The command
 * blocks are built and their answers parsed in lib/atapi_cdb.h; sense keys
 * and codes are in lib/atapi_sense.h. */
#define ATAPI_PACKET_BYTES 12
enum atapi_op {
    ATAPI_TEST_UNIT_READY = 0x00,
    ATAPI_REQUEST_SENSE = 0x03,
    ATAPI_START_STOP_UNIT = 0x1B,
    ATAPI_READ_CAPACITY = 0x25,
    ATAPI_READ_10 = 0x28,
    ATAPI_GET_EVENT_STATUS = 0x4A,
    ATAPI_READ_12 = 0xA8,
};
/* START STOP UNIT byte 4 (SBC-2 §5.17): LoEj with Start = load, without = eject. */
#define ATAPI_SSU_START 0x01
#define ATAPI_SSU_LOEJ 0x02

#endif
