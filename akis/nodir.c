/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Facts taken from certificates (key type, size, usage, a stable iD:
 * akis/x509.h), key-certificate pairing, and the card without a PKCS#15
 * directory (docs/card.md §2): LIST FILES on 1.x, probing 2F10…2F19 on
 * 2.x, key reference by convention.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "akis.h"
#include "internal.h"
#include "x509.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

#define INS_LIST_FILES 0x18
#define LIST_RECORD    20u /* docs/card.md §3 */
#define FID_CERT_FIRST 0x2F10u
#define FID_CERT_PROBE 10u /* 2F10…2F19 */

struct cert_facts {
	enum akis_key_type type;
	unsigned bits;
	unsigned usage;
	bool non_repudiation;
	bool ca; /* a CA certificate (basicConstraints, keyCertSign, v1 self-signed) */
	uint8_t id[AKIS_KEY_ID_LEN];
	EVP_PKEY *pk; /* the public key when asked for (cert_facts pk_out), else NULL */
};

/* Facts of a DER certificate. With want_pk, f->pk holds a reference to
 * its public key (the caller frees it). */
static bool cert_facts(const uint8_t *der, size_t len, struct cert_facts *f, bool want_pk)
{
	const uint8_t *p = der;
	bool ok = false;
	f->pk = NULL;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL)
		return false;
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk == NULL)
		goto out;
	int base = EVP_PKEY_get_base_id(pk);
	if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC)
		goto out;
	f->type = base == EVP_PKEY_RSA ? AKIS_KEY_RSA : AKIS_KEY_EC;
	f->bits = (unsigned)EVP_PKEY_get_bits(pk);
	f->usage = akis_x509_usage(X509_get_key_usage(x), f->type);
	f->non_repudiation = (f->usage & AKIS_USAGE_NON_REPUDIATION) != 0;
	f->ca = X509_check_ca(x) != 0;
	/* A stable iD from the public key (RFC 5280 §4.2.1.2 method 1), R23. */
	if (!akis_x509_key_id(pk, f->id))
		goto out;
	if (want_pk && EVP_PKEY_up_ref(pk) == 1)
		f->pk = pk;
	ok = !want_pk || f->pk != NULL;
out:
	X509_free(x);
	return ok;
}

/*
 * ----- pairing keys with certificates (R23) -----
 *
 * Each certificate goes to at most one key, and only on evidence, in
 * rounds from the strongest to the weakest:
 *   3. the key's public key (PuKDF) equals the certificate's;
 *   2. the same non-empty iD, and a matching key type and size;
 *   1. any certificate of matching key type and size when the card gave
 *      the key no iD or muddled the iDs; for a key whose iD no
 *      certificate has, only the one the 2F1n convention names (its own
 *      may be gone from the card).
 * A key that has a PuKDF public key pairs only with a certificate of that
 * key; a CA certificate (CDF authority flag or the certificate says so)
 * pairs only on its public key. In each round a key and a certificate
 * pair when each is the other's only candidate; among several, the one
 * following the 2F1n ↔ key reference convention of docs/card.md §2 wins,
 * and among certificates of one and the same public key the first. What
 * stays ambiguous stays unpaired (a wrong pair would show a key under
 * another key's certificate). The result depends only on the card's data:
 * the same card pairs the same way in every process.
 */

struct pair_key {
	bool have_spki;
	EVP_PKEY *pk; /* from the PuKDF SubjectPublicKeyInfo, or NULL */
};

struct pairing {
	struct akis_card *card;
	size_t nk, nc;
	struct pair_key k[AKIS_MAX_KEYS];
	struct cert_facts c[AKIS_MAX_CERTS];
	bool c_ok[AKIS_MAX_CERTS];
	bool taken[AKIS_MAX_CERTS];
};

static bool pair_convention(const struct akis_card *card, size_t i, size_t j);

static bool id_on_a_cert(const struct akis_card *card, const struct akis_key *k)
{
	for (size_t j = 0; j < card->n_certs; j++)
		if (card->certs[j].id_len == k->id_len &&
		    memcmp(card->certs[j].id, k->id, k->id_len) == 0)
			return true;
	return false;
}

