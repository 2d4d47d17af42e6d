/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akis/: token binding over the scripted transport. A synthetic 1.2 card
 * with EF.DIR and PKCS#15, a 2.x card without EF.DIR (SELECT by name) with
 * EC + RSA keys and a PuKDF, the --no-pkcs15 layout for each dialect, the
 * on-disk cache, the reset-in-begin path, SELECT fallback FID by FID.
 */
#include "akis_fixture.h"
#include "../../akis/reader.h"

#include <sys/stat.h>
#include <unistd.h>

static EVP_PKEY *g_rsa, *g_ec;

static int setup(void **state)
{
	(void)state;
	g_rsa = test_key(false, 2048);
	g_ec = test_key(true, NID_secp384r1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(g_rsa);
	EVP_PKEY_free(g_ec);
	return 0;
}

static void script_12_files(struct sb *s, const struct img *im)
{
	sb_file(s, "2F00", im->efdir, im->efdir_len);
	sb_file(s, "3D005031", im->odf, im->odf_len);
	sb_file(s, "3D005032", im->ti, im->ti_len);
	sb_file(s, "3D004401", im->aodf, im->aodf_len);
	sb_file(s, "3D004402", im->prkdf, im->prkdf_len);
	sb_file(s, "3D004404", im->cdf, im->cdf_len);
}

static void script_12(struct sb *s, const struct img *im)
{
	sb_identity(s);
	script_12_files(s, im);
}

static void test_bind_12(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	img_make_1x(&im, g_rsa, false, false);
	script_12(&s, &im);
	sb_file(&s, "3D002F10", im.cert[0], im.cert_len[0]);
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(card->atr.profile, AKIS_PROFILE_1_2);
	assert_int_equal(akis_bind_tx(card, NULL), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->serial_len, 12);
	assert_memory_equal(card->serial, test_serial, 12);
	assert_int_equal(card->life_cycle, 0); /* not read: the bind needs only the serial */
	assert_true(card->has_efdir);
	assert_true(card->has_pkcs15);
	assert_string_equal(card->manufacturer, "TUBITAK BILGEM");
	assert_string_equal(card->token_label, "AKIS test");
	assert_int_equal(card->pins[AKIS_PIN_USER].ref, 0x81);
	assert_int_equal(card->pins[AKIS_PIN_SO].ref, 0x82);
	assert_int_equal(card->pins[AKIS_PIN_SO].min_len, 6);
	assert_int_equal(card->pins[AKIS_PIN_USER].enc, AKIS_PIN_ENC_ASCII);
	assert_int_equal(card->n_keys, 1);
	assert_int_equal(card->n_certs, 1);
	const struct akis_key *k = &card->keys[0];
	assert_int_equal(k->key_ref, 0x01);
	assert_int_equal(k->type, AKIS_KEY_RSA);
	assert_int_equal(k->bits, 2048);
	assert_int_equal(k->usage, AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION);
	assert_false(k->user_consent);
	assert_int_equal(k->auth_pin_ref, 0x81);
	assert_int_equal(k->cert, 0);
	assert_string_equal(k->label, "Imza");
	assert_int_equal(card->certs[0].der_len, im.cert_len[0]);
	assert_memory_equal(card->certs[0].der, im.cert[0], im.cert_len[0]);
	assert_int_equal(card->certs[0].path_len, 4);
	assert_int_equal(card->binds, 7); /* each file once */
	akis_card_free(card);
	sb_free(&s);
	img_free(&im);
}

static void script_2(struct sb *s, const struct img *im)
{
	sb_identity(s);
	sb_missing(s, "2F00");
	/* SELECT by DF name "PKCS-15" [C] with FCI: 83 = 3D00 */
	sb_step(s, "00A4040007504B43532D313500",
	        "6F07820138"
	        "83023D00"
	        "9000");
	sb_file(s, "3D005031", im->odf, im->odf_len);
	sb_file(s, "3D005032", im->ti, im->ti_len);
	sb_file(s, "3D004401", im->aodf, im->aodf_len);
	sb_file(s, "3D004402", im->prkdf, im->prkdf_len);
	sb_file(s, "3D004403", im->pukdf, im->pukdf_len);
	sb_file(s, "3D004404", im->cdf, im->cdf_len);
	sb_file(s, "3D002F10", im->cert[0], im->cert_len[0]);
	sb_file(s, "3D002F11", im->cert[1], im->cert_len[1]);
}

static void test_bind_2(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	img_make_2(&im, g_ec, g_rsa);
	script_2(&s, &im);
	struct akis_card *card = sb_card(&s, ATR_2);
	assert_int_equal(card->atr.profile, AKIS_PROFILE_2);
	assert_int_equal(akis_bind_tx(card, NULL), AKIS_OK);
	sb_assert_done(card);
	assert_false(card->has_efdir);
	assert_true(card->has_pkcs15);
	assert_int_equal(card->n_keys, 2);
	assert_int_equal(card->n_certs, 2);
	const struct akis_key *nes = &card->keys[0], *auth = &card->keys[1];
	assert_int_equal(nes->type, AKIS_KEY_EC);
	assert_int_equal(nes->bits, 384); /* from the certificate */
	assert_true(nes->user_consent);
	assert_int_equal(nes->key_ref, 0x81);
	assert_int_equal(nes->cert, 0);
	assert_non_null(nes->spki); /* from the PuKDF */
	uint8_t *spki = NULL;
	int spki_len = i2d_PUBKEY(g_ec, &spki);
	assert_int_equal(nes->spki_len, (size_t)spki_len);
	assert_memory_equal(nes->spki, spki, (size_t)spki_len);
	OPENSSL_free(spki);
	assert_int_equal(auth->type, AKIS_KEY_RSA);
	assert_int_equal(auth->bits, 2048);
	assert_false(auth->user_consent);
	assert_int_equal(auth->usage, AKIS_USAGE_DECRYPT | AKIS_USAGE_SIGN);
	assert_int_equal(auth->cert, 1);
	assert_null(auth->spki);
	assert_true(akis_key_can(card, 0, AKIS_SIGN_ECDSA));
	assert_false(akis_key_can(card, 0, AKIS_SIGN_RSA_PKCS1));
	assert_true(akis_key_can(card, 1, AKIS_SIGN_RSA_PSS));
	akis_card_free(card);
	sb_free(&s);
	img_free(&im);
}

/* A 1.2 card bound from scratch up to its PIN states: the status VERIFYs
 * of the user PIN and the PUK answer 63C3 and puk_sw
 * (akis_card_read_tx), then GET DATA answers life cycle lcs (0: not
 * scripted). */
static struct akis_card *card_to_pin_states(struct sb *s, struct img *im, const char *puk_sw,
                                            uint8_t lcs)
{
	img_make_1x(im, g_rsa, false, false);
	script_12(s, im);
	sb_file(s, "3D002F10", im->cert[0], im->cert_len[0]);
	sb_step(s, "00200081", "63C3");
	sb_step(s, "00200082", "%s", puk_sw);
	if (lcs != 0)
		sb_life_cycle(s, lcs);
	return sb_card(s, ATR_12);
}

/* Life cycle AA with a readable directory (docs/card.md §4): the PUK
 * answers blocked, so the life cycle is read; bound for display,
 * AKIS_ERR_DEAD, both PINs locked, and no PIN VERIFY is sent after. */
static void test_bind_dead(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	struct akis_pin_status st;
	struct akis_pin_state pins[2];
	struct akis_card *card = card_to_pin_states(&s, &im, "6984", 0xAA);
	assert_int_equal(akis_card_read_tx(card, NULL, pins, false), AKIS_ERR_DEAD);
	assert_int_equal(card->life_cycle, 0xAA);
	assert_int_equal(card->n_certs, 1);
	for (int w = AKIS_PIN_USER; w <= AKIS_PIN_SO; w++) {
		assert_true(pins[w].known && pins[w].blocked);
		assert_int_equal(pins[w].tries_left, 0);
	}
	assert_int_equal(akis_pin_status_tx(card, AKIS_PIN_SO, &st), AKIS_ERR_DEAD);
	assert_true(st.blocked);
	assert_int_equal(akis_pin_verify_tx(card, AKIS_PIN_USER, "12345", 5, NULL), AKIS_ERR_DEAD);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
	img_free(&im);
}

/* A PUK with tries left proves the application alive: no GET DATA of the
 * life cycle (the script has none: one more APDU would fail it), unless
 * the program shows it (akis-tool, the monitor: show_life_cycle). */
static void test_read_puk_alive(void **state)
{
	(void)state;
	for (int show = 0; show <= 1; show++) {
		struct img im;
		struct sb s = {0};
		struct akis_pin_state pins[2];
		struct akis_card *card = card_to_pin_states(&s, &im, "63C2", show ? 0xA0 : 0);
		assert_int_equal(akis_card_read_tx(card, NULL, pins, show), AKIS_OK);
		sb_assert_done(card);
		assert_int_equal(card->life_cycle, show ? 0xA0 : 0);
		assert_int_equal(pins[AKIS_PIN_USER].tries_left, 3);
		assert_int_equal(pins[AKIS_PIN_SO].tries_left, 2);
		assert_false(pins[AKIS_PIN_SO].blocked);
		akis_card_free(card);
		sb_free(&s);
		img_free(&im);
	}
}

/* A blocked PUK, or an answer not understood, leaves it open: the life
 * cycle is read; A5 keeps the card usable, the PUK shown as it is. */
static void test_read_puk_open(void **state)
{
	(void)state;
	static const char *const puk_sw[] = {"6984", "6F00"};
	for (size_t i = 0; i < sizeof puk_sw / sizeof puk_sw[0]; i++) {
		struct img im;
		struct sb s = {0};
		struct akis_pin_state pins[2];
		struct akis_card *card = card_to_pin_states(&s, &im, puk_sw[i], 0xA5);
		assert_int_equal(akis_card_read_tx(card, NULL, pins, false), AKIS_OK);
		sb_assert_done(card);
		assert_int_equal(card->life_cycle, 0xA5);
		assert_int_equal(pins[AKIS_PIN_USER].tries_left, 3);
		assert_false(pins[AKIS_PIN_USER].blocked);
		assert_true(i == 0 ? pins[AKIS_PIN_SO].blocked : !pins[AKIS_PIN_SO].known);
		akis_card_free(card);
		sb_free(&s);
		img_free(&im);
	}
}

/* Life cycle AA with a directory the card refuses: the bind reads the life
 * cycle after the refusal and says AKIS_ERR_DEAD, the serial kept. A live
 * card refusing it stays a failed bind. */
static void test_bind_dead_refused(void **state)
{
	(void)state;
	static const uint8_t lcs[] = {0xAA, 0xA5};
	for (size_t i = 0; i < sizeof lcs; i++) {
		struct sb s = {0};
		struct img im;
		img_make_1x(&im, g_rsa, false, false);
		sb_identity(&s);
		sb_file(&s, "2F00", im.efdir, im.efdir_len);
		sb_file(&s, "3D005031", im.odf, im.odf_len);
		sb_file(&s, "3D005032", im.ti, im.ti_len);
		sb_file(&s, "3D004401", im.aodf, im.aodf_len);
		sb_step(&s, "00A40800043D00440200", "6985"); /* the PrKDF refused */
		sb_life_cycle(&s, lcs[i]);
		struct akis_card *card = sb_card(&s, ATR_12);
		akis_rv rv = akis_bind_tx(card, NULL);
		sb_assert_done(card);
		if (lcs[i] == 0xAA) {
			assert_int_equal(rv, AKIS_ERR_DEAD);
			assert_int_equal(card->serial_len, 12);
		} else {
			assert_int_not_equal(rv, AKIS_OK);
			assert_int_not_equal(rv, AKIS_ERR_DEAD);
		}
		akis_card_free(card);
		sb_free(&s);
		img_free(&im);
	}
}

/* --no-pkcs15 on 1.x: no ODF, LIST FILES, cert 2F10 → key 01, 2F11 → 03. */
static void test_bind_nodir_12(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	uint8_t list[60];
	img_make_1x(&im, g_rsa, false, false);
	size_t l2;
	EVP_PKEY *rsa2 = test_key(false, 2048);
	uint8_t *c2 = test_cert(rsa2, "TEST KISI", "digitalSignature", &l2);
	EVP_PKEY_free(rsa2);
	memset(list, 0, sizeof list);
	list[0] = 0x2F, list[1] = 0x2F, list[2] = 0x10;
	list[20] = 0x2F, list[21] = 0x50, list[22] = 0x15; /* not a certificate */
	list[40] = 0x2F, list[41] = 0x2F, list[42] = 0x11;
	sb_identity(&s);
	sb_file(&s, "2F00", im.efdir, im.efdir_len);
	sb_missing(&s, "3D005031");
	sb_step(&s, "00A4080C023D00", "9000");
	sb_data(&s, "8018000000", list, sizeof list, 0x9000);
	sb_file(&s, "3D002F10", im.cert[0], im.cert_len[0]);
	sb_file(&s, "3D002F11", c2, l2);
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, NULL), AKIS_OK);
	sb_assert_done(card);
	assert_false(card->has_pkcs15);
	assert_int_equal(card->n_keys, 2);
	assert_int_equal(card->keys[0].key_ref, 0x01);
	assert_int_equal(card->keys[1].key_ref, 0x03);
	assert_int_equal(card->keys[0].usage, AKIS_USAGE_SIGN | AKIS_USAGE_NON_REPUDIATION);
	assert_string_equal(card->keys[0].label, "Imza");
	assert_string_equal(card->keys[1].label, "Kimlik Dogrulama");
	assert_int_equal(card->keys[0].bits, 2048);
	assert_int_equal(card->keys[0].id_len, 20);
	assert_memory_equal(card->keys[0].id, card->certs[0].id, 20);
	assert_int_equal(card->keys[1].cert, 1);
	assert_memory_not_equal(card->keys[0].id, card->keys[1].id, 20);
	assert_int_equal(card->pins[AKIS_PIN_USER].enc, AKIS_PIN_ENC_ASCII);
	akis_card_free(card);
	free(c2);
	sb_free(&s);
	img_free(&im);
}

