/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PKCS#15 (ISO/IEC 7816-15) directory parsing: EF.DIR, ODF, TokenInfo,
 * AODF, PrKDF, CDF, PuKDF. Every byte goes through the bounded reader; any
 * structure that does not fit is AKIS_ERR_CARD_DATA, never a crash.
 * Files may be padded with 00 or FF after the last entry (PKCS#15 v1.1
 * §5.4): parsing stops there. Unknown CHOICE alternatives are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "akis.h"
#include "internal.h"
#include "../log/log.h"
#include "../apdu/tlv.h"

#define T_BOOL   0x01
#define T_INT    0x02
#define T_BITS   0x03
#define T_OCTETS 0x04
#define T_ENUM   0x0A
#define T_UTF8   0x0C
#define T_SEQ    0x30
#define T_CTX0   0x80
#define T_CTX0_C 0xA0
#define T_CTX1_C 0xA1

/* PinFlags (PKCS#15 v1.1 §6.8.2) */
#define PINF_LOCAL         (1ul << 1)
#define PINF_NEEDS_PADDING (1ul << 5)
#define PINF_UNBLOCKING    (1ul << 6)
#define PINF_SO            (1ul << 7)

/* PinType */
enum { PINTYPE_BCD = 0, PINTYPE_ASCII = 1, PINTYPE_UTF8 = 2, PINTYPE_HALF_NIBBLE = 3 };

static const uint8_t p15_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
                                  0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35};
static const uint8_t p15_name[] = {'P', 'K', 'C', 'S', '-', '1', '5'};

/* Unsigned big-endian integer contents, 1..4 significant bytes. Lax about
 * the sign bit: cards write key and PIN references such as 0x81 in one
 * byte. */
static bool p15_uint(struct rd *v, unsigned long *out)
{
	uint8_t b;
	size_t n = rd_left(v);
	unsigned long x = 0;
	if (n == 0 || n > 5 || (n == 5 && *v->p != 0))
		return false;
	while (rd_u8(v, &b))
		x = (x << 8) | b;
	*out = x & 0xFFFFFFFFul;
	return true;
}

/* End of the entries: no bytes, or 00/FF padding. */
static bool p15_at_end(const struct rd *r)
{
	struct rd c = *r;
	uint8_t b;
	return !rd_u8(&c, &b) || b == 0x00 || b == 0xFF;
}

static bool p15_label(struct rd *v, char *out, size_t cap)
{
	size_t i = 0;
	uint8_t b;
	while (rd_u8(v, &b)) {
		if (i + 1 < cap)
			out[i++] = (b < 0x20 || b == 0x7F) ? '?' : (char)b;
	}
	out[i] = '\0';
	return true;
}

static bool p15_id(struct rd *v, uint8_t *out, size_t *len)
{
	size_t n = rd_left(v);
	if (n > AKIS_ID_MAX || !rd_bytes(v, out, n))
		return false;
	*len = n;
	return true;
}

bool akis_p15_path(const struct akis_card *card, struct rd *value, uint8_t *out, size_t *out_len)
{
	uint8_t p[AKIS_PATH_MAX + 2];
	size_t n = rd_left(value), off = 0;
	if (n < 2 || n > sizeof p || (n & 1u) || !rd_bytes(value, p, n))
		return false;
	if (p[0] == 0x3F && p[1] == 0x00) {
		off = 2; /* absolute: strip the MF */
		if (n - off == 0)
			return false;
		memcpy(out, p + off, n - off);
		*out_len = n - off;
		return true;
	}
	/* relative to the application DF (PKCS#15 v1.1 §6.3 Path) */
	if (card->app_path_len + n > AKIS_PATH_MAX)
		return false;
	memcpy(out, card->app_path, card->app_path_len);
	memcpy(out + card->app_path_len, p, n);
	*out_len = card->app_path_len + n;
	return true;
}

/* Path ::= SEQUENCE { efidOrPath OCTET STRING, index, length OPTIONAL } */
static bool p15_path_seq(const struct akis_card *card, struct rd *seq, uint8_t *out, size_t *len)
{
	struct rd v;
	return rd_expect(seq, T_OCTETS, &v) && akis_p15_path(card, &v, out, len);
}

/* ----- EF.DIR (ISO 7816-4 §8.2.1.1) ----- */