static bool pair_compatible(const struct pairing *pp, size_t i, size_t j, int round)
{
	const struct akis_key *k = &pp->card->keys[i];
	const struct akis_cert *ac = &pp->card->certs[j];
	const struct cert_facts *f = &pp->c[j];
	if (!pp->c_ok[j] || pp->taken[j] || k->cert >= 0)
		return false;
	if (pp->k[i].have_spki) /* the public key is known: nothing else counts */
		return pp->k[i].pk != NULL && EVP_PKEY_eq(pp->k[i].pk, f->pk) == 1;
	if (round == 3 || ac->authority || f->ca || f->type != k->type ||
	    (k->bits != 0 && k->bits != f->bits))
		return false;
	if (round == 2)
		return k->id_len != 0 && k->id_len == ac->id_len &&
		       memcmp(k->id, ac->id, k->id_len) == 0;
	/* round 1: a key whose iD no certificate carries (its own certificate
	 * may be gone from the card) takes another only by the 2F1n
	 * convention; a key without an iD, or whose iD is on a certificate
	 * that does not fit it (the card's iDs are muddled), by type and size */
	return k->id_len == 0 || id_on_a_cert(pp->card, k) || pair_convention(pp->card, i, j);
}

/* docs/card.md §2: certificate 2F1n ↔ key 2n+1 (1.x), 0x80|(n+1) (2.x). */
static bool pair_convention(const struct akis_card *card, size_t i, size_t j)
{
	const struct akis_cert *c = &card->certs[j];
	if (c->path_len < 2 || c->path[c->path_len - 2] != 0x2F ||
	    (c->path[c->path_len - 1] & 0xF0) != 0x10)
		return false;
	unsigned n = c->path[c->path_len - 1] & 0x0Fu;
	uint8_t ref = card->atr.profile == AKIS_PROFILE_2 ? (uint8_t)(0x80u | (n + 1))
	                                                  : (uint8_t)(2 * n + 1);
	return card->keys[i].key_ref == ref;
}

/* Do all candidate certificates (mask) carry one and the same public key? */
static bool pair_same_key(const struct pairing *pp, const bool *cand)
{
	const EVP_PKEY *first = NULL;
	for (size_t j = 0; j < pp->nc; j++) {
		if (!cand[j])
			continue;
		if (first == NULL)
			first = pp->c[j].pk;
		else if (EVP_PKEY_eq(first, pp->c[j].pk) != 1)
			return false;
	}
	return true;
}

/* The one certificate for key i in this round, or -1. */
static int pair_cert_for(const struct pairing *pp, size_t i, int round)
{
	bool cand[AKIS_MAX_CERTS] = {false};
	size_t n = 0, n_conv = 0;
	int any = -1, conv = -1;
	for (size_t j = 0; j < pp->nc; j++) {
		if (!pair_compatible(pp, i, j, round))
			continue;
		cand[j] = true;
		n++;
		any = any < 0 ? (int)j : any;
		if (pair_convention(pp->card, i, j)) {
			n_conv++;
			conv = (int)j;
		}
	}
	if (n == 1)
		return any;
	if (n_conv == 1)
		return conv;
	return n > 1 && pair_same_key(pp, cand) ? any : -1;
}

/* The one key for certificate j in this round, or -1. */
static int pair_key_for(const struct pairing *pp, size_t j, int round)
{
	size_t n = 0, n_conv = 0;
	int any = -1, conv = -1;
	for (size_t i = 0; i < pp->nk; i++) {
		if (!pair_compatible(pp, i, j, round))
			continue;
		n++;
		any = any < 0 ? (int)i : any;
		if (pair_convention(pp->card, i, j)) {
			n_conv++;
			conv = (int)i;
		}
	}
	return n == 1 ? any : n_conv == 1 ? conv : -1;
}

static void pair_round(struct pairing *pp, int round)
{
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < pp->nk; i++) {
			int j = pair_cert_for(pp, i, round);
			if (j < 0 || pair_key_for(pp, (size_t)j, round) != (int)i)
				continue;
			pp->card->keys[i].cert = j;
			pp->taken[j] = true;
			changed = true;
			log_msg(LOG_OBJ, "key %zu: certificate %d (%s)", i, j,
			        round == 3   ? "public key"
			        : round == 2 ? "iD"
			                     : "key type and size");
		}
	}
}

/* Keep a pairing made before (the fallback without a directory) when it
 * is valid and the certificate is not used twice. */
