/* SPDX-License-Identifier: BSD-3-Clause */
#include "login.h"
#include "token.h"

#include <openssl/crypto.h>
#include <string.h>

#include "../log/log.h"
#include "rv.h"

/* PKCS#11 2.40 §5.6 C_Login: which user may log in now. */
static CK_RV login_state_check(struct p11_ctx *ctx, struct p11_slot *slot,
                               const struct p11_session *s, CK_USER_TYPE type)
{
	switch (type) {
	case CKU_USER:
		if (slot->so_in)
			return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		return slot->user_in ? CKR_USER_ALREADY_LOGGED_IN : CKR_OK;
	case CKU_SO:
		if (slot->user_in)
			return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		if (slot->so_in)
			return CKR_USER_ALREADY_LOGGED_IN;
		return p11_session_count_ro_locked(ctx, slot) ? CKR_SESSION_READ_ONLY_EXISTS
		                                              : CKR_OK;
	case CKU_CONTEXT_SPECIFIC:
		if (!slot->user_in)
			return CKR_USER_NOT_LOGGED_IN;
		if (s->op[P11_OP_SIGN] == NULL && s->op[P11_OP_DECRYPT] == NULL)
			return CKR_OPERATION_NOT_INITIALIZED;
		return CKR_OK;
	default:
		return CKR_USER_TYPE_INVALID;
	}
}

static bool pin_known_locked(const struct p11_slot *slot, enum akis_pin_which which)
{
	return slot->pin[which].blocked || slot->pin[which].tries == 0;
}

/*
 * Copy and check a PIN: NULL only with a PIN pad (R19); a PIN known locked
 * → CKR_PIN_LOCKED, a malformed one → CKR_PIN_LEN_RANGE / CKR_PIN_INVALID,
 * both without an APDU (R18). buf has P11_PIN_MAX + 1 bytes.
 */
static CK_RV pin_take(const struct p11_slot *slot, enum akis_pin_which which,
                      const CK_UTF8CHAR *pin, CK_ULONG len, char *buf)
{
	if (pin_known_locked(slot, which))
		return CKR_PIN_LOCKED;
	if (pin == NULL)
		return slot->card->pinpad_verify_ioctl ? CKR_OK : CKR_ARGUMENTS_BAD;
	if (len > P11_PIN_MAX)
		return CKR_PIN_LEN_RANGE;
	memcpy(buf, pin, len);
	buf[len] = '\0';
	return p11_rv_from_akis(akis_pin_check(slot->card, which, buf, len));
}

/*
 * NULL PINs in C_SetPIN / C_InitPIN (PKCS#11 2.40 §5.6): the protected
 * authentication path, which here is the reader's PIN pad. Only with
 * CKF_PROTECTED_AUTHENTICATION_PATH (R19) and a pad that can do this change
 * for this card (akis_pinpad_can_*, which logs why not); otherwise
 * CKR_ARGUMENTS_BAD without any exchange. A PIN known locked →
 * CKR_PIN_LOCKED (R18); C_InitPIN is what unlocks it.
 */
static CK_RV pad_take(const struct p11_slot *slot, enum akis_pin_which which, bool unblock)
{
	if (!unblock && pin_known_locked(slot, which))
		return CKR_PIN_LOCKED;
	if (slot->card == NULL || slot->card->pinpad_verify_ioctl == 0)
		return CKR_ARGUMENTS_BAD;
	if (unblock ? !akis_pinpad_can_unblock(slot->card)
	            : !akis_pinpad_can_change(slot->card, which))
		return CKR_ARGUMENTS_BAD;
	return CKR_OK;
}

/*
 * After a PIN command: the tries as the card's answer tells them (R18). A
 * success resets the counter, 63Cx counts it, a blocked answer blocks it;
 * a length refusal spends nothing. Only an answer that says nothing about
 * the counter costs a status query (which would also take the
 * per-signature permission just granted, R20). The card or pcscd gone is
 * returned (R32).
 */