/* --no-pkcs15 --no-efdir on 2.x: probing 2F10…2F19; 2F1n → 0x80|(n+1). */
static void test_bind_nodir_2(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	img_make_2(&im, g_ec, g_rsa);
	sb_identity(&s);
	sb_missing(&s, "2F00");
	sb_step(&s, "00A4040007504B43532D313500", "6A82");
	sb_step(&s,
	        "00A404000C"
	        "A000000063504B43532D313500",
	        "6F07820138"
	        "83023D00"
	        "9000");
	sb_missing(&s, "3D005031");
	sb_file(&s, "3D002F10", im.cert[0], im.cert_len[0]);
	sb_file(&s, "3D002F11", im.cert[1], im.cert_len[1]);
	for (int i = 2; i < 10; i++) {
		char p[16];
		snprintf(p, sizeof p, "3D002F1%d", i);
		sb_missing(&s, p);
	}
	struct akis_card *card = sb_card(&s, ATR_2);
	assert_int_equal(akis_bind_tx(card, NULL), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->n_keys, 2);
	assert_int_equal(card->keys[0].key_ref, 0x81);
	assert_int_equal(card->keys[1].key_ref, 0x82);
	assert_int_equal(card->keys[0].type, AKIS_KEY_EC);
	assert_int_equal(card->keys[0].bits, 384);
	assert_true(card->keys[0].user_consent);
	assert_false(card->keys[1].user_consent);
	assert_int_equal(card->keys[1].usage,
	                 AKIS_USAGE_SIGN | AKIS_USAGE_DECRYPT | AKIS_USAGE_UNWRAP);
	akis_card_free(card);
	sb_free(&s);
	img_free(&im);
}

