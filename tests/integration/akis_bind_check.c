/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Real-bench check of akis/ against a card in the first PC/SC reader with
 * a card (pcscd + vpcd + akis-vcard): bind, PIN status, VERIFY, sign with
 * every key and check each signature against its certificate with OpenSSL,
 * decipher with RSA keys, LOGOUT. Prints what it saw; exit 0 when all held.
 *
 *   akis_bind_check PIN [CACHE_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../../akis/akis.h"
#include "../../apdu/pcsc.h"

static int g_fail;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			g_fail = 1;                                                                \
			printf("FAIL: ");                                                          \
		} else {                                                                           \
			printf("ok:   ");                                                          \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

static EVP_PKEY *cert_key(const struct akis_card *card, const struct akis_key *k)
{
	if (k->cert < 0)
		return NULL;
	const uint8_t *p = card->certs[k->cert].der;
	X509 *x = d2i_X509(NULL, &p, (long)card->certs[k->cert].der_len);
	EVP_PKEY *pk = x ? X509_get_pubkey(x) : NULL;
	X509_free(x);
	return pk;
}

/* SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1) */
static const uint8_t di_sha256[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

static bool verify_sig(EVP_PKEY *pk, bool ec, const uint8_t *hash, const uint8_t *sig, size_t n)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	uint8_t der[160];
	size_t der_len = n;
	const uint8_t *s = sig;
	bool ok = false;
	if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0)
		goto out;
	if (ec) { /* raw r||s → DER */
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *r = BN_bin2bn(sig, (int)n / 2, NULL),
		       *t = BN_bin2bn(sig + n / 2, (int)n / 2, NULL);
		ECDSA_SIG_set0(es, r, t);
		uint8_t *q = der;
		der_len = (size_t)i2d_ECDSA_SIG(es, &q);
		ECDSA_SIG_free(es);
		s = der;
	} else if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0 ||
	           EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) <= 0) {
		goto out;
	}
	ok = EVP_PKEY_verify(ctx, s, der_len, hash, 32) == 1;
out:
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static void sign_key(struct akis_card *card, size_t i, const char *pin)
{
	const struct akis_key *k = &card->keys[i];
	uint8_t hash[32], in[64], out[512];
	size_t out_len = 0;
	bool ec = k->type == AKIS_KEY_EC;
	EVP_PKEY *pk = cert_key(card, k);
	memset(hash, 0x42, sizeof hash);
	memcpy(in, di_sha256, sizeof di_sha256);
	memcpy(in + sizeof di_sha256, hash, sizeof hash);
	if (k->user_consent) {
		akis_rv v = akis_pin_verify_tx(card, AKIS_PIN_USER, pin, strlen(pin), NULL);
		CHECK(v == AKIS_OK, "key %zu: per-signature VERIFY %s", i, akis_rv_name(v));
	}
	akis_rv rv =
	        ec ? akis_sign_tx(card, i, AKIS_SIGN_ECDSA, hash, 32, out, sizeof out, &out_len)
	           : akis_sign_tx(card, i, AKIS_SIGN_RSA_PKCS1, in, sizeof di_sha256 + 32, out,
	                          sizeof out, &out_len);
	CHECK(rv == AKIS_OK, "key %zu (ref %02X %s %u): sign %s, %zu bytes", i, k->key_ref,
	      ec ? "EC" : "RSA", k->bits, akis_rv_name(rv), out_len);
	if (rv == AKIS_OK)
		CHECK(pk && verify_sig(pk, ec, hash, out, out_len), "key %zu: signature verifies",
		      i);
	if (!ec && rv == AKIS_OK && (k->usage & AKIS_USAGE_DECRYPT) && pk) {
		uint8_t ct[512], pt[512];
		size_t ct_len = sizeof ct, pt_len = 0;
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
		EVP_PKEY_encrypt_init(c);
		EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
		EVP_PKEY_encrypt(c, ct, &ct_len, hash, 32);
		EVP_PKEY_CTX_free(c);
		rv = akis_decrypt_tx(card, i, ct, ct_len, pt, sizeof pt, &pt_len);
		CHECK(rv == AKIS_OK && pt_len == ct_len && memcmp(pt + pt_len - 32, hash, 32) == 0,
		      "key %zu: decipher %s (%zu bytes, plaintext at the end)", i, akis_rv_name(rv),
		      pt_len);
	}
	EVP_PKEY_free(pk);
}

