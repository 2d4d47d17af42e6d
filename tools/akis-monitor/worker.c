/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card thread (see worker.h). PIN actions are akis-tool's, written
 * once in tools/akis-tool/pinflow.c: read the card, check the secrets on
 * the host (a malformed PIN never costs a try, docs/card.md §3), one
 * transaction for the change ended by LOGOUT (docs/design.md "Logout
 * hygiene"), counters re-read.
 */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "../akis-tool/pinflow.h"

struct mon_worker {
	GThread *thread;
	GAsyncQueue *jobs;
	gint stop;
	mon_snapshot_fn on_snapshot;
	mon_done_fn on_done;
	void *data;
	/* thread-owned */
	struct mon_card *cards;
	size_t n;
};

struct post {
	struct mon_worker *w;
	struct mon_snapshot *snap;
	struct mon_job_done *done;
};

void mon_snapshot_free(struct mon_snapshot *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		mon_card_clear(&s->cards[i]);
	free(s->cards);
	free(s);
}

static gboolean deliver(gpointer p)
{
	struct post *po = p;
	if (po->snap != NULL)
		po->w->on_snapshot(po->snap, po->w->data);
	if (po->done != NULL)
		po->w->on_done(po->done, po->w->data);
	free(po);
	return G_SOURCE_REMOVE;
}

static void post(struct mon_worker *w, struct mon_snapshot *snap, struct mon_job_done *done)
{
	struct post *po = calloc(1, sizeof(*po));
	if (po == NULL) {
		mon_snapshot_free(snap);
		if (done != NULL)
			free(done->r);
		free(done);
		return;
	}
	po->w = w;
	po->snap = snap;
	po->done = done;
	g_idle_add(deliver, po);
}

static void post_snapshot(struct mon_worker *w, bool pcsc_ok)
{
	struct mon_snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return;
	s->pcsc_ok = pcsc_ok;
	s->cards = calloc(w->n > 0 ? w->n : 1, sizeof(*s->cards));
	if (s->cards == NULL) {
		free(s);
		return;
	}
	for (size_t i = 0; i < w->n; i++)
		if (mon_card_copy(&s->cards[s->n], &w->cards[i]))
			s->n++;
	post(w, s, NULL);
}

/* ----- PIN actions: the shared card side (akis-tool's pinflow.c) ----- */

static enum tool_pin_op tool_op(enum mon_op op)
{
	switch (op) {
	case MON_OP_CHANGE_PIN:
		return TOOL_OP_CHANGE_PIN;
	case MON_OP_CHANGE_PUK:
		return TOOL_OP_CHANGE_PUK;
	case MON_OP_UNBLOCK:
		break;
	}
	return TOOL_OP_UNBLOCK;
}

static struct mon_job_done *run_job(struct mon_readers *m, const struct mon_job *job)
{
	struct akis_card *card = NULL;
	struct tool_pinflow_result fr;
	enum tool_pin_op op = tool_op(job->op);
	enum akis_pin_which bad = AKIS_PIN_USER;
	struct mon_job_done *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->r = calloc(1, sizeof(*d->r));
	d->res.op = job->op;
	d->res.tries = -1;
	if (d->r == NULL) {
		d->res.rv = AKIS_ERR_NO_MEMORY;
		return d;
	}
	d->res.rv = mon_readers_card_open(m, job->reader, &card, d->r);
	if (d->res.rv == AKIS_OK) {
		d->res.rv = tool_pinflow_check(card, op, job->cur, job->cur_len, job->nw,
		                               job->nw_len, &bad);
		d->res.min_len = d->res.rv != AKIS_OK ? card->pins[bad].min_len : 0;
		d->res.max_len = d->res.rv != AKIS_OK ? card->pins[bad].max_len : 0;
	}
	if (d->res.rv == AKIS_OK) {
		d->res.rv = tool_pinflow_run(card, op, job->cur, job->cur_len, job->nw, job->nw_len,
		                             &fr, d->r, time(NULL));
		d->res.tries = fr.tries;
	}
	akis_card_free(card);
	return d;
}

/* ----- following the readers ----- */

static struct mon_card *find_card(struct mon_card *cards, size_t n, const char *reader)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cards[i].r.reader, reader) == 0)
			return &cards[i];
	return NULL;
}

/* Poll once; re-read changed readers (and `force`, a reader name or ""). */
static bool follow(struct mon_worker *w, struct mon_readers *m, long wait_ms, const char *force,
                   bool first)
{
	bool changed[MON_READERS_MAX];
	size_t n = 0;
	if (!mon_readers_poll(m, wait_ms, changed, MON_READERS_MAX, &n))
		return false;
	struct mon_card *next = calloc(MON_READERS_MAX, sizeof(*next));
	if (next == NULL)
		return true;
	bool any = first || n != w->n;
	for (size_t i = 0; i < n; i++) {
		const char *name = mon_readers_name(m, i);
		struct mon_card *old = find_card(w->cards, w->n, name);
		if (!changed[i] && old != NULL && strcmp(force, name) != 0) {
			next[i] = *old;
			memset(old, 0, sizeof(*old)); /* moved */
			continue;
		}
		mon_readers_read(m, i, &next[i], time(NULL));
		any = true;
	}
	for (size_t i = 0; i < w->n; i++)
		mon_card_clear(&w->cards[i]);
	free(w->cards);
	w->cards = next;
	w->n = n;
	if (any)
		post_snapshot(w, true);
	return true;
}

static gpointer thread_main(gpointer p)
{
	struct mon_worker *w = p;
	struct mon_readers *m = NULL;
	bool first = true, said_down = false;
	char force[AKIS_READER_NAME_MAX] = "";
	while (!g_atomic_int_get(&w->stop)) {
		if (m == NULL && !mon_readers_open(&m)) {
			if (!said_down)
				post_snapshot(w, false);
			said_down = true;
			g_usleep(MON_POLL_MS * 1000);
			continue;
		}
		said_down = false;
		struct mon_job *job = g_async_queue_try_pop(w->jobs);
		if (job != NULL) {
			struct mon_job_done *d = run_job(m, job);
			snprintf(force, sizeof(force), "%s", job->reader);
			explicit_bzero(job, sizeof(*job));
			g_free(job); /* g_new0 in dialogs.c */
			if (d != NULL)
				post(w, NULL, d);
		}
		if (!follow(w, m, force[0] != '\0' || first ? 0 : MON_POLL_MS, force, first)) {
			mon_readers_close(m);
			m = NULL;
		}
		force[0] = '\0';
		first = false;
	}
	mon_readers_close(m);
	return NULL;
}

struct mon_worker *mon_worker_start(mon_snapshot_fn on_snapshot, mon_done_fn on_done, void *data)
{
	struct mon_worker *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->jobs = g_async_queue_new();
	w->on_snapshot = on_snapshot;
	w->on_done = on_done;
	w->data = data;
	w->thread = g_thread_new("akis-monitor-card", thread_main, w);
	return w;
}

void mon_worker_submit(struct mon_worker *w, struct mon_job *job)
{
	g_async_queue_push(w->jobs, job);
}

void mon_worker_stop(struct mon_worker *w)
{
	if (w == NULL)
		return;
	g_atomic_int_set(&w->stop, 1);
	g_thread_join(w->thread);
	struct mon_job *job;
	while ((job = g_async_queue_try_pop(w->jobs)) != NULL) {
		explicit_bzero(job, sizeof(*job));
		g_free(job);
	}
	g_async_queue_unref(w->jobs);
	for (size_t i = 0; i < w->n; i++)
		mon_card_clear(&w->cards[i]);
	free(w->cards);
	free(w);
}
