/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers and cards for akis-tool. Every card operation runs inside one
 * PC/SC transaction (akis_begin/akis_end, docs/design.md "Transactions"), held
 * only for the operation, never while a person types.
 */
#include "card.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tool_err(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("akis-tool: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tool_pcsc_open(struct akis_readers **pc)
{
	akis_rv rv = akis_readers_open(pc);
	if (rv == AKIS_OK)
		return TOOL_EXIT_OK;
	tool_err("%s", tool_rv_text(rv));
	return tool_exit_from_rv(rv);
}

int tool_readers(struct akis_readers *pc, struct akis_reader *rd, size_t cap, size_t *n)
{
	akis_rv rv = akis_readers_list(pc, rd, cap, n);
	if (rv == AKIS_OK)
		return TOOL_EXIT_OK;
	tool_err("%s", tool_rv_text(rv));
	return tool_exit_from_rv(rv);
}

bool tool_reader_matches(const char *name, const char *want)
{
	if (want == NULL)
		return true;
	return strcmp(name, want) == 0 || strstr(name, want) != NULL;
}

static void hex(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len && o + 3 <= cap; i++, o += 2)
		snprintf(out + o, cap - o, "%02X", p[i]);
}

static void pin_state(const struct akis_pin_state *st, struct tool_pin_state *s)
{
	s->known = st->known;
	s->blocked = st->blocked;
	s->verified = st->verified;
	s->tries_left = st->known ? st->tries_left : -1;
}

/* The counters, in the caller's transaction (never spends a try). */
static akis_rv pins_tx(struct akis_card *card, struct tool_report *r)
{
	struct akis_pin_state st[2];
	akis_rv rv = akis_pin_state_tx(card, AKIS_PIN_USER, &st[AKIS_PIN_USER]);
	if (rv == AKIS_OK)
		rv = akis_pin_state_tx(card, AKIS_PIN_SO, &st[AKIS_PIN_SO]);
	if (rv != AKIS_OK)
		return rv;
	pin_state(&st[AKIS_PIN_USER], &r->pin);
	pin_state(&st[AKIS_PIN_SO], &r->puk);
	return AKIS_OK;
}

static void copy_card(const struct akis_card *card, struct tool_report *r)
{
	r->serial_len = card->serial_len <= sizeof(r->serial) ? card->serial_len : 0;
	memcpy(r->serial, card->serial, r->serial_len);
	r->life_cycle = card->life_cycle;
	memcpy(r->token_label, card->token_label, sizeof(r->token_label));
	r->token_label[sizeof(r->token_label) - 1] = '\0';
	r->n_certs = card->n_certs <= AKIS_MAX_CERTS ? card->n_certs : AKIS_MAX_CERTS;
	for (size_t i = 0; i < r->n_certs; i++) {
		const struct akis_cert *ac = &card->certs[i];
		struct tool_cert *c = &r->certs[i];
		memset(c, 0, sizeof(*c));
		memcpy(c->label, ac->label, sizeof(c->label) - 1);
		hex(ac->id, ac->id_len <= AKIS_ID_MAX ? ac->id_len : 0, c->id_hex,
		    sizeof(c->id_hex));
		c->authority = ac->authority;
		if (!tool_cert_parse(ac->der, ac->der_len, c))
			c->parsed = false;
	}
}

/* Bind and read the counters: the caller holds the transaction. */
static akis_rv read_card_tx(struct akis_card *card, struct tool_report *r)
{
	struct akis_pin_state st[2];
	akis_rv rv = akis_card_read_tx(card, NULL, st, true); /* the life cycle is shown */
	if (rv != AKIS_OK && rv != AKIS_ERR_DEAD)
		return rv;
	copy_card(card, r);
	r->bound = true;
	if (rv == AKIS_ERR_DEAD) { /* the life cycle says it all: no PIN state shown */
		r->life_cycle = TOOL_LC_DEAD;
		return rv;
	}
	pin_state(&st[AKIS_PIN_USER], &r->pin);
	pin_state(&st[AKIS_PIN_SO], &r->puk);
	return rv;
}

static akis_rv read_card(struct akis_card *card, struct tool_report *r, time_t now)
{
	bool was_reset = false;
	akis_rv rv = akis_begin(card, &was_reset);
	if (rv != AKIS_OK)
		return rv;
	rv = read_card_tx(card, r);
	akis_end(card);
	tool_report_warnings(r, now);
	return rv;
}

