/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading secrets and answers (R41): from the terminal (/dev/tty) without
 * echo, the terminal restored on every way out (including SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT); or from stdin for scripts (--pin-stdin). Bytes are read
 * one by one with read(2) straight into the caller's fixed buffer: no stdio
 * buffer holds a copy of a PIN.
 */
#ifndef AKIS_TOOL_PROMPT_H
#define AKIS_TOOL_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

enum prompt_rv {
	PROMPT_OK,
	PROMPT_NO_TTY,   /* no controlling terminal */
	PROMPT_EOF,      /* end of input before a newline-terminated line */
	PROMPT_TOO_LONG, /* the line did not fit (consumed and dropped) */
	PROMPT_IO,       /* read/terminal error */
};

/* Ask `prompt` on the terminal and read one line without echo into buf
 * (NUL-terminated, *len without the newline). */
enum prompt_rv prompt_secret(const char *prompt, char *buf, size_t cap, size_t *len)
        __attribute__((warn_unused_result));

/* Read one line from fd (0 for stdin) into buf without echo handling. */
enum prompt_rv prompt_read_line(int fd, char *buf, size_t cap, size_t *len)
        __attribute__((warn_unused_result));

/* Ask a yes/no question on the terminal; the answer is matched against the
 * locale's yes expression (rpmatch: y in English, e in Turkish). Anything
 * else, including an empty line, is no. */
enum prompt_rv prompt_confirm(const char *question, bool *yes) __attribute__((warn_unused_result));

#endif
