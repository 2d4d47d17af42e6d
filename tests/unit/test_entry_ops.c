/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * R30 on C_Sign / C_SignFinal at the ops.c level (p11_sign_locked), the
 * way test_mech.c tests C_Decrypt: a NULL buffer answers the size, a short
 * buffer CKR_BUFFER_TOO_SMALL with the size, and both keep the operation
 * and send nothing (PKCS#11 3.0 §5.2); a PIN-per-signature key without its
 * context login answers CKR_USER_NOT_LOGGED_IN and keeps the operation
 * (R20). The card is object_fixtures.h's hand-built struct akis_card: it
 * has no transport (io NULL), so any attempt at an APDU would crash here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../apdu/log.h"
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
	assert_int_equal(p11_op_new(P11_OP_SIGN, t->f.card, priv_key(t, id), &mech,
	                            &t->s.op[P11_OP_SIGN]),
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
			assert_int_equal(p11_op_update_locked(&t->s, P11_OP_SIGN, msg, sizeof msg, NULL),
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
 * multi-part; the consent flag is irrelevant for the EC key (no consent). */
static void test_sign_size_rules(void **state)
{
	struct tctx *t = *state;
	t->slot.consent_ok = true; /* key 01 needs consent: given, so only §5.2 answers */
	size_rules(t, 0x01, CKM_SHA256_RSA_PKCS, 256);
	size_rules(t, 0x01, CKM_RSA_PKCS, 256);
	size_rules(t, 0x01, CKM_SHA384_RSA_PKCS, 256);
	t->slot.consent_ok = false;
	size_rules(t, 0x02, CKM_ECDSA_SHA384, 96);
	size_rules(t, 0x02, CKM_ECDSA, 96);
}

/* R20 + R30: the PIN-per-signature key (keys[0], userConsent) logged in
 * but without C_Login(CKU_CONTEXT_SPECIFIC): CKR_USER_NOT_LOGGED_IN, the
 * operation stays for the context login and a retry; size queries still
 * answer without the card; multi-part data already given is kept. */
static void test_sign_consent_keeps_op(void **state)
{
	struct tctx *t = *state;
	static const CK_BYTE msg[] = "abc";
	CK_BYTE sig[300];
	CK_ULONG n = sizeof sig;

	t->slot.consent_ok = false;
	sign_init(t, 0x01, CKM_SHA256_RSA_PKCS);
	for (int i = 0; i < 3; i++) {
		n = sizeof sig;
		assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, sig, &n),
		                 CKR_USER_NOT_LOGGED_IN);
		assert_non_null(t->s.op[P11_OP_SIGN]);
	}
	n = 0;
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, msg, 3, false, NULL, &n), CKR_OK);
	assert_int_equal(n, 256);
	assert_non_null(t->s.op[P11_OP_SIGN]);
	p11_session_end_op(&t->s, P11_OP_SIGN);
	/* C_SignFinal after C_SignUpdate: the same */
	sign_init(t, 0x01, CKM_SHA256_RSA_PKCS);
	assert_int_equal(p11_op_update_locked(&t->s, P11_OP_SIGN, msg, 3, NULL), CKR_OK);
	n = sizeof sig;
	assert_int_equal(p11_sign_locked(&t->ctx, &t->slot, &t->s, NULL, 0, true, sig, &n),
	                 CKR_USER_NOT_LOGGED_IN);
	assert_non_null(t->s.op[P11_OP_SIGN]);
	p11_session_end_op(&t->s, P11_OP_SIGN);
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
		cmocka_unit_test_setup_teardown(test_sign_consent_keeps_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sign_states, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, fx_group_teardown);
}