/* A 1.0 card without directory: PINs default to half-nibble BCD. */
static void test_bind_nodir_10_defaults(void **state)
{
	(void)state;
	struct sb s = {0};
	sb_step(&s, "00CA01064D", "6D00");
	sb_missing(&s, "2F00");
	sb_step(&s, "00A4040007504B43532D313500", "9000");
	sb_missing(&s, "3D005031");
	sb_step(&s, "00A4080C023D00", "9000");
	sb_step(&s, "8018000000", "9000"); /* nothing listed */
	struct akis_card *card = sb_card(&s, ATR_10);
	assert_int_equal(akis_bind_tx(card, NULL), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->serial_len, 0);
	assert_int_equal(card->n_keys, 0);
	assert_int_equal(card->pins[AKIS_PIN_USER].enc, AKIS_PIN_ENC_HALF_NIBBLE_BCD);
	assert_int_equal(card->pins[AKIS_PIN_USER].min_len, 4);
	assert_int_equal(card->pins[AKIS_PIN_USER].max_len, 8);
	akis_card_free(card);
	sb_free(&s);
}

/* A malformed PrKDF fails the bind cleanly, nothing half-bound. */
static void test_bind_bad_prkdf(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	img_make_1x(&im, g_rsa, false, false);
	im.prkdf_len -= 3;
	script_12(&s, &im);
	s.n -= 1; /* the CDF is never read */
	s.n -= (im.cdf_len + 0xF3) / 0xF4;
	sb_life_cycle(&s, 0xA5); /* a failed bind asks whether the card is dead */
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, NULL), AKIS_ERR_CARD_DATA);
	sb_assert_done(card);
	assert_int_equal(card->n_keys, 0);
	assert_int_equal(card->n_certs, 0);
	akis_card_free(card);
	sb_free(&s);
	img_free(&im);
}

