/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main window and the PIN dialogs (GTK 4, main thread only).
 */
#ifndef AKIS_MONITOR_WINDOW_H
#define AKIS_MONITOR_WINDOW_H

#include <gtk/gtk.h>

#include "worker.h"

struct mon_dialog; /* the open PIN dialog (dialogs.c) */

struct mon_app {
	GtkApplication *app;
	GtkWidget *win;
	GtkWidget *box; /* one frame per reader */
	struct mon_worker *worker;
	struct mon_snapshot *snap; /* what the window shows */
	struct mon_dialog *dialog; /* NULL: none open */
	char result_text[TOOL_WARN_TEXT_MAX];
	const char *result_code; /* NULL: no action yet */
	GHashTable *notified;    /* "serial/cert" already notified */
	unsigned notifications;
	const char *dump_path; /* AKIS_MONITOR_TEST_DUMP */
};

void mon_window_build(struct mon_app *a);
/* A new snapshot from the worker: the window follows it. */
void mon_window_update(struct mon_app *a, struct mon_snapshot *s);
/* Write the view for tests, if asked for (AKIS_MONITOR_TEST_DUMP). */
void mon_window_dump(struct mon_app *a);

/* Certificate `cert` of reader `reader` to `path`, DER or PEM. */
bool mon_window_export(struct mon_app *a, size_t reader, size_t cert, bool pem, const char *path);

/* dialogs.c */
void mon_dialog_open(struct mon_app *a, enum mon_op op, size_t reader);
void mon_dialog_done(struct mon_app *a, struct mon_job_done *d);
const char *mon_dialog_kind(const struct mon_app *a);
/* Test hook: one scripted step on the open dialog ("set new 1234", "ok"). */
bool mon_dialog_script(struct mon_app *a, const char *line);

#endif