static akis_rv pin_after_tx(struct p11_slot *slot, enum akis_pin_which which, akis_rv arv,
                            int tries)
{
	struct p11_pin_state *ps = &slot->pin[which];

	if (arv == AKIS_OK || (arv == AKIS_ERR_PIN_INCORRECT && tries >= 0)) {
		ps->tries = arv == AKIS_OK ? ps->max : tries;
		ps->blocked = ps->tries == 0;
		return AKIS_OK;
	}
	if (arv == AKIS_ERR_PIN_BLOCKED || arv == AKIS_ERR_DEAD) {
		ps->tries = 0;
		ps->blocked = true;
		return AKIS_OK;
	}
	if (arv == AKIS_ERR_PIN_LEN || arv == AKIS_ERR_PIN_INVALID || arv == AKIS_ERR_CANCELLED ||
	    arv == AKIS_ERR_TIMEOUT) /* 6700/6A80 spend nothing; 64xx: the pad's own answer */
		return AKIS_OK;
	if (arv == AKIS_ERR_REMOVED || arv == AKIS_ERR_NO_SERVICE)
		return arv;
	return p11_token_pin_status_tx(slot, which);
}

/*
 * The end of every transaction that sent a PIN (R22): a PIN or PUK that the
 * card may now hold verified and that no login of this application
 * accounts for (a C_SetPIN in a public session, a C_Login whose answer was
 * not understood) is cleared at once by a LOGOUT, in the same transaction.
 */
static void settle_tx(struct p11_slot *slot)
{
	bool stray = (akis_pin_maybe_verified(slot->card, AKIS_PIN_USER) && !slot->user_in) ||
	             (akis_pin_maybe_verified(slot->card, AKIS_PIN_SO) && !slot->so_in);

	if (!stray)
		return;
	log_msg(LOG_PIN, "slot %lu: no login holds what the card may have verified: LOGOUT",
	        (unsigned long)slot->id);
	if (akis_logout_tx(slot->card) != AKIS_OK)
		p11_token_logged_out_locked(slot); /* the card is gone, and its state with it */
}

/* The result of a PIN transaction: the command's, unless the card left
 * during the status query that followed it (R32). */
static CK_RV pin_end_locked(struct p11_ctx *ctx, struct p11_slot *slot, akis_rv arv, akis_rv after)
{
	settle_tx(slot);
	p11_token_end_locked(ctx, slot);
	return p11_token_card_rv_locked(ctx, slot, after != AKIS_OK ? after : arv);
}

static bool card_has_consent_key(const struct akis_card *card)
{
	for (size_t i = 0; i < card->n_keys; i++)
		if (card->keys[i].user_consent)
			return true;
	return false;
}

/*
 * R46, pin_per_signature = login: the PIN of a successful user login is
 * kept for the keys that want one per signature (none kept on a card
 * without such a key, nor in a reader with a PIN pad — whether the PIN
 * came from the pad or from the keyboard: there the keys keep
 * CKA_ALWAYS_AUTHENTICATE = TRUE, token.c, and the card's rule stands).
 */
static void keep_pin(struct p11_ctx *ctx, struct p11_slot *slot, const char *pin, size_t len)
{
	if (!ctx->conf.pin_login || pin == NULL || !card_has_consent_key(slot->card) ||
	    slot->card->pinpad_verify_ioctl != 0)
		return;
	if (p11_keep_set(&slot->kept, pin, len))
		log_msg(LOG_PIN,
		        "slot %lu: PIN kept for the keys that want one per signature "
		        "(pin_per_signature = login)",
		        (unsigned long)slot->id);
}

/* The end of a login the module can no longer serve with the kept PIN (a
 * bound reached, a PIN change whose outcome is unknown): LOGOUT (R22), the
 * token logged out, the PIN wiped. */
static void keep_end_tx(struct p11_slot *slot, const char *why)
{
	log_msg(LOG_PIN, "slot %lu: %s: logged out", (unsigned long)slot->id, why);
	if (akis_logout_tx(slot->card) != AKIS_OK)
		log_msg(LOG_PIN, "slot %lu: LOGOUT: the card is gone", (unsigned long)slot->id);
	p11_token_logged_out_locked(slot);
}