/* R44, docs/design.md "The on-disk token cache": a cold bind fills the
 * cache; a second one reads the identity, the CDF and the certificate's
 * tail only, and serves the very same token. */
static const char *cache_file(const char *dir)
{
	static char name[128];
	snprintf(name, sizeof name, "%s/akis-000102030405060708090a0b.cache", dir);
	return name;
}

static struct akis_card *cold_bind(const struct img *im, const char *dir)
{
	struct sb s = {0};
	script_12(&s, im);
	sb_file(&s, "3D002F10", im->cert[0], im->cert_len[0]);
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	sb_free(&s);
	return card;
}

/* The warm script: identity, the CDF (whole), the certificate's tail, as
 * the card `now` answers them against the cached `was`. */
static void script_warm_12(struct sb *s, const struct img *was, const struct img *now)
{
	sb_identity(s);
	sb_evidence(s, "3D004404", now->cdf, now->cdf_len, was->cdf_len, 0);
}

static void test_bind_cache(void **state)
{
	(void)state;
	struct img im;
	struct sb s = {0};
	char dir[] = "/tmp/akis-cache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&im, g_rsa, false, false);
	struct akis_card *card = cold_bind(&im, dir);
	assert_int_equal(card->cache_hits, 0);
	unsigned long first = apdu_card_count(card->io);
	akis_card_free(card);
	assert_int_equal(access(cache_file(dir), F_OK), 0);

	script_warm_12(&s, &im, &im);
	sb_cert_tail(&s, "3D002F10", im.cert[0], im.cert_len[0], im.cert_len[0]);
	card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	/* EF.DIR, ODF, TokenInfo, AODF, PrKDF trusted; CDF and certificate confirmed */
	assert_int_equal(card->cache_hits, 7);
	assert_int_equal(apdu_card_count(card->io), 1 + 2 + 2); /* serial, CDF, certificate */
	assert_true(apdu_card_count(card->io) < first);
	assert_int_equal(card->n_certs, 1);
	assert_int_equal(card->n_keys, 1);
	assert_int_equal(card->keys[0].key_ref, 0x01);
	assert_int_equal(card->keys[0].cert, 0);
	assert_string_equal(card->token_label, "AKIS test");
	assert_int_equal(card->pins[AKIS_PIN_SO].min_len, 6);
	assert_memory_equal(card->certs[0].der, im.cert[0], im.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);
	assert_int_equal(unlink(cache_file(dir)), 0);
	assert_int_equal(rmdir(dir), 0);
	img_free(&im);
}

/*
 * Self-healing (docs/design.md "Self-healing"): the card contradicts the
 * cache → the warm bind stops at the first difference, the cache file is
 * dropped and the same call binds from scratch; the token holds the card's
 * current values and the rewritten cache holds them too (a third bind
 * confirms the new certificate, never the old one).
 */