akis_rv akis_p15_efdir(struct akis_card *card, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), app, aid, path;
	unsigned tag;
	while (!p15_at_end(&r)) {
		if (!rd_tlv(&r, &tag, &app))
			return AKIS_ERR_CARD_DATA;
		if (tag != 0x61 || !rd_find(&app, 0x4F, &aid) || !rd_find(&app, 0x51, &path))
			continue;
		bool is_p15 = (rd_left(&aid) == sizeof p15_aid &&
		               memcmp(aid.p, p15_aid, sizeof p15_aid) == 0) ||
		              (rd_left(&aid) == sizeof p15_name &&
		               memcmp(aid.p, p15_name, sizeof p15_name) == 0);
		uint8_t p[AKIS_PATH_MAX];
		size_t n = 0;
		struct akis_card root = *card;
		root.app_path_len = 0; /* EF.DIR paths are from the MF */
		if (!is_p15 || !akis_p15_path(&root, &path, p, &n))
			continue;
		memcpy(card->app_path, p, n);
		card->app_path_len = n;
		log_msg(LOG_OBJ, "EF.DIR: PKCS#15 application at a %zu-byte path", n);
		return AKIS_OK;
	}
	return AKIS_ERR_NOT_FOUND;
}

/* ----- ODF (PKCS#15 v1.1 §6.7): [n] { Path } ----- */

akis_rv akis_p15_odf(const struct akis_card *card, const uint8_t *buf, size_t len,
                     struct akis_odf *odf)
{
	struct rd r = rd_init(buf, len), v, seq;
	unsigned tag;
	memset(odf, 0, sizeof *odf);
	while (!p15_at_end(&r)) {
		if (!rd_tlv(&r, &tag, &v))
			return AKIS_ERR_CARD_DATA;
		if (tag < T_CTX0_C || tag > T_CTX0_C + 8)
			continue;
		unsigned i = tag - T_CTX0_C;
		if (!rd_expect(&v, T_SEQ, &seq))
			continue; /* objects stored in the ODF itself: not used */
		if (!p15_path_seq(card, &seq, odf->path[i], &odf->len[i]))
			return AKIS_ERR_CARD_DATA;
	}
	log_msg(LOG_OBJ, "ODF: AODF %s PrKDF %s PuKDF %s CDF %s",
	        odf->len[AKIS_ODF_AODF] ? "yes" : "no", odf->len[AKIS_ODF_PRKDF] ? "yes" : "no",
	        odf->len[AKIS_ODF_PUKDF] ? "yes" : "no", odf->len[AKIS_ODF_CDF] ? "yes" : "no");
	return AKIS_OK;
}

/* ----- TokenInfo (PKCS#15 v1.1 §6.9) ----- */

akis_rv akis_p15_tokeninfo(struct akis_card *card, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), ti, v;
	unsigned tag;
	if (!rd_expect(&r, T_SEQ, &ti) || !rd_expect(&ti, T_INT, &v) ||
	    !rd_expect(&ti, T_OCTETS, &v))
		return AKIS_ERR_CARD_DATA;
	if (card->serial_len == 0 && rd_left(&v) <= AKIS_SERIAL_MAX) {
		card->serial_len = rd_left(&v);
		if (!rd_bytes(&v, card->serial, card->serial_len))
			return AKIS_ERR_CARD_DATA;
	}
	while (!rd_empty(&ti)) {
		if (!rd_tlv(&ti, &tag, &v))
			return AKIS_ERR_CARD_DATA;
		if (tag == T_UTF8)
			(void)p15_label(&v, card->manufacturer, sizeof card->manufacturer);
		else if (tag == T_CTX0)
			(void)p15_label(&v, card->token_label, sizeof card->token_label);
	}
	return AKIS_OK;
}

/* ----- common attributes ----- */

struct p15_common {
	char label[AKIS_LABEL_MAX];
	uint8_t auth_id[AKIS_ID_MAX];
	size_t auth_id_len;
	unsigned long user_consent;
};

/* CommonObjectAttributes ::= SEQUENCE { label, flags, authId, userConsent, … } */
static bool p15_common(struct rd *obj, struct p15_common *c)
{
	struct rd seq, v;
	unsigned tag;
	memset(c, 0, sizeof *c);
	if (!rd_expect(obj, T_SEQ, &seq))
		return false;
	while (!rd_empty(&seq)) {
		if (!rd_tlv(&seq, &tag, &v))
			return false;
		if (tag == T_UTF8 && !p15_label(&v, c->label, sizeof c->label))
			return false;
		if (tag == T_OCTETS && !p15_id(&v, c->auth_id, &c->auth_id_len))
			return false;
		if (tag == T_INT && !p15_uint(&v, &c->user_consent))
			return false;
	}
	return true;
}

/* ----- AODF (PKCS#15 v1.1 §6.8) ----- */