/* VERIFY with the kept PIN copied into pin[0..len). */
static CK_RV verify_kept_tx(struct p11_ctx *ctx, struct p11_slot *slot, const char *pin, size_t len)
{
	int tries = -1;
	akis_rv arv = akis_pin_verify_tx(slot->card, AKIS_PIN_USER, pin, len, &tries), after;

	log_msg(LOG_PIN, "slot %lu: VERIFY with the kept PIN for a per-signature key: %s",
	        (unsigned long)slot->id, akis_rv_name(arv));
	after = pin_after_tx(slot, AKIS_PIN_USER, arv, tries); /* success: tries full again */
	if (arv != AKIS_OK) {
		/* never again: the module must not spend the holder's tries */
		p11_token_logged_out_locked(slot);
		settle_tx(slot);
	}
	/* the status query after an unclear answer may find the card gone */
	return p11_token_card_rv_locked(ctx, slot, after != AKIS_OK ? after : arv);
}

CK_RV p11_login_reverify_tx(struct p11_ctx *ctx, struct p11_slot *slot, bool *granted)
{
	char pin[P11_PIN_MAX + 1];
	size_t len = 0;
	CK_RV rv = CKR_USER_NOT_LOGGED_IN;
	enum p11_keep_result kr = p11_keep_use(&slot->kept, ctx->conf.pin_max_sigs,
	                                       ctx->conf.pin_idle_s, pin, sizeof(pin), &len);

	if (kr == P11_KEEP_EXPIRED)
		keep_end_tx(slot, "the kept PIN reached its bound");
	if (kr != P11_KEEP_OK)
		goto out;
	if (granted != NULL && slot->login_grant) {
		slot->login_grant = false;
		*granted = true;
		log_msg(LOG_PIN,
		        "slot %lu: the login's VERIFY still stands for a per-signature key: "
		        "none sent",
		        (unsigned long)slot->id);
		rv = CKR_OK;
		goto out;
	}
	rv = verify_kept_tx(ctx, slot, pin, len);
out:
	OPENSSL_cleanse(pin, sizeof(pin));
	return rv;
}

CK_RV p11_login_reverify_again_tx(struct p11_ctx *ctx, struct p11_slot *slot)
{
	char pin[P11_PIN_MAX + 1];
	size_t len = 0;
	CK_RV rv = CKR_USER_NOT_LOGGED_IN;

	if (p11_keep_copy(&slot->kept, pin, sizeof(pin), &len))
		rv = verify_kept_tx(ctx, slot, pin, len);
	OPENSSL_cleanse(pin, sizeof(pin));
	return rv;
}

static CK_RV verify_locked(struct p11_ctx *ctx, struct p11_slot *slot, CK_USER_TYPE type,
                           const char *pin, size_t len)
{
	enum akis_pin_which which = type == CKU_SO ? AKIS_PIN_SO : AKIS_PIN_USER;
	int tries = -1;
	akis_rv arv, after;
	CK_RV rv = p11_token_begin_locked(ctx, slot);

	if (rv != CKR_OK)
		return rv;
	if (type == CKU_CONTEXT_SPECIFIC && !slot->user_in) {
		p11_token_end_locked(ctx, slot); /* reset seen: the login is gone (R33) */
		return CKR_USER_NOT_LOGGED_IN;
	}
	arv = pin != NULL ? akis_pin_verify_tx(slot->card, which, pin, len, &tries)
	                  : akis_pinpad_verify_tx(slot->card, which, &tries);
	log_msg(LOG_PIN, "slot %lu: VERIFY %s: %s (tries %d)", (unsigned long)slot->id,
	        which == AKIS_PIN_SO ? "PUK" : "PIN", akis_rv_name(arv), tries);
	after = pin_after_tx(slot, which, arv, tries);
	slot->login_grant = false; /* a wrong VERIFY takes it (docs/card.md §3) */
	if (arv == AKIS_OK && after == AKIS_OK) {
		if (type == CKU_USER) {
			slot->user_in = true; /* token-wide (R17) */
			keep_pin(ctx, slot, pin, len);
			/* R46: the first signature after the login needs no VERIFY of its own */
			slot->login_grant = p11_keep_held(&slot->kept);
		} else if (type == CKU_SO)
			slot->so_in = true;
		else
			slot->consent_ok = true; /* until the next signature (docs/card.md §3) */
	}
	return pin_end_locked(ctx, slot, arv, after);
}

