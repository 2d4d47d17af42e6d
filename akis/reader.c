/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Readers and cards for pkcs11/, akis-tool and akis-monitor (reader.h):
 * the PC/SC transport of apdu/pcsc.h behind akis_rv, and the two
 * sequences every front end needs (open a card; bind it and read its PINs).
 */
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../apdu/pcsc.h"
#include "internal.h"

_Static_assert(AKIS_READER_NAME_MAX == APDU_READER_NAME_MAX, "reader name size");
_Static_assert(AKIS_ATR_MAX == APDU_ATR_MAX, "ATR size");
_Static_assert(AKIS_READERS_MAX == APDU_READERS_MAX, "reader count");

struct akis_readers {
	struct apdu_pcsc *pc;
};

/* The state flags, one to one (kept apart so that pcsc.h stays below). */
static const struct {
	unsigned apdu, akis;
} state_map[] = {
        {APDU_STATE_PRESENT, AKIS_READER_PRESENT},
        {APDU_STATE_EXCLUSIVE, AKIS_READER_EXCLUSIVE},
        {APDU_STATE_MUTE, AKIS_READER_MUTE},
        {APDU_STATE_UNKNOWN, AKIS_READER_GONE},
};
#define N_STATES (sizeof(state_map) / sizeof(state_map[0]))

/* Reader state flags one way (up: apdu → akis) or the other. */
static unsigned state_map_flags(unsigned s, bool up)
{
	unsigned out = 0;

	for (size_t i = 0; i < N_STATES; i++)
		if (s & (up ? state_map[i].apdu : state_map[i].akis))
			out |= up ? state_map[i].akis : state_map[i].apdu;
	return out;
}

static void reader_up(const struct apdu_reader *in, struct akis_reader *out)
{
	memcpy(out->name, in->name, sizeof(out->name));
	out->state = state_map_flags(in->state, true);
	out->event_counter = in->event_counter;
	out->atr_len = in->atr_len <= sizeof(out->atr) ? in->atr_len : 0;
	memcpy(out->atr, in->atr, out->atr_len);
}

static void reader_down(const struct akis_reader *in, struct apdu_reader *out)
{
	memcpy(out->name, in->name, sizeof(out->name));
	out->state = state_map_flags(in->state, false);
	out->event_counter = in->event_counter;
	out->atr_len = in->atr_len <= sizeof(out->atr) ? in->atr_len : 0;
	memcpy(out->atr, in->atr, out->atr_len);
}

akis_rv akis_readers_open(struct akis_readers **out)
{
	struct akis_readers *rs;
	apdu_rv arv;

	if (out == NULL)
		return AKIS_ERR_ARGS;
	*out = NULL;
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return AKIS_ERR_NO_MEMORY;
	arv = apdu_pcsc_open(&rs->pc);
	if (arv != APDU_OK) {
		free(rs);
		return akis_rv_from_apdu(arv);
	}
	*out = rs;
	return AKIS_OK;
}

void akis_readers_close(struct akis_readers *rs)
{
	if (rs == NULL)
		return;
	apdu_pcsc_close(rs->pc);
	free(rs);
}

void akis_readers_forget(struct akis_readers *rs)
{
	if (rs == NULL)
		return;
	apdu_pcsc_forget(rs->pc);
	free(rs);
}

bool akis_readers_valid(struct akis_readers *rs)
{
	return rs != NULL && apdu_pcsc_valid(rs->pc);
}

akis_rv akis_readers_list(struct akis_readers *rs, struct akis_reader *out, size_t cap, size_t *n)
{
	struct apdu_reader r[APDU_READERS_MAX];
	size_t got = 0;
	apdu_rv arv;

	if (n != NULL)
		*n = 0;
	if (rs == NULL || n == NULL || (out == NULL && cap > 0))
		return AKIS_ERR_ARGS;
	arv = apdu_pcsc_readers(rs->pc, r, cap < APDU_READERS_MAX ? cap : APDU_READERS_MAX, &got);
	if (arv != APDU_OK)
		return akis_rv_from_apdu(arv);
	for (size_t i = 0; i < got; i++)
		reader_up(&r[i], &out[i]);
	*n = got;
	return AKIS_OK;
}

akis_rv akis_readers_wait(struct akis_readers *rs, const struct akis_reader *known, size_t n,
                          long timeout_ms)
{
	struct apdu_reader r[APDU_READERS_MAX];

	if (rs == NULL || n > APDU_READERS_MAX || (known == NULL && n > 0))
		return AKIS_ERR_ARGS;
	for (size_t i = 0; i < n; i++)
		reader_down(&known[i], &r[i]);
	return akis_rv_from_apdu(apdu_pcsc_wait(rs->pc, r, n, timeout_ms));
}

void akis_readers_cancel(struct akis_readers *rs)
{
	if (rs != NULL)
		apdu_pcsc_cancel(rs->pc);
}