static void heal_case(const struct img *was, const struct img *now, bool cdf_differs)
{
	struct sb s = {0};
	char dir[] = "/tmp/akis-heal-XXXXXX";
	assert_non_null(mkdtemp(dir));
	akis_card_free(cold_bind(was, dir));

	script_warm_12(&s, was, now);
	if (!cdf_differs) /* the same CDF: the certificate's tail tells */
		sb_cert_tail(&s, "3D002F10", now->cert[0], now->cert_len[0], was->cert_len[0]);
	script_12_files(&s, now); /* from scratch, in the same call */
	sb_file(&s, "3D002F10", now->cert[0], now->cert_len[0]);
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->cache_hits, 0);
	assert_int_equal(card->certs[0].der_len, now->cert_len[0]);
	assert_memory_equal(card->certs[0].der, now->cert[0], now->cert_len[0]);
	assert_int_equal(card->n_certs, 1);
	akis_card_free(card);
	sb_free(&s);

	script_warm_12(&s, now, now); /* the rewritten cache holds the new token */
	sb_cert_tail(&s, "3D002F10", now->cert[0], now->cert_len[0], now->cert_len[0]);
	card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->cache_hits, 7);
	assert_memory_equal(card->certs[0].der, now->cert[0], now->cert_len[0]);
	akis_card_free(card);
	sb_free(&s);
	assert_int_equal(unlink(cache_file(dir)), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A certificate re-issued in place: same file, same key, same size, a new
 * serial (so a new signature at its end). */
static void test_cache_cert_replaced(void **state)
{
	(void)state;
	struct img was, now;
	img_make_1x(&was, g_rsa, false, false);
	now = was;
	X509 *x = NULL;
	const uint8_t *p = was.cert[0];
	assert_non_null(x = d2i_X509(NULL, &p, (long)was.cert_len[0]));
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4343);
	assert_true(X509_sign(x, g_rsa, EVP_sha256()) > 0);
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der);
	X509_free(x);
	assert_int_equal((size_t)n, was.cert_len[0]); /* the hard case: same size */
	assert_memory_not_equal(der, was.cert[0], was.cert_len[0]);
	now.cert[0] = der;
	heal_case(&was, &now, false);
	OPENSSL_free(der);
	img_free(&was);
}

/* A certificate whose file grew (the tail alone matches, the end does not)
 * and a different card with the same serial (other key, other iD, so
 * another CDF). */
static void test_cache_other_card(void **state)
{
	(void)state;
	struct img was, now, other;
	img_make_1x(&was, g_rsa, false, false);
	now = was;
	uint8_t *longer = malloc(was.cert_len[0] + 1);
	memcpy(longer, was.cert[0], was.cert_len[0]);
	longer[was.cert_len[0]] = 0x00;
	now.cert[0] = longer;
	now.cert_len[0] = was.cert_len[0] + 1;
	heal_case(&was, &now, false);
	free(longer);

	EVP_PKEY *k2 = test_key(false, 2048);
	img_make_1x(&other, k2, false, false);
	memset(other.id[0], 0x12, 20); /* its own iD (the SHA-1 of its key on a real card) */
	img_cdf(&other, 1);
	heal_case(&was, &other, true);
	img_free(&other);
	EVP_PKEY_free(k2);
	img_free(&was);
}

/*
 * R44, docs/design.md "The on-disk token cache": the reader's last card.
 * A bind in a reader remembers the card; the next bind there replays that
 * card's cache with no GET DATA of the serial, the evidence (CDF,
 * certificate tails) proving it. Another card in the reader disproves it
 * at the CDF and is bound by its serial; neither card's cache is lost.
 */
static const uint8_t other_serial[12] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                         0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B};
#define TEST_READER "Test Reader 00"

static struct akis_card *bind_in_reader(struct sb *s, const char *dir, akis_rv want)
{
	struct akis_card *card = sb_card(s, ATR_12);
	snprintf(card->reader, sizeof card->reader, "%s", TEST_READER);
	assert_int_equal(akis_bind_tx(card, dir), want);
	sb_assert_done(card);
	return card;
}

static void cold_in_reader(const struct img *im, const char *dir)
{
	struct sb s = {0};
	script_12(&s, im);
	sb_file(&s, "3D002F10", im->cert[0], im->cert_len[0]);
	struct akis_card *card = bind_in_reader(&s, dir, AKIS_OK);
	assert_int_equal(card->cache_hits, 0);
	akis_card_free(card);
	sb_free(&s);
}

static int count_files(const char *dir, const char *prefix)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "exit $(ls %s | grep -c '^%s')", dir, prefix);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void rm_dir(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_cache_hint(void **state)
{
	(void)state;
	struct img a, b;
	struct sb s = {0};
	char dir[] = "/tmp/akis-hint-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&a, g_rsa, false, false);
	EVP_PKEY *k2 = test_key(false, 2048);
	img_make_1x(&b, k2, false, false);
	memset(b.id[0], 0x12, 20);
	img_cdf(&b, 1);

	cold_in_reader(&a, dir);
	assert_int_equal(count_files(dir, "reader-"), 1);
	/* A again: the CDF and the certificate's tail, no GET DATA */
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	struct akis_card *card = bind_in_reader(&s, dir, AKIS_OK);
	assert_int_equal(apdu_card_count(card->io), 2 + 2);
	assert_int_equal(card->serial_len, 12);
	assert_memory_equal(card->serial, test_serial, 12);
	assert_int_equal(card->cache_hits, 7);
	assert_string_equal(card->token_label, "AKIS test");
	assert_memory_equal(card->certs[0].der, a.cert[0], a.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);

	/* B in the same reader: its CDF disproves A, then B by its serial, cold */
	sb_evidence(&s, "3D004404", b.cdf, b.cdf_len, a.cdf_len, 0);
	sb_identity_of(&s, other_serial);
	script_12_files(&s, &b);
	sb_file(&s, "3D002F10", b.cert[0], b.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, other_serial, 12);
	assert_int_equal(card->cache_hits, 0);
	assert_memory_equal(card->certs[0].der, b.cert[0], b.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);
	assert_int_equal(access(cache_file(dir), F_OK), 0); /* A's cache kept */
	assert_int_equal(count_files(dir, "akis-"), 2);

	/* B again: warm, no GET DATA */
	sb_evidence(&s, "3D004404", b.cdf, b.cdf_len, b.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", b.cert[0], b.cert_len[0], b.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, other_serial, 12);
	assert_memory_equal(card->certs[0].der, b.cert[0], b.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);

	/* A back: B's CDF disproves B, GET DATA, A from its cache (serial
	 * proven: the CDF and the tail again) */
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, b.cdf_len, 0);
	script_warm_12(&s, &a, &a);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, test_serial, 12);
	assert_int_equal(card->cache_hits, 7);
	assert_memory_equal(card->certs[0].der, a.cert[0], a.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);

	/* the same card without a reader name: no hint, the serial first */
	script_warm_12(&s, &a, &a);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);

	/* a hint made for another profile is not taken: the serial first */
	script_warm_12(&s, &a, &a);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	card = sb_card(&s, ATR_12);
	snprintf(card->reader, sizeof card->reader, "%s", TEST_READER);
	card->atr.profile = AKIS_PROFILE_2;
	assert_int_equal(akis_bind_tx(card, dir), AKIS_OK);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);

	rm_dir(dir);
	img_free(&b);
	EVP_PKEY_free(k2);
	img_free(&a);
}

