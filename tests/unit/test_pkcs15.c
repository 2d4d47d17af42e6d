/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis/pkcs15.c: the directory parsers on synthetic files, and on every
 * truncation and single-byte mutation of them (each parse gets an exact-size
 * heap copy, so an over-read shows under ASan/valgrind). A parser must
 * return AKIS_OK (with no more entries than the whole file has) or fail
 * cleanly with AKIS_ERR_CARD_DATA / AKIS_ERR_NOT_FOUND.
 */
#include "akis_fixture.h"

static EVP_PKEY *g_rsa, *g_ec;
static struct img g_im12, g_im2;

static int setup(void **state)
{
	(void)state;
	g_rsa = test_key(false, 2048);
	g_ec = test_key(true, NID_X9_62_prime256v1);
	img_make_1x(&g_im12, g_rsa, false, true);
	img_make_2(&g_im2, g_ec, g_rsa);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	img_free(&g_im12);
	img_free(&g_im2);
	EVP_PKEY_free(g_rsa);
	EVP_PKEY_free(g_ec);
	return 0;
}

static struct akis_card *bare_card(const char *atr)
{
	struct sb s = {0};
	struct akis_card *card = sb_card(&s, atr);
	sb_free(&s);
	return card;
}

enum kind { K_EFDIR, K_ODF, K_TI, K_AODF, K_PRKDF, K_PUKDF, K_CDF };

static akis_rv parse(struct akis_card *card, enum kind k, const uint8_t *p, size_t n)
{
	struct akis_odf odf;
	switch (k) {
	case K_EFDIR:
		return akis_p15_efdir(card, p, n);
	case K_ODF:
		return akis_p15_odf(card, p, n, &odf);
	case K_TI:
		return akis_p15_tokeninfo(card, p, n);
	case K_AODF:
		return akis_p15_aodf(card, p, n);
	case K_PRKDF:
		return akis_p15_prkdf(card, p, n);
	case K_PUKDF:
		return akis_p15_pukdf(card, p, n);
	case K_CDF:
		return akis_p15_cdf(card, p, n);
	}
	return AKIS_ERR_ARGS;
}

static void check_one(enum kind k, const uint8_t *src, size_t n, size_t max_keys, size_t max_certs)
{
	struct akis_card *card = bare_card(k == K_PUKDF ? ATR_2 : ATR_12);
	uint8_t *copy = malloc(n ? n : 1);
	memcpy(copy, src, n);
	if (k == K_PUKDF) { /* keys for the PuKDF to attach to */
		assert_int_equal(akis_p15_prkdf(card, g_im2.prkdf, g_im2.prkdf_len), AKIS_OK);
	}
	akis_rv rv = parse(card, k, copy, n);
	if (rv != AKIS_OK && rv != AKIS_ERR_CARD_DATA && rv != AKIS_ERR_NOT_FOUND)
		fail_msg("kind %d len %zu: %s", (int)k, n, akis_rv_name(rv));
	assert_true(card->n_keys <= max_keys);
	assert_true(card->n_certs <= max_certs);
	for (size_t i = 0; i < card->n_certs; i++)
		assert_true(card->certs[i].path_len <= AKIS_PATH_MAX);
	for (unsigned w = 0; w < 2; w++)
		assert_true(card->pins[w].min_len <= card->pins[w].max_len);
	free(copy);
	akis_card_free(card);
}

struct sample {
	enum kind k;
	const uint8_t *p;
	const size_t *n;
	size_t keys, certs;
};

