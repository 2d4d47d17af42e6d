/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixture for the test_entry_*.c binaries: the C_* entry points over a
 * fake PC/SC layer (this header defines apdu/pcsc.h's functions, so
 * libakis-core.a's pcsc.o is not linked, as in test_p11_pinpad.c) with one
 * reader holding an emulated AKİS 1.2 card.
 *
 * Unlike the scripted transport (apdu/script.h), the emulated card answers
 * whatever it is sent, in any order (several threads may drive it): SELECT
 * by path / FID / name, READ BINARY over the img_make_1x() files (EF.DIR,
 * ODF, TokenInfo, AODF, PrKDF, CDF, certificate 2F10), GET DATA, VERIFY
 * (PIN 12345, status without data), LOGOUT, MSE 1.x, PSO CDS with chaining
 * (raw RSA for a modulus-length block, else PKCS#1 v1.5 over a DigestInfo,
 * with the real key: the signatures verify), GET CHALLENGE. Every raw
 * command is counted (g_emu.apdus), per instruction too, so that a test can
 * assert "no APDU" around a call.
 *
 * Included by one test .c each (static functions).
 */
#ifndef AKIS_TESTS_ENTRY_FIXTURE_H
#define AKIS_TESTS_ENTRY_FIXTURE_H

#include "akis_fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "../../apdu/pcsc.h"
#include "../../pkcs11/entry.h"

#define EMU_READER "Emulated AKIS Reader 00 00"
#define EMU_PIN    "12345"

struct emu {
	pthread_mutex_t mu; /* the card itself: one command at a time */
	struct img img;
	EVP_PKEY *rsa;
	atomic_ulong apdus;       /* raw commands received */
	atomic_ulong by_ins[256]; /* … per INS */
	atomic_int connects;
	atomic_int tx_depth; /* open transactions (begin − end) */
	atomic_int resets;   /* transactions ended with a card reset */
	atomic_int tx_max;
	atomic_int bad; /* protocol errors seen by the card (a test asserts 0) */
	/* volatile card state, under mu */
	const uint8_t *cur; /* current EF data, NULL for a DF */
	size_t cur_len;
	bool pin_ok;
	int tries;
	int se_ref; /* MSE key reference, -1 none */
	uint8_t chain[600];
	size_t chain_len;
};

static struct emu g_emu;

FIXTURE_FN void emu_reset_counts(void)
{
	atomic_store(&g_emu.apdus, 0);
	for (size_t i = 0; i < 256; i++)
		atomic_store(&g_emu.by_ins[i], 0);
}

FIXTURE_FN unsigned long emu_apdus(void)
{
	return atomic_load(&g_emu.apdus);
}

FIXTURE_FN unsigned long emu_ins(uint8_t ins)
{
	return atomic_load(&g_emu.by_ins[ins]);
}

/* ----- the card ----- */

static size_t emu_sw(uint8_t *r, size_t n, uint16_t sw)
{
	r[n] = (uint8_t)(sw >> 8);
	r[n + 1] = (uint8_t)sw;
	return n + 2;
}

static bool emu_file(const uint8_t *fid, const uint8_t **d, size_t *n)
{
	struct img *im = &g_emu.img;
	unsigned f = (unsigned)fid[0] << 8 | fid[1];

	switch (f) {
	case 0x2F00:
		*d = im->efdir, *n = im->efdir_len;
		return true;
	case 0x5031:
		*d = im->odf, *n = im->odf_len;
		return true;
	case 0x5032:
		*d = im->ti, *n = im->ti_len;
		return true;
	case 0x4401:
		*d = im->aodf, *n = im->aodf_len;
		return true;
	case 0x4402:
		*d = im->prkdf, *n = im->prkdf_len;
		return true;
	case 0x4404:
		*d = im->cdf, *n = im->cdf_len;
		return true;
	case 0x2F10:
		*d = im->cert[0], *n = im->cert_len[0];
		return true;
	default:
		return false;
	}
}

/* SELECT: by path (P1 08/09), by FID (00/02), by name (04). The last FID of
 * a path decides; 3F00 and 3D00 are DFs. */
static size_t emu_select(uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc, uint8_t *r)
{
	const uint8_t *d = NULL;
	size_t n = 0;

	if (p1 == 0x04) {
		g_emu.cur = NULL;
		return emu_sw(r, 0, 0x9000);
	}
	if (lc < 2 || lc % 2 != 0)
		return emu_sw(r, 0, 0x6A80);
	const uint8_t *fid = data + lc - 2;
	if ((fid[0] == 0x3F || fid[0] == 0x3D) && fid[1] == 0x00) {
		g_emu.cur = NULL;
		return emu_sw(r, 0, 0x9000);
	}
	if (!emu_file(fid, &d, &n))
		return emu_sw(r, 0, 0x6A82);
	g_emu.cur = d, g_emu.cur_len = n;
	if (p2 == 0x0C)
		return emu_sw(r, 0, 0x9000);
	const uint8_t fci[] = {0x62,       0x0E,   0x80,   0x02, (uint8_t)(n >> 8),
	                       (uint8_t)n, 0x82,   0x01,   0x01, 0x83,
	                       0x02,       fid[0], fid[1], 0x8A, 0x01,
	                       0x05};
	memcpy(r, fci, sizeof fci);
	return emu_sw(r, sizeof fci, 0x9000);
}

static size_t emu_read(uint8_t p1, uint8_t p2, size_t le, uint8_t *r)
{
	size_t off = (size_t)p1 << 8 | p2, n;

	if (g_emu.cur == NULL)
		return emu_sw(r, 0, 0x6986);
	if (off >= g_emu.cur_len)
		return emu_sw(r, 0, 0x6B00);
	n = g_emu.cur_len - off;
	if (le == 0)
		le = 256;
	if (n > 244)
		n = 244;
	if (n > le)
		n = le;
	memcpy(r, g_emu.cur + off, n);
	return emu_sw(r, n, n < le ? 0x6282 : 0x9000);
}

static size_t emu_verify(uint8_t ref, const uint8_t *data, size_t lc, uint8_t *r)
{
	if (ref != 0x81 && ref != 0x82)
		return emu_sw(r, 0, 0x6A88);
	if (ref == 0x82)
		return emu_sw(r, 0, lc == 0 ? 0x63C3 : 0x63C2);
	if (lc == 0)
		return emu_sw(r, 0, g_emu.pin_ok ? 0x9000 : (uint16_t)(0x63C0 | g_emu.tries));
	if (lc == strlen(EMU_PIN) && memcmp(data, EMU_PIN, lc) == 0) {
		g_emu.pin_ok = true;
		g_emu.tries = 3;
		return emu_sw(r, 0, 0x9000);
	}
	g_emu.pin_ok = false;
	if (g_emu.tries > 0)
		g_emu.tries--;
	return emu_sw(r, 0, (uint16_t)(0x63C0 | g_emu.tries));
}

/* PSO CDS, 1.x dialect (docs/card.md §3): a modulus-length block is raw
 * RSA, anything shorter a DigestInfo to pad with PKCS#1 v1.5. */
static size_t emu_sign(const uint8_t *in, size_t n, uint8_t *r)
{
	EVP_PKEY_CTX *c;
	size_t out = 256;
	bool raw = n == 256, ok;

	if (!g_emu.pin_ok)
		return emu_sw(r, 0, 0x6982);
	if (g_emu.se_ref != 0x01)
		return emu_sw(r, 0, 0x6A88);
	c = EVP_PKEY_CTX_new_from_pkey(NULL, g_emu.rsa, NULL);
	ok = c != NULL && (raw ? EVP_PKEY_decrypt_init(c) : EVP_PKEY_sign_init(c)) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(c, raw ? RSA_NO_PADDING : RSA_PKCS1_PADDING) > 0 &&
	     (raw ? EVP_PKEY_decrypt(c, r, &out, in, n) : EVP_PKEY_sign(c, r, &out, in, n)) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? emu_sw(r, out, 0x9000) : emu_sw(r, 0, 0x6A80);
}

static size_t emu_pso(const uint8_t *cmd, const uint8_t *data, size_t lc, uint8_t *r)
{
	bool more = (cmd[0] & 0x10) != 0;

	if (cmd[2] != 0x9E || cmd[3] != 0x9A)
		return emu_sw(r, 0, 0x6A86);
	if (g_emu.chain_len + lc > sizeof g_emu.chain) {
		g_emu.chain_len = 0;
		return emu_sw(r, 0, 0x6700);
	}
	memcpy(g_emu.chain + g_emu.chain_len, data, lc);
	g_emu.chain_len += lc;
	if (more)
		return emu_sw(r, 0, 0x9000);
	size_t n = g_emu.chain_len;
	g_emu.chain_len = 0;
	return emu_sign(g_emu.chain, n, r);
}

/* One raw command; r has room for APDU_RAW_RESP_MAX bytes. */
static size_t emu_apdu(const uint8_t *cmd, size_t len, uint8_t *r)
{
	size_t lc = 0, le = 0;
	const uint8_t *data = NULL;

	if (len < 4)
		return atomic_fetch_add(&g_emu.bad, 1), emu_sw(r, 0, 0x6700);
	if (len == 5)
		le = cmd[4] ? cmd[4] : 256;
	else if (len > 5) {
		lc = cmd[4];
		data = cmd + 5;
		if (len < 5 + lc)
			return atomic_fetch_add(&g_emu.bad, 1), emu_sw(r, 0, 0x6700);
		if (len == 6 + lc)
			le = cmd[5 + lc] ? cmd[5 + lc] : 256;
	}
	if (cmd[1] != 0x2A)
		g_emu.chain_len = 0;
	switch (cmd[1]) {
	case 0xA4:
		return emu_select(cmd[2], cmd[3], data, lc, r);
	case 0xB0:
		return emu_read(cmd[2], cmd[3], le, r);
	case 0xCA: {
		uint8_t b[0x4D];
		size_t n = cmd[3] == 0x06 ? 0x4D : 0x0A;
		memset(b, 0, sizeof b);
		if (cmd[3] == 0x06)
			memset(b, 0xEE, 55), memcpy(b + 55, test_serial, sizeof test_serial);
		else
			b[6] = 0xA5;
		memcpy(r, b, n);
		return emu_sw(r, n, 0x9000);
	}
	case 0x20:
		return emu_verify(cmd[3], data, lc, r);
	case 0x1A:
		g_emu.pin_ok = false;
		return emu_sw(r, 0, 0x9000);
	case 0x22:
		g_emu.se_ref = cmd[2] == 0xC3 ? cmd[3] : -1;
		return emu_sw(r, 0, cmd[2] == 0xC3 ? 0x9000 : 0x6A86);
	case 0x2A:
		return emu_pso(cmd, data, lc, r);
	case 0x84:
		memset(r, 0x5A, le);
		return emu_sw(r, le, 0x9000);
	default:
		return emu_sw(r, 0, 0x6D00);
	}
}

/* ----- the transport of the emulated card ----- */

static apdu_rv emu_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                            size_t *resp_len)
{
	(void)ctx;
	if (atomic_load(&g_emu.tx_depth) <= 0)
		atomic_fetch_add(&g_emu.bad, 1); /* R34: every APDU inside a transaction */
	atomic_fetch_add(&g_emu.apdus, 1);
	if (cmd_len >= 2)
		atomic_fetch_add(&g_emu.by_ins[cmd[1]], 1);
	pthread_mutex_lock(&g_emu.mu);
	*resp_len = emu_apdu(cmd, cmd_len, resp);
	pthread_mutex_unlock(&g_emu.mu);
	return APDU_OK;
}