static void pair_keep_given(struct pairing *pp)
{
	for (size_t i = 0; i < pp->nk; i++) {
		struct akis_key *k = &pp->card->keys[i];
		if (k->cert < 0)
			continue;
		if ((size_t)k->cert >= pp->nc || !pp->c_ok[k->cert] || pp->taken[k->cert]) {
			log_msg(LOG_OBJ, "key %zu: given certificate %d dropped", i, k->cert);
			k->cert = -1;
			continue;
		}
		pp->taken[k->cert] = true;
	}
}

static void pair_gather(struct pairing *pp)
{
	for (size_t j = 0; j < pp->nc; j++) {
		const struct akis_cert *c = &pp->card->certs[j];
		memset(&pp->c[j], 0, sizeof pp->c[j]);
		pp->c_ok[j] = c->der != NULL && cert_facts(c->der, c->der_len, &pp->c[j], true);
	}
	for (size_t i = 0; i < pp->nk; i++) {
		const struct akis_key *k = &pp->card->keys[i];
		const uint8_t *p = k->spki;
		pp->k[i].have_spki = k->spki != NULL && k->spki_len != 0;
		pp->k[i].pk = pp->k[i].have_spki ? d2i_PUBKEY(NULL, &p, (long)k->spki_len) : NULL;
	}
}

static void pair_free(struct pairing *pp)
{
	for (size_t i = 0; i < pp->nk; i++)
		EVP_PKEY_free(pp->k[i].pk);
	for (size_t j = 0; j < pp->nc; j++)
		EVP_PKEY_free(pp->c[j].pk);
	free(pp);
}

static void pair_keys(struct akis_card *card)
{
	struct pairing *pp = calloc(1, sizeof *pp);
	if (pp == NULL) { /* no pairing rather than a guess */
		for (size_t i = 0; i < card->n_keys; i++)
			card->keys[i].cert = -1;
		return;
	}
	pp->card = card;
	pp->nk = card->n_keys < AKIS_MAX_KEYS ? card->n_keys : AKIS_MAX_KEYS;
	pp->nc = card->n_certs < AKIS_MAX_CERTS ? card->n_certs : AKIS_MAX_CERTS;
	pair_gather(pp);
	pair_keep_given(pp);
	for (int round = 3; round >= 1; round--)
		pair_round(pp, round);
	pair_free(pp);
}

void akis_keys_complete(struct akis_card *card)
{
	pair_keys(card);
	for (size_t i = 0; i < card->n_keys; i++) {
		struct akis_key *k = &card->keys[i];
		struct cert_facts f;
		if (k->cert < 0) {
			log_msg(LOG_OBJ, "key %zu: no certificate", i);
			continue;
		}
		const struct akis_cert *c = &card->certs[k->cert];
		if (!cert_facts(c->der, c->der_len, &f, false)) {
			log_msg(LOG_OBJ, "key %zu: certificate not parsable", i);
			continue;
		}
		if (f.type != k->type)
			log_msg(LOG_OBJ, "key %zu: PrKDF and certificate disagree on type", i);
		if (k->bits == 0 || k->type == AKIS_KEY_EC)
			k->bits = f.bits;
	}
}

/* The certificate just read at fid (the last of certs; n = fid - 2F10)
 * and its key by convention. */
static void nodir_add(struct akis_card *card, uint16_t fid)
{
	struct cert_facts f;
	unsigned n = fid - FID_CERT_FIRST;
	struct akis_cert *c = &card->certs[card->n_certs - 1];
	memset(&f, 0, sizeof f);
	if (!cert_facts(c->der, c->der_len, &f, false)) {
		log_msg(LOG_OBJ, "certificate %04X: not parsable, skipped", fid);
		free(c->der);
		memset(c, 0, sizeof *c);
		card->n_certs--;
		return;
	}
	const char *label = f.non_repudiation ? "Imza" : "Kimlik Dogrulama";
	memcpy(c->id, f.id, sizeof f.id);
	c->id_len = sizeof f.id;
	snprintf(c->label, sizeof c->label, "%s", label);

	struct akis_key *k = &card->keys[card->n_keys++];
	memset(k, 0, sizeof *k);
	memcpy(k->id, f.id, sizeof f.id);
	k->id_len = sizeof f.id;
	snprintf(k->label, sizeof k->label, "%s", label);
	/* docs/card.md §2 [C]: 2F1n → key 2n+1 (1.x), 0x80|(n+1) (2.x) */
	k->key_ref = card->atr.profile == AKIS_PROFILE_2 ? (uint8_t)(0x80u | (n + 1))
	                                                 : (uint8_t)(2 * n + 1);
	k->type = f.type;
	k->bits = f.bits;
	k->usage = f.usage;
	/* The qualified (NES) key asks a PIN per signature on 2.x (§3). */
	k->user_consent = card->atr.profile == AKIS_PROFILE_2 && f.non_repudiation;
	k->auth_pin_ref = card->pins[AKIS_PIN_USER].ref;
	k->cert = (int)(card->n_certs - 1);
	log_msg(LOG_OBJ, "no directory: %04X -> key %02X %s %u bits", fid, k->key_ref,
	        f.type == AKIS_KEY_RSA ? "RSA" : "EC", f.bits);
}

