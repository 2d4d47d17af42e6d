/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis-tool: shared declarations of the card monitor (R40-R43).
 *
 * The tool reaches readers and cards only through akis/ (akis/reader.h,
 * akis/akis.h; docs/design.md "Layers"); it builds no APDU.
 */
#ifndef AKIS_TOOL_TOOL_H
#define AKIS_TOOL_TOOL_H

#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>

#include "../../akis/akis.h"

#define _(s)     gettext(s)
#define N_(s)    (s)

#define TOOL_WUR __attribute__((warn_unused_result))

/* The one place of the version (akis-tool.mk reads it for the .pot). */
#define AKIS_TOOL_VERSION "0.1.0"

/* Exit codes: documented in --help (main.c) and in akis-tool.1. */
enum tool_exit {
	TOOL_EXIT_OK = 0,
	TOOL_EXIT_USAGE = 1,     /* bad command line, malformed PIN, several cards */
	TOOL_EXIT_NO_CARD = 2,   /* no pcscd, no reader, no (AKİS) card, card removed */
	TOOL_EXIT_WRONG_PIN = 3, /* the card said wrong PIN / PUK */
	TOOL_EXIT_BLOCKED = 4,   /* the PIN is blocked */
	TOOL_EXIT_DEAD = 5,      /* PUK blocked / life cycle AA: the card must be replaced */
	TOOL_EXIT_ERROR = 6,     /* any other error */
	TOOL_EXIT_CANCELLED = 7, /* the user answered no, or interrupted */
};

/* Longest secret accepted from any source (the card's own range is checked
 * by akis_pin_check; this only bounds the buffers). */
#define TOOL_PIN_MAX AKIS_PIN_MAX

struct tool_opts {
	bool json;
	bool yes;
	bool pin_stdin;
	const char *reader; /* --reader NAME */
	const char *module; /* --module PATH (setup, doctor) */
	bool remove;        /* setup --remove */
	bool system;        /* setup --system */
	/* --pin / --new-pin / --puk / --new-puk: copied into fixed buffers,
	 * argv is wiped (main.c). NULL when not given. */
	char *pin;
	char *new_pin;
	char *puk;
	char *new_puk;
};

int cmd_status(const struct tool_opts *o);
int cmd_readers(const struct tool_opts *o);
int cmd_watch(const struct tool_opts *o);
int cmd_change_pin(const struct tool_opts *o);
int cmd_change_puk(const struct tool_opts *o);
int cmd_unblock(const struct tool_opts *o);
int cmd_setup(const struct tool_opts *o);
int cmd_doctor(const struct tool_opts *o);

#endif