/* The reader's last card, its certificate re-issued in place: the tail
 * contradicts the cache, the GET DATA says it is the same card, so its
 * cache is dropped and it is bound cold at once (no second round of
 * evidence), in the same call. */
static void test_cache_hint_stale(void **state)
{
	(void)state;
	struct img was, now;
	struct sb s = {0};
	char dir[] = "/tmp/akis-hintst-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&was, g_rsa, false, false);
	now = was;
	uint8_t *longer = malloc(was.cert_len[0] + 1);
	memcpy(longer, was.cert[0], was.cert_len[0]);
	longer[was.cert_len[0]] = 0x00;
	now.cert[0] = longer;
	now.cert_len[0] = was.cert_len[0] + 1;

	cold_in_reader(&was, dir);
	sb_evidence(&s, "3D004404", now.cdf, now.cdf_len, was.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", now.cert[0], now.cert_len[0], was.cert_len[0]);
	sb_identity(&s);
	script_12_files(&s, &now);
	sb_file(&s, "3D002F10", now.cert[0], now.cert_len[0]);
	struct akis_card *card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, test_serial, 12);
	assert_int_equal(card->cache_hits, 0);
	assert_int_equal(card->certs[0].der_len, now.cert_len[0]);
	assert_memory_equal(card->certs[0].der, now.cert[0], now.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);
	/* the rewritten cache holds the new certificate */
	sb_evidence(&s, "3D004404", now.cdf, now.cdf_len, now.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", now.cert[0], now.cert_len[0], now.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->certs[0].der, now.cert[0], now.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);
	rm_dir(dir);
	free(longer);
	img_free(&was);
}

/* Drop the certificate records (type 4) from a cache file. */
static void cache_drop_certs(const char *name)
{
	uint8_t buf[16384], out[16384];
	FILE *f = fopen(name, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf, f), o = 8, i = 8;
	fclose(f);
	memcpy(out, buf, 8);
	while (i + 2 <= n) {
		size_t klen = buf[i + 1], rlen = 2 + klen + 2;
		size_t dlen = (size_t)buf[i + 2 + klen] << 8 | buf[i + 3 + klen];
		rlen += dlen;
		if (buf[i] != 4) {
			memcpy(out + o, buf + i, rlen);
			o += rlen;
		}
		i += rlen;
	}
	assert_int_equal(i, n);
	assert_true(o < n);
	f = fopen(name, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(out, 1, o, f), o);
	assert_int_equal(fclose(f), 0);
}

/* A hinted cache that cannot prove the card (a certificate not among its
 * records, so read whole): the GET DATA is sent after all. The same
 * serial keeps the bind; another serial is bound by that serial, with no
 * second GET DATA (R44). */
static void test_cache_hint_unproven(void **state)
{
	(void)state;
	struct img a;
	struct sb s = {0};
	char dir[] = "/tmp/akis-hintun-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&a, g_rsa, false, false);

	cold_in_reader(&a, dir);
	cache_drop_certs(cache_file(dir));
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_file(&s, "3D002F10", a.cert[0], a.cert_len[0]);
	sb_identity(&s);
	struct akis_card *card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, test_serial, 12);
	assert_memory_equal(card->certs[0].der, a.cert[0], a.cert_len[0]);
	akis_card_free(card);
	sb_free(&s);

	/* the cache was completed by that bind: proven by the tail now */
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, test_serial, 12);
	akis_card_free(card);
	sb_free(&s);

	/* not proven, and the card has another serial */
	cache_drop_certs(cache_file(dir));
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_file(&s, "3D002F10", a.cert[0], a.cert_len[0]);
	sb_identity_of(&s, other_serial);
	script_12_files(&s, &a); /* another serial: cold, no second GET DATA */
	sb_file(&s, "3D002F10", a.cert[0], a.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, other_serial, 12);
	akis_card_free(card);
	sb_free(&s);
	rm_dir(dir);
	img_free(&a);
}

/* A token whose certificates are all CA certificates (no key of the card
 * pairs with one) does not prove which card it is: the GET DATA is sent
 * after the evidence. */
