/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sessions (R17, R32): a table under ctx->reg_lock, handles from a
 * monotonic counter; a session's mutable state (operations, find state) is
 * touched only with its slot locked.
 */
#ifndef AKIS_PKCS11_SESSION_H
#define AKIS_PKCS11_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "mech.h"
#include "ctx.h"
#include "p11.h"
#include "slot.h"

#define P11_OP_KINDS 5u /* enum p11_op_kind */

struct p11_session {
	CK_SESSION_HANDLE handle;
	CK_SLOT_ID slot;
	CK_FLAGS flags;
	unsigned long token_seq; /* the token instance it was opened on */

	/* slot lock */
	struct p11_op *op[P11_OP_KINDS];
	/* R20: the context login (slot->consent_seq) its signing operation
	 * holds, 0 none; ends with that operation */
	unsigned long consent_seq;
	bool finding;
	CK_OBJECT_HANDLE *found;
	size_t n_found, pos;
};

/* C_OpenSession with the slot locked and bound. */
CK_RV p11_session_open_locked(struct p11_ctx *ctx, struct p11_slot *slot, CK_FLAGS flags,
                              CK_SESSION_HANDLE_PTR out) P11_WUR;
/* The session with handle h and its slot ID (reg_lock taken here), or
 * NULL. Use it only with its slot locked (acquire.h). */
struct p11_session *p11_session_find(struct p11_ctx *ctx, CK_SESSION_HANDLE h, CK_SLOT_ID *slot);
/* Close one session (slot locked); the last one of a token logs out (R22). */
void p11_session_close_locked(struct p11_ctx *ctx, struct p11_slot *slot, struct p11_session *s);
/* Close every session of the slot (slot locked). with_logout: send LOGOUT
 * when logged in (C_CloseAllSessions), not for a removed token. */
void p11_session_close_all_locked(struct p11_ctx *ctx, struct p11_slot *slot, bool with_logout);
/* Number of read-only sessions on the slot (slot locked). */
unsigned p11_session_count_ro_locked(struct p11_ctx *ctx, struct p11_slot *slot);
/* Free a session's operations and find state. */
void p11_session_clear_ops(struct p11_session *s);
/* End one operation; ending the signing one drops its context login (R20). */
void p11_session_end_op(struct p11_session *s, enum p11_op_kind kind);

/* C_GetSessionInfo from memory (R10). */
void p11_session_info_locked(const struct p11_slot *slot, const struct p11_session *s,
                             CK_SESSION_INFO *info);

/* Object visible to this session (private ones only when logged in). */
const struct p11_object *p11_session_object_locked(struct p11_slot *slot, CK_OBJECT_HANDLE h);

/* Free all sessions of the table (C_Finalize, nothing else running). */
void p11_sessions_free_all(struct p11_ctx *ctx);

#endif
