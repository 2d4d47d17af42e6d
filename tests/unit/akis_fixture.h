/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixtures for the akis/ unit tests: a script builder over apdu/script.h
 * (file reads the way a card answers them), test certificates made with
 * OpenSSL, and synthetic PKCS#15 files written with struct wr.
 * Included by one test .c each (static functions).
 */
#ifndef AKIS_TESTS_AKIS_FIXTURE_H
#define AKIS_TESTS_AKIS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../akis/akis.h"
#include "../../akis/internal.h"
#include "../../apdu/script.h"
#include "../../apdu/tlv.h"

#define ATR_12 "3B 9F 96 81 31 FE 45 80 67 55 45 4B 41 45 12 92 31 80 73 B3 A1 80 6A"
#define ATR_10 "3B BA 11 00 81 31 FE 4D 55 45 4B 41 45 20 56 31 2E 30 AE"
#define ATR_2  "3B 9F 97 81 31 FE 45 80 65 54 43 53 22 82 31 C0 73 F6 21 80 81 05 53"

#define SB_MAX 256
/* each test file uses a part of the fixtures */
#define FIXTURE_FN static __attribute__((unused))

/* ----- script builder ----- */

struct sb {
	struct apdu_script_step steps[SB_MAX];
	char *mem[2 * SB_MAX];
	size_t n, n_mem;
};

FIXTURE_FN char *sb_keep(struct sb *s, char *p)
{
	assert_true(s->n_mem < 2 * SB_MAX);
	s->mem[s->n_mem++] = p;
	return p;
}

FIXTURE_FN char *hex_of(const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	assert_non_null(h);
	for (size_t i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02X", p[i]);
	h[2 * n] = '\0';
	return h;
}

/* Step with printf-formatted command and response. */
FIXTURE_FN void __attribute__((format(printf, 3, 4)))
sb_step(struct sb *s, const char *cmd, const char *resp_fmt, ...)
{
	char buf[2 * APDU_RAW_RESP_MAX + 64];
	va_list ap;
	va_start(ap, resp_fmt);
	vsnprintf(buf, sizeof buf, resp_fmt, ap);
	va_end(ap);
	assert_true(s->n < SB_MAX);
	s->steps[s->n].cmd = cmd ? sb_keep(s, strdup(cmd)) : NULL;
	s->steps[s->n].resp = sb_keep(s, strdup(buf));
	s->steps[s->n].rv = APDU_OK;
	s->n++;
}

/* Response of data + SW. */
FIXTURE_FN void sb_data(struct sb *s, const char *cmd, const uint8_t *data, size_t n, uint16_t sw)
{
	char *h = hex_of(data, n);
	sb_step(s, cmd, "%s%04X", h, sw);
	free(h);
}

FIXTURE_FN void sb_err(struct sb *s, apdu_rv rv)
{
	assert_true(s->n < SB_MAX);
	s->steps[s->n].cmd = NULL;
	s->steps[s->n].resp = NULL;
	s->steps[s->n].rv = rv;
	s->n++;
}

/* SELECT by path with FCI, then READ BINARY in 244-byte steps. */
FIXTURE_FN void sb_file(struct sb *s, const char *path_hex, const uint8_t *data, size_t n)
{
	char cmd[128];
	uint8_t path[8];
	size_t plen = strlen(path_hex) / 2;
	for (size_t i = 0; i < plen; i++)
		assert_int_equal(sscanf(path_hex + 2 * i, "%2hhx", &path[i]), 1);
	snprintf(cmd, sizeof cmd, "00A40800%02zX%s00", plen, path_hex);
	sb_step(s, cmd, "620E8002%04zX8201018302%02X%02X8A01059000", n, path[plen - 2],
	        path[plen - 1]);
	for (size_t off = 0; off < n; off += 0xF4) {
		size_t want = n - off < 0xF4 ? n - off : 0xF4;
		snprintf(cmd, sizeof cmd, "00B0%04zX%02zX", off, want);
		sb_data(s, cmd, data + off, want, 0x9000);
	}
}

/* R44, the token cache's evidence (akis/cache.c card_holds_tx): SELECT
 * without FCI, then READ BINARY of bytes [from, n) in 244-byte steps, the
 * last step asking one byte more, answered with 6282 (docs/card.md §3).
 * `card` is what the card holds now (n_card bytes). */
FIXTURE_FN void sb_evidence(struct sb *s, const char *path_hex, const uint8_t *card, size_t n_card,
                            size_t n, size_t from)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "00A4080C%02zX%s", strlen(path_hex) / 2, path_hex);
	sb_step(s, cmd, "9000");
	for (size_t off = from;;) {
		size_t left = n - off, ask = left + 1 <= 0xF4 ? left + 1 : 0xF4;
		size_t have = off < n_card ? n_card - off : 0, give = have < ask ? have : ask;
		snprintf(cmd, sizeof cmd, "00B0%04zX%02zX", off, ask);
		sb_data(s, cmd, card + off, give, give < ask ? 0x6282 : 0x9000);
		if (ask == left + 1 || give < ask)
			return;
		off += ask;
	}
}