static bool pin_attrs(struct rd *pa, struct akis_pin_info *pin, unsigned long *flags)
{
	struct rd v;
	unsigned tag, n_int = 0;
	unsigned long x = 0, type = PINTYPE_ASCII;
	*flags = 0;
	while (!rd_empty(pa)) {
		if (!rd_tlv(pa, &tag, &v))
			return false;
		if (tag == T_BITS && !rd_der_bits(&v, flags))
			return false;
		if ((tag == T_ENUM && !p15_uint(&v, &type)) ||
		    ((tag == T_INT || tag == T_CTX0) && !p15_uint(&v, &x)))
			return false;
		if (tag == T_INT && n_int == 0)
			pin->min_len = (unsigned)x;
		else if (tag == T_INT && n_int == 1)
			pin->pad_len = (unsigned)x; /* storedLength, kept if padding needed */
		else if (tag == T_INT && n_int == 2)
			pin->max_len = (unsigned)x;
		n_int += tag == T_INT;
		if (tag == T_CTX0)
			pin->ref = (uint8_t)x;
		if (tag == T_OCTETS && (rd_left(&v) != 1 || !rd_u8(&v, &pin->pad_char)))
			return false;
	}
	pin->enc = type == PINTYPE_HALF_NIBBLE ? AKIS_PIN_ENC_HALF_NIBBLE_BCD
	           : type == PINTYPE_BCD       ? AKIS_PIN_ENC_BCD
	                                       : AKIS_PIN_ENC_ASCII;
	if (n_int < 2 || pin->min_len == 0)
		return false;
	if (pin->max_len == 0 || pin->max_len > 64)
		pin->max_len = pin->pad_len ? pin->pad_len : 8;
	if (!(*flags & PINF_NEEDS_PADDING))
		pin->pad_len = 0;
	pin->digits_only = type != PINTYPE_UTF8;
	return pin->min_len <= pin->max_len;
}

static bool type_attrs(struct rd *obj, struct rd *attrs);

/* AuthenticationObject pin: SEQUENCE { common, { authId }, [1] { PinAttributes } } */
static bool aodf_entry(struct rd *obj, struct akis_pin_info *pin, unsigned long *flags)
{
	struct p15_common c;
	struct rd auth, pa, v;
	if (!p15_common(obj, &c) || !rd_expect(obj, T_SEQ, &auth) ||
	    !rd_expect(&auth, T_OCTETS, &v) || !p15_id(&v, pin->auth_id, &pin->auth_id_len) ||
	    !type_attrs(obj, &pa))
		return false;
	snprintf(pin->label, sizeof pin->label, "%s", c.label);
	pin->present = true;
	return pin_attrs(&pa, pin, flags);
}

/* Prefer a PIN local to the application (ref with bit 8 set, or the local
 * flag) over a global one (the MF system PIN 01/02); else the first one. */
static void aodf_keep(struct akis_card *card, const struct akis_pin_info *pin, unsigned long flags,
                      bool *seen)
{
	enum akis_pin_which w = (flags & (PINF_UNBLOCKING | PINF_SO)) ? AKIS_PIN_SO : AKIS_PIN_USER;
	bool local = (flags & PINF_LOCAL) || (pin->ref & 0x80u);
	struct akis_pin_info *slot = &card->pins[w];
	if (seen[w] && (!local || (slot->ref & 0x80u)))
		return;
	seen[w] = true;
	*slot = *pin;
	log_msg(LOG_PIN, "AODF: %s ref %02X len %u-%u enc %d pad %u", w ? "PUK" : "PIN", pin->ref,
	        pin->min_len, pin->max_len, (int)pin->enc, pin->pad_len);
}

akis_rv akis_p15_aodf(struct akis_card *card, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), obj;
	unsigned tag;
	bool seen[2] = {false, false};
	while (!p15_at_end(&r)) {
		struct akis_pin_info pin;
		unsigned long flags = 0;
		if (!rd_tlv(&r, &tag, &obj))
			return AKIS_ERR_CARD_DATA;
		if (tag != T_SEQ)
			continue; /* biometric, authKey, external: not used */
		memset(&pin, 0, sizeof pin);
		if (!aodf_entry(&obj, &pin, &flags))
			return AKIS_ERR_CARD_DATA;
		aodf_keep(card, &pin, flags, seen);
	}
	return AKIS_OK;
}

/* ----- PrKDF (PKCS#15 v1.1 §6.4.1) ----- */