static void test_cache_hint_ca_only(void **state)
{
	(void)state;
	struct img a;
	struct sb s = {0};
	char dir[] = "/tmp/akis-hintca-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&a, g_rsa, false, false);
	free(a.cert[0]);
	a.cert[0] = test_cert(g_rsa, "TEST CA", "critical,keyCertSign,cRLSign", &a.cert_len[0]);
	img_cdf(&a, 1);

	cold_in_reader(&a, dir);
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	sb_identity(&s);
	struct akis_card *card = bind_in_reader(&s, dir, AKIS_OK);
	assert_int_equal(card->keys[0].cert, -1);
	assert_memory_equal(card->serial, test_serial, 12);
	assert_int_equal(card->cache_hits, 7);
	akis_card_free(card);
	sb_free(&s);

	/* a card that answers that GET DATA with a status word: asked once,
	 * bound by the TokenInfo serial (which names the same cache file) */
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_cert_tail(&s, "3D002F10", a.cert[0], a.cert_len[0], a.cert_len[0]);
	sb_step(&s, "00CA01064D", "6A88");
	script_12_files(&s, &a); /* no serial to pick a cache by: cold */
	sb_file(&s, "3D002F10", a.cert[0], a.cert_len[0]);
	card = bind_in_reader(&s, dir, AKIS_OK);
	assert_memory_equal(card->serial, test_serial, 12); /* TokenInfo's */
	akis_card_free(card);
	sb_free(&s);

	/* the card gone in the middle of the hinted bind: the guessed serial
	 * is not left behind */
	sb_evidence(&s, "3D004404", a.cdf, a.cdf_len, a.cdf_len, 0);
	sb_err(&s, APDU_ERR_NO_CARD);
	card = bind_in_reader(&s, dir, AKIS_ERR_REMOVED);
	assert_int_equal(card->serial_len, 0);
	assert_int_equal(card->n_certs, 0);
	akis_card_free(card);
	sb_free(&s);
	rm_dir(dir);
	img_free(&a);
}

/* A card without certificates has no cache file; its hint is written all
 * the same, so that the next bind in that reader sends no APDU for a guess
 * (it starts with the GET DATA, as without a hint). */
static void test_cache_hint_nocert(void **state)
{
	(void)state;
	struct img a, e;
	struct sb s = {0};
	char dir[] = "/tmp/akis-hintnc-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&a, g_rsa, false, false);
	img_make_1x(&e, g_rsa, false, false);
	memset(e.cdf, 0, 16); /* a CDF with no entry: padding only */
	e.cdf_len = 16;
	cold_in_reader(&a, dir);
	for (int round = 0; round < 2; round++) {
		if (round == 0) /* A's CDF disproved first */
			sb_evidence(&s, "3D004404", e.cdf, e.cdf_len, a.cdf_len, 0);
		sb_identity_of(&s, other_serial);
		script_12_files(&s, &e);
		struct akis_card *card = bind_in_reader(&s, dir, AKIS_OK);
		assert_memory_equal(card->serial, other_serial, 12);
		assert_int_equal(card->n_certs, 0);
		akis_card_free(card);
		sb_free(&s);
	}
	assert_int_equal(count_files(dir, "akis-"), 1); /* A's only */
	rm_dir(dir);
	img_free(&e);
	img_free(&a);
}

/* A malformed cache file is ignored: a cold bind, which rewrites it. */
static void test_cache_malformed(void **state)
{
	(void)state;
	struct img im;
	char dir[] = "/tmp/akis-badcache-XXXXXX";
	assert_non_null(mkdtemp(dir));
	img_make_1x(&im, g_rsa, false, false);
	akis_card_free(cold_bind(&im, dir));
	FILE *f = fopen(cache_file(dir), "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 9, SEEK_SET), 0);
	fputc(0x40, f); /* a key length over the bound */
	assert_int_equal(fclose(f), 0);
	struct akis_card *card = cold_bind(&im, dir);
	assert_int_equal(card->cache_hits, 0);
	akis_card_free(card);
	assert_int_equal(unlink(cache_file(dir)), 0);
	assert_int_equal(rmdir(dir), 0);
	img_free(&im);
}

/* R44: a missing cache directory is created 0700; a directory others can
 * write to is never used (a forged certificate could be planted there). */
static void bind_once_12(const char *cache_dir)
{
	struct img im;
	struct sb s = {0};
	img_make_1x(&im, g_rsa, false, false);
	script_12(&s, &im);
	sb_file(&s, "3D002F10", im.cert[0], im.cert_len[0]);
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_bind_tx(card, cache_dir), AKIS_OK);
	sb_assert_done(card);
	assert_int_equal(card->cache_hits, 0);
	akis_card_free(card);
	sb_free(&s);
	img_free(&im);
}