/* A certificate confirmed from the cache: its last 243 bytes and its end. */
FIXTURE_FN void sb_cert_tail(struct sb *s, const char *path_hex, const uint8_t *card, size_t n_card,
                             size_t n)
{
	sb_evidence(s, path_hex, card, n_card, n, n > 0xF3 ? n - 0xF3 : 0);
}

FIXTURE_FN void sb_missing(struct sb *s, const char *path_hex)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "00A40800%02zX%s00", strlen(path_hex) / 2, path_hex);
	sb_step(s, cmd, "6A82");
}

FIXTURE_FN void sb_free(struct sb *s)
{
	for (size_t i = 0; i < s->n_mem; i++)
		free(s->mem[i]);
	s->n_mem = 0;
	s->n = 0;
}

static const uint8_t test_serial[12] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                        0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B};

/* GET DATA 01 06: the serial at 55. */
FIXTURE_FN void sb_identity_of(struct sb *s, const uint8_t serial[12])
{
	uint8_t sys[0x4D];
	memset(sys, 0xEE, sizeof sys);
	memcpy(sys + 55, serial, 12);
	sb_data(s, "00CA01064D", sys, sizeof sys, 0x9000);
}

FIXTURE_FN void sb_identity(struct sb *s)
{
	sb_identity_of(s, test_serial);
}

/* GET DATA 01 04: the life cycle at 6. */
FIXTURE_FN void sb_life_cycle(struct sb *s, uint8_t lcs)
{
	uint8_t lc[0x0A];
	memset(lc, 0, sizeof lc);
	lc[6] = lcs;
	sb_data(s, "00CA01040A", lc, sizeof lc, 0x9000);
}

FIXTURE_FN struct akis_card *sb_card(struct sb *s, const char *atr_hex)
{
	struct apdu_card *io = apdu_script_open(s->steps, s->n, atr_hex);
	struct akis_card *card = NULL;
	assert_non_null(io);
	assert_int_equal(akis_card_new(io, NULL, &card), AKIS_OK);
	return card;
}

FIXTURE_FN void sb_assert_done(struct akis_card *card)
{
	if (!apdu_script_done(card->io))
		fail_msg("script: %s (pos %zu)", apdu_script_error(card->io),
		         apdu_script_pos(card->io));
}

/* ----- certificates ----- */

FIXTURE_FN EVP_PKEY *test_key(bool ec, int bits_or_nid)
{
	EVP_PKEY *k = ec ? EVP_EC_gen(OBJ_nid2sn(bits_or_nid)) : EVP_RSA_gen((unsigned)bits_or_nid);
	assert_non_null(k);
	return k;
}

/* Self-signed certificate with CN and KeyUsage (NULL = none); DER out. */
FIXTURE_FN uint8_t *test_cert(EVP_PKEY *key, const char *cn, const char *ku, size_t *len)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	uint8_t *der = NULL;
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"TR", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (ku != NULL) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	int n = i2d_X509(x, &der);
	assert_true(n > 0);
	X509_free(x);
	uint8_t *out = malloc((size_t)n);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

/* ----- PKCS#15 files ----- */

/* BIT STRING of PKCS#15 flag bits (bit 0 = first named bit). */
FIXTURE_FN void wr_bits(struct wr *w, unsigned long bits)
{
	uint8_t b[4] = {0};
	unsigned top = 0;
	for (unsigned i = 0; i < 32; i++)
		if (bits & (1ul << i)) {
			b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
			top = i + 1;
		}
	size_t nbytes = (top + 7) / 8;
	uint8_t v[5];
	v[0] = (uint8_t)(nbytes * 8 - top);
	memcpy(v + 1, b, nbytes);
	wr_tlv(w, 0x03, v, nbytes + 1);
}