static void test_hostile(void **state)
{
	(void)state;
	const struct sample samples[] = {
	        {K_EFDIR, g_im12.efdir, &g_im12.efdir_len, 0, 0},
	        {K_ODF, g_im2.odf, &g_im2.odf_len, 0, 0},
	        {K_TI, g_im12.ti, &g_im12.ti_len, 0, 0},
	        {K_AODF, g_im12.aodf, &g_im12.aodf_len, 0, 0},
	        {K_PRKDF, g_im2.prkdf, &g_im2.prkdf_len, 2, 0},
	        {K_PUKDF, g_im2.pukdf, &g_im2.pukdf_len, 2, 0},
	        {K_CDF, g_im2.cdf, &g_im2.cdf_len, 0, 2},
	};
	static const uint8_t flips[] = {0x00, 0xFF, 0x80, 0x01};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		const struct sample *s = &samples[i];
		check_one(s->k, s->p, *s->n, s->keys, s->certs);
		for (size_t len = 0; len < *s->n; len++)
			check_one(s->k, s->p, len, s->keys, s->certs);
		uint8_t *m = malloc(*s->n);
		for (size_t pos = 0; pos < *s->n; pos++)
			for (size_t f = 0; f < sizeof flips; f++) {
				memcpy(m, s->p, *s->n);
				m[pos] = flips[f];
				check_one(s->k, m, *s->n, s->keys, s->certs);
			}
		free(m);
	}
}

/* The whole sample files parse into what was written. */
static void test_parse_samples(void **state)
{
	(void)state;
	struct akis_card *card = bare_card(ATR_2);
	struct akis_odf odf;
	assert_int_equal(akis_p15_odf(card, g_im2.odf, g_im2.odf_len, &odf), AKIS_OK);
	static const uint8_t aodf[] = {0x3D, 0x00, 0x44, 0x01}, prkdf[] = {0x3D, 0x00, 0x44, 0x02};
	assert_int_equal(odf.len[AKIS_ODF_AODF], 4); /* relative 4401 under 3D00 */
	assert_memory_equal(odf.path[AKIS_ODF_AODF], aodf, 4);
	assert_int_equal(odf.len[AKIS_ODF_PRKDF], 4); /* absolute 3F00 3D00 4402 */
	assert_memory_equal(odf.path[AKIS_ODF_PRKDF], prkdf, 4);
	assert_int_equal(odf.len[AKIS_ODF_PUKDF], 4);
	assert_int_equal(odf.len[AKIS_ODF_CDF], 4);

	assert_int_equal(akis_p15_aodf(card, g_im12.aodf, g_im12.aodf_len), AKIS_OK);
	const struct akis_pin_info *u = &card->pins[AKIS_PIN_USER], *p = &card->pins[AKIS_PIN_SO];
	assert_int_equal(u->ref, 0x81);
	assert_int_equal(u->min_len, 4);
	assert_int_equal(u->max_len, 8);
	assert_int_equal(u->pad_len, 8);
	assert_int_equal(u->pad_char, 0xFF);
	assert_string_equal(u->label, "PIN");
	assert_int_equal(p->ref, 0x82);
	assert_int_equal(p->min_len, 6);
	assert_int_equal(p->pad_len, 0);

	assert_int_equal(akis_p15_prkdf(card, g_im2.prkdf, g_im2.prkdf_len), AKIS_OK);
	assert_int_equal(card->n_keys, 2);
	assert_int_equal(card->keys[0].type, AKIS_KEY_EC);
	assert_true(card->keys[0].user_consent);
	assert_int_equal(card->keys[0].auth_pin_ref, 0x81); /* authId 01 → PIN */
	assert_int_equal(card->keys[1].bits, 2048);
	assert_string_equal(card->keys[1].label, "Kimlik");

	assert_int_equal(akis_p15_cdf(card, g_im2.cdf, g_im2.cdf_len), AKIS_OK);
	assert_int_equal(card->n_certs, 2);
	static const uint8_t c1[] = {0x3D, 0x00, 0x2F, 0x11};
	assert_memory_equal(card->certs[1].path, c1, 4);
	assert_false(card->certs[1].authority);
	assert_null(card->certs[1].der);
	akis_card_free(card);
}

/* A certificate stored directly in the CDF ([0] value), an authority flag,
 * an unknown CDF choice, FF padding; an over-long iD is refused. */