static void test_cache_dir_private(void **state)
{
	(void)state;
	char top[] = "/tmp/akis-cachedir-XXXXXX", dir[128], name[192];
	struct stat st;
	assert_non_null(mkdtemp(top));
	snprintf(dir, sizeof dir, "%s/a/akis-pkcs11", top);
	snprintf(name, sizeof name, "%s/akis-000102030405060708090a0b.cache", dir);

	bind_once_12(dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(access(name, F_OK), 0);

	assert_int_equal(unlink(name), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	bind_once_12(dir);
	assert_int_not_equal(access(name, F_OK), 0);

	assert_int_equal(rmdir(dir), 0);
	snprintf(dir, sizeof dir, "%s/a", top);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(top), 0);
}

/* ----- reset in begin ----- */

static struct apdu_ops g_ops;
static const struct apdu_ops *g_orig_ops;
static int g_resets, g_reconnects;

static apdu_rv reset_begin(void *ctx)
{
	if (g_resets > 0) {
		g_resets--;
		return APDU_ERR_RESET;
	}
	return g_orig_ops->begin(ctx);
}

static apdu_rv count_reconnect(void *ctx)
{
	g_reconnects++;
	return g_orig_ops->reconnect(ctx);
}

static void test_begin_reset(void **state)
{
	(void)state;
	struct sb s = {0};
	bool was_reset = true;
	sb_step(&s, "00A4080C023D00", "9000");
	struct akis_card *card = sb_card(&s, ATR_12);
	g_orig_ops = card->io->ops;
	g_ops = *g_orig_ops;
	g_ops.begin = reset_begin;
	g_ops.reconnect = count_reconnect;
	card->io->ops = &g_ops;

	assert_int_equal(akis_begin(card, &was_reset), AKIS_OK);
	assert_false(was_reset);
	assert_int_equal(akis_select_app_tx(card), AKIS_OK);
	assert_int_equal(card->cur_path_len, 2);
	akis_end(card);

	g_resets = 1;
	assert_int_equal(akis_begin(card, &was_reset), AKIS_OK);
	assert_true(was_reset);
	assert_int_equal(g_reconnects, 1);
	assert_int_equal(card->cur_path_len, 0); /* selection forgotten */
	card->io->ops = g_orig_ops;
	assert_int_equal(apdu_script_tx_depth(card->io), 1);
	akis_end(card);
	assert_int_equal(apdu_script_tx_depth(card->io), 0);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* A reset seen by a command: AKIS_ERR_RESET and the selection is forgotten. */
static void test_xmit_reset(void **state)
{
	(void)state;
	struct sb s = {0};
	sb_step(&s, "00A4080C023D00", "9000");
	sb_err(&s, APDU_ERR_RESET);
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_select_app_tx(card), AKIS_OK);
	assert_int_equal(card->cur_path_len, 2);
	/* LOGOUT: no SELECT (3D00 current), the transmit sees the reset */
	assert_int_equal(akis_logout_tx(card), AKIS_ERR_RESET);
	assert_int_equal(card->cur_path_len, 0);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* The card refuses SELECT by path: fall back to FID by FID, remember it. */
static void test_select_fallback(void **state)
{
	(void)state;
	struct sb s = {0};
	static const uint8_t p[] = {0x3D, 0x00, 0x50, 0x31};
	sb_step(&s, "00A4080C043D005031", "6A86");
	sb_step(&s, "00A4000C023F00", "9000");
	sb_step(&s, "00A4000C023D00", "9000");
	sb_step(&s, "00A4000C025031", "9000");
	sb_step(&s, "00A4000C023F00", "9000");
	sb_step(&s, "00A4000C023D00", "9000");
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_select_tx(card, p, sizeof p, false, NULL), AKIS_OK);
	assert_true(card->no_path_select);
	assert_int_equal(akis_select_tx(card, p, sizeof p, false, NULL), AKIS_OK); /* cached */
	assert_int_equal(akis_select_app_tx(card), AKIS_OK); /* EF in 3D00: DF current */
	card->cur_path_len = 0;
	assert_int_equal(akis_select_app_tx(card), AKIS_OK);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

/* READ BINARY with unknown size stops at 6282 / 6B00. */
static void test_read_unknown_size(void **state)
{
	(void)state;
	struct sb s = {0};
	uint8_t buf[600], data[300];
	size_t len = 0;
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	sb_data(&s, "00B00000F4", data, 0xF4, 0x9000);
	sb_data(&s, "00B000F4F4", data + 0xF4, sizeof data - 0xF4, 0x6282);
	sb_step(&s, "00B00000F4", "6B00");
	struct akis_card *card = sb_card(&s, ATR_12);
	assert_int_equal(akis_read_current_tx(card, 0, buf, sizeof buf, &len), AKIS_OK);
	assert_int_equal(len, sizeof data);
	assert_memory_equal(buf, data, sizeof data);
	assert_int_equal(akis_read_current_tx(card, 0, buf, sizeof buf, &len), AKIS_OK);
	assert_int_equal(len, 0);
	sb_assert_done(card);
	akis_card_free(card);
	sb_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_bind_12),
	        cmocka_unit_test(test_bind_2),
	        cmocka_unit_test(test_bind_dead),
	        cmocka_unit_test(test_read_puk_alive),
	        cmocka_unit_test(test_read_puk_open),
	        cmocka_unit_test(test_bind_dead_refused),
	        cmocka_unit_test(test_bind_nodir_12),
	        cmocka_unit_test(test_bind_nodir_2),
	        cmocka_unit_test(test_bind_nodir_10_defaults),
	        cmocka_unit_test(test_bind_bad_prkdf),
	        cmocka_unit_test(test_bind_cache),
	        cmocka_unit_test(test_cache_cert_replaced),
	        cmocka_unit_test(test_cache_other_card),
	        cmocka_unit_test(test_cache_hint),
	        cmocka_unit_test(test_cache_hint_stale),
	        cmocka_unit_test(test_cache_hint_unproven),
	        cmocka_unit_test(test_cache_hint_ca_only),
	        cmocka_unit_test(test_cache_hint_nocert),
	        cmocka_unit_test(test_cache_malformed),
	        cmocka_unit_test(test_cache_dir_private),
	        cmocka_unit_test(test_begin_reset),
	        cmocka_unit_test(test_xmit_reset),
	        cmocka_unit_test(test_select_fallback),
	        cmocka_unit_test(test_read_unknown_size),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
