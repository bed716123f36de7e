/* SPDX-License-Identifier: MIT */
/* Line editor for the serial console, as a byte-at-a-time state machine so it
 * is unit-testable: feed each received byte; the editor echoes through a
 * callback and says when a line is complete.
 * Keys: printable bytes (and UTF-8) insert, Tab inserts a space; Backspace/DEL
 * erase one character (a whole UTF-8 sequence); Ctrl-U kills the line; Ctrl-C
 * cancels it; Up/Down (ESC [ A / ESC [ B, or ESC O A / ESC O B) walk the
 * history. Other control bytes and escape sequences are ignored; a control
 * byte inside an escape sequence ends it and then acts as itself.
 * Line ends: CR, LF and CRLF each end exactly one line (terminals send CR; a
 * LF right after a CR is swallowed, so LF CR ends two lines).
 * Echo: inserted bytes as typed, "\n" at a line end, "^C\n" on Ctrl-C, and
 * "\b \b" per erased character (one column per UTF-8 character).
 * Lines longer than LINEEDIT_MAX - 1 bytes keep their first LINEEDIT_MAX - 1
 * bytes; further bytes are dropped without echo. Empty lines and repeats of
 * the newest history entry are not added to the history.
 * Context: one caller at a time (the console thread); no locking inside. */
#ifndef KERNEL_LIB_LINEEDIT_H
#define KERNEL_LIB_LINEEDIT_H

#include "kernel/types.h"

#define LINEEDIT_MAX 1024   /* bytes per line including the NUL */
#define LINEEDIT_HISTORY 16 /* remembered lines */

typedef void (*lineedit_echo_fn)(const char *text, size_t len, void *ctx);

enum lineedit_status {
    LINEEDIT_MORE = 0,  /* keep feeding */
    LINEEDIT_DONE = 1,  /* le->buf holds a finished line */
    LINEEDIT_CANCEL = 2 /* Ctrl-C: the line was discarded */
};

struct lineedit {
    char buf[LINEEDIT_MAX]; /* the line being edited, NUL-terminated */
    size_t len;
    bool after_cr;          /* last line ended by CR: swallow one LF */
    int esc;                /* 0 none, 1 got ESC, 2 got ESC [ */
    char history[LINEEDIT_HISTORY][LINEEDIT_MAX];
    unsigned hist_count;    /* lines stored (<= LINEEDIT_HISTORY) */
    unsigned hist_next;     /* slot the next line goes to */
    unsigned hist_pos;      /* 0 = editing a new line, k = k-th newest */
    lineedit_echo_fn echo;
    void *echo_ctx;
};

void lineedit_init(struct lineedit *le, lineedit_echo_fn echo, void *ctx);
/* Start a new line: call after DONE (CANCEL already resets). */
void lineedit_reset(struct lineedit *le);
/* Feed one received byte. Returns LINEEDIT_DONE when le->buf holds a finished
 * line (le->len bytes), LINEEDIT_CANCEL after Ctrl-C, else LINEEDIT_MORE. */
enum lineedit_status lineedit_feed(struct lineedit *le, char c);

#endif