FIXTURE_FN void wr_int(struct wr *w, unsigned tag, unsigned long v)
{
	uint8_t b[4];
	size_t n = 0;
	if (v > 0xFFFFFF)
		b[n++] = (uint8_t)(v >> 24);
	if (v > 0xFFFF)
		b[n++] = (uint8_t)(v >> 16);
	if (v > 0xFF)
		b[n++] = (uint8_t)(v >> 8);
	b[n++] = (uint8_t)v;
	wr_tlv(w, tag, b, n);
}

FIXTURE_FN void wr_path(struct wr *w, const uint8_t *p, size_t n)
{
	size_t m = wr_open(w, 0x30);
	wr_tlv(w, 0x04, p, n);
	wr_close(w, m);
}

struct pin_spec {
	const char *label;
	uint8_t auth_id, ref;
	unsigned long flags, type, min, stored, max;
	int pad_char; /* -1 = none */
};

FIXTURE_FN void wr_pin(struct wr *w, const struct pin_spec *p)
{
	size_t o = wr_open(w, 0x30), m;
	m = wr_open(w, 0x30);
	wr_tlv(w, 0x0C, p->label, strlen(p->label));
	wr_bits(w, 0x01); /* private */
	wr_close(w, m);
	m = wr_open(w, 0x30);
	wr_tlv(w, 0x04, &p->auth_id, 1);
	wr_close(w, m);
	size_t a = wr_open(w, 0xA1);
	m = wr_open(w, 0x30);
	wr_bits(w, p->flags);
	wr_int(w, 0x0A, p->type);
	wr_int(w, 0x02, p->min);
	wr_int(w, 0x02, p->stored);
	wr_int(w, 0x02, p->max);
	wr_tlv(w, 0x80, &p->ref, 1);
	if (p->pad_char >= 0) {
		uint8_t c = (uint8_t)p->pad_char;
		wr_tlv(w, 0x04, &c, 1);
	}
	wr_close(w, m);
	wr_close(w, a);
	wr_close(w, o);
}

struct key_spec {
	const char *label;
	bool ec;
	uint8_t id[20];
	uint8_t auth_id, ref;
	unsigned long usage, bits, consent;
};

FIXTURE_FN void wr_prkey(struct wr *w, const struct key_spec *k)
{
	static const uint8_t key_path[] = {0x3F, 0x00, 0x3D, 0x00};
	size_t o = wr_open(w, k->ec ? 0xA0 : 0x30), m;
	m = wr_open(w, 0x30);
	wr_tlv(w, 0x0C, k->label, strlen(k->label));
	wr_bits(w, 0x01);
	wr_tlv(w, 0x04, &k->auth_id, 1);
	if (k->consent)
		wr_int(w, 0x02, k->consent);
	wr_close(w, m);
	m = wr_open(w, 0x30);
	wr_tlv(w, 0x04, k->id, sizeof k->id);
	wr_bits(w, k->usage);
	wr_bits(w, 0x1D); /* accessFlags: sensitive, alwaysSensitive, neverExtractable, local */
	wr_int(w, 0x02, k->ref);
	wr_close(w, m);
	size_t a = wr_open(w, 0xA1);
	m = wr_open(w, 0x30);
	wr_path(w, key_path, sizeof key_path);
	if (!k->ec)
		wr_int(w, 0x02, k->bits);
	wr_close(w, m);
	wr_close(w, a);
	wr_close(w, o);
}

FIXTURE_FN void wr_cdf_entry(struct wr *w, const char *label, const uint8_t *id, size_t id_len,
                             const uint8_t *path, size_t path_len)
{
	size_t o = wr_open(w, 0x30), m;
	m = wr_open(w, 0x30);
	wr_tlv(w, 0x0C, label, strlen(label));
	wr_close(w, m);
	m = wr_open(w, 0x30);
	wr_tlv(w, 0x04, id, id_len);
	wr_close(w, m);
	size_t a = wr_open(w, 0xA1);
	m = wr_open(w, 0x30);
	wr_path(w, path, path_len);
	wr_close(w, m);
	wr_close(w, a);
	wr_close(w, o);
}