static void test_cdf_direct_and_odd(void **state)
{
	(void)state;
	uint8_t buf[1024];
	uint8_t id[1] = {0x07};
	struct wr w = wr_init(buf, sizeof buf);
	size_t o = wr_open(&w, 0xA2); /* some other certificate type: skipped */
	wr_u8(&w, 0x05);
	wr_u8(&w, 0x00);
	wr_close(&w, o);
	o = wr_open(&w, 0x30);
	size_t m = wr_open(&w, 0x30);
	wr_tlv(&w, 0x0C, "CA", 2);
	wr_close(&w, m);
	m = wr_open(&w, 0x30);
	wr_tlv(&w, 0x04, id, 1);
	wr_tlv(&w, 0x01, "\xFF", 1);
	wr_close(&w, m);
	size_t a = wr_open(&w, 0xA1);
	m = wr_open(&w, 0x30);
	wr_tlv(&w, 0xA0, "\x30\x03\x02\x01\x01", 5);
	wr_close(&w, m);
	wr_close(&w, a);
	wr_close(&w, o);
	wr_bytes(&w, "\xFF\xFF\xFF", 3);
	assert_true(wr_ok(&w));
	struct akis_card *card = bare_card(ATR_12);
	assert_int_equal(akis_p15_cdf(card, buf, w.len), AKIS_OK);
	assert_int_equal(card->n_certs, 1);
	assert_true(card->certs[0].authority);
	assert_int_equal(card->certs[0].der_len, 5);
	assert_string_equal(card->certs[0].label, "CA");
	akis_card_free(card);

	uint8_t long_id[AKIS_ID_MAX + 1];
	memset(long_id, 1, sizeof long_id);
	w = wr_init(buf, sizeof buf);
	wr_cdf_entry(&w, "x", long_id, sizeof long_id, (const uint8_t *)"\x2F\x10", 2);
	card = bare_card(ATR_12);
	assert_int_equal(akis_p15_cdf(card, buf, w.len), AKIS_ERR_CARD_DATA);
	assert_int_equal(card->n_certs, 0);
	akis_card_free(card);
}

/* A global PIN (MF system PIN, ref 01) does not replace the local one. */
static void test_aodf_prefers_local(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct pin_spec sys = {"System", 0x05, 0x01, 0x10, 1, 8, 8, 8, -1};
	struct pin_spec user = {"PIN", 0x01, 0x81, 0x12, 1, 4, 8, 8, -1};
	struct pin_spec sys2 = {"System2", 0x06, 0x02, 0x10, 1, 8, 8, 8, -1};
	struct wr w = wr_init(buf, sizeof buf);
	wr_pin(&w, &sys);
	wr_pin(&w, &user);
	wr_pin(&w, &sys2);
	assert_true(wr_ok(&w));
	struct akis_card *card = bare_card(ATR_2);
	assert_int_equal(akis_p15_aodf(card, buf, w.len), AKIS_OK);
	assert_int_equal(card->pins[AKIS_PIN_USER].ref, 0x81);
	assert_int_equal(card->pins[AKIS_PIN_USER].min_len, 4);
	akis_card_free(card);
}

/* AKIS_FUZZ_SEEDS=dir: write the sample files as seeds for
 * tests/fuzz/fuzz_pkcs15 (first byte = parser selector). */
static void write_seeds(const char *dir)
{
	const struct {
		uint8_t sel;
		const uint8_t *p;
		size_t n;
	} seeds[] = {
	        {0, g_im12.efdir, g_im12.efdir_len}, {1, g_im2.odf, g_im2.odf_len},
	        {2, g_im12.ti, g_im12.ti_len},       {3, g_im12.aodf, g_im12.aodf_len},
	        {4, g_im2.prkdf, g_im2.prkdf_len},   {0x84, g_im2.pukdf, g_im2.pukdf_len},
	        {5, g_im2.cdf, g_im2.cdf_len},
	};
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		char name[512];
		snprintf(name, sizeof name, "%s/seed%zu", dir, i);
		FILE *f = fopen(name, "wb");
		assert_non_null(f);
		fputc(seeds[i].sel, f);
		fwrite(seeds[i].p, 1, seeds[i].n, f);
		fclose(f);
	}
}

static void test_seeds(void **state)
{
	(void)state;
	const char *dir = getenv("AKIS_FUZZ_SEEDS");
	if (dir != NULL)
		write_seeds(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_samples),
	        cmocka_unit_test(test_cdf_direct_and_odd),
	        cmocka_unit_test(test_aodf_prefers_local),
	        cmocka_unit_test(test_hostile),
	        cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
