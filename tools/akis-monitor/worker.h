/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card thread: all card I/O of the monitor runs here, never on the GTK
 * main thread. It follows the readers (a change is seen within
 * MON_POLL_MS) and runs PIN actions; results go to the main loop with
 * g_idle_add.
 */
#ifndef AKIS_MONITOR_WORKER_H
#define AKIS_MONITOR_WORKER_H

#include <glib.h>

#include "model.h"
#include "readers.h"

#define MON_POLL_MS 250

struct mon_snapshot {
	bool pcsc_ok; /* pcscd reachable */
	size_t n;
	struct mon_card *cards; /* n entries */
};
void mon_snapshot_free(struct mon_snapshot *s);

/* A PIN action. Secrets in fixed buffers, wiped by the worker after use. */
struct mon_job {
	enum mon_op op;
	char reader[AKIS_READER_NAME_MAX];
	char cur[AKIS_PIN_MAX + 1]; /* PIN, or PUK for change-puk / unblock */
	size_t cur_len;
	char nw[AKIS_PIN_MAX + 1]; /* the new PIN (unblock, change-pin) or PUK */
	size_t nw_len;
};

struct mon_job_done {
	struct mon_op_result res;
	struct tool_report *r; /* the card after the action (counters re-read) */
};

/* Called on the main loop; they take ownership of their argument. */
typedef void (*mon_snapshot_fn)(struct mon_snapshot *s, void *data);
typedef void (*mon_done_fn)(struct mon_job_done *d, void *data);

struct mon_worker;
struct mon_worker *mon_worker_start(mon_snapshot_fn on_snapshot, mon_done_fn on_done, void *data);
/* Queue a job (ownership moves; the worker wipes and frees it). */
void mon_worker_submit(struct mon_worker *w, struct mon_job *job);
/* Stop and join (no callback runs after this returns... except ones queued). */
void mon_worker_stop(struct mon_worker *w);

#endif