static void report(struct akis_card *card)
{
	printf("profile %d version %s; serial %zu bytes; life cycle %02X; efdir %d pkcs15 %d; "
	       "%zu keys %zu certs; files read %lu, cached %lu, APDUs %lu\n",
	       (int)card->atr.profile, card->atr.version, card->serial_len, card->life_cycle,
	       card->has_efdir, card->has_pkcs15, card->n_keys, card->n_certs, card->binds,
	       card->cache_hits, apdu_card_count(card->io));
	for (unsigned w = 0; w < 2; w++)
		printf("pin %u: ref %02X enc %d len %u-%u pad %u\n", w, card->pins[w].ref,
		       (int)card->pins[w].enc, card->pins[w].min_len, card->pins[w].max_len,
		       card->pins[w].pad_len);
	for (size_t i = 0; i < card->n_keys; i++)
		printf("key %zu: '%s' ref %02X usage %03X consent %d cert %d\n", i,
		       card->keys[i].label, card->keys[i].key_ref, card->keys[i].usage,
		       card->keys[i].user_consent, card->keys[i].cert);
}

int main(int argc, char **argv)
{
	struct apdu_pcsc *pc = NULL;
	struct apdu_reader rd[APDU_READERS_MAX];
	struct apdu_card *io = NULL;
	struct akis_card *card = NULL;
	struct akis_pin_status st;
	size_t n = 0;
	bool was_reset;
	if (argc < 2)
		return 2;
	OpenSSL_add_all_algorithms();
	if (apdu_pcsc_open(&pc) != APDU_OK ||
	    apdu_pcsc_readers(pc, rd, APDU_READERS_MAX, &n) != APDU_OK)
		return 3;
	for (size_t i = 0; i < n && io == NULL; i++)
		if ((rd[i].state & APDU_STATE_PRESENT) &&
		    apdu_pcsc_connect(rd[i].name, &io) != APDU_OK)
			io = NULL;
	if (io == NULL || akis_card_new(io, NULL, &card) != AKIS_OK) {
		printf("FAIL: no AKIS card\n");
		return 4;
	}
	CHECK(akis_begin(card, &was_reset) == AKIS_OK, "begin");
	akis_rv rv = akis_bind_tx(card, argc > 2 ? argv[2] : NULL);
	CHECK(rv == AKIS_OK, "bind %s", akis_rv_name(rv));
	report(card);
	rv = akis_pin_status_tx(card, AKIS_PIN_USER, &st);
	CHECK(rv == AKIS_OK && st.tries_left == 3 && !st.verified, "PIN status %s tries %d",
	      akis_rv_name(rv), st.tries_left);
	rv = akis_pin_verify_tx(card, AKIS_PIN_USER, argv[1], strlen(argv[1]), NULL);
	CHECK(rv == AKIS_OK, "VERIFY %s", akis_rv_name(rv));
	rv = akis_pin_status_tx(card, AKIS_PIN_USER, &st);
	CHECK(rv == AKIS_OK && st.verified, "PIN status after VERIFY: verified %d", st.verified);
	for (size_t i = 0; i < card->n_keys; i++)
		sign_key(card, i, argv[1]);
	uint8_t rnd[40];
	CHECK(akis_random_tx(card, rnd, sizeof rnd) == AKIS_OK, "GET CHALLENGE 40 bytes");
	CHECK(akis_logout_tx(card) == AKIS_OK, "LOGOUT");
	rv = akis_pin_status_tx(card, AKIS_PIN_USER, &st);
	CHECK(rv == AKIS_OK && !st.verified, "PIN status after LOGOUT: verified %d", st.verified);
	akis_end(card);
	akis_card_free(card);
	apdu_pcsc_close(pc);
	printf("%s\n", g_fail ? "SOME CHECKS FAILED" : "ALL CHECKS PASSED");
	return g_fail;
}
