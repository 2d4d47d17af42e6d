/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pkcs11/ops.c and login.c without a card: C_InitPIN's PIN length answer (R18: CKR_PIN_LEN_RANGE
 * without an APDU, as C_Login), and the software-only operations sharing
 * one final step (ops.c): size query and CKR_BUFFER_TOO_SMALL keep the
 * operation (PKCS#11 3.0 §5.2, R30), a finished one is gone.
 * No card: every path tested here must return before any card access
 * (slot->card is NULL, so an APDU attempt would crash the test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../pkcs11/login.h"
#include "../../pkcs11/mech.h"
#include "../../pkcs11/ops.h"
#include "../../pkcs11/session.h"
#include "../../pkcs11/slot.h"

static void slot_blank(struct p11_slot *slot)
{
	memset(slot, 0, sizeof(*slot));
	slot->pin[AKIS_PIN_USER].tries = -1;
	slot->pin[AKIS_PIN_USER].max = 3;
	slot->pin[AKIS_PIN_SO].tries = -1;
	slot->pin[AKIS_PIN_SO].max = 3;
}

static void test_init_pin_too_long(void **state)
{
	struct p11_ctx ctx;
	struct p11_slot slot;
	struct p11_session s;
	CK_UTF8CHAR pin[P11_PIN_MAX + 1];

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	memset(&s, 0, sizeof(s));
	memset(pin, '1', sizeof(pin));
	slot_blank(&slot);
	slot.so_in = true;
	s.flags = CKF_SERIAL_SESSION | CKF_RW_SESSION;
	assert_int_equal(p11_init_pin_locked(&ctx, &slot, &s, pin, sizeof(pin)), CKR_PIN_LEN_RANGE);
	assert_int_equal(p11_init_pin_locked(&ctx, &slot, &s, NULL, 4), CKR_ARGUMENTS_BAD);
	/* state checks still come first */
	slot.so_in = false;
	assert_int_equal(p11_init_pin_locked(&ctx, &slot, &s, pin, sizeof(pin)),
	                 CKR_USER_NOT_LOGGED_IN);
	slot.so_in = true;
	s.flags = CKF_SERIAL_SESSION;
	assert_int_equal(p11_init_pin_locked(&ctx, &slot, &s, pin, sizeof(pin)),
	                 CKR_SESSION_READ_ONLY);
}

static void test_login_too_long_same_answer(void **state)
{
	struct p11_ctx ctx;
	struct p11_slot slot;
	struct p11_session s;
	CK_UTF8CHAR pin[P11_PIN_MAX + 1];

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	memset(&s, 0, sizeof(s));
	memset(pin, '1', sizeof(pin));
	slot_blank(&slot);
	s.flags = CKF_SERIAL_SESSION;
	assert_int_equal(p11_login_locked(&ctx, &slot, &s, CKU_USER, pin, sizeof(pin)),
	                 CKR_PIN_LEN_RANGE);
	assert_false(slot.user_in);
}

static void digest_init(struct p11_session *s)
{
	CK_MECHANISM m = {CKM_SHA256, NULL, 0};

	assert_int_equal(p11_op_new(P11_OP_DIGEST, NULL, NULL, &m, &s->op[P11_OP_DIGEST]), CKR_OK);
}

static void test_digest_size_rules(void **state)
{
	static const CK_BYTE abc[3] = {'a', 'b', 'c'};
	static const CK_BYTE sha256_abc[32] = {
	        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct p11_session s;
	CK_BYTE out[64];
	CK_ULONG n = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	digest_init(&s);
	/* size query: 32, operation kept */
	assert_int_equal(p11_digest_locked(&s, abc, 3, false, NULL, &n), CKR_OK);
	assert_int_equal(n, 32);
	assert_non_null(s.op[P11_OP_DIGEST]);
	/* too small: 32 and CKR_BUFFER_TOO_SMALL, operation kept */
	n = 31;
	assert_int_equal(p11_digest_locked(&s, abc, 3, false, out, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 32);
	assert_non_null(s.op[P11_OP_DIGEST]);
	/* the data was not taken twice: the digest is of "abc" */
	n = sizeof(out);
	assert_int_equal(p11_digest_locked(&s, abc, 3, false, out, &n), CKR_OK);
	assert_int_equal(n, 32);
	assert_memory_equal(out, sha256_abc, 32);
	assert_null(s.op[P11_OP_DIGEST]);
	assert_int_equal(p11_digest_locked(&s, abc, 3, false, out, &n),
	                 CKR_OPERATION_NOT_INITIALIZED);
}

static void test_digest_multipart(void **state)
{
	static const CK_BYTE sha256_abc_prefix[4] = {0xba, 0x78, 0x16, 0xbf};
	struct p11_session s;
	CK_BYTE out[32];
	CK_ULONG n = sizeof(out);

	(void)state;
	memset(&s, 0, sizeof(s));
	digest_init(&s);
	assert_int_equal(p11_op_update_locked(&s, P11_OP_DIGEST, (const CK_BYTE *)"ab", 2, NULL),
	                 CKR_OK);
	assert_int_equal(p11_op_update_locked(&s, P11_OP_DIGEST, (const CK_BYTE *)"c", 1, NULL),
	                 CKR_OK);
	n = 0;
	assert_int_equal(p11_digest_locked(&s, NULL, 0, true, NULL, &n), CKR_OK);
	assert_int_equal(n, 32);
	n = sizeof(out);
	assert_int_equal(p11_digest_locked(&s, NULL, 0, true, out, &n), CKR_OK);
	assert_memory_equal(out, sha256_abc_prefix, 4);
	assert_null(s.op[P11_OP_DIGEST]);
}

static void test_encrypt_not_initialised(void **state)
{
	struct p11_session s;
	CK_BYTE out[8] = {0};
	CK_ULONG n = sizeof(out);

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(p11_encrypt_locked(&s, out, 1, false, out, &n),
	                 CKR_OPERATION_NOT_INITIALIZED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_init_pin_too_long),
	        cmocka_unit_test(test_login_too_long_same_answer),
	        cmocka_unit_test(test_digest_size_rules),
	        cmocka_unit_test(test_digest_multipart),
	        cmocka_unit_test(test_encrypt_not_initialised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
