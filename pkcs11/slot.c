/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slots: reader scans, presence and insertion tracking, events. Token
 * binding and token information live in token.c.
 */
#include "slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log/log.h"
#include "out.h"

struct p11_slot *p11_slot_get(struct p11_ctx *ctx, CK_SLOT_ID id)
{
	struct p11_slot *s = NULL;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	if (id < ctx->n_slots)
		s = ctx->slots[id];
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return s;
}

/* reg_lock held */
static struct p11_slot *slot_by_name(struct p11_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->n_slots; i++)
		if (strcmp(ctx->slots[i]->reader, name) == 0)
			return ctx->slots[i];
	return NULL;
}

/* reg_lock held. NULL when the table is full or out of memory. */
static struct p11_slot *slot_new(struct p11_ctx *ctx, const char *name)
{
	struct p11_slot *s;
	size_t i;

	if (ctx->n_slots >= P11_SLOTS_MAX)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->lock = p11_fair_new(&ctx->locking);
	s->state_lock = p11_mutex_new(&ctx->locking);
	if (s->lock == NULL || s->state_lock == NULL) {
		p11_fair_free(&ctx->locking, s->lock);
		p11_mutex_free(&ctx->locking, s->state_lock);
		free(s);
		return NULL;
	}
	snprintf(s->reader, sizeof(s->reader), "%s", name);
	for (i = 0; i < 2; i++) {
		s->pin[i].tries = -1;
		s->pin[i].max = P11_PIN_TRIES_DEFAULT;
	}
	s->id = ctx->n_slots;
	ctx->slots[ctx->n_slots++] = s;
	log_msg(LOG_P11, "slot %lu: reader \"%s\"", (unsigned long)s->id, s->reader);
	return s;
}

/*
 * One reader's state at a scan (r NULL: reader gone). A change of presence
 * or of pcsc-lite's event counter ends the previous token and starts a new
 * one (R32: a reinserted card is a new token). A non-AKİS card is
 * recognised by ATR once per insertion, no APDU (R9). reg_lock held.
 */
static void slot_observe(struct p11_ctx *ctx, struct p11_slot *s, const struct akis_reader *r,
                         bool initial)
{
	bool present =
	        r != NULL && (r->state & AKIS_READER_PRESENT) && !(r->state & AKIS_READER_GONE);
	uint32_t counter = r != NULL ? r->event_counter : 0;

	if (present == s->seen_present && (!present || counter == s->seen_counter))
		return;
	if (s->kind != P11_TOKEN_NONE && !initial)
		s->event = true; /* removal */
	s->seen_present = present;
	s->seen_counter = counter;
	s->kind = P11_TOKEN_NONE;
	s->token_seq = 0;
	p11_keep_wipe(&s->kept); /* R46: the token is gone */
	if (!present)
		return;
	s->token_seq = ctx->next_token_seq++;
	memset(&s->atr, 0, sizeof(s->atr));
	s->kind = akis_atr_match(r->atr, r->atr_len, &s->atr) ? P11_TOKEN_AKIS : P11_TOKEN_OTHER;
	if (!initial)
		s->event = true; /* insertion */
	log_msg(LOG_P11, "slot %lu: %s card inserted (token %lu)", (unsigned long)s->id,
	        s->kind == P11_TOKEN_AKIS ? "AKIS" : "unrecognised", s->token_seq);
}

void p11_slots_merge(struct p11_ctx *ctx, const struct akis_reader *r, size_t n, bool initial)
{
	bool seen[P11_SLOTS_MAX] = {false};
	struct p11_slot *s;
	size_t i;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	for (i = 0; i < n; i++) {
		if (!p11_config_reader_ok(&ctx->conf, r[i].name))
			continue;
		s = slot_by_name(ctx, r[i].name);
		if (s == NULL)
			s = slot_new(ctx, r[i].name);
		if (s == NULL)
			continue;
		seen[s->id] = true;
		s->listed = true;
		slot_observe(ctx, s, &r[i], initial);
	}
	for (i = 0; i < ctx->n_slots; i++) {
		if (seen[i])
			continue;
		ctx->slots[i]->listed = false; /* stays as an empty slot (R8) */
		slot_observe(ctx, ctx->slots[i], NULL, initial);
	}
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
}

