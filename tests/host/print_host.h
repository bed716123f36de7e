/* SPDX-License-Identifier: MIT */
/* Capture of kprintf output in unit tests: begin, run commands, read the text
 * (valid until the next begin), end. */
#ifndef TESTS_HOST_PRINT_HOST_H
#define TESTS_HOST_PRINT_HOST_H

void print_host_capture_begin(void);
const char *print_host_captured(void);
void print_host_capture_end(void);

#endif
