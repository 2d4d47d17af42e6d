/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tokens: binding an inserted AKİS card on first use (connect, one
 * transaction: akis_bind_tx and the PIN tries, then the objects), the
 * token information from memory (R10-R12, R18), and what a card result
 * means for the slot (removal R32, reset R33).
 */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log/log.h"
#include "out.h"
#include "rv.h"

/* Object handles: a module-wide binding counter in the high bits, so that
 * handles of an earlier binding never name an object of a later one
 * (docs/style.md "Handles and objects"). 4095 objects per binding. */
#define P11_HANDLE_SHIFT    12u
#define P11_HANDLE_GEN_MASK 0xFFFFFul

/* reg_lock taken here. The token instance `seq` is gone: removed. */
static void slot_mark_gone(struct p11_ctx *ctx, struct p11_slot *slot, unsigned long seq)
{
	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	if (seq != 0 && slot->token_seq == seq && slot->kind != P11_TOKEN_NONE) {
		slot->kind = P11_TOKEN_NONE; /* until the next insertion is seen */
		slot->token_seq = 0;
		slot->event = true;
		p11_keep_wipe(&slot->kept); /* R46: removal */
		log_msg(LOG_P11, "slot %lu: token %lu removed", (unsigned long)slot->id, seq);
	}
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
}

void p11_token_logged_out_locked(struct p11_slot *slot)
{
	slot->user_in = false;
	slot->so_in = false;
	slot->consent_ok = false;
	slot->login_grant = false;
	if (p11_keep_held(&slot->kept))
		log_msg(LOG_PIN, "slot %lu: the kept PIN is wiped (logged out)",
		        (unsigned long)slot->id);
	p11_keep_wipe(&slot->kept); /* R46: logout, reset, another process's logout */
}

CK_RV p11_token_card_rv_locked(struct p11_ctx *ctx, struct p11_slot *slot, akis_rv rv)
{
	if (rv == AKIS_ERR_REMOVED || rv == AKIS_ERR_NO_SERVICE)
		slot_mark_gone(ctx, slot, slot->bound_seq);
	if (rv == AKIS_ERR_RESET)
		p11_token_logged_out_locked(slot);
	return p11_rv_from_akis(rv);
}

void p11_token_state_lock(struct p11_ctx *ctx, struct p11_slot *slot)
{
	if (slot->state_lock != NULL) /* NULL: a slot made by a unit test */
		p11_mutex_lock(&ctx->locking, slot->state_lock);
}

void p11_token_state_unlock(struct p11_ctx *ctx, struct p11_slot *slot)
{
	if (slot->state_lock != NULL)
		p11_mutex_unlock(&ctx->locking, slot->state_lock);
}

CK_RV p11_token_begin_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	bool was_reset = false;
	akis_rv arv;

	p11_token_state_unlock(ctx, slot); /* memory-only calls go on meanwhile */
	arv = akis_begin(slot->card, &was_reset);
	if (arv != AKIS_OK) {
		p11_token_state_lock(ctx, slot);
		return p11_token_card_rv_locked(ctx, slot, arv);
	}
	if (was_reset) {
		/* docs/design.md "Transactions": never re-send a PIN (R33) */
		log_msg(LOG_P11, "slot %lu: card reset by someone, logged out",
		        (unsigned long)slot->id);
		p11_token_logged_out_locked(slot);
	}
	return CKR_OK;
}

void p11_token_end_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	akis_end(slot->card);
	p11_token_state_lock(ctx, slot);
}

bool p11_token_dirty_locked(const struct p11_slot *slot)
{
	return slot->card != NULL && (slot->user_in || slot->so_in ||
	                              akis_pin_maybe_verified(slot->card, AKIS_PIN_USER) ||
	                              akis_pin_maybe_verified(slot->card, AKIS_PIN_SO));
}

/* What the card said of a PIN, into what the token flags show: an answer
 * not understood keeps what was known. */
static void pin_state_apply(struct p11_pin_state *ps, const struct akis_pin_state *st)
{
	if (!st->known)
		return;
	ps->blocked = st->blocked;
	if (st->blocked)
		ps->tries = 0;
	else if (st->tries_left >= 0)
		ps->tries = st->tries_left;
	else if (st->verified)
		ps->tries = ps->max; /* a verified PIN has its counter reset */
	if (ps->tries > ps->max)
		ps->max = ps->tries;
}

