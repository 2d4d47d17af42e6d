/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R30 on C_Sign / C_SignFinal at the ops.c level (p11_sign_locked), the
 * way test_mech.c tests C_Decrypt: a NULL buffer answers the size, a short
 * buffer CKR_BUFFER_TOO_SMALL with the size, and both keep the operation
 * and send nothing (PKCS#11 3.0 §5.2); a PIN-per-signature key without its
 * context login answers CKR_USER_NOT_LOGGED_IN and, like every answer but
 * those two, ends the operation (§5.13, R20); the context login is the
 * signing session's, not the slot's. The card is object_fixtures.h's hand-built struct akis_card:
 * it has no transport (io NULL), so any attempt at an APDU would crash here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../log/log.h"
#include "../../pkcs11/mech.h"
#include "../../pkcs11/ops.h"
#include "../../pkcs11/session.h"
#include "../../pkcs11/slot.h"
#include "object_fixtures.h"

__attribute__((weak)) void log_msg(enum log_cat cat, const char *fmt, ...)
{
	(void)cat;
	(void)fmt;
}

struct tctx {
	struct fx f;
	struct p11_objset set;
	struct p11_ctx ctx;
	struct p11_slot slot;
	struct p11_session s;
};

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof *t);
	t->f = fx_card(AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION);
	assert_int_equal(p11_objects_build(t->f.card, 1, &t->set), CKR_OK);
	assert_null(t->f.card->io); /* no transport: an APDU would crash */
	t->slot.card = t->f.card;
	t->slot.user_in = true;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;
	p11_session_end_op(&t->s, P11_OP_SIGN);
	p11_objects_free(&t->set);
	fx_card_free(&t->f);
	free(t);
	return 0;
}

static const struct p11_object *priv_key(struct tctx *t, uint8_t id)
{
	CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &klass, sizeof klass}, {CKA_ID, &id, 1}};
	for (size_t i = 0; i < t->set.n; i++)
		if (p11_object_match(&t->set.objs[i], tmpl, 2))
			return &t->set.objs[i];
	fail_msg("no private key %u", id);
	return NULL;
}

static void sign_init(struct tctx *t, uint8_t id, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM mech = {m, NULL, 0};
	assert_null(t->s.op[P11_OP_SIGN]);
	assert_int_equal(
	        p11_op_new(P11_OP_SIGN, t->f.card, priv_key(t, id), &mech, &t->s.op[P11_OP_SIGN]),
	        CKR_OK);
}

/* The §5.2 rules for one signing key (no consent needed): C_Sign and
 * C_SignFinal, NULL and a buffer one byte short. */
static void size_rules(struct tctx *t, uint8_t id, CK_MECHANISM_TYPE m, CK_ULONG want)
{
	static const CK_BYTE msg[] = "data to be signed";
	CK_BYTE sig[600];
	CK_ULONG n = 0;

	for (int final = 0; final < 2; final++) {
		sign_init(t, id, m);
		if (final)
			assert_int_equal(
			        p11_op_update_locked(&t->s, P11_OP_SIGN, msg, sizeof msg, NULL),
			        CKR_OK);
		n = 0;
		assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, final ? NULL : msg,
		                                 final ? 0 : sizeof msg, final, NULL, &n),
		                 CKR_OK);
		assert_int_equal(n, want);
		assert_non_null(t->s.op[P11_OP_SIGN]);
		n = want - 1;
		assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, final ? NULL : msg,
		                                 final ? 0 : sizeof msg, final, sig, &n),
		                 CKR_BUFFER_TOO_SMALL);
		assert_int_equal(n, want);
		assert_non_null(t->s.op[P11_OP_SIGN]);
		n = 0; /* a zero-length buffer that is not NULL: too small, not a query */
		assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, final ? NULL : msg,
		                                 final ? 0 : sizeof msg, final, sig, &n),
		                 CKR_BUFFER_TOO_SMALL);
		assert_int_equal(n, want);
		assert_non_null(t->s.op[P11_OP_SIGN]);
		p11_session_end_op(&t->s, P11_OP_SIGN);
	}
}

/* R30: RSA-2048 (256 bytes) and ECDSA P-384 (96 bytes, R29), single and
 * multi-part; the size rules come before the consent of key 01 (none given
 * here: they answer all the same). */
static void test_sign_size_rules(void **state)
{
	struct tctx *t = *state;
	size_rules(t, 0x01, CKM_SHA256_RSA_PKCS, 256);
	size_rules(t, 0x01, CKM_RSA_PKCS, 256);
	size_rules(t, 0x01, CKM_SHA384_RSA_PKCS, 256);
	size_rules(t, 0x02, CKM_ECDSA_SHA384, 96);
	size_rules(t, 0x02, CKM_ECDSA, 96);
}