/*
 * R20: a context login belongs to the signing operation of the session
 * that made it (PKCS#11 §5.6), not to the slot: any earlier one, of this
 * session or another, is no longer anybody's. Without a signing operation
 * (C_DecryptInit only) nobody holds it.
 */
static void consent_take_locked(struct p11_slot *slot, struct p11_session *s)
{
	if (++slot->consent_seq == 0)
		slot->consent_seq = 1;
	s->consent_seq = s->op[P11_OP_SIGN] != NULL ? slot->consent_seq : 0;
}

CK_RV p11_login_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                       CK_USER_TYPE type, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char buf[P11_PIN_MAX + 1];
	enum akis_pin_which which = type == CKU_SO ? AKIS_PIN_SO : AKIS_PIN_USER;
	CK_RV rv = login_state_check(ctx, slot, s, type);

	if (rv != CKR_OK)
		goto out;
	rv = pin_take(slot, which, pin, len, buf);
	if (rv != CKR_OK)
		goto out;
	rv = verify_locked(ctx, slot, type, pin ? buf : NULL, len);
	if (rv == CKR_OK && type == CKU_CONTEXT_SPECIFIC)
		consent_take_locked(slot, s);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}

CK_RV p11_logout_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	akis_rv arv;
	CK_RV rv;

	if (!slot->user_in && !slot->so_in)
		return CKR_USER_NOT_LOGGED_IN;
	rv = p11_token_begin_locked(ctx, slot);
	if (rv == CKR_OK) {
		arv = akis_logout_tx(slot->card); /* R22 */
		p11_token_end_locked(ctx, slot);
		rv = p11_token_card_rv_locked(ctx, slot, arv);
	}
	p11_token_logged_out_locked(slot);
	return rv == CKR_USER_NOT_LOGGED_IN ? CKR_OK : rv; /* a reset logged us out already */
}

/*
 * R46: C_SetPIN of the user PIN while a PIN is kept. Changed: the new PIN
 * takes the kept one's place, its bounds running on (none known from a PIN
 * pad: wiped), so that the next signature never spends a try on the old
 * one. Only an answer the card gave that proves its PIN unchanged (63Cx a
 * wrong old PIN, 6700 a length, 6A80 a charset refused; or the same from
 * the host's own check, nothing sent) leaves it. Any other answer (a
 * transport error or timeout, which may come after the card ran the
 * command; a garbled or unknown status word; a blocked PIN) leaves the
 * module unsure which PIN the card holds: the kept one is never sent again
 * and the login ends, as at a bound. (No PIN is kept on a PIN pad reader,
 * so a pad's cancel or timeout never comes here.)
 */
static void keep_after_change_tx(struct p11_slot *slot, akis_rv arv, const char *new_pin,
                                 size_t new_len)
{
	bool same = arv == AKIS_ERR_PIN_INCORRECT || arv == AKIS_ERR_PIN_LEN ||
	            arv == AKIS_ERR_PIN_INVALID;

	if (arv == AKIS_OK) {
		bool kept = new_pin != NULL && p11_keep_replace(&slot->kept, new_pin, new_len);

		if (!kept)
			p11_keep_wipe(&slot->kept);
		log_msg(LOG_PIN, "slot %lu: PIN changed: the kept PIN %s", (unsigned long)slot->id,
		        kept ? "is the new one" : "is wiped");
	} else if (!same || slot->pin[AKIS_PIN_USER].blocked) {
		keep_end_tx(slot, "the PIN change's outcome is unknown: the kept PIN is wiped");
	}
}

static CK_RV change_tx(struct p11_ctx *ctx, struct p11_slot *slot, enum akis_pin_which which,
                       const char *old_pin, size_t old_len, const char *new_pin, size_t new_len)
{
	int tries = -1;
	akis_rv arv, after;
	CK_RV rv = p11_token_begin_locked(ctx, slot);

	if (rv != CKR_OK)
		return rv;
	arv = old_pin != NULL ? akis_pin_change_tx(slot->card, which, old_pin, old_len, new_pin,
	                                           new_len, &tries)
	                      : akis_pinpad_change_tx(slot->card, which, &tries);
	log_msg(LOG_PIN, "slot %lu: CHANGE %s%s: %s (tries %d)", (unsigned long)slot->id,
	        which == AKIS_PIN_SO ? "PUK" : "PIN", old_pin != NULL ? "" : " on the PIN pad",
	        akis_rv_name(arv), tries);
	after = pin_after_tx(slot, which, arv, tries);
	slot->login_grant = false;
	if (which == AKIS_PIN_USER && p11_keep_held(&slot->kept))
		keep_after_change_tx(slot, arv, new_pin, new_len);
	return pin_end_locked(ctx, slot, arv, after);
}

