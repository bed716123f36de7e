// SPDX-License-Identifier: MIT
/* Console line editor state machine (see lineedit.h). */
#include "kernel/lib/lineedit.h"
#include "kernel/lib/kstring.h"

#define KEY_CTRL_C 0x03
#define KEY_BS 0x08
#define KEY_CTRL_U 0x15
#define KEY_ESC 0x1B
#define KEY_DEL 0x7F

static void le_echo(struct lineedit *le, const char *text, size_t len)
{
    if (le->echo)
        le->echo(text, len, le->echo_ctx);
}

static void le_erase_chars(struct lineedit *le, size_t count)
{
    for (size_t i = 0; i < count; i++)
        le_echo(le, "\b \b", 3);
}

/* Characters (terminal columns) in the line: UTF-8 continuation bytes do
 * not take a column of their own. */
static size_t le_columns(const struct lineedit *le)
{
    size_t cols = 0;
    for (size_t i = 0; i < le->len; i++) {
        if (((unsigned char)le->buf[i] & 0xC0) != 0x80)
            cols++;
    }
    return cols;
}

void lineedit_init(struct lineedit *le, lineedit_echo_fn echo, void *ctx)
{
    memset(le, 0, sizeof(*le));
    le->echo = echo;
    le->echo_ctx = ctx;
}

void lineedit_reset(struct lineedit *le)
{
    le->len = 0;
    le->buf[0] = '\0';
    le->esc = 0;
    le->hist_pos = 0;
}

/* Remember a finished, non-empty line that differs from the newest entry. */
static void le_history_add(struct lineedit *le)
{
    if (le->len == 0)
        return;
    if (le->hist_count > 0) {
        unsigned newest = (le->hist_next + LINEEDIT_HISTORY - 1) % LINEEDIT_HISTORY;
        if (strcmp(le->history[newest], le->buf) == 0)
            return;
    }
    kstrlcpy(le->history[le->hist_next], le->buf, LINEEDIT_MAX);
    le->hist_next = (le->hist_next + 1) % LINEEDIT_HISTORY;
    if (le->hist_count < LINEEDIT_HISTORY)
        le->hist_count++;
}

/* Replace the visible line with history entry `pos` (0 = empty new line). */
static void le_history_show(struct lineedit *le, unsigned pos)
{
    le_erase_chars(le, le_columns(le));
    if (pos == 0) {
        le->len = 0;
    } else {
        unsigned slot = (le->hist_next + LINEEDIT_HISTORY - pos) % LINEEDIT_HISTORY;
        le->len = kstrlcpy(le->buf, le->history[slot], LINEEDIT_MAX);
    }
    le->buf[le->len] = '\0';
    le->hist_pos = pos;
    le_echo(le, le->buf, le->len);
}

static enum lineedit_status le_escape(struct lineedit *le, char c)
{
    if (le->esc == 1) {
        le->esc = (c == '[' || c == 'O') ? 2 : 0; /* CSI, or SS3 in application mode */
        return LINEEDIT_MORE;
    }
    /* esc == 2: the final byte of ESC [ x; digits/semicolons continue it. */
    if ((c >= '0' && c <= '9') || c == ';')
        return LINEEDIT_MORE;
    le->esc = 0;
    if (c == 'A' && le->hist_pos < le->hist_count)
        le_history_show(le, le->hist_pos + 1);
    else if (c == 'B' && le->hist_pos > 0)
        le_history_show(le, le->hist_pos - 1);
    return LINEEDIT_MORE;
}

enum lineedit_status lineedit_feed(struct lineedit *le, char c)
{
    /* 1. A LF right after a CR-terminated line belongs to that line. */
    if (le->after_cr) {
        le->after_cr = false;
        if (c == '\n')
            return LINEEDIT_MORE;
    }
    /* A control byte ends an escape sequence and then acts as itself, so a
     * stray ESC cannot swallow Enter or Ctrl-C. */
    if (le->esc && (unsigned char)c >= ' ')
        return le_escape(le, c);
    le->esc = 0;
    /* 2. Line ends and control keys. */
    switch (c) {
    case '\r':
    case '\n':
        le->after_cr = (c == '\r');
        le->buf[le->len] = '\0';
        le_echo(le, "\n", 1);
        le_history_add(le);
        return LINEEDIT_DONE;
    case KEY_CTRL_C:
        le_echo(le, "^C\n", 3);
        lineedit_reset(le);
        return LINEEDIT_CANCEL;
    case KEY_BS:
    case KEY_DEL:
        if (le->len > 0) {
            le->len--;
            /* Erase a whole UTF-8 sequence: drop continuation bytes too. */
            while (le->len > 0 && ((unsigned char)le->buf[le->len] & 0xC0) == 0x80)
                le->len--;
            le->buf[le->len] = '\0';
            le_erase_chars(le, 1);
        }
        return LINEEDIT_MORE;
    case KEY_CTRL_U:
        le_erase_chars(le, le_columns(le));
        le->len = 0;
        le->buf[0] = '\0';
        return LINEEDIT_MORE;
    case KEY_ESC:
        le->esc = 1;
        return LINEEDIT_MORE;
    case '\t':
        c = ' ';
        break;
    default:
        break;
    }
    /* 3. Other control bytes are ignored; the rest is inserted if it fits. */
    if ((unsigned char)c < ' ')
        return LINEEDIT_MORE;
    if (le->len + 1 < LINEEDIT_MAX) {
        le->buf[le->len++] = c;
        le->buf[le->len] = '\0';
        le_echo(le, &c, 1);
    }
    return LINEEDIT_MORE;
}