akis_rv p11_token_pin_status_tx(struct p11_slot *slot, enum akis_pin_which which)
{
	struct akis_pin_state st;
	akis_rv arv = akis_pin_state_tx(slot->card, which, &st);

	if (arv != AKIS_OK)
		return arv; /* R32: the call that was cut says so */
	pin_state_apply(&slot->pin[which], &st);
	return AKIS_OK;
}

bool p11_token_bound_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	bool ok;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	ok = slot->card != NULL && slot->bound_seq != 0 && slot->bound_seq == slot->token_seq &&
	     slot->kind == P11_TOKEN_AKIS;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return ok;
}

bool p11_token_stale_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	return slot->card != NULL && !p11_token_bound_locked(ctx, slot);
}

void p11_token_unbind_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	(void)ctx;
	slot->mem_ok = false;
	p11_objects_free(&slot->objs);
	akis_card_free(slot->card);
	slot->card = NULL;
	slot->bound_seq = 0;
	p11_token_logged_out_locked(slot);
}

static CK_RV slot_connect_locked(struct p11_ctx *ctx, struct p11_slot *slot,
                                 const struct akis_atr_info *atr, unsigned long seq)
{
	akis_rv krv = akis_card_open(slot->reader, atr, &slot->card);

	if (krv == AKIS_ERR_REMOVED) { /* empty now, or the reader went away */
		slot_mark_gone(ctx, slot, seq);
		return CKR_TOKEN_NOT_PRESENT;
	}
	return p11_rv_from_akis(krv);
}

/*
 * A dead card (life cycle AA, docs/card.md §4: PUK exhausted) stays a
 * token: its public data was bound (akis_bind_tx) so the holder can still
 * see the certificates they had. Both PINs are locked for good, so every
 * C_Login answers CKR_PIN_LOCKED from pin_take without an APDU, and the
 * token flags carry CKF_USER_PIN_LOCKED | CKF_SO_PIN_LOCKED.
 */
static void slot_mark_dead_locked(struct p11_slot *slot)
{
	int w;

	for (w = AKIS_PIN_USER; w <= AKIS_PIN_SO; w++) {
		slot->pin[w].blocked = true;
		slot->pin[w].tries = 0;
	}
	log_msg(LOG_P11, "slot %lu: dead card (life cycle AA): public data only, PINs locked",
	        (unsigned long)slot->id);
}

/* One transaction: identity, directory, certificates, PIN tries (R18:
 * read without spending one, at bind and after PIN operations only). */
static akis_rv slot_read_card_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	bool was_reset = false;
	const char *cache = ctx->conf.cache && ctx->conf.cache_dir[0] ? ctx->conf.cache_dir : NULL;
	struct akis_pin_state st[2];
	akis_rv arv = akis_begin(slot->card, &was_reset);

	if (arv != AKIS_OK)
		return arv;
	for (int w = AKIS_PIN_USER; w <= AKIS_PIN_SO; w++) {
		/* a new card: nothing known (a dead one's lock must not stay) */
		slot->pin[w].blocked = false;
		slot->pin[w].tries = -1;
	}
	arv = akis_card_read_tx(slot->card, cache, st, false);
	if (arv == AKIS_ERR_DEAD) {
		slot_mark_dead_locked(slot);
		arv = AKIS_OK;
	} else {
		for (int w = AKIS_PIN_USER; w <= AKIS_PIN_SO; w++)
			pin_state_apply(&slot->pin[w], &st[w]);
	}
	akis_end(slot->card);
	return arv;
}

/* Card-side bind failures of one insertion before it counts as not
 * recognised: a passing hiccup (an odd status word once) is tried again on
 * the next call, a card that keeps failing is left alone (R9/R10: Firefox
 * polls every second). */
#define BIND_TRIES 3

/*
 * A bind failure that says something about the card's contents, as opposed
 * to the way to it (removal, pcscd, a reset, another process's exclusive
 * hold, a transport error or a timeout: always worth a new try). Returns 2
 * when it settles the matter at once (not an AKİS application: another
 * applet, a required file missing, a command the card does not have), 1
 * for a failure that may pass, 0 for the others.
 */
