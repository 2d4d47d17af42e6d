/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PIN dialogs: change PIN, unblock with the PUK, change PUK (GTK 4,
 * main thread only; the card work is the worker's).
 */
#ifndef AKIS_MONITOR_DIALOGS_H
#define AKIS_MONITOR_DIALOGS_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

void mon_dialog_open(struct mon_app *a, enum mon_op op, size_t reader);
void mon_dialog_done(struct mon_app *a, struct mon_job_done *d);
/* Test hook: one scripted step on the open dialog ("set new 1234", "ok"). */
bool mon_dialog_script(struct mon_app *a, const char *line);

#endif