static apdu_rv emu_begin(void *ctx)
{
	(void)ctx;
	int d = atomic_fetch_add(&g_emu.tx_depth, 1) + 1;
	if (d > atomic_load(&g_emu.tx_max))
		atomic_store(&g_emu.tx_max, d);
	return APDU_OK;
}

static apdu_rv emu_end(void *ctx, bool reset)
{
	(void)ctx;
	if (reset)
		atomic_fetch_add(&g_emu.resets, 1);
	atomic_fetch_sub(&g_emu.tx_depth, 1);
	return APDU_OK;
}

static apdu_rv emu_reconnect(void *ctx)
{
	(void)ctx;
	return APDU_OK;
}

static apdu_rv emu_atr(void *ctx, uint8_t *atr, size_t *atr_len)
{
	static const uint8_t a[] = {0x3B, 0x9F, 0x96, 0x81, 0x31, 0xFE, 0x45, 0x80,
	                            0x67, 0x55, 0x45, 0x4B, 0x41, 0x45, 0x12, 0x92,
	                            0x31, 0x80, 0x73, 0xB3, 0xA1, 0x80, 0x6A};
	(void)ctx;
	memcpy(atr, a, sizeof a);
	*atr_len = sizeof a;
	return APDU_OK;
}

static void emu_close(void *ctx)
{
	(void)ctx;
}