/* R20 + §5.13: the PIN-per-signature key (keys[0], userConsent) logged in
 * but without C_Login(CKU_CONTEXT_SPECIFIC): size queries answer without
 * the card and keep the operation; C_Sign / C_SignFinal answer
 * CKR_USER_NOT_LOGGED_IN and end it, so that C_SignInit works again. */
static void test_sign_refused_ends_op(void **state)
{
	struct tctx *t = *state;
	static const CK_BYTE msg[] = "abc";
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[300];
	CK_ULONG n = 0;

	sign_init(t, 0x01, CKM_SHA256_RSA_PKCS);
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, NULL, &n),
	                 CKR_OK);
	assert_int_equal(n, 256);
	assert_non_null(t->s.op[P11_OP_SIGN]);
	n = sizeof sig;
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, sig, &n),
	                 CKR_USER_NOT_LOGGED_IN);
	assert_null(t->s.op[P11_OP_SIGN]);
	/* the next C_SignInit, with the other key (its handle from the set) */
	t->slot.objs = t->set;
	assert_int_equal(
	        p11_op_init_locked(&t->slot, &t->s, P11_OP_SIGN, &mech, priv_key(t, 0x02)->handle),
	        CKR_OK);
	memset(&t->slot.objs, 0, sizeof t->slot.objs);
	p11_session_end_op(&t->s, P11_OP_SIGN);
	/* C_SignFinal after C_SignUpdate: the same */
	sign_init(t, 0x01, CKM_SHA256_RSA_PKCS);
	assert_int_equal(p11_op_update_locked(&t->s, P11_OP_SIGN, msg, 3, NULL), CKR_OK);
	n = sizeof sig;
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, NULL, 0, true, sig, &n),
	                 CKR_USER_NOT_LOGGED_IN);
	assert_null(t->s.op[P11_OP_SIGN]);
}

/* R20: the context login is the signing operation's of the session that
 * made it (consent_take_locked in login.c numbers it). Another session's
 * signature is refused before any APDU (the card here has no transport);
 * the holder keeps it until its own operation ends. */
static void test_consent_per_session(void **state)
{
	struct tctx *t = *state;
	struct p11_session s1 = {0};
	static const CK_BYTE msg[] = "abc";
	CK_BYTE sig[300];
	CK_ULONG n = sizeof sig;

	s1.handle = 7;
	t->s.handle = 8;
	assert_int_equal(p11_op_new(P11_OP_SIGN, t->f.card, priv_key(t, 0x01),
	                            &(CK_MECHANISM){CKM_SHA256_RSA_PKCS, NULL, 0},
	                            &s1.op[P11_OP_SIGN]),
	                 CKR_OK);
	t->slot.consent_ok = true; /* session 1's context VERIFY */
	t->slot.consent_seq = 5;
	s1.consent_seq = 5;
	sign_init(t, 0x01, CKM_SHA256_RSA_PKCS);
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, sig, &n),
	                 CKR_USER_NOT_LOGGED_IN);
	assert_null(t->s.op[P11_OP_SIGN]);
	assert_true(t->slot.consent_ok);
	assert_int_equal(s1.consent_seq, 5);
	/* an earlier number (a superseded context login) is not enough */
	sign_init(t, 0x01, CKM_SHA256_RSA_PKCS);
	t->s.consent_seq = 4;
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, sig, &n),
	                 CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->s.consent_seq, 0);
	/* session 1's operation ends without a signature: its login with it */
	assert_int_equal(p11_op_init_locked(&t->slot, &s1, P11_OP_SIGN, NULL, 0), CKR_OK);
	assert_null(s1.op[P11_OP_SIGN]);
	assert_int_equal(s1.consent_seq, 0);
}

/* Not logged in at all: CKR_USER_NOT_LOGGED_IN without the card; no
 * operation: CKR_OPERATION_NOT_INITIALIZED. */
static void test_sign_states(void **state)
{
	struct tctx *t = *state;
	static const CK_BYTE msg[] = "abc";
	CK_BYTE sig[300];
	CK_ULONG n = sizeof sig;

	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, sig, &n),
	                 CKR_OPERATION_NOT_INITIALIZED);
	sign_init(t, 0x02, CKM_ECDSA_SHA256);
	t->slot.user_in = false;
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, sig, &n),
	                 CKR_USER_NOT_LOGGED_IN);
	t->slot.user_in = true;
	p11_session_end_op(&t->s, P11_OP_SIGN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_sign_size_rules, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sign_refused_ends_op, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_consent_per_session, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sign_states, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, fx_group_teardown);
}
