/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the monitor's window and dialogs share: the application state, and
 * the test hook that writes the view (AKIS_MONITOR_TEST_DUMP). Main thread
 * only.
 */
#ifndef AKIS_MONITOR_APP_H
#define AKIS_MONITOR_APP_H

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
	const char *dialog_kind;   /* its kind for the test dump, NULL: none */
	char result_text[TOOL_WARN_TEXT_MAX];
	const char *result_code; /* NULL: no action yet */
	GHashTable *notified;    /* "serial/cert" already notified */
	unsigned notifications;
	const char *dump_path; /* AKIS_MONITOR_TEST_DUMP */
};

/* Write the view for tests, if asked for (AKIS_MONITOR_TEST_DUMP). */
void mon_app_dump(struct mon_app *a);

#endif