CK_RV p11_set_pin_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                         const CK_UTF8CHAR *old_pin, CK_ULONG old_len, const CK_UTF8CHAR *new_pin,
                         CK_ULONG new_len)
{
	char old_buf[P11_PIN_MAX + 1], new_buf[P11_PIN_MAX + 1];
	enum akis_pin_which which = slot->so_in ? AKIS_PIN_SO : AKIS_PIN_USER; /* R21 */
	CK_RV rv = CKR_ARGUMENTS_BAD;

	memset(old_buf, 0, sizeof(old_buf));
	memset(new_buf, 0, sizeof(new_buf));
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY; /* PKCS#11 2.40 §5.6 C_SetPIN */
		goto out;
	}
	if (old_pin == NULL && new_pin == NULL) {
		rv = pad_take(slot, which, false);
		if (rv == CKR_OK)
			rv = change_tx(ctx, slot, which, NULL, 0, NULL, 0);
		goto out;
	}
	if (old_pin == NULL || new_pin == NULL) /* one PIN on the pad, one given: no such path */
		goto out;
	rv = pin_take(slot, which, old_pin, old_len, old_buf);
	if (rv == CKR_OK)
		rv = pin_take(slot, which, new_pin, new_len, new_buf);
	if (rv == CKR_OK)
		rv = change_tx(ctx, slot, which, old_buf, old_len, new_buf, new_len);
out:
	OPENSSL_cleanse(old_buf, sizeof(old_buf));
	OPENSSL_cleanse(new_buf, sizeof(new_buf));
	return rv;
}

static CK_RV unblock_tx(struct p11_ctx *ctx, struct p11_slot *slot, const char *pin, size_t len)
{
	akis_rv arv, after;
	CK_RV rv = p11_token_begin_locked(ctx, slot);

	if (rv != CKR_OK)
		return rv;
	if (!slot->so_in) {
		p11_token_end_locked(ctx, slot); /* a reset took the PUK's verification (R33) */
		return CKR_USER_NOT_LOGGED_IN;
	}
	arv = pin != NULL ? akis_pin_unblock_tx(slot->card, pin, len)
	                  : akis_pinpad_unblock_tx(slot->card);
	log_msg(LOG_PIN, "slot %lu: RESET RETRY COUNTER%s: %s", (unsigned long)slot->id,
	        pin != NULL ? "" : " on the PIN pad", akis_rv_name(arv));
	/* a reset that worked renews the counter; one that failed left it as it was */
	after = arv == AKIS_OK ? pin_after_tx(slot, AKIS_PIN_USER, arv, -1) : AKIS_OK;
	return pin_end_locked(ctx, slot, arv, after);
}

CK_RV p11_init_pin_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s,
                          const CK_UTF8CHAR *pin, CK_ULONG len)
{
	char buf[P11_PIN_MAX + 1];
	CK_RV rv;

	memset(buf, 0, sizeof(buf));
	if (!slot->so_in) {
		rv = CKR_USER_NOT_LOGGED_IN; /* PKCS#11 2.40 §5.6 C_InitPIN: SO session */
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (pin == NULL) {
		rv = pad_take(slot, AKIS_PIN_USER, true);
		if (rv == CKR_OK)
			rv = unblock_tx(ctx, slot, NULL, 0);
		goto out;
	}
	rv = CKR_PIN_LEN_RANGE; /* R18, as pin_take */
	if (len > P11_PIN_MAX)
		goto out;
	memcpy(buf, pin, len);
	/* the user PIN may be locked: that is what C_InitPIN is for */
	rv = p11_rv_from_akis(akis_pin_check(slot->card, AKIS_PIN_USER, buf, len));
	if (rv == CKR_OK)
		rv = unblock_tx(ctx, slot, buf, len);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rv;
}
