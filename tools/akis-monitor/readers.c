/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The monitor's readers through akis/reader.h and akis-tool's card core.
 * Every reader call of the monitor is here.
 */
#include "readers.h"

#include <stdlib.h>
#include <string.h>

#include "../../akis/reader.h"
#include "../akis-tool/card.h"

struct mon_readers {
	struct akis_readers *pc;
	struct akis_reader known[MON_READERS_MAX];
	size_t n_known;
	bool listed; /* known[] holds a listing */
};

bool mon_readers_open(struct mon_readers **out)
{
	struct mon_readers *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (m == NULL)
		return false;
	if (akis_readers_open(&m->pc) != AKIS_OK) {
		free(m);
		return false;
	}
	*out = m;
	return true;
}

void mon_readers_close(struct mon_readers *m)
{
	if (m == NULL)
		return;
	akis_readers_close(m->pc);
	free(m);
}

static const struct akis_reader *find(const struct akis_reader *rd, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rd[i].name, name) == 0)
			return &rd[i];
	return NULL;
}

/* A different card, or a card where there was none, or none any more. */
static bool reader_changed(const struct akis_reader *old, const struct akis_reader *cur)
{
	if (old == NULL)
		return true;
	bool had = (old->state & AKIS_READER_PRESENT) != 0;
	bool has = (cur->state & AKIS_READER_PRESENT) != 0;
	return had != has ||
	       (has && (old->event_counter != cur->event_counter || old->atr_len != cur->atr_len ||
	                memcmp(old->atr, cur->atr, cur->atr_len) != 0));
}

bool mon_readers_poll(struct mon_readers *m, long timeout_ms, bool *changed, size_t cap, size_t *n)
{
	struct akis_reader now[MON_READERS_MAX];
	size_t got = 0;
	if (m->listed) {
		akis_rv wrv = akis_readers_wait(m->pc, m->known, m->n_known, timeout_ms);
		if (wrv != AKIS_OK && wrv != AKIS_ERR_TIMEOUT && !akis_readers_valid(m->pc))
			return false;
	}
	if (akis_readers_list(m->pc, now, MON_READERS_MAX, &got) != AKIS_OK)
		got = 0; /* no reader (pcsc-lite reports that as an error too) */
	if (got > cap)
		got = cap;
	for (size_t i = 0; i < got; i++)
		changed[i] = !m->listed ||
		             reader_changed(find(m->known, m->n_known, now[i].name), &now[i]);
	memcpy(m->known, now, got * sizeof(now[0]));
	m->n_known = got;
	m->listed = true;
	*n = got;
	return akis_readers_valid(m->pc);
}

const char *mon_readers_name(const struct mon_readers *m, size_t i)
{
	return i < m->n_known ? m->known[i].name : "";
}

static void keep_der(struct mon_card *c, const struct akis_card *card)
{
	for (size_t i = 0; i < c->r.n_certs && i < card->n_certs; i++) {
		const struct akis_cert *ac = &card->certs[i];
		if (ac->der == NULL || ac->der_len == 0)
			continue;
		c->der[i] = malloc(ac->der_len);
		if (c->der[i] == NULL)
			continue;
		memcpy(c->der[i], ac->der, ac->der_len);
		c->der_len[i] = ac->der_len;
	}
}

/* tool_card_open_quiet's exit code as an akis_rv. */
static akis_rv rv_from_exit(int ex)
{
	switch (ex) {
	case TOOL_EXIT_OK:
		return AKIS_OK;
	case TOOL_EXIT_NO_CARD:
		return AKIS_ERR_REMOVED;
	case TOOL_EXIT_BLOCKED:
		return AKIS_ERR_PIN_BLOCKED;
	case TOOL_EXIT_DEAD:
		return AKIS_ERR_DEAD;
	default:
		return AKIS_ERR_COMM;
	}
}

void mon_readers_read(struct mon_readers *m, size_t i, struct mon_card *c, time_t now)
{
	const struct akis_reader *rd = &m->known[i];
	struct akis_card *card = NULL;
	struct akis_atr_info info;
	mon_card_clear(c);
	/* An AKİS card: opened as for a PIN action, which keeps the DER that
	 * the report drops; anything else, or a failure: the plain report. */
	if ((rd->state & AKIS_READER_PRESENT) && akis_atr_match(rd->atr, rd->atr_len, &info) &&
	    tool_card_open_quiet(m->pc, rd->name, &card, &c->r) == TOOL_EXIT_OK) {
		keep_der(c, card);
		akis_card_free(card);
		return;
	}
	akis_card_free(card);
	mon_card_clear(c);
	tool_report_read(rd, &c->r, now);
}

akis_rv mon_readers_card_open(struct mon_readers *m, const char *reader, struct akis_card **card,
                              struct tool_report *r)
{
	return rv_from_exit(tool_card_open_quiet(m->pc, reader, card, r));
}

void mon_card_clear(struct mon_card *c)
{
	for (size_t i = 0; i < AKIS_MAX_CERTS; i++)
		free(c->der[i]);
	memset(c, 0, sizeof(*c));
}

bool mon_card_copy(struct mon_card *dst, const struct mon_card *src)
{
	memcpy(&dst->r, &src->r, sizeof(dst->r));
	for (size_t i = 0; i < AKIS_MAX_CERTS; i++) {
		dst->der[i] = NULL;
		dst->der_len[i] = 0;
		if (src->der[i] == NULL)
			continue;
		dst->der[i] = malloc(src->der_len[i]);
		if (dst->der[i] == NULL) {
			mon_card_clear(dst);
			return false;
		}
		memcpy(dst->der[i], src->der[i], src->der_len[i]);
		dst->der_len[i] = src->der_len[i];
	}
	return true;
}
