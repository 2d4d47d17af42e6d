/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * watch (R42): report reader and card changes live, as text or as JSON
 * Lines (one object per line). Ends cleanly on SIGINT/SIGTERM: the handler
 * only sets a flag, and the wait wakes up at least every WATCH_TICK_MS to
 * look at it (akis_readers_cancel is not async-signal-safe).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "card.h"
#include "tool.h"

#define WATCH_TICK_MS 300

static volatile sig_atomic_t watch_stop;

static void on_stop(int sig)
{
	(void)sig;
	watch_stop = 1;
}

enum watch_event { EV_INITIAL, EV_READER_ADDED, EV_READER_REMOVED, EV_INSERTED, EV_REMOVED };

static const char *const event_names[] = {
        [EV_INITIAL] = "initial",
        [EV_READER_ADDED] = "reader_added",
        [EV_READER_REMOVED] = "reader_removed",
        [EV_INSERTED] = "card_inserted",
        [EV_REMOVED] = "card_removed",
};

static const char *const event_texts[] = {
        [EV_INITIAL] = N_("reader found"),
        [EV_READER_ADDED] = N_("reader connected"),
        [EV_READER_REMOVED] = N_("reader disconnected"),
        [EV_INSERTED] = N_("card inserted"),
        [EV_REMOVED] = N_("card removed"),
};

struct watch {
	const struct tool_opts *o;
	struct akis_readers *pc;
	struct akis_reader known[AKIS_READERS_MAX];
	size_t n_known;
	struct tool_report *r;
};

/* Text summary on insertion: holder, each certificate, warnings. */
/* "valid until DATE" / "expired on DATE" / "valid from DATE". */
static void validity_line(const struct tool_cert *c, time_t now)
{
	const char *fmt = _("valid until %s");
	time_t t = c->not_after;
	char d[32];
	switch (tool_cert_validity(c, now)) {
	case TOOL_VALID:
		break;
	case TOOL_EXPIRED:
		fmt = _("expired on %s");
		break;
	case TOOL_NOT_YET_VALID:
		fmt = _("valid from %s");
		t = c->not_before;
		break;
	}
	tool_time_text(t, d, sizeof(d));
	fputs(" - ", stdout);
	printf(fmt, d);
	putchar('\n');
}

/* Text summary on insertion: holder, each certificate, warnings. */
static void summary_text(const struct tool_report *r, time_t now)
{
	if (!r->is_akis) {
		printf("  %s\n", _("not an AKİS card"));
		return;
	}
	if (r->has_error)
		printf("  %s: %s\n", _("Error"), tool_rv_text(r->error));
	for (size_t i = 0; i < r->n_certs; i++) {
		const struct tool_cert *c = &r->certs[i];
		if (!c->parsed)
			continue;
		printf("  [%zu] ", i + 1);
		tool_fput_safe(stdout, c->holder);
		if (c->subject_serial[0] != '\0') {
			fputs(" (", stdout);
			tool_fput_safe(stdout, c->subject_serial);
			fputs(")", stdout);
		}
		validity_line(c, now);
	}
	for (size_t i = 0; i < r->n_warnings; i++) {
		char msg[TOOL_WARN_TEXT_MAX];
		tool_warning_text(r, &r->warnings[i], msg, sizeof(msg));
		printf("  ! %s\n", msg);
	}
}

static void emit(struct watch *w, enum watch_event ev, const struct akis_reader *rd, bool card)
{
	time_t now = time(NULL);
	char t[32];
	if (card) {
		tool_report_read(rd, w->r, now);
	} else {
		memset(w->r, 0, sizeof(*w->r));
		snprintf(w->r->reader, sizeof(w->r->reader), "%s", rd->name);
	}
	if (w->o->json) {
		struct json j;
		json_init(&j, stdout, false);
		json_obj_begin(&j);
		tool_time_iso(now, t, sizeof(t));
		json_kstr(&j, "event", event_names[ev]);
		json_kstr(&j, "time", t);
		tool_report_json_fields(&j, w->r, now);
		json_obj_end(&j);
		putchar('\n');
	} else {
		tool_time_text(now, t, sizeof(t));
		printf("[%s] %s: ", t, _(event_texts[ev]));
		tool_fput_safe(stdout, rd->name);
		putchar('\n');
		if (card)
			summary_text(w->r, now);
	}
	fflush(stdout);
}

