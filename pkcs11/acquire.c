/* SPDX-License-Identifier: BSD-3-Clause */
#include "acquire.h"

#include "token.h"

/* A token that has gone takes its sessions with it (R32). Slot locked. */
static void drop_token_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_session_close_all_locked(ctx, slot, false);
	p11_token_unbind_locked(ctx, slot);
}

CK_RV p11_acquire_slot(struct p11_ctx *ctx, CK_SLOT_ID id, struct p11_slot **out)
{
	struct p11_slot *slot;
	CK_RV rv;

	p11_slots_refresh(ctx);
	slot = p11_slot_get(ctx, id);
	if (slot == NULL)
		return CKR_SLOT_ID_INVALID;
	p11_mutex_lock(&ctx->locking, slot->lock);
	if (p11_token_stale_locked(ctx, slot))
		drop_token_locked(ctx, slot); /* an earlier token's */
	rv = p11_token_bind_locked(ctx, slot);
	if (rv != CKR_OK) {
		p11_mutex_unlock(&ctx->locking, slot->lock);
		return rv;
	}
	*out = slot;
	return CKR_OK;
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
	p11_mutex_lock(&ctx->locking, slot->lock);
	/* Closed meanwhile? (closing needs this slot lock) */
	s = p11_session_find(ctx, h, &id);
	if (s == NULL) {
		p11_mutex_unlock(&ctx->locking, slot->lock);
		return CKR_SESSION_HANDLE_INVALID;
	}
	if (s->token_seq != slot->bound_seq || !p11_token_bound_locked(ctx, slot)) {
		drop_token_locked(ctx, slot); /* R32: the token it was opened on is gone */
		p11_mutex_unlock(&ctx->locking, slot->lock);
		return CKR_SESSION_HANDLE_INVALID;
	}
	*out = s;
	*out_slot = slot;
	return CKR_OK;
}

void p11_release(struct p11_ctx *ctx, struct p11_slot *slot)
{
	p11_mutex_unlock(&ctx->locking, slot->lock);
}