static const struct apdu_ops emu_ops = {
        .transmit = emu_transmit,
        .begin = emu_begin,
        .end = emu_end,
        .reconnect = emu_reconnect,
        .control = NULL,
        .atr = emu_atr,
        .close = emu_close,
        .forget = emu_close,
};

/* ----- the fake PC/SC layer: one reader, the emulated card always in ----- */

#include "fake_pcsc.h"

apdu_rv apdu_pcsc_readers(struct apdu_pcsc *pc, struct apdu_reader *out, size_t cap, size_t *n)
{
	size_t al = 0;

	if (pc == NULL || cap < 1)
		return APDU_ERR_ARGS;
	memset(&out[0], 0, sizeof(out[0]));
	snprintf(out[0].name, sizeof(out[0].name), EMU_READER);
	out[0].state = APDU_STATE_PRESENT;
	out[0].event_counter = 1;
	(void)emu_atr(NULL, out[0].atr, &al);
	out[0].atr_len = al;
	*n = 1;
	return APDU_OK;
}

apdu_rv apdu_pcsc_wait(struct apdu_pcsc *pc, const struct apdu_reader *known, size_t n,
                       long timeout_ms)
{
	(void)pc;
	(void)known;
	(void)n;
	if (timeout_ms > 0)
		usleep(1000);
	return APDU_ERR_TIMEOUT;
}