#endif

/* ----- synthetic card images ----- */

#define IMG_FILE_MAX 2048

struct img {
	uint8_t efdir[IMG_FILE_MAX], odf[IMG_FILE_MAX], ti[IMG_FILE_MAX], aodf[IMG_FILE_MAX],
	        prkdf[IMG_FILE_MAX], pukdf[IMG_FILE_MAX], cdf[IMG_FILE_MAX];
	size_t efdir_len, odf_len, ti_len, aodf_len, prkdf_len, pukdf_len, cdf_len;
	uint8_t *cert[2];
	size_t cert_len[2];
	EVP_PKEY *key[2];
	uint8_t id[2][20];
};

static const uint8_t p15_aid_bytes[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                        0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};

FIXTURE_FN void img_efdir(struct img *im)
{
	static const uint8_t path[] = {0x3F, 0x00, 0x3D, 0x00};
	struct wr w = wr_init(im->efdir, sizeof im->efdir);
	size_t m = wr_open(&w, 0x61);
	wr_tlv(&w, 0x4F, p15_aid_bytes, sizeof p15_aid_bytes);
	wr_tlv(&w, 0x50, "AKIS", 4);
	wr_tlv(&w, 0x51, path, sizeof path);
	wr_close(&w, m);
	assert_true(wr_ok(&w));
	im->efdir_len = w.len;
}

/* ODF: AODF relative (4401), PrKDF absolute, CDF absolute, PuKDF optional; 00 padding. */
FIXTURE_FN void img_odf(struct img *im, bool pukdf)
{
	static const uint8_t aodf[] = {0x44, 0x01};
	static const uint8_t prkdf[] = {0x3F, 0x00, 0x3D, 0x00, 0x44, 0x02};
	static const uint8_t pukdf_p[] = {0x3F, 0x00, 0x3D, 0x00, 0x44, 0x03};
	static const uint8_t cdf[] = {0x3F, 0x00, 0x3D, 0x00, 0x44, 0x04};
	struct wr w = wr_init(im->odf, sizeof im->odf);
	size_t m = wr_open(&w, 0xA0);
	wr_path(&w, prkdf, sizeof prkdf);
	wr_close(&w, m);
	if (pukdf) {
		m = wr_open(&w, 0xA1);
		wr_path(&w, pukdf_p, sizeof pukdf_p);
		wr_close(&w, m);
	}
	m = wr_open(&w, 0xA4);
	wr_path(&w, cdf, sizeof cdf);
	wr_close(&w, m);
	m = wr_open(&w, 0xA8);
	wr_path(&w, aodf, sizeof aodf);
	wr_close(&w, m);
	wr_bytes(&w, "\0\0\0", 3);
	assert_true(wr_ok(&w));
	im->odf_len = w.len;
}

FIXTURE_FN void img_ti(struct img *im)
{
	struct wr w = wr_init(im->ti, sizeof im->ti);
	size_t m = wr_open(&w, 0x30);
	wr_int(&w, 0x02, 0);
	wr_tlv(&w, 0x04, test_serial, sizeof test_serial);
	wr_tlv(&w, 0x0C, "TUBITAK BILGEM", 14);
	wr_tlv(&w, 0x80, "AKIS test", 9);
	wr_bits(&w, 0x02);
	wr_close(&w, m);
	assert_true(wr_ok(&w));
	im->ti_len = w.len;
}

/* PIN flags: local(1) initialized(4) needs-padding(5) unblockingPin(6) */
FIXTURE_FN void img_aodf(struct img *im, unsigned long type, bool padded)
{
	struct pin_spec user = {"PIN", 0x01, 0x81, 0x12 | (padded ? 0x20 : 0), type,
	                        4,     8,    8,    padded ? 0xFF : -1};
	struct pin_spec puk = {"PUK", 0x02, 0x82, 0x52, type, 6, 8, 8, -1};
	struct wr w = wr_init(im->aodf, sizeof im->aodf);
	wr_pin(&w, &puk); /* PUK first: the user PIN must still be found */
	wr_pin(&w, &user);
	assert_true(wr_ok(&w));
	im->aodf_len = w.len;
}