static int bind_failure_kind(akis_rv rv)
{
	switch (rv) {
	case AKIS_ERR_NOT_AKIS:
	case AKIS_ERR_NOT_FOUND:
	case AKIS_ERR_NOT_SUPPORTED:
		return 2;
	case AKIS_ERR_CARD_DATA:
	case AKIS_ERR_CONDITIONS:
	case AKIS_ERR_BAD_DATA:
	case AKIS_ERR_NOT_LOGGED_IN:
		return 1;
	case AKIS_OK:
	case AKIS_ERR_ARGS:
	case AKIS_ERR_NO_MEMORY:
	case AKIS_ERR_BUFFER:
	case AKIS_ERR_NO_SERVICE:
	case AKIS_ERR_REMOVED:
	case AKIS_ERR_RESET:
	case AKIS_ERR_SHARING:
	case AKIS_ERR_COMM:
	case AKIS_ERR_TIMEOUT:
	case AKIS_ERR_CANCELLED:
	case AKIS_ERR_PIN_INCORRECT:
	case AKIS_ERR_PIN_BLOCKED:
	case AKIS_ERR_PIN_LEN:
	case AKIS_ERR_PIN_INVALID:
	case AKIS_ERR_DEAD: /* handled in slot_read_card_locked: a token */
		break;
	}
	return 0;
}

/* Count a card-side bind failure of insertion `seq`; true when the card is
 * now "not recognised" until it is reinserted. */
static bool bind_failed_for_good(struct p11_ctx *ctx, struct p11_slot *slot, unsigned long seq,
                                 akis_rv arv)
{
	int kind = bind_failure_kind(arv);
	bool done;

	if (kind == 0)
		return false;
	if (slot->failed_seq != seq) {
		slot->failed_seq = seq;
		slot->failed_binds = 0;
	}
	done = kind == 2 || ++slot->failed_binds >= BIND_TRIES;
	log_msg(LOG_P11, "slot %lu: the card's application cannot be read (%s, failure %d)%s",
	        (unsigned long)slot->id, akis_rv_name(arv), slot->failed_binds,
	        done ? ": not recognised until it is reinserted" : "");
	if (!done)
		return false;
	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	if (slot->token_seq == seq)
		slot->kind = P11_TOKEN_OTHER;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return true;
}

static CK_RV slot_bind_new_locked(struct p11_ctx *ctx, struct p11_slot *slot,
                                  const struct akis_atr_info *atr, unsigned long seq)
{
	CK_OBJECT_HANDLE first;
	CK_RV rv;
	akis_rv arv;

	rv = slot_connect_locked(ctx, slot, atr, seq);
	if (rv != CKR_OK)
		return rv;
	slot->bound_seq = seq; /* so that a removal seen now is this token's */
	arv = slot_read_card_locked(ctx, slot);
	/* R9/R10: an AKİS ATR on a card whose application does not answer as
	 * one (another applet, a damaged or blank card) */
	if (arv != AKIS_OK && bind_failed_for_good(ctx, slot, seq, arv)) {
		p11_token_unbind_locked(ctx, slot);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	rv = arv == AKIS_OK ? CKR_OK : p11_token_card_rv_locked(ctx, slot, arv);
	if (rv == CKR_OK) {
		p11_mutex_lock(&ctx->locking, ctx->reg_lock);
		first = ((ctx->next_binding++ & P11_HANDLE_GEN_MASK) << P11_HANDLE_SHIFT) + 1;
		p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
		rv = p11_objects_build(slot->card, first, &slot->objs);
	}
	/* R46: the module gives the per-signature PIN itself, except on a
	 * PIN pad, where no PIN is known */
	if (rv == CKR_OK && ctx->conf.pin_login && slot->card->pinpad_verify_ioctl == 0)
		p11_objects_no_always_auth(&slot->objs);
	if (rv != CKR_OK) {
		p11_token_unbind_locked(ctx, slot);
		return rv;
	}
	log_msg(LOG_P11, "slot %lu: token %lu bound, %zu objects", (unsigned long)slot->id, seq,
	        slot->objs.n);
	return CKR_OK;
}

CK_RV p11_token_bind_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	struct akis_atr_info atr;
	enum p11_token_kind kind;
	unsigned long seq;
	CK_RV rv;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	kind = slot->kind;
	seq = slot->token_seq;
	atr = slot->atr;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	if (slot->card != NULL && slot->bound_seq == seq && kind == P11_TOKEN_AKIS)
		return CKR_OK;
	if (slot->card != NULL)
		p11_token_unbind_locked(ctx, slot); /* the caller closed its sessions */
	switch (kind) {
	case P11_TOKEN_NONE:
		return CKR_TOKEN_NOT_PRESENT;
	case P11_TOKEN_OTHER:
		return CKR_TOKEN_NOT_RECOGNIZED;
	case P11_TOKEN_AKIS:
		break;
	}
	/* Not bound (mem_ok false): nothing answers from memory, so the card
	 * I/O of the bind needs no state lock (slot.h); the binding is
	 * published, complete, under it. */
	p11_token_state_unlock(ctx, slot);
	rv = slot_bind_new_locked(ctx, slot, &atr, seq);
	p11_token_state_lock(ctx, slot);
	slot->mem_ok = rv == CKR_OK;
	return rv;
}

