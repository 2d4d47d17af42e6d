/* SPDX-License-Identifier: BSD-3-Clause */
/* Session table and per-session state (R17, R22, R32). */
#include "session.h"

#include <stdlib.h>
#include <string.h>

#include "../log/log.h"
#include "token.h"

/* reg_lock held */
static struct p11_session *find_locked(struct p11_ctx *ctx, CK_SESSION_HANDLE h, size_t *idx)
{
	size_t i;

	for (i = 0; i < ctx->n_sessions; i++) {
		if (ctx->sessions[i]->handle == h) {
			if (idx != NULL)
				*idx = i;
			return ctx->sessions[i];
		}
	}
	return NULL;
}

/* reg_lock held */
static CK_RV table_add(struct p11_ctx *ctx, struct p11_session *s)
{
	struct p11_session **n;
	size_t cap;

	if (ctx->n_sessions == ctx->cap_sessions) {
		cap = ctx->cap_sessions ? ctx->cap_sessions * 2 : 16;
		n = realloc(ctx->sessions, cap * sizeof(*n));
		if (n == NULL)
			return CKR_HOST_MEMORY;
		ctx->sessions = n;
		ctx->cap_sessions = cap;
	}
	ctx->sessions[ctx->n_sessions++] = s;
	return CKR_OK;
}

CK_RV p11_session_open_locked(struct p11_ctx *ctx, struct p11_slot *slot, CK_FLAGS flags,
                              CK_SESSION_HANDLE_PTR out)
{
	struct p11_session *s;
	CK_RV rv;

	if (slot->so_in && !(flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_WRITE_SO_EXISTS; /* PKCS#11 2.40 §5.6 */
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CKR_HOST_MEMORY;
	s->slot = slot->id;
	s->flags = flags;
	s->token_seq = slot->bound_seq;
	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	s->handle = ctx->next_session++; /* never 0, never reused */
	rv = table_add(ctx, s);
	if (rv == CKR_OK) {
		slot->n_sessions++;
		if (flags & CKF_RW_SESSION)
			slot->n_rw_sessions++;
		*out = s->handle;
		s = NULL;
	}
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	free(s);
	return rv;
}

struct p11_session *p11_session_find(struct p11_ctx *ctx, CK_SESSION_HANDLE h, CK_SLOT_ID *slot)
{
	struct p11_session *s;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	s = find_locked(ctx, h, NULL);
	if (s != NULL)
		*slot = s->slot;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return s;
}

void p11_session_end_op(struct p11_session *s, enum p11_op_kind kind)
{
	p11_op_free(s->op[kind]);
	s->op[kind] = NULL;
	if (kind == P11_OP_SIGN)
		s->consent_seq = 0;
}

void p11_session_clear_ops(struct p11_session *s)
{
	size_t i;

	for (i = 0; i < P11_OP_KINDS; i++) {
		p11_op_free(s->op[i]);
		s->op[i] = NULL;
	}
	s->consent_seq = 0;
	free(s->found);
	s->found = NULL;
	s->n_found = s->pos = 0;
	s->finding = false;
}

/* reg_lock held: unlink s, update the slot's counts. */
static void unlink_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s)
{
	size_t idx;

	if (find_locked(ctx, s->handle, &idx) != s)
		return;
	ctx->sessions[idx] = ctx->sessions[--ctx->n_sessions];
	slot->n_sessions--;
	if (s->flags & CKF_RW_SESSION)
		slot->n_rw_sessions--;
}

static void logout_card_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	akis_rv arv;
	CK_RV rv;

	if (!p11_token_dirty_locked(slot))
		return;
	if (p11_token_begin_locked(ctx, slot) == CKR_OK) {
		arv = akis_logout_tx(slot->card); /* R22: last session closed */
		p11_token_end_locked(ctx, slot);
		rv = p11_token_card_rv_locked(ctx, slot, arv);
		if (rv != CKR_OK)
			log_msg(LOG_P11, "slot %lu: LOGOUT failed (0x%lx)", (unsigned long)slot->id,
			        rv);
	}
	p11_token_logged_out_locked(slot);
}

void p11_session_close_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s)
{
	unsigned left;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	unlink_locked(ctx, slot, s);
	left = slot->n_sessions;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	p11_session_clear_ops(s);
	free(s);
	if (left == 0)
		logout_card_locked(ctx, slot);
}

void p11_session_close_all_locked(struct p11_ctx *ctx, struct p11_slot *slot, bool with_logout)
{
	struct p11_session *s;
	size_t i;

	for (;;) {
		s = NULL;
		p11_mutex_lock(&ctx->locking, ctx->reg_lock);
		for (i = 0; i < ctx->n_sessions && s == NULL; i++)
			if (ctx->sessions[i]->slot == slot->id)
				s = ctx->sessions[i];
		if (s != NULL)
			unlink_locked(ctx, slot, s);
		p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
		if (s == NULL)
			break;
		p11_session_clear_ops(s);
		free(s);
	}
	if (with_logout)
		logout_card_locked(ctx, slot);
	else
		p11_token_logged_out_locked(slot);
}

unsigned p11_session_count_ro_locked(struct p11_ctx *ctx, struct p11_slot *slot)
{
	unsigned n;

	p11_mutex_lock(&ctx->locking, ctx->reg_lock);
	n = slot->n_sessions - slot->n_rw_sessions;
	p11_mutex_unlock(&ctx->locking, ctx->reg_lock);
	return n;
}

void p11_session_info_locked(const struct p11_slot *slot, const struct p11_session *s,
                             CK_SESSION_INFO *info)
{
	bool rw = (s->flags & CKF_RW_SESSION) != 0;

	memset(info, 0, sizeof(*info));
	info->slotID = s->slot;
	info->flags = s->flags;
	if (slot->so_in)
		info->state = CKS_RW_SO_FUNCTIONS;
	else if (slot->user_in)
		info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	else
		info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	info->ulDeviceError = 0;
}

const struct p11_object *p11_session_object_locked(struct p11_slot *slot, CK_OBJECT_HANDLE h)
{
	const struct p11_object *o = p11_objects_find_handle(&slot->objs, h);

	if (o != NULL && o->is_private && !slot->user_in)
		return NULL; /* not visible outside a user session */
	return o;
}

void p11_sessions_free_all(struct p11_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->n_sessions; i++) {
		p11_session_clear_ops(ctx->sessions[i]);
		free(ctx->sessions[i]);
	}
	free(ctx->sessions);
	ctx->sessions = NULL;
	ctx->n_sessions = ctx->cap_sessions = 0;
}