FIXTURE_FN void img_cdf(struct img *im, size_t n_certs)
{
	static const char *const labels[2] = {"Imza", "Kimlik Dogrulama"};
	struct wr w = wr_init(im->cdf, sizeof im->cdf);
	for (size_t i = 0; i < n_certs; i++) {
		uint8_t path[] = {0x3F, 0x00, 0x3D, 0x00, 0x2F, (uint8_t)(0x10 + i)};
		wr_cdf_entry(&w, labels[i], im->id[i], 20, path, sizeof path);
	}
	assert_true(wr_ok(&w));
	im->cdf_len = w.len;
}

/* akis-1.2 (or 1.0): EF.DIR, one RSA-2048 NES key ref 01, cert at 2F10. */
FIXTURE_FN void img_make_1x(struct img *im, EVP_PKEY *rsa, bool v10, bool padded)
{
	memset(im, 0, sizeof *im);
	memset(im->id[0], 0x11, 20);
	img_efdir(im);
	img_odf(im, false);
	img_ti(im);
	img_aodf(im, v10 ? 3 : 1, padded);
	struct key_spec k = {"Imza", false, {0}, 0x01, 0x01, (1u << 2) | (1u << 9), 2048, 0};
	memcpy(k.id, im->id[0], 20);
	struct wr w = wr_init(im->prkdf, sizeof im->prkdf);
	wr_prkey(&w, &k);
	assert_true(wr_ok(&w));
	im->prkdf_len = w.len;
	img_cdf(im, 1);
	im->key[0] = rsa;
	im->cert[0] = test_cert(rsa, "TEST KISI", "critical,digitalSignature,nonRepudiation",
	                        &im->cert_len[0]);
}

/* akis-2: EC P-384 NES key (userConsent, ref 81) + RSA auth key (ref 82),
 * PuKDF with the EC public key as a direct SPKI. */
FIXTURE_FN void img_make_2(struct img *im, EVP_PKEY *ec, EVP_PKEY *rsa)
{
	memset(im, 0, sizeof *im);
	memset(im->id[0], 0x21, 20);
	memset(im->id[1], 0x22, 20);
	img_odf(im, true);
	img_ti(im);
	img_aodf(im, 1, false);
	struct key_spec nes = {"Imza", true, {0}, 0x01, 0x81, (1u << 2) | (1u << 9), 0, 1};
	struct key_spec auth = {"Kimlik", false, {0}, 0x01, 0x82, (1u << 1) | (1u << 2), 2048, 0};
	memcpy(nes.id, im->id[0], 20);
	memcpy(auth.id, im->id[1], 20);
	struct wr w = wr_init(im->prkdf, sizeof im->prkdf);
	wr_prkey(&w, &nes);
	wr_prkey(&w, &auth);
	assert_true(wr_ok(&w));
	im->prkdf_len = w.len;
	/* PuKDF: [0] publicECKey { common, { iD }, [1] { { [0] SPKI } } } */
	uint8_t *spki = NULL;
	int spki_len = i2d_PUBKEY(ec, &spki);
	assert_true(spki_len > 0);
	w = wr_init(im->pukdf, sizeof im->pukdf);
	size_t o = wr_open(&w, 0xA0), m;
	m = wr_open(&w, 0x30);
	wr_tlv(&w, 0x0C, "Imza", 4);
	wr_close(&w, m);
	m = wr_open(&w, 0x30);
	wr_tlv(&w, 0x04, im->id[0], 20);
	wr_bits(&w, 1u << 6);
	wr_close(&w, m);
	size_t a = wr_open(&w, 0xA1);
	m = wr_open(&w, 0x30);
	wr_tlv(&w, 0xA0, spki, (size_t)spki_len);
	wr_close(&w, m);
	wr_close(&w, a);
	wr_close(&w, o);
	OPENSSL_free(spki);
	assert_true(wr_ok(&w));
	im->pukdf_len = w.len;
	img_cdf(im, 2);
	im->key[0] = ec;
	im->key[1] = rsa;
	im->cert[0] = test_cert(ec, "TEST KISI", "critical,digitalSignature,nonRepudiation",
	                        &im->cert_len[0]);
	im->cert[1] =
	        test_cert(rsa, "TEST KISI", "digitalSignature,keyEncipherment", &im->cert_len[1]);
}

FIXTURE_FN void img_free(struct img *im)
{
	free(im->cert[0]);
	free(im->cert[1]);
	im->cert[0] = im->cert[1] = NULL;
}