bool akis_reader_is_akis(const struct akis_reader *r, struct akis_atr_info *info)
{
	if (r == NULL || !(r->state & AKIS_READER_PRESENT) || (r->state & AKIS_READER_GONE))
		return false;
	return akis_atr_match(r->atr, r->atr_len, info);
}

akis_rv akis_reader_reset(const char *reader)
{
	struct apdu_card *io = NULL;
	apdu_rv arv;

	if (reader == NULL)
		return AKIS_ERR_ARGS;
	arv = apdu_pcsc_connect(reader, &io);
	if (arv == APDU_OK)
		arv = apdu_begin(io);
	if (arv == APDU_ERR_RESET) /* reset already: the state is gone */
		arv = APDU_OK;
	else if (arv == APDU_OK)
		arv = apdu_end(io, true);
	apdu_card_close(io);
	return akis_rv_from_apdu(arv);
}

akis_rv akis_card_open(const char *reader, const struct akis_atr_info *atr, struct akis_card **out)
{
	struct apdu_card *io = NULL;
	apdu_rv arv;
	akis_rv rv;

	if (out == NULL)
		return AKIS_ERR_ARGS;
	*out = NULL;
	if (reader == NULL || atr == NULL)
		return AKIS_ERR_ARGS;
	arv = apdu_pcsc_connect(reader, &io);
	if (arv != APDU_OK)
		return akis_rv_from_apdu(arv);
	rv = akis_card_new(io, atr, out);
	if (rv != AKIS_OK)
		apdu_card_close(io);
	else
		snprintf((*out)->reader, sizeof(*out)->reader, "%s", reader);
	return rv;
}

akis_rv akis_pin_state_tx(struct akis_card *card, enum akis_pin_which which,
                          struct akis_pin_state *s)
{
	struct akis_pin_status st = {.verified = false, .blocked = false, .tries_left = -1};
	akis_rv rv;

	if (s == NULL)
		return AKIS_ERR_ARGS;
	memset(s, 0, sizeof(*s));
	s->tries_left = -1;
	rv = akis_pin_status_tx(card, which, &st);
	if (rv == AKIS_ERR_REMOVED || rv == AKIS_ERR_NO_SERVICE)
		return rv; /* R32: the call that was cut says so */
	if (rv == AKIS_ERR_DEAD) {
		st.blocked = true; /* life cycle AA: both locked for good */
	} else if (rv != AKIS_OK) {
		return AKIS_OK; /* not understood: unknown */
	}
	s->known = true;
	s->blocked = st.blocked;
	s->verified = st.verified;
	s->tries_left = st.blocked ? 0 : st.tries_left;
	return AKIS_OK;
}

static void pins_unknown(struct akis_pin_state pins[2])
{
	for (int w = AKIS_PIN_USER; w <= AKIS_PIN_SO; w++) {
		memset(&pins[w], 0, sizeof(pins[w]));
		pins[w].tries_left = -1;
	}
}

/* Life cycle AA (docs/card.md §4): both PINs locked for good. */
static void pins_dead(struct akis_pin_state pins[2])
{
	for (int w = AKIS_PIN_USER; w <= AKIS_PIN_SO; w++) {
		pins[w].known = true;
		pins[w].blocked = true;
		pins[w].verified = false;
		pins[w].tries_left = 0;
	}
}

/*
 * The application is alive when its PUK still has tries or is verified:
 * life cycle AA comes only from the PUK's last wrong try (docs/card.md §4
 * [C]), and nothing gives a PUK its tries back. Any other answer (blocked,
 * not understood) leaves it open, and the life cycle is read
 * (docs/design.md "The on-disk token cache", Cost).
 */
static bool puk_proves_alive(const struct akis_pin_state *puk)
{
	return puk->known && !puk->blocked && (puk->verified || puk->tries_left > 0);
}

akis_rv akis_card_read_tx(struct akis_card *card, const char *cache_dir,
                          struct akis_pin_state pins[2], bool show_life_cycle)
{
	akis_rv rv;

	if (card == NULL || pins == NULL)
		return AKIS_ERR_ARGS;
	pins_unknown(pins);
	rv = akis_bind_tx(card, cache_dir);
	if (rv == AKIS_ERR_DEAD) {
		pins_dead(pins);
		return rv;
	}
	if (rv != AKIS_OK)
		return rv;
	rv = akis_pin_state_tx(card, AKIS_PIN_USER, &pins[AKIS_PIN_USER]);
	if (rv == AKIS_OK)
		rv = akis_pin_state_tx(card, AKIS_PIN_SO, &pins[AKIS_PIN_SO]);
	if (rv != AKIS_OK || (!show_life_cycle && puk_proves_alive(&pins[AKIS_PIN_SO])))
		return rv;
	rv = akis_life_cycle_tx(card);
	if (rv == AKIS_OK && card->life_cycle == AKIS_LCS_DEAD) {
		pins_dead(pins);
		return AKIS_ERR_DEAD;
	}
	return rv;
}