/* CommonKeyAttributes ::= SEQUENCE { iD, usage, native, accessFlags, keyReference, … } */
static bool key_common(struct rd *obj, uint8_t *id, size_t *id_len, unsigned *usage,
                       unsigned long *ref)
{
	struct rd seq, v;
	unsigned tag, n_bits = 0;
	unsigned long bits = 0;
	*ref = 0;
	if (!rd_expect(obj, T_SEQ, &seq) || !rd_expect(&seq, T_OCTETS, &v) ||
	    !p15_id(&v, id, id_len))
		return false;
	while (!rd_empty(&seq)) {
		if (!rd_tlv(&seq, &tag, &v))
			return false;
		if (tag == T_BITS && n_bits++ == 0) {
			if (!rd_der_bits(&v, &bits))
				return false;
			*usage = (unsigned)bits & 0x3FFu;
		}
		if (tag == T_INT && !p15_uint(&v, ref))
			return false;
	}
	return true;
}

/* Skip an optional [0] subclass, return the [1] type attributes' SEQUENCE. */
static bool type_attrs(struct rd *obj, struct rd *attrs)
{
	struct rd v;
	unsigned tag;
	while (!rd_empty(obj)) {
		if (!rd_tlv(obj, &tag, &v))
			return false;
		if (tag == T_CTX1_C)
			return rd_expect(&v, T_SEQ, attrs);
	}
	return false;
}

static uint8_t pin_ref_for(const struct akis_card *card, const struct p15_common *c)
{
	for (unsigned w = 0; w < 2; w++) {
		const struct akis_pin_info *p = &card->pins[w];
		if (p->present && c->auth_id_len && p->auth_id_len == c->auth_id_len &&
		    memcmp(p->auth_id, c->auth_id, c->auth_id_len) == 0)
			return p->ref;
	}
	return card->pins[AKIS_PIN_USER].ref;
}

static bool prkdf_entry(struct akis_card *card, unsigned tag, struct rd *obj, struct akis_key *k)
{
	struct p15_common c;
	struct rd attrs, v;
	unsigned long ref = 0, bits = 0;
	unsigned t;
	if (!p15_common(obj, &c) || !key_common(obj, k->id, &k->id_len, &k->usage, &ref) ||
	    !type_attrs(obj, &attrs))
		return false;
	k->type = tag == T_SEQ ? AKIS_KEY_RSA : AKIS_KEY_EC;
	if (k->type == AKIS_KEY_RSA) {
		/* PrivateRSAKeyAttributes ::= SEQUENCE { value, modulusLength, … } */
		if (!rd_tlv(&attrs, &t, &v) || !rd_expect(&attrs, T_INT, &v) ||
		    !p15_uint(&v, &bits) || bits > 16384)
			return false;
		k->bits = (unsigned)bits;
	}
	if (ref > 0xFF)
		return false;
	k->key_ref = (uint8_t)ref;
	snprintf(k->label, sizeof k->label, "%s", c.label);
	k->user_consent = c.user_consent > 0;
	k->auth_pin_ref = pin_ref_for(card, &c);
	k->cert = -1;
	return true;
}

akis_rv akis_p15_prkdf(struct akis_card *card, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), obj;
	unsigned tag;
	while (!p15_at_end(&r)) {
		if (!rd_tlv(&r, &tag, &obj))
			return AKIS_ERR_CARD_DATA;
		if (tag != T_SEQ && tag != T_CTX0_C)
			continue; /* DH, DSA, KEA keys: not on AKİS */
		if (card->n_keys >= AKIS_MAX_KEYS) {
			log_msg(LOG_OBJ, "PrKDF: more than %u keys, rest ignored", AKIS_MAX_KEYS);
			break;
		}
		struct akis_key *k = &card->keys[card->n_keys];
		memset(k, 0, sizeof *k);
		if (!prkdf_entry(card, tag, &obj, k)) {
			memset(k, 0, sizeof *k);
			return AKIS_ERR_CARD_DATA;
		}
		log_msg(LOG_OBJ, "PrKDF: key ref %02X %s %u bits usage %03X consent %d", k->key_ref,
		        k->type == AKIS_KEY_RSA ? "RSA" : "EC", k->bits, k->usage, k->user_consent);
		card->n_keys++;
	}
	return AKIS_OK;
}

/* ----- CDF (PKCS#15 v1.1 §6.5) ----- */

