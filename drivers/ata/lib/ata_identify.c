// SPDX-License-Identifier: MIT
/* IDENTIFY block parser (contract in ata_identify.h). Every word is read by
 * number with le16_at; validity bits (word 53, word 83/86 bits 15:14, word
 * 106 bits 15:14) gate the words they vouch for. */
#include "drivers/ata/lib/ata_identify.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* Word numbers (ATA/ATAPI-7 vol. 1 Table 16). */
enum {
    W_CONFIG = 0,
    W_SERIAL = 10,
    W_FIRMWARE = 23,
    W_MODEL = 27,
    W_MULTIPLE = 47,
    W_CAPS = 49,
    W_MULTIPLE_CUR = 59,
    W_VALID = 53,
    W_LBA28 = 60,
    W_MWDMA = 63,
    W_CMDSET1 = 82,
    W_CMDSET2 = 83,
    W_CMDEN1 = 85,
    W_UDMA = 88,
    W_LBA48 = 100,
    W_SECTOR_INFO = 106,
    W_LOGICAL_SIZE = 117,
    W_INTEGRITY = 255,
};

#define CONFIG_NOT_ATA 0x8000u     /* word 0 bit 15: not an ATA device */
#define CONFIG_PACKET_MASK 0xC000u /* bits 15:14 = 10b: ATAPI */
#define CONFIG_PACKET 0x8000u
#define CAPS_DMA 0x0100u
#define CAPS_LBA 0x0200u
#define MULTIPLE_CUR_VALID 0x0100u /* word 59 bit 8: bits 7:0 hold the setting */
#define VALID_W88 0x0004u
#define CMDSET_WCACHE 0x0020u
#define CMDSET2_LBA48 0x0400u
#define CMDSET2_FLUSH_EXT 0x2000u
#define WORD_VALID_MASK 0xC000u    /* bits 15:14 = 01b: the word is valid */
#define WORD_VALID 0x4000u
#define SECTOR_INFO_LONG 0x1000u   /* logical sector longer than 256 words */
#define INTEGRITY_SIGNATURE 0xA5u
#define SECTOR_BYTES_MIN 512u
#define SECTOR_BYTES_MAX 4096u     /* the largest DISKMEDIAINFO allows */

static uint16_t word(const uint8_t *raw, unsigned n)
{
    return le16_at(raw, 2u * n);
}

/* ATA strings hold two characters per word, the first in the high byte. */
static void copy_string(const uint8_t *raw, unsigned first_word, unsigned chars, char *out)
{
    for (unsigned i = 0; i < chars; i += 2) {
        uint16_t w = word(raw, first_word + i / 2);
        out[i] = (char)(w >> 8);
        out[i + 1] = (char)(w & 0xFF);
    }
    out[chars] = '\0';
    for (unsigned i = 0; i < chars; i++) {
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7E)
            out[i] = '?';
    }
    size_t len = chars;
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
}

static int highest_bit(unsigned mask)
{
    int hi = -1;
    for (int b = 0; b < 16; b++) {
        if (mask & (1u << b))
            hi = b;
    }
    return hi;
}

/* Word 255: when the signature byte is 0xA5, all 512 bytes sum to 0 mod 256. */
static bool integrity_ok(const uint8_t *raw)
{
    if ((word(raw, W_INTEGRITY) & 0xFF) != INTEGRITY_SIGNATURE)
        return true;
    uint8_t sum = 0;
    for (unsigned i = 0; i < ATA_IDENTIFY_BYTES; i++)
        sum = (uint8_t)(sum + raw[i]);
    return sum == 0;
}

/* Capacity and sector size of an ATA device; 0 or ERR_CORRUPT. */
static int parse_geometry(const char *name, const uint8_t *raw, struct ata_identify *id)
{
    uint64_t lba28 = (uint64_t)word(raw, W_LBA28) | ((uint64_t)word(raw, W_LBA28 + 1) << 16);
    uint64_t lba48 = 0;

    /* 1. Capacity: LBA48 words when the feature is there and plausible. */
    for (unsigned i = 0; i < 4; i++)
        lba48 |= (uint64_t)word(raw, W_LBA48 + i) << (16 * i);
    id->sectors = lba28;
    if (id->has_lba48) {
        if (lba48 > ATA_LBA48_LIMIT) {
            pr_warn("ata: %s: LBA48 capacity clamped (%llu sectors)", name,
                    (unsigned long long)lba48);
            lba48 = ATA_LBA48_LIMIT;
        }
        if (lba48 >= lba28)
            id->sectors = lba48;
        else
            pr_warn("ata: %s: LBA48 capacity below LBA28 (%llu < %llu), using LBA28", name,
                    (unsigned long long)lba48, (unsigned long long)lba28);
    }
    if (id->sectors == 0) {
        pr_err("ata: %s: IDENTIFY reports zero capacity", name);
        return ERR_CORRUPT;
    }
    /* 2. Logical sector size: words 117-118 count 16-bit words. */
    id->sector_bytes = SECTOR_BYTES_MIN;
    uint16_t info = word(raw, W_SECTOR_INFO);
    if ((info & WORD_VALID_MASK) == WORD_VALID && (info & SECTOR_INFO_LONG)) {
        uint32_t words = (uint32_t)word(raw, W_LOGICAL_SIZE) |
                         ((uint32_t)word(raw, W_LOGICAL_SIZE + 1) << 16);
        if (words > SECTOR_BYTES_MAX / 2 || words < SECTOR_BYTES_MIN / 2 ||
            !IS_POW2(words)) {
            pr_err("ata: %s: unsupported logical sector size (%lu words)", name,
                   (unsigned long)words);
            return ERR_CORRUPT;
        }
        id->sector_bytes = words * 2;
    }
    return 0;
}

