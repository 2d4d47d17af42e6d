/* SPDX-License-Identifier: BSD-3-Clause */
#include "acquire.h"

#include "token.h"

/* A token that has gone takes its sessions with it (R32). Both locks. */
static void drop_token_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_session_close_all_locked(ctx, slot, false);
	p11_token_unbind_locked(ctx, slot);
}

/* The card lock, then the state lock (slot.h). */
static void lock_both(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_fair_lock(&ctx->locking, slot->lock);
	p11_token_state_lock(ctx, slot);
}

CK_RV p11_acquire_slot_any(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out)
{
	struct p11_slot *slot = p11_slot_get(ctx, id);

	if (slot == NULL)
		return CKR_SLOT_ID_INVALID;
	lock_both(ctx, slot);
	*out = slot;
	return CKR_OK;
}

/* After the rescan: lock, drop an earlier token, bind the current one. */
static CK_RV slot_bound(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out)
{
	struct p11_slot *slot;
	CK_RV rv = p11_acquire_slot_any(ctx, id, &slot);

	if (rv != CKR_OK)
		return rv;
	if (p11_token_stale_locked(ctx, slot))
		drop_token_locked(ctx, slot); /* an earlier token's */
	rv = p11_token_bind_locked(ctx, slot);
	if (rv != CKR_OK) {
		p11_release(ctx, slot);
		return rv;
	}
	*out = slot;
	return CKR_OK;
}

CK_RV p11_acquire_slot(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out)
{
	p11_slots_refresh(ctx);
	return slot_bound(ctx, id, out);
}

CK_RV p11_acquire_session(struct p11_ctx *ctx, CK_SESSION_HANDLE h, struct p11_session **out,
                          struct p11_slot **out_slot)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_SLOT_ID id = 0;

	if (h == CK_INVALID_HANDLE || p11_session_find(ctx, h, &id) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	slot = p11_slot_get(ctx, id);
	if (slot == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	lock_both(ctx, slot);
	/* Closed meanwhile? (closing needs this slot lock) */
	s = p11_session_find(ctx, h, &id);
	if (s == NULL) {
		p11_release(ctx, slot);
		return CKR_SESSION_HANDLE_INVALID;
	}
	if (s->token_seq != slot->bound_seq || !p11_token_bound_locked(ctx, slot)) {
		drop_token_locked(ctx, slot); /* R32: the token it was opened on is gone */
		p11_release(ctx, slot);
		return CKR_SESSION_HANDLE_INVALID;
	}
	*out = s;
	*out_slot = slot;
	return CKR_OK;
}

void p11_release(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_token_state_unlock(ctx, slot);
	p11_fair_unlock(&ctx->locking, slot->lock);
}

/* State lock held: is the binding complete and current? */
static bool mem_ready(struct p11_ctx *ctx, struct p11_slot *slot)
{
	return slot->mem_ok && p11_token_bound_locked(ctx, slot);
}

CK_RV p11_acquire_slot_mem(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out)
{
	struct p11_slot *slot;
	CK_RV rv;

	p11_slots_refresh(ctx); /* a removal is seen at once (R32) */
	slot = p11_slot_get(ctx, id);
	if (slot == NULL)
		return CKR_SLOT_ID_INVALID;
	p11_token_state_lock(ctx, slot);
	if (mem_ready(ctx, slot)) {
		*out = slot;
		return CKR_OK;
	}
	p11_token_state_unlock(ctx, slot);
	rv = slot_bound(ctx, id, &slot); /* bind first: the card's way */
	if (rv != CKR_OK)
		return rv;
	p11_fair_unlock(&ctx->locking, slot->lock); /* keep the state lock only */
	*out = slot;
	return CKR_OK;
}

CK_RV p11_acquire_session_mem(struct p11_ctx *ctx, CK_SESSION_HANDLE h, struct p11_session **out,
                              struct p11_slot **out_slot)
{
	struct p11_session *s;
	struct p11_slot *slot;
	CK_SLOT_ID id = 0;
	CK_RV rv;

	if (h == CK_INVALID_HANDLE || p11_session_find(ctx, h, &id) == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	slot = p11_slot_get(ctx, id);
	if (slot == NULL)
		return CKR_SESSION_HANDLE_INVALID;
	p11_token_state_lock(ctx, slot);
	s = p11_session_find(ctx, h, &id); /* closing frees it under this lock */
	if (s != NULL && mem_ready(ctx, slot) && s->token_seq == slot->bound_seq) {
		*out = s;
		*out_slot = slot;
		return CKR_OK;
	}
	p11_token_state_unlock(ctx, slot);
	rv = p11_acquire_session(ctx, h, &s, &slot); /* closed, or its token gone */
	if (rv != CKR_OK)
		return rv;
	p11_fair_unlock(&ctx->locking, slot->lock);
	*out = s;
	*out_slot = slot;
	return CKR_OK;
}

void p11_release_mem(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_token_state_unlock(ctx, slot);
}