akis_rv tool_card_refresh(struct akis_card *card, struct tool_report *r, time_t now)
{
	bool was_reset = false;
	akis_rv rv = akis_begin(card, &was_reset);
	if (rv != AKIS_OK)
		return rv;
	rv = pins_tx(card, r);
	akis_end(card);
	tool_report_warnings(r, now);
	return rv;
}

static void report_reader(const struct akis_reader *rd, struct tool_report *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->reader, sizeof(r->reader), "%s", rd->name);
	r->present = (rd->state & AKIS_READER_PRESENT) != 0;
	r->pin.tries_left = r->puk.tries_left = -1;
	if (!r->present)
		return;
	r->atr_len = rd->atr_len <= sizeof(r->atr) ? rd->atr_len : 0;
	memcpy(r->atr, rd->atr, r->atr_len);
	r->is_akis = akis_atr_match(r->atr, r->atr_len, &r->info);
}

void tool_report_read(const struct akis_reader *rd, struct tool_report *r, time_t now)
{
	struct akis_card *card = NULL;
	report_reader(rd, r);
	if (!r->present || !r->is_akis)
		return;
	akis_rv rv = akis_card_open(r->reader, &r->info, &card);
	if (rv == AKIS_OK)
		rv = read_card(card, r, now);
	if (rv != AKIS_OK) {
		r->has_error = true;
		r->error = rv;
		tool_report_warnings(r, now);
	}
	akis_card_free(card);
}

/* Index of the one reader holding an AKİS card that matches `want`;
 * says why not unless quiet. */
static int pick_reader(const struct akis_reader *rd, size_t n, const char *want, size_t *pick,
                       bool quiet)
{
	size_t found = 0, exact = 0;
	bool have_exact = false;
	for (size_t i = 0; i < n; i++) {
		if (want != NULL && strcmp(rd[i].name, want) == 0) {
			have_exact = true;
			exact = i;
		}
		struct akis_atr_info info;
		if (!tool_reader_matches(rd[i].name, want) ||
		    !(rd[i].state & AKIS_READER_PRESENT) ||
		    !akis_atr_match(rd[i].atr, rd[i].atr_len, &info))
			continue;
		if (found++ == 0)
			*pick = i;
	}
	if (have_exact) {
		*pick = exact;
		return TOOL_EXIT_OK;
	}
	if (found == 0) {
		if (quiet)
			return TOOL_EXIT_NO_CARD;
		if (want != NULL)
			tool_err(_("no AKİS card in a reader matching \"%s\""), want);
		else
			tool_err("%s", _("no AKİS card found"));
		return TOOL_EXIT_NO_CARD;
	}
	if (found > 1 && !quiet) {
		tool_err("%s", _("several AKİS cards are present: choose one with --reader NAME "
		                 "(see akis-tool readers)"));
		return TOOL_EXIT_USAGE;
	}
	if (found > 1)
		return TOOL_EXIT_USAGE;
	return TOOL_EXIT_OK;
}

static int open_card(struct akis_readers *pc, const char *want, struct akis_card **card,
                     struct tool_report *r, bool quiet)
{
	struct akis_reader rd[AKIS_READERS_MAX];
	size_t n = 0, pick = 0;
	*card = NULL;
	akis_rv rv = akis_readers_list(pc, rd, AKIS_READERS_MAX, &n);
	int ex = rv == AKIS_OK ? pick_reader(rd, n, want, &pick, quiet) : tool_exit_from_rv(rv);
	if (ex != TOOL_EXIT_OK)
		goto out;
	report_reader(&rd[pick], r);
	if (!r->present || !r->is_akis) {
		if (!quiet)
			tool_err("%s", _("no AKİS card in the chosen reader"));
		return TOOL_EXIT_NO_CARD;
	}
	rv = akis_card_open(r->reader, &r->info, card);
	if (rv == AKIS_OK)
		rv = read_card(*card, r, time(NULL));
	ex = rv == AKIS_OK ? TOOL_EXIT_OK : tool_exit_from_rv(rv);
	if (rv != AKIS_OK) {
		akis_card_free(*card);
		*card = NULL;
	}
out:
	if (rv != AKIS_OK && !quiet)
		tool_err("%s", tool_rv_text(rv));
	return ex;
}

int tool_card_open(struct akis_readers *pc, const char *want, struct akis_card **card,
                   struct tool_report *r)
{
	return open_card(pc, want, card, r, false);
}

int tool_card_open_quiet(struct akis_readers *pc, const char *want, struct akis_card **card,
                         struct tool_report *r)
{
	return open_card(pc, want, card, r, true);
}