/* ObjectValue: Path SEQUENCE (indirect) or [0] direct DER. */
static bool cert_value(struct akis_card *card, struct rd *attrs, struct akis_cert *c)
{
	struct rd v;
	unsigned tag;
	if (!rd_tlv(attrs, &tag, &v))
		return false;
	if (tag == T_SEQ)
		return p15_path_seq(card, &v, c->path, &c->path_len);
	if (tag != T_CTX0_C || rd_left(&v) == 0 || rd_left(&v) > AKIS_CERT_MAX)
		return false;
	size_t n = rd_left(&v);
	c->der = malloc(n);
	if (c->der == NULL || !rd_bytes(&v, c->der, n))
		return false;
	c->der_len = n;
	return true;
}

static bool cdf_entry(struct akis_card *card, struct rd *obj, struct akis_cert *c)
{
	struct p15_common com;
	struct rd seq, attrs, v;
	bool authority = false;
	if (!p15_common(obj, &com) || !rd_expect(obj, T_SEQ, &seq) ||
	    !rd_expect(&seq, T_OCTETS, &v) || !p15_id(&v, c->id, &c->id_len))
		return false;
	if (rd_expect(&seq, T_BOOL, &v) && !rd_der_bool(&v, &authority))
		return false;
	if (!type_attrs(obj, &attrs))
		return false;
	c->authority = authority;
	snprintf(c->label, sizeof c->label, "%s", com.label);
	return cert_value(card, &attrs, c);
}

akis_rv akis_p15_cdf(struct akis_card *card, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), obj;
	unsigned tag;
	while (!p15_at_end(&r)) {
		if (!rd_tlv(&r, &tag, &obj))
			return AKIS_ERR_CARD_DATA;
		if (tag != T_SEQ)
			continue; /* attribute and other certificate types */
		if (card->n_certs >= AKIS_MAX_CERTS) {
			log_msg(LOG_OBJ, "CDF: more than %u certificates, rest ignored",
			        AKIS_MAX_CERTS);
			break;
		}
		struct akis_cert *c = &card->certs[card->n_certs];
		memset(c, 0, sizeof *c);
		if (!cdf_entry(card, &obj, c)) {
			free(c->der);
			memset(c, 0, sizeof *c);
			return AKIS_ERR_CARD_DATA;
		}
		card->n_certs++;
	}
	log_msg(LOG_OBJ, "CDF: %zu certificates", card->n_certs);
	return AKIS_OK;
}

/* ----- PuKDF (PKCS#15 v1.1 §6.6): direct values only ----- */

/* DER SubjectPublicKeyInfo from a direct value: SPKI, or a bare
 * RSAPublicKey (converted). NULL when neither. */
static uint8_t *spki_from(const uint8_t *der, size_t len, size_t *out_len)
{
	const uint8_t *p = der;
	uint8_t *out = NULL;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk == NULL) {
		p = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	}
	if (pk != NULL) {
		int n = i2d_PUBKEY(pk, &out);
		*out_len = n > 0 ? (size_t)n : 0;
		EVP_PKEY_free(pk);
	}
	return out;
}

static void pukdf_attach(struct akis_card *card, const uint8_t *id, size_t id_len, struct rd *val)
{
	for (size_t i = 0; i < card->n_keys; i++) {
		struct akis_key *k = &card->keys[i];
		if (k->spki != NULL || id_len == 0 || k->id_len != id_len ||
		    memcmp(k->id, id, id_len) != 0)
			continue;
		uint8_t *spki = spki_from(val->p, rd_left(val), &k->spki_len);
		if (spki != NULL) {
			k->spki = malloc(k->spki_len);
			if (k->spki != NULL)
				memcpy(k->spki, spki, k->spki_len);
			OPENSSL_free(spki);
		}
		if (k->spki == NULL)
			k->spki_len = 0;
	}
}

akis_rv akis_p15_pukdf(struct akis_card *card, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len), obj, attrs, val;
	unsigned tag, usage = 0;
	while (!p15_at_end(&r)) {
		struct p15_common c;
		uint8_t id[AKIS_ID_MAX];
		size_t id_len = 0;
		unsigned long ref = 0;
		if (!rd_tlv(&r, &tag, &obj))
			return AKIS_ERR_CARD_DATA;
		if (tag != T_SEQ && tag != T_CTX0_C)
			continue;
		if (!p15_common(&obj, &c) || !key_common(&obj, id, &id_len, &usage, &ref) ||
		    !type_attrs(&obj, &attrs))
			return AKIS_ERR_CARD_DATA;
		if (rd_expect(&attrs, T_CTX0_C, &val))
			pukdf_attach(card, id, id_len, &val);
		else
			log_msg(LOG_OBJ, "PuKDF: indirect public key value ignored");
	}
	return AKIS_OK;
}