/* scan_lock held. pcscd went away (R35): its event counters start again
 * and every card handle is dead, so a card seen after it comes back is a
 * new token, whatever its counter says. */
static void forget_presence(struct p11_ctx *ctx)
{
	size_t i;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	for (i = 0; i < ctx->n_slots; i++)
		ctx->slots[i]->seen_present = false;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	ctx->pc_lost = false;
}

/* scan_lock held: a usable listing context, re-created when pcscd went
 * away (R35) or was not there at C_Initialize (R3). */
static struct akis_readers *scan_context(struct p11_ctx *ctx)
{
	if (ctx->pc != NULL && !akis_readers_valid(ctx->pc)) {
		akis_readers_close(ctx->pc);
		ctx->pc = NULL;
		ctx->pc_lost = true;
	}
	if (ctx->pc == NULL && akis_readers_open(&ctx->pc) != AKIS_OK)
		ctx->pc = NULL;
	else if (ctx->pc != NULL && ctx->pc_lost)
		forget_presence(ctx);
	return ctx->pc;
}

/* List with pc and merge, under scan_lock so that listings are applied in
 * the order they were taken. pc NULL: the module's own context. */
static akis_rv scan_with(struct p11_ctx *ctx, struct akis_readers *pc, struct akis_reader *r,
                         size_t cap, size_t *n)
{
	akis_rv arv = AKIS_OK;

	*n = 0;
	p11_mutex_lock(&ctx->locking, ctx->scan_lock);
	if (pc == NULL)
		pc = scan_context(ctx);
	if (pc != NULL)
		arv = akis_readers_list(pc, r, cap, n);
	if (arv == AKIS_ERR_NO_SERVICE && pc == ctx->pc) {
		akis_readers_close(ctx->pc); /* pcscd gone: no reader now */
		ctx->pc = NULL;
		ctx->pc_lost = true;
		*n = 0;
		arv = AKIS_OK;
	}
	if (arv == AKIS_OK) {
		p11_slots_merge(ctx, r, *n, !ctx->scanned);
		ctx->scanned = true;
	}
	p11_mutex_unlock(&ctx->locking, ctx->scan_lock);
	return arv;
}

void p11_slots_refresh(struct p11_ctx *ctx)
{
	struct akis_reader r[AKIS_READERS_MAX];
	size_t n;

	(void)scan_with(ctx, NULL, r, AKIS_READERS_MAX, &n);
}

static bool slots_scanned(struct p11_ctx *ctx)
{
	bool done;

	p11_mutex_lock(&ctx->locking, ctx->scan_lock);
	done = ctx->scanned;
	p11_mutex_unlock(&ctx->locking, ctx->scan_lock);
	return done;
}

CK_RV p11_slot_list(struct p11_ctx *ctx, bool token_present, CK_SLOT_ID_PTR list,
                    CK_ULONG_PTR count)
{
	CK_SLOT_ID ids[P11_SLOTS_MAX];
	CK_ULONG n = 0, i;
	int pass;

	/* Rescan on the size query (docs/design.md): the list then stays as it was
	 * between the two calls of the usual pattern. */
	if (list == NULL || !slots_scanned(ctx))
		p11_slots_refresh(ctx);
	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	for (pass = 0; pass < 2; pass++) { /* slots with a token first (R8) */
		for (i = 0; i < ctx->n_slots; i++) {
			bool has = ctx->slots[i]->kind != P11_TOKEN_NONE;

			if ((pass == 0) == has && (has || !token_present))
				ids[n++] = ctx->slots[i]->id;
		}
	}
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return p11_out_array(list, count, ids, n, sizeof(ids[0]));
}

CK_RV p11_slot_info(struct p11_ctx *ctx, struct p11_slot *slot, CK_SLOT_INFO *info)
{
	memset(info, 0, sizeof(*info));
	/* R7: the exact reader name, blank-padded, truncated at 64 */
	p11_pad_copy(info->slotDescription, sizeof(info->slotDescription), slot->reader);
	p11_pad_copy(info->manufacturerID, sizeof(info->manufacturerID), "akis-pkcs11");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	if (slot->kind != P11_TOKEN_NONE)
		info->flags |= CKF_TOKEN_PRESENT;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return CKR_OK;
}