int ata_identify_parse(const char *name, const uint8_t *raw, bool packet,
                       struct ata_identify *id)
{
    if (!name || !raw || !id)
        return ERR_INVAL;
    memset(id, 0, sizeof(*id));

    /* 1. Integrity word and the device kind in word 0. */
    if (!integrity_ok(raw)) {
        pr_err("ata: %s: IDENTIFY checksum mismatch (word 255 0x%04x)", name,
               word(raw, W_INTEGRITY));
        return ERR_CORRUPT;
    }
    uint16_t config = word(raw, W_CONFIG);
    if (packet != ((config & CONFIG_PACKET_MASK) == CONFIG_PACKET) ||
        (!packet && (config & CONFIG_NOT_ATA))) {
        pr_err("ata: %s: IDENTIFY word 0 does not match the device kind (0x%04x, packet %d)",
               name, config, packet);
        return ERR_CORRUPT;
    }
    id->is_packet = packet;
    id->packet_type = packet ? (uint8_t)((config >> 8) & 0x1F) : 0;

    /* 2. Strings. */
    copy_string(raw, W_MODEL, ATA_MODEL_MAX, id->model);
    copy_string(raw, W_SERIAL, ATA_SERIAL_MAX, id->serial);
    copy_string(raw, W_FIRMWARE, ATA_FIRMWARE_MAX, id->firmware);

    /* 3. Transfer modes: word 88 only when word 53 vouches for it. */
    uint16_t caps = word(raw, W_CAPS);
    id->has_dma = (caps & CAPS_DMA) != 0;
    id->mwdma_max = highest_bit(word(raw, W_MWDMA) & 0x7);
    id->udma_max = -1;
    id->udma_selected = -1;
    if (word(raw, W_VALID) & VALID_W88) {
        uint16_t udma = word(raw, W_UDMA);
        id->udma_max = highest_bit(udma & 0x7F);
        id->udma_selected = highest_bit((udma >> 8) & 0x7F);
    }
    if (packet) {
        id->sector_bytes = 2048;
        id->max_xfer_sectors = ATA_LBA28_MAX_XFER;
        return 0;
    }

    /* 4. ATA: LBA is required; command sets (valid only if bits 15:14 = 01b). */
    if (!(caps & CAPS_LBA)) {
        pr_err("ata: %s: CHS-only device not supported (word 49 0x%04x)", name, caps);
        return ERR_NOTSUP;
    }
    uint16_t set1 = word(raw, W_CMDSET1), set2 = word(raw, W_CMDSET2);
    if ((set2 & WORD_VALID_MASK) == WORD_VALID) {
        id->has_lba48 = (set2 & CMDSET2_LBA48) != 0;
        id->has_flush_ext = (set2 & CMDSET2_FLUSH_EXT) != 0;
        id->write_cache_supported = (set1 & CMDSET_WCACHE) != 0;
        id->write_cache_enabled = (word(raw, W_CMDEN1) & CMDSET_WCACHE) != 0;
    }
    id->multiple_max = word(raw, W_MULTIPLE) & 0xFF;
    uint16_t cur = word(raw, W_MULTIPLE_CUR);
    id->multiple_current = (cur & MULTIPLE_CUR_VALID) ? (cur & 0xFFu) : 0;
    id->max_xfer_sectors = id->has_lba48 ? ATA_LBA48_MAX_XFER : ATA_LBA28_MAX_XFER;

    /* 5. Capacity and logical sector size. */
    return parse_geometry(name, raw, id);
}

uint32_t ata_identify_multiple_pick(const struct ata_identify *id)
{
    if (!id || id->is_packet)
        return 0;
    uint32_t limit = MIN(id->multiple_max, ATA_MULTIPLE_LIMIT);
    uint32_t pick = 0;
    for (uint32_t n = 1; n <= limit; n <<= 1)
        pick = n;
    return pick >= 2 ? pick : 0; /* one sector per block gains nothing */
}