void apdu_pcsc_cancel(struct apdu_pcsc *pc)
{
	(void)pc;
}

apdu_rv apdu_pcsc_connect(const char *reader, struct apdu_card **out)
{
	struct apdu_card *c;

	if (strcmp(reader, EMU_READER) != 0)
		return APDU_ERR_NO_READER;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return APDU_ERR_NO_MEMORY;
	c->ops = &emu_ops;
	snprintf(c->reader, sizeof(c->reader), "%s", reader);
	atomic_fetch_add(&g_emu.connects, 1);
	*out = c;
	return APDU_OK;
}

/* ----- setup ----- */

static char g_emu_conf[64];

FIXTURE_FN void emu_card_state_reset(void)
{
	pthread_mutex_lock(&g_emu.mu);
	g_emu.cur = NULL;
	g_emu.pin_ok = false;
	g_emu.tries = 3;
	g_emu.se_ref = -1;
	g_emu.chain_len = 0;
	pthread_mutex_unlock(&g_emu.mu);
	emu_reset_counts();
	atomic_store(&g_emu.bad, 0);
	atomic_store(&g_emu.connects, 0);
}

FIXTURE_FN int emu_setup(void **state)
{
	FILE *f;

	(void)state;
	pthread_mutex_init(&g_emu.mu, NULL);
	g_emu.rsa = test_key(false, 2048);
	img_make_1x(&g_emu.img, g_emu.rsa, false, false);
	emu_card_state_reset();
	/* no on-disk cache: the module reads the emulated card */
	snprintf(g_emu_conf, sizeof(g_emu_conf), "/tmp/akis-entry-%ld.conf", (long)getpid());
	f = fopen(g_emu_conf, "w");
	assert_non_null(f);
	fputs("cache = off\n", f);
	fclose(f);
	setenv("AKIS_CONF", g_emu_conf, 1);
	return 0;
}

FIXTURE_FN int emu_teardown(void **state)
{
	(void)state;
	unlink(g_emu_conf);
	img_free(&g_emu.img);
	EVP_PKEY_free(g_emu.rsa);
	pthread_mutex_destroy(&g_emu.mu);
	return 0;
}

/* After a failed assertion the module may still be initialised. */
FIXTURE_FN int emu_teardown_each(void **state)
{
	(void)state;
	(void)C_Finalize(NULL);
	return 0;
}

/* C_Initialize, the one slot (bound by C_GetTokenInfo). */
FIXTURE_FN CK_SLOT_ID emu_open_module(void)
{
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_TOKEN_INFO ti;

	emu_card_state_reset();
	assert_int_equal(C_Initialize(NULL), CKR_OK);
	assert_int_equal(C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(C_GetTokenInfo(slots[0], &ti), CKR_OK);
	return slots[0];
}

/* The first object of a class (CKA_SIGN for a private key). */
FIXTURE_FN CK_OBJECT_HANDLE emu_find(CK_SESSION_HANDLE h, CK_OBJECT_CLASS klass)
{
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &klass, sizeof klass}};
	CK_OBJECT_HANDLE o = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	assert_int_equal(C_FindObjectsInit(h, t, 1), CKR_OK);
	assert_int_equal(C_FindObjects(h, &o, 1, &n), CKR_OK);
	assert_int_equal(C_FindObjectsFinal(h), CKR_OK);
	assert_int_equal(n, 1);
	return o;
}

/* Verify an RSA signature of `mech` with the emulated card's key. */
FIXTURE_FN bool emu_rsa_verify(const char *md, const uint8_t *msg, size_t n, const uint8_t *sig,
                               size_t sig_len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL &&
	          EVP_DigestVerifyInit_ex(c, NULL, md, NULL, NULL, g_emu.rsa, NULL) == 1 &&
	          EVP_DigestVerify(c, sig, sig_len, msg, n) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

#endif