/* Read the certificate at 2F1n in the application DF, if there. */
static akis_rv nodir_cert_tx(struct akis_card *card, uint16_t fid, struct akis_tcache *tc)
{
	if (fid < FID_CERT_FIRST || fid > FID_CERT_FIRST + 0x0F ||
	    card->app_path_len + 2 > AKIS_PATH_MAX || card->n_certs >= AKIS_MAX_CERTS ||
	    card->n_keys >= AKIS_MAX_KEYS)
		return AKIS_OK;
	struct akis_cert *c = &card->certs[card->n_certs];
	memset(c, 0, sizeof *c);
	memcpy(c->path, card->app_path, card->app_path_len);
	c->path[card->app_path_len] = (uint8_t)(fid >> 8);
	c->path[card->app_path_len + 1] = (uint8_t)fid;
	c->path_len = card->app_path_len + 2;
	card->n_certs++;
	akis_rv rv = akis_cert_read_tx(card, card->n_certs - 1, tc);
	if (rv != AKIS_OK) {
		free(c->der);
		memset(c, 0, sizeof *c);
		card->n_certs--;
		return rv == AKIS_ERR_NOT_FOUND ? AKIS_OK : rv;
	}
	nodir_add(card, fid);
	return AKIS_OK;
}

/* LIST FILES (1.x): 20-byte records, byte 0 2F (EF) or 3D (DF), 1-2 FID. */
static akis_rv list_files_tx(struct akis_card *card, uint16_t *fids, size_t cap, size_t *n,
                             bool *listed)
{
	uint8_t buf[APDU_CHAIN_CAP];
	size_t len = 0;
	uint16_t sw = 0;
	struct apdu cmd = {0x80, INS_LIST_FILES, 0x00, 0x00, NULL, 0, APDU_SHORT_LE_MAX};
	*n = 0;
	*listed = false;
	akis_rv rv = akis_select_app_tx(card);
	if (rv == AKIS_OK)
		rv = akis_xmit_tx(card, &cmd, buf, sizeof buf, &len, &sw);
	if (rv != AKIS_OK || sw != AKIS_SW_OK)
		return rv;
	struct rd r = rd_init(buf, len), rec;
	while (rd_sub(&r, LIST_RECORD, &rec)) {
		uint8_t type;
		uint16_t fid;
		if (!rd_u8(&rec, &type) || !rd_u16be(&rec, &fid))
			return AKIS_ERR_CARD_DATA;
		if (type == 0x2F && *n < cap)
			fids[(*n)++] = fid;
	}
	*listed = true;
	return AKIS_OK;
}

akis_rv akis_nodir_bind_tx(struct akis_card *card, struct akis_tcache *tc)
{
	uint16_t fids[AKIS_MAX_CERTS];
	size_t n = 0;
	bool listed = false;
	akis_rv rv = AKIS_OK;
	if (card->atr.profile != AKIS_PROFILE_2)
		rv = list_files_tx(card, fids, AKIS_MAX_CERTS, &n, &listed);
	if (rv != AKIS_OK)
		return rv;
	if (!listed) {
		for (n = 0; n < FID_CERT_PROBE; n++)
			fids[n] = (uint16_t)(FID_CERT_FIRST + n);
	}
	log_msg(LOG_OBJ, "no directory: %s %zu files", listed ? "listed" : "probing", n);
	for (size_t i = 0; rv == AKIS_OK && i < n; i++)
		rv = nodir_cert_tx(card, fids[i], tc);
	return rv;
}