static const struct akis_reader *find(const struct akis_reader *rd, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rd[i].name, name) == 0)
			return &rd[i];
	return NULL;
}

static bool has_card(const struct akis_reader *rd)
{
	return rd != NULL && (rd->state & AKIS_READER_PRESENT) != 0;
}

/* Compare the new list with the known one and report the differences. */
static void diff(struct watch *w, const struct akis_reader *now, size_t n)
{
	for (size_t i = 0; i < w->n_known; i++) {
		const struct akis_reader *old = &w->known[i];
		const struct akis_reader *cur = find(now, n, old->name);
		bool swapped = has_card(cur) && cur->event_counter != old->event_counter;
		if (has_card(old) && (!has_card(cur) || swapped))
			emit(w, EV_REMOVED, old, false);
		if (cur == NULL)
			emit(w, EV_READER_REMOVED, old, false);
	}
	for (size_t i = 0; i < n; i++) {
		const struct akis_reader *cur = &now[i];
		const struct akis_reader *old = find(w->known, w->n_known, cur->name);
		if (!tool_reader_matches(cur->name, w->o->reader))
			continue;
		if (old == NULL)
			emit(w, EV_READER_ADDED, cur, false);
		bool swapped = has_card(old) && cur->event_counter != old->event_counter;
		if (has_card(cur) && (!has_card(old) || swapped))
			emit(w, EV_INSERTED, cur, true);
	}
}

static void set_known(struct watch *w, const struct akis_reader *rd, size_t n)
{
	w->n_known = 0;
	for (size_t i = 0; i < n; i++)
		if (tool_reader_matches(rd[i].name, w->o->reader))
			w->known[w->n_known++] = rd[i];
}

/* pcscd went away: wait for it to come back (R35), or for a stop. */
static bool reopen(struct watch *w)
{
	akis_readers_close(w->pc);
	w->pc = NULL;
	while (!watch_stop) {
		if (akis_readers_open(&w->pc) == AKIS_OK)
			return true;
		w->pc = NULL;
		usleep(WATCH_TICK_MS * 1000);
	}
	return false;
}

static int watch_loop(struct watch *w)
{
	struct akis_reader now[AKIS_READERS_MAX];
	size_t n = 0;
	while (!watch_stop) {
		akis_rv rv = akis_readers_wait(w->pc, w->known, w->n_known, WATCH_TICK_MS);
		if (watch_stop || rv == AKIS_ERR_CANCELLED)
			break;
		if (rv == AKIS_ERR_TIMEOUT)
			continue;
		if (rv != AKIS_OK && !akis_readers_valid(w->pc) && !reopen(w))
			break;
		if (akis_readers_list(w->pc, now, AKIS_READERS_MAX, &n) != AKIS_OK) {
			n = 0; /* treated as every reader gone */
			usleep(WATCH_TICK_MS * 1000);
		}
		diff(w, now, n);
		set_known(w, now, n);
	}
	return TOOL_EXIT_OK;
}

int cmd_watch(const struct tool_opts *o)
{
	struct watch w;
	struct sigaction sa, old_int, old_term;
	memset(&w, 0, sizeof(w));
	memset(&sa, 0, sizeof(sa));
	w.o = o;
	w.r = calloc(1, sizeof(*w.r));
	if (w.r == NULL)
		return TOOL_EXIT_ERROR;
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int ex = tool_pcsc_open(&w.pc);
	struct akis_reader rd[AKIS_READERS_MAX];
	size_t n = 0;
	if (ex == TOOL_EXIT_OK)
		ex = tool_readers(w.pc, rd, AKIS_READERS_MAX, &n);
	if (ex != TOOL_EXIT_OK)
		goto out;
	set_known(&w, rd, n);
	for (size_t i = 0; i < w.n_known; i++)
		emit(&w, EV_INITIAL, &w.known[i], has_card(&w.known[i]));
	if (!o->json) {
		printf("%s\n", _("Watching for cards; press Ctrl-C to stop."));
		fflush(stdout);
	}
	ex = watch_loop(&w);
out:
	if (w.pc != NULL)
		akis_readers_close(w.pc);
	free(w.r);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return ex;
}