/* reg_lock held: the first slot with a pending event, cleared. */
static bool take_event(struct p11_ctx *ctx, CK_SLOT_ID *out)
{
	bool found = false;
	size_t i;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	for (i = 0; i < ctx->n_slots && !found; i++) {
		if (ctx->slots[i]->event) {
			ctx->slots[i]->event = false;
			*out = ctx->slots[i]->id;
			found = true;
		}
	}
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return found;
}

static int waiter_add(struct p11_ctx *ctx, struct akis_readers *pc)
{
	int i, idx = -1;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	for (i = 0; i < (int)P11_WAITERS_MAX && idx < 0; i++) {
		if (ctx->waiters[i] == NULL) {
			ctx->waiters[i] = pc;
			idx = i;
		}
	}
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return idx;
}

static void waiter_drop(struct p11_ctx *ctx, struct akis_readers *pc, int idx)
{
	if (idx >= 0) {
		p11_mutex_lock(&ctx->locking, ctx->reg_lock);
		ctx->waiters[idx] = NULL;
		p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	}
	akis_readers_close(pc);
}

void p11_slot_cancel_waiters(struct p11_ctx *ctx)
{
	size_t i;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	for (i = 0; i < P11_WAITERS_MAX; i++)
		if (ctx->waiters[i] != NULL)
			akis_readers_cancel(ctx->waiters[i]);
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
}

/* Each wait is bounded, so that a C_Finalize whose cancel came before the
 * wait started is still seen within 1 s (R15). */
#define P11_WAIT_SLICE_MS 500L
#define P11_WAIT_RETRY_MS 200L

/* The blocking form: its own PC/SC context, no module lock held while
 * blocked (docs/design.md). */
static CK_RV wait_blocking(struct p11_ctx *ctx, CK_SLOT_ID_PTR out)
{
	struct akis_reader r[AKIS_READERS_MAX];
	struct akis_readers *wpc = NULL;
	CK_RV rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	size_t n;
	int idx = -1;
	akis_rv arv;

	while (!atomic_load(&ctx->finalizing)) {
		if (wpc == NULL && akis_readers_open(&wpc) != AKIS_OK) {
			wpc = NULL; /* pcscd absent: poll until it is up (R3) */
			p11_sleep_ms(P11_WAIT_RETRY_MS);
			continue;
		}
		if (idx < 0)
			idx = waiter_add(ctx, wpc);
		if (atomic_load(&ctx->finalizing))
			break;
		if (scan_with(ctx, wpc, r, AKIS_READERS_MAX, &n) != AKIS_OK) {
			waiter_drop(ctx, wpc, idx);
			wpc = NULL;
			idx = -1;
			p11_sleep_ms(P11_WAIT_RETRY_MS);
			continue;
		}
		if (take_event(ctx, out)) {
			rv = CKR_OK;
			break;
		}
		arv = akis_readers_wait(wpc, r, n, P11_WAIT_SLICE_MS);
		if (arv != AKIS_OK && arv != AKIS_ERR_TIMEOUT && arv != AKIS_ERR_CANCELLED)
			p11_sleep_ms(P11_WAIT_RETRY_MS / 2);
	}
	if (wpc != NULL)
		waiter_drop(ctx, wpc, idx);
	return rv;
}

CK_RV p11_slot_wait(struct p11_ctx *ctx, CK_FLAGS flags, CK_SLOT_ID_PTR out)
{
	p11_slots_refresh(ctx);
	if (take_event(ctx, out))
		return CKR_OK;
	if (flags & CKF_DONT_BLOCK)
		return CKR_NO_EVENT;
	return wait_blocking(ctx, out);
}

void p11_slot_free(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_fair_free(&ctx->locking, slot->lock);
	p11_mutex_free(&ctx->locking, slot->state_lock);
	free(slot);
}
