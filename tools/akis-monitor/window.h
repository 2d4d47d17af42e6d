/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main window (GTK 4, main thread only).
 */
#ifndef AKIS_MONITOR_WINDOW_H
#define AKIS_MONITOR_WINDOW_H

#include <gtk/gtk.h>

#include "app.h"

void mon_window_build(struct mon_app *a);
/* A new snapshot from the worker: the window follows it. */
void mon_window_update(struct mon_app *a, struct mon_snapshot *s);

/* Certificate `cert` of reader `reader` to `path`, DER or PEM. */
bool mon_window_export(struct mon_app *a, size_t reader, size_t cert, bool pem, const char *path);

#endif