/* docs/card.md "GET DATA": the token serial is the last 8 bytes of the
 * 12-byte card serial, as 16 hex digits. */
static void serial_hex(const struct akis_card *card, char out[17])
{
	size_t start = card->serial_len > 8 ? card->serial_len - 8 : 0, i, o = 0;

	for (i = start; i < card->serial_len && o + 2 < 17; i++, o += 2)
		snprintf(out + o, 3, "%02X", card->serial[i]);
	out[o] = '\0';
}

static CK_FLAGS pin_flags(const struct p11_pin_state *ps, CK_FLAGS low, CK_FLAGS final,
                          CK_FLAGS locked)
{
	if (ps->blocked || ps->tries == 0)
		return locked;
	if (ps->tries < 0 || ps->tries >= ps->max)
		return 0;
	return ps->tries == 1 ? (low | final) : low; /* R18 */
}

static void version_of(const char *v, CK_VERSION *out)
{
	unsigned major = 0, minor = 0;

	if (sscanf(v, "%u.%u", &major, &minor) >= 1) {
		out->major = (CK_BYTE)major;
		out->minor = (CK_BYTE)minor;
	}
}

CK_RV p11_token_info_locked(struct p11_ctx *ctx, struct p11_slot *slot, CK_TOKEN_INFO *info)
{
	const struct akis_card *card = slot->card;
	const struct akis_pin_info *up = &card->pins[AKIS_PIN_USER];
	char serial[17], label[40], model[32];

	memset(info, 0, sizeof(*info));
	serial_hex(card, serial);
	snprintf(label, sizeof(label), "AKIS_%s", serial); /* R11 */
	snprintf(model, sizeof(model), "AKIS v%s", card->atr.version);
	p11_pad_copy(info->label, sizeof(info->label), label);
	p11_pad_copy(info->manufacturerID, sizeof(info->manufacturerID),
	             card->manufacturer[0] ? card->manufacturer : "TUBITAK BILGEM");
	p11_pad_copy(info->model, sizeof(info->model), model);
	p11_pad_copy(info->serialNumber, sizeof(info->serialNumber), serial);
	p11_pad_copy(info->utcTime, sizeof(info->utcTime), "");
	/* CKF_RNG: C_GenerateRandom is the card's GET CHALLENGE (R31) */
	info->flags =
	        CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED;
	if (card->pinpad_verify_ioctl != 0)
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH; /* R19 */
	info->flags |= pin_flags(&slot->pin[AKIS_PIN_USER], CKF_USER_PIN_COUNT_LOW,
	                         CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
	info->flags |= pin_flags(&slot->pin[AKIS_PIN_SO], CKF_SO_PIN_COUNT_LOW,
	                         CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED);
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	info->ulSessionCount = slot->n_sessions;
	info->ulRwSessionCount = slot->n_rw_sessions;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	info->ulMinPinLen = up->present && up->min_len ? up->min_len : 4; /* docs/card.md §4 */
	info->ulMaxPinLen = up->present && up->max_len ? up->max_len : 8;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	version_of(card->atr.version, &info->firmwareVersion);
	return CKR_OK;
}

void p11_token_close_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	akis_rv arv;

	if (p11_token_dirty_locked(slot) && p11_token_begin_locked(ctx, slot) == CKR_OK) {
		arv = akis_logout_tx(slot->card); /* R22: C_Finalize clears the card's state */
		if (arv != AKIS_OK)
			log_msg(LOG_P11, "slot %lu: LOGOUT: %s", (unsigned long)slot->id,
			        akis_rv_name(arv));
		p11_token_end_locked(ctx, slot);
	}
	p11_keep_wipe(&slot->kept); /* R46: C_Finalize */
	p11_objects_free(&slot->objs);
	akis_card_free(slot->card);
	slot->card = NULL;
}
