// SPDX-License-Identifier: MIT
/* VGA text console (see vga.h). Handles \n, \r, \b and tabs; other control
 * characters and ANSI escape sequences (from the line editor) are skipped. */
#include "kernel/console/vga.h"
#include "kernel/hwio.h"
#include "kernel/lib/kstring.h"

#define VGA_TEXT_PHYS 0xB8000
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_ATTR 0x07 /* light grey on black */
#define VGA_CRTC_INDEX 0x3D4
#define VGA_CRTC_DATA 0x3D5
#define VGA_CRTC_CURSOR_HI 0x0E
#define VGA_CRTC_CURSOR_LO 0x0F

static struct {
    volatile uint16_t *text; /* the text buffer, identity-mapped */
    unsigned row, col;
    bool in_escape;          /* inside an ESC [ ... sequence */
} vga_state;

static void vga_put_cell(unsigned row, unsigned col, char c)
{
    vga_state.text[row * VGA_COLS + col] = (uint16_t)((VGA_ATTR << 8) | (uint8_t)c);
}

static void vga_scroll(void)
{
    for (unsigned i = 0; i < (VGA_ROWS - 1) * VGA_COLS; i++)
        vga_state.text[i] = vga_state.text[i + VGA_COLS];
    for (unsigned c = 0; c < VGA_COLS; c++)
        vga_put_cell(VGA_ROWS - 1, c, ' ');
}

static void vga_move_cursor(void)
{
    unsigned pos = vga_state.row * VGA_COLS + vga_state.col;
    outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_HI);
    outb(VGA_CRTC_DATA, (uint8_t)(pos >> 8));
    outb(VGA_CRTC_INDEX, VGA_CRTC_CURSOR_LO);
    outb(VGA_CRTC_DATA, (uint8_t)pos);
}

void vga_init(void)
{
    vga_state.text = (volatile uint16_t *)VGA_TEXT_PHYS;
    for (unsigned r = 0; r < VGA_ROWS; r++)
        for (unsigned c = 0; c < VGA_COLS; c++)
            vga_put_cell(r, c, ' ');
    vga_state.row = vga_state.col = 0;
    vga_move_cursor();
}

static void vga_putc(char c)
{
    if (vga_state.in_escape) {
        /* An escape sequence ends at its first letter. */
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
            vga_state.in_escape = false;
        return;
    }
    switch (c) {
    case '\033':
        vga_state.in_escape = true;
        return;
    case '\n':
        vga_state.col = 0;
        vga_state.row++;
        break;
    case '\r':
        vga_state.col = 0;
        break;
    case '\b':
        if (vga_state.col > 0)
            vga_state.col--;
        break;
    case '\t':
        vga_state.col = (vga_state.col + 8) & ~7u;
        break;
    default:
        if ((unsigned char)c < ' ')
            return;
        vga_put_cell(vga_state.row, vga_state.col, c);
        vga_state.col++;
        break;
    }
    if (vga_state.col >= VGA_COLS) {
        vga_state.col = 0;
        vga_state.row++;
    }
    if (vga_state.row >= VGA_ROWS) {
        vga_scroll();
        vga_state.row = VGA_ROWS - 1;
    }
}

void vga_write(const char *text, size_t len)
{
    if (!vga_state.text)
        return;
    for (size_t i = 0; i < len; i++)
        vga_putc(text[i]);
    vga_move_cursor();
}
